"""The one choice between the real OBF and this sandbox, for the action server and the
console alike: the real OBF when OBF_BASE_URL is set, else the sandbox's demo
organisation at the address the caller reaches it on (loopback for the actions,
in-process for the console).

Imports only bot.obf and the constants: no FastAPI, no SQLAlchemy (the action server
reads it; tests/test_actions_imports.py checks it).
"""

import httpx

from bot.obf import ObfDirectory, ObfSettings, TokenStore, build_organisations
from bot.obf_sandbox.constants import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def obf_directory(settings: ObfSettings, *, sandbox_url: str,
                  sandbox_transport: httpx.AsyncBaseTransport | None = None,
                  tokens: TokenStore | None = None) -> ObfDirectory:
    """`sandbox_url` (and `sandbox_transport`) serve only while OBF is not configured.
    A person waits for the answer: by default the token store never sleeps for OBF's
    one-token-per-10-s rule; pass one `tokens` to share them between directories."""
    tokens = tokens or TokenStore(max_wait=2.0)
    if settings.configured:
        return ObfDirectory.from_settings(settings, tokens=tokens)
    organisations = build_organisations(sandbox_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    return ObfDirectory.from_organisations(organisations, transport=sandbox_transport,
                                           timeout=settings.timeout, tokens=tokens)
