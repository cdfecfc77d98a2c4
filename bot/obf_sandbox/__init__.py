"""OBF sandbox: an Open Badge Factory–compatible API with demo data, served by the
gateway under /obf-sandbox, so that the product works without an OBF account.

Speaks the shapes of docs/obf-api.md (v2 and v1, OAuth2 client credentials). Demo
credentials: client id `bagou-demo`, secret `bagou-demo-secret` (see seed.yml).
It reads (routes_v1.py, routes_v2.py), issues (issuing.py: the course's « Point Info
Badge », among others) and serves each learner's Open Badges 3.0 credential, signed
with the organisation's Ed25519 key (public.py, signing.py).

The router is `bot.obf_sandbox.router.make_router`, the demo data `bot.obf_sandbox.seed`.
This __init__ gives only the constants (constants.py), so that importing them loads
neither FastAPI nor SQLAlchemy (the action server reads them).
"""

from bot.obf_sandbox.constants import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, PREFIX

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "PREFIX"]
