"""Where the sandbox is and its public demo credentials: plain constants, importing
nothing, so that the action server and the console reach the sandbox without loading
its routes (FastAPI) or its tables (SQLAlchemy)."""

PREFIX = "/obf-sandbox"
DEMO_CLIENT_ID = "bagou-demo"
DEMO_CLIENT_SECRET = "bagou-demo-secret"  # public demo value, opens fake data only
# How a Moodle registration (bot/lti/organisations.py) names the sandbox's organisations:
# its learners may see the demo badges (only while OBF_BASE_URL is empty).
SANDBOX_ORGANISATION = "sandbox"
