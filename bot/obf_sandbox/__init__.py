"""OBF sandbox: an Open Badge Factory–compatible API with demo data, served by the
gateway under /obf-sandbox, so that the product works without an OBF account.

Speaks the shapes of shared/obf-api.md (v2 and v1, OAuth2 client credentials). Demo
credentials: client id `bagou-demo`, secret `bagou-demo-secret` (see seed.yml).
"""

from bot.obf_sandbox.router import PREFIX, make_router
from bot.obf_sandbox.seed import counts, load_seed, reset, seed, seed_database

DEMO_CLIENT_ID = "bagou-demo"
DEMO_CLIENT_SECRET = "bagou-demo-secret"  # public demo value, opens fake data only

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "PREFIX", "counts", "load_seed",
           "make_router", "reset", "seed", "seed_database"]
