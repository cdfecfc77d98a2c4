"""Fuzzing of the gateway's OpenAPI with schemathesis, in process (ASGI), without Rasa.

Every operation of /openapi.json gets generated requests, valid and invalid ones
(bounded: MAX_EXAMPLES each, derandomized so that CI always runs the same ones). With
no Rasa behind, a chat turn answers 503 `assistant_indisponible`, a documented error.

Checked on every answer: no 500, the status code and content type are declared, the
body conforms to the declared schema, and every JSON error of Bagou's own API has the
one error shape (bot/schemas.py ErrorResponse) with a FALC message of texts/gateway.yml.
The OBF sandbox imitates OBF, errors included (docs/obf-api.md): it is held to « no
500 » and a JSON body. Rate limits are off here (tests/test_limits.py tests them).
"""

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi import checks as oa_checks

from bot.app import create_app
from bot.ops.supervisor import free_port
from bot.schemas import ErrorResponse
from bot.settings import Settings
from bot.texts import all_texts

MAX_EXAMPLES = 40
SANDBOX = "/obf-sandbox/"
FALC_MESSAGES = set(all_texts().values())


# Made at import: schemathesis reads the OpenAPI document when pytest collects the tests.
WORK = Path(tempfile.mkdtemp(prefix="bagou-fuzz-"))
SETTINGS = Settings(
    database_url=f"sqlite:///{WORK / 'bagou.db'}", rasa_port=free_port(),
    actions_port=free_port(), rasa_token="jeton-du-test-de-fuzz", rasa_timeout=2,
    rate_limit_session="", rate_limit_address="", lti_key_dir=WORK / "lti")
# Loading the schema runs (and ends) the app's lifespan: the requests go to another app.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS))


@pytest.fixture(scope="module")
def client():
    """One app for the whole run. schemathesis ends an app's lifespan after each
    operation and starts it again; the gateway's runs once per process, as under
    uvicorn (its end closes the client to Rasa for good)."""
    end_lifespans = asgi.shutdown_lifespans
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asgi, "shutdown_lifespans", lambda: None)
        with asgi.ASGIClient(create_app(SETTINGS)) as client:
            yield client
    end_lifespans()
    shutil.rmtree(WORK, ignore_errors=True)


def check_error_shape(case, response) -> None:
    if response.status_code < 400 or case.path.startswith(SANDBOX) or case.path == "/health":
        return  # /health answers 503 with its own documented shape (Health)
    if not response.headers.get("content-type", [""])[0].startswith("application/json"):
        return  # the LTI refusals are FALC HTML pages, declared as such
    body = ErrorResponse.model_validate(response.json())
    assert body.message in FALC_MESSAGES or body.error == "texte_trop_long", body
    assert [r.text for r in body.replies] == [body.message]


CHECKS = [oa_checks.status_code_conformance,
          oa_checks.content_type_conformance, oa_checks.response_schema_conformance]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_in_its_documented_shape(case, client):
    response = case.call(session=client)
    if case.path.startswith(SANDBOX):
        assert response.status_code < 500, (case.method, case.path, response.text[:300])
        return
    # 503 is documented (Rasa down, LTI not set up); a 500 never is.
    assert response.status_code != 500, (case.method, case.path, response.text[:300])
    case.validate_response(response, checks=CHECKS)
    check_error_shape(case, response)
