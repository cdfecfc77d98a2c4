"""Checking an Open Badge (2.0 or 3.0) from a link, a pasted credential or a baked image.

- fetch.py: the safe fetcher (no private addresses, pinned IPs, redirects, size, time);
- inputs.py, baked.py: what a person gave, and the badge inside a PNG or SVG;
- ob2.py, ob3.py, data_integrity.py: the checks; contexts/: shipped JSON-LD contexts;
- result.py: the Verdict; answer.py: the FALC answer (texts/verify.yml);
- service.py: from an input to a verdict.

A library: the routes are in bot/api/verify.py; it imports nothing of the API or the chat.
"""
