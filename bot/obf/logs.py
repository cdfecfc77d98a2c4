"""The `bagou.obf` logger, which cannot print an e-mail address.

Learners are looked up by e-mail, so an address is always close to a log call.
Code logs `email_ref(email)` (a short hash: the same learner gives the same ref,
which is enough to follow a conversation in the logs). Secrets and tokens are never
passed to the logger at all.

httpx logs every request URL at INFO ("HTTP Request: GET …?email=jeanne%40…"),
URL-encoded so that an e-mail pattern does not even see it: bot/log_safety.py
drops query strings and masks addresses in every log record (and any address that
slips through anyway, in messages and tracebacks). Each process installs it at its
entry point (create_app, the `bagou` command, actions/server.py), not this module.
"""

import hashlib
import logging

from bot.privacy import normal_email

log = logging.getLogger("bagou.obf")


def email_ref(email: str) -> str:
    return "learner:" + hashlib.sha256(normal_email(email).encode()).hexdigest()[:10]

