"""The learner's identity on its way through Rasa: a sealed reference, never the e-mail.

The gateway knows who is talking; the badge actions need the learner's e-mail to ask
OBF. Between them is Rasa, which keeps every message's metadata in its tracker store
(PostgreSQL, Redis, memory) and logs it at debug level. So the gateway sends, in the
identity of each message's metadata, `ref`: the e-mail sealed (bot/sealed.py) with a
key that the gateway and the action server hold and Rasa does not, bound to the
conversation (Rasa's sender id) and to the time it was made. The actions open it for
the conversation they serve; a reference copied into another conversation, older than
MAX_AGE_S, or sealed with another key opens to nothing (the person is then treated as
not signed in). Rasa, its stores and its logs see only a different random-looking
string at each message.

The key: BAGOU_IDENTITY_KEY, given to the gateway and to the action server only (never
to Rasa). `bagou run` makes a random one per run when it is not set. Without it, both
derive one from the server's key (BAGOU_SECRET_KEY, or the file BAGOU_SECRET_KEY_FILE):
enough when both run on one machine; containers set BAGOU_IDENTITY_KEY in both.
"""

import hashlib
import json
import time

from bot.sealed import Unreadable, purpose_key, seal, unseal

KEY_VAR = "BAGOU_IDENTITY_KEY"
PURPOSE = "identity reference"
# Made by the gateway for one message and read by the actions of the same turn (at most
# the gateway's Rasa timeout later); a few minutes leave room for clocks a little apart.
MAX_AGE_S = 300


def reference_key(identity_key: str, server_key: bytes | None) -> bytes | None:
    """The key of the references, from BAGOU_IDENTITY_KEY, else from the server's key."""
    if identity_key:
        return purpose_key(hashlib.sha256(identity_key.encode()).digest(), PURPOSE)
    if server_key:
        return purpose_key(server_key, PURPOSE)
    return None


def make_ref(key: bytes, conversation: str, email: str, now: float | None = None) -> str:
    made = int(time.time() if now is None else now)
    return seal(key, conversation, json.dumps({"email": email, "at": made}))


def read_ref(key: bytes | None, conversation: str, ref: object,
             now: float | None = None) -> str | None:
    """The e-mail in `ref`, or None when it cannot be trusted."""
    if key is None or not isinstance(ref, str):
        return None
    try:
        data = json.loads(unseal(key, conversation, ref))
    except (Unreadable, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    email, made = data.get("email"), data.get("at")
    now = time.time() if now is None else now
    if not isinstance(email, str) or not isinstance(made, int) or abs(now - made) > MAX_AGE_S:
        return None
    return email
