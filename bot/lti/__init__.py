"""Bagou as an LTI 1.3 tool of Moodle (or any LTI 1.3 platform), built on pylti1p3.

- config.py: the tool's key pair and the platforms' registrations (pylti1p3's JSON);
- adapter.py: pylti1p3 on Starlette/FastAPI (request, cookies, redirect) and the
  server-side storage of states, nonces and launch data in the gateway's database;
- pages.py: the HTML pages (Bagou full page, FALC refusals);
- routes.py: GET/POST /lti/login, POST /lti/launch, GET /lti/jwks, GET /lti/ouvrir.
"""
