"""Hypothesis strategies that change badges field by field, and the verdicts a check may
end with (tests/test_verify_fuzz.py, tests/test_verify_sandbox.py)."""

import copy
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.schemas import ChatResponse
from bot.verify.answer import replies_for, texts
from bot.verify.result import STATUSES

# BAGOU_FUZZ_EXAMPLES=500 for a longer search (by hand; the suite keeps it short).
EXAMPLES = int(os.environ.get("BAGOU_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# Values that broke or could break a checker: out-of-range dates, huge numbers, not
# numbers, lone surrogates, direction marks, blank node names, addresses, keys.
ODD_STRINGS = [
    "99999999999999", "-99999999999999", "0", "1e400", "NaN", "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59", "2025-02-30T00:00:00Z", "2025-07-07", "", " ", "\x00",
    "\ud800", "\udfff", "a\u202eb", "\u200b", "🙂" * 50, "e\u0301", "ﬁ", "x" * 5000,
    "_:b0", "did:key:z6Mk", "did:key:zDn", "did:jwk:e30", "did:web:127.0.0.1", "did:example:1",
    "https://127.0.0.1:1/x", "http://[::1", "http://%zz", "mailto:lea.martin@example.org",
    "sha256$", "md5$abc", "sha512$00", "hosted", "signed", "SignedBadge", "true",
    "lea.martin@example.org", "{", "[[[[", "eyJhbGciOiJub25lIn0.e30.",
]
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(ODD_STRINGS),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12,
)


def deep(depth: int) -> object:
    value: object = "fond"
    for _ in range(depth):
        value = [value]
    return value


SPECIAL_VALUES = st.sampled_from([deep(40), deep(2000), list(range(30_000)),
                                  {str(i): i for i in range(3000)}])
VALUES = st.one_of(JSON_VALUES, JSON_VALUES, JSON_VALUES, SPECIAL_VALUES)
KEYS = st.one_of(st.text(max_size=12), st.sampled_from([
    "@context", "id", "type", "issuer", "badge", "recipient", "verification", "revoked",
    "expires", "issuedOn", "proof", "credentialStatus", "validUntil", "validFrom",
    "credentialSubject", "identifier", "publicKey", "allowedOrigins", "startsWith",
    "owner", "publicKeyPem", "revocationList", "revokedAssertions", "kid", "jwk", "alg",
]))


def paths(value, prefix=()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, prefix + (index,))
    return found


def mutate(data, document):
    """One change at one place of a copy of `document`."""
    document = copy.deepcopy(document)
    path = data.draw(st.sampled_from(paths(document)), label="path")
    operation = data.draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap"]),
                          label="operation")
    if not path:
        if operation == "add" and isinstance(document, dict):
            document[data.draw(KEYS, label="key")] = data.draw(VALUES, label="value")
        return document
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if operation == "delete":
        del parent[last]
    elif operation == "wrap":
        parent[last] = [parent[last]]
    elif operation == "add" and isinstance(parent[last], dict):
        parent[last][data.draw(KEYS, label="key")] = data.draw(VALUES, label="value")
    else:
        parent[last] = data.draw(VALUES, label="value")
    return document


def assert_documented(verdict) -> None:
    assert verdict.status in STATUSES
    assert verdict.reason in texts()["raisons"], verdict.reason
    # The last-resort guard caught something that the verifiers did not expect.
    assert verdict.reason != "erreur_verification", verdict.notes
    # The answer can be written, stored and sent as JSON.
    replies = replies_for(verdict)
    body = ChatResponse(session_id="s", replies=replies, topic="verifier_badge")
    encoded = body.model_dump_json().encode("utf-8")
    assert b"lea.martin@example.org" not in encoded
