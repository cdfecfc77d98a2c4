"""The OBF organisations the actions read: the real OBF when OBF_BASE_URL is set,
else the gateway's own sandbox (demo data), as bot/obf_sandbox/reach.py chooses. One
directory per process, so that the OAuth2 tokens and badge details stay cached between
messages."""

from rasa_sdk import Tracker

from actions.config import get_settings
from actions.identity import allowed_organisations
from bot.obf import ObfDirectory
from bot.obf_sandbox.constants import DEMO_CLIENT_ID, PREFIX, SANDBOX_ORGANISATION
from bot.obf_sandbox.reach import obf_directory

_directory: ObfDirectory | None = None


def sandbox_base_url() -> str:
    # The action server runs beside the gateway: reach it on loopback.
    return f"http://127.0.0.1:{get_settings().port}{PREFIX}"


def directory() -> ObfDirectory:
    global _directory
    if _directory is None:
        _directory = obf_directory(get_settings().obf, sandbox_url=sandbox_base_url())
    return _directory


def directory_for(tracker: Tracker) -> ObfDirectory | None:
    """The organisations this person's badges may be looked up in: all of them, or, for a
    person launched from Moodle, those the Moodle's registration names ("sandbox": the
    sandbox's, while Bagou runs on it). None when that leaves none: no look-up at all."""
    allowed = allowed_organisations(tracker)
    if allowed is None:
        return directory()
    if SANDBOX_ORGANISATION in allowed and not get_settings().obf.configured:
        allowed = allowed | {DEMO_CLIENT_ID}
    only = directory().only(allowed)
    return only if only.clients else None


def forget_lookups(conversation: str) -> None:
    """The badge look-ups kept for this conversation (bot/obf/recent.py): its learner
    has just earned a badge, the next look-up asks OBF."""
    if _directory is not None:
        _directory.forget(conversation)
