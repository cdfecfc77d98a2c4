"""Which OBF organisations a Moodle's learners may see (issue 21, item 5).

A learner's badges are personal data, and one Bagou may serve several structures, each
with its own Moodle and its own OBF organisation. So each registration names the
organisations whose badges its learners may see:

- in the JSON file of BAGOU_LTI_CONFIG: `"organisations": ["<OBF client id>", …]` in the
  entry, or `["sandbox"]` for the demo badges of the built-in sandbox;
- for a Moodle that registered itself: chosen by the administrator of Bagou who accepts
  it in the console (bot/console/moodle.py), kept in `lti_registrations.organisations`.

A registration that names none gives no look-up: its learners are recognised, but
« mes badges » says that this Moodle is not linked to their badges. The launch puts the
list in the person's identity (Identity.organisations, kept with the chat session); the
actions look up those organisations only (actions/obf_access.py).
"""

from bot.obf.errors import ObfConfigError
from bot.obf.settings import ObfSettings, configured_organisations
from bot.obf_sandbox.constants import SANDBOX_ORGANISATION

KEY = "organisations"
MAX_ORGANISATIONS = 20


def organisations_of(entry: dict | None) -> tuple[str, ...]:
    """The organisations an entry names (the JSON file's, or the database's); () when it
    names none or something that is not a list of names."""
    value = (entry or {}).get(KEY)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    names: list[str] = []
    for item in value:
        if isinstance(item, str) and item.strip() and item.strip() not in names:
            names.append(item.strip())
    return tuple(names[:MAX_ORGANISATIONS])


def choices(obf: ObfSettings) -> list[str]:
    """What the console offers: the organisations of OBF_CLIENT_ID (`settings.obf`), or
    the sandbox when Bagou runs on it (the actions read one or the other, never both)."""
    if not obf.configured:
        return [SANDBOX_ORGANISATION]
    try:
        return [org.client_id for org in configured_organisations(obf)]
    except ObfConfigError:  # ids and secrets do not pair: the actions cannot read them either
        return []
