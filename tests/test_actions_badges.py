"""The badge actions with OBF failing: the person reads a short French message, and
never another person's badges. (The happy path runs through the real Rasa model in
tests/test_stack.py; here the real OBF client talks to a failing transport.)"""

import asyncio
import time

import httpx
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.obf_access as obf_access
from actions.badges_suivants import ActionBadgesSuivants
from actions.identity import ref_key
from actions.mes_badges import ActionMesBadges
from bot.obf import ObfDirectory, TokenStore, build_organisations
from bot.identity_ref import make_ref
from bot.settings import PROJECT_ROOT
from tests.helpers.identity import learner

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
LEA = "lea.martin@example.org"


def tracker(identity: dict, intent: str = "mes_badges") -> Tracker:
    latest = {"text": "mes badges", "intent": {"name": intent, "confidence": 1.0},
              "metadata": {"identity": identity}}
    return Tracker("s", {"badges_vus": 0.0}, latest, [], False, None, {}, "action_listen")


def run_action(action, identity, handler, turns: int = 1, slept=None) -> list[dict]:
    """`turns` times the same action, as a person asking again and again; `slept`
    collects the waits the token rule asked for."""
    async def sleep(seconds):
        (slept if slept is not None else []).append(seconds)
        await asyncio.sleep(0)

    async def scenario():
        org = build_organisations("https://obf.invalid/obf-sandbox", "org", "secret")
        obf_access._directory = ObfDirectory.from_organisations(
            org, transport=httpx.MockTransport(handler), timeout=1,
            tokens=TokenStore(max_wait=2.0, sleep=sleep))  # as actions/obf_access.py does
        dispatcher = CollectingDispatcher()
        try:
            for _ in range(turns):
                await action.run(dispatcher, tracker(identity), DOMAIN)
        finally:
            await obf_access._directory.aclose()
            obf_access._directory = None
        return dispatcher.messages
    return asyncio.run(scenario())


def text_of(response: str) -> str:
    return DOMAIN["responses"][response][0]["text"]


def server_error(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="Service Unavailable")


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("too slow", request=request)


def garbage(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/oauth2/token"):
        return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    return httpx.Response(200, text="<html>pas du json</html>")


@pytest.mark.parametrize("handler", [server_error, timeout, garbage], ids=lambda h: h.__name__)
@pytest.mark.parametrize("action", [ActionMesBadges(), ActionBadgesSuivants()],
                         ids=lambda a: a.name())
def test_obf_failing_gives_a_short_french_message(action, handler):
    """Asked three times in a row: each time the same short message, at once (OBF's
    one-token-per-10-s rule makes the assistant fail fast, not sleep)."""
    slept = []
    messages = run_action(action, learner(LEA, source="site:test"), handler, turns=3,
                          slept=slept)
    assert [m["text"] for m in messages] == [text_of("utter_badges_indisponible")] * 3
    assert slept == []


@pytest.mark.parametrize("identity", [
    {"kind": "anonymous"},
    {"kind": "anonymous", "email": "lea.martin@example.org"},  # never trusted without a sign-in
    {"kind": "pirate", "email": "lea.martin@example.org"},
    # The gateway sends a learner's e-mail only sealed for the conversation: an e-mail in
    # clear, a reference sealed for another conversation, an old one, another key's.
    {"kind": "learner", "email": "lea.martin@example.org"},
    learner("lea.martin@example.org", conversation="another-conversation"),
    {"kind": "learner", "ref": make_ref(ref_key(), "s",
                                        "lea.martin@example.org", now=time.time() - 3600)},
    {"kind": "learner", "ref": make_ref(b"k" * 32, "s", "lea.martin@example.org")},
], ids=["anonymous", "anonymous-email", "pirate", "clear-email", "other-conversation",
        "old-reference", "other-key"])
def test_without_a_signed_in_learner_obf_is_never_asked(identity):
    asked = []

    def handler(request):
        asked.append(request.url)
        return httpx.Response(500)

    messages = run_action(ActionMesBadges(), identity, handler)
    assert asked == []
    assert messages[0]["text"] == text_of("utter_mes_badges_anonyme")
