"""A learner's identity as the gateway puts it in a message's metadata (bot/chat/identity.py):
the e-mail sealed for the conversation (bot/identity_ref.py), with the key that the
actions of this test process open it with (BAGOU_IDENTITY_KEY, set in tests/conftest.py)."""

from actions.identity import ref_key
from bot.identity_ref import make_ref


def learner(email: str, conversation: str = "s", **extra) -> dict:
    key = ref_key()
    assert key is not None, "BAGOU_IDENTITY_KEY is set in tests/conftest.py"
    return {"kind": "learner", "ref": make_ref(key, conversation, email), **extra}
