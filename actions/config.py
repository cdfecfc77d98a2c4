"""The action server's own settings: the few BAGOU_* variables that the actions read,
with the same names and defaults as in the gateway's README table (Sara's
actions/config.py is the model). Only pydantic-settings: the action server does not
import the gateway (FastAPI, SQLAlchemy, Alembic); tests/test_actions_imports.py checks it.

OBF's settings (OBF_*) are `settings.obf`, the model of bot.obf (the client library the
actions use), as in the gateway's settings.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.obf.settings import ObfSettings
from bot.settings import DEMO_CONTACT  # one place for it (pydantic-settings only)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ActionSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BAGOU_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    # The gateway's port: without OBF_BASE_URL, the actions read the demo badges from
    # the gateway's sandbox, on loopback.
    port: int = 8000
    # Open Badge Factory (OBF_*): the real OBF when OBF_BASE_URL is set (obf_access.py).
    obf: ObfSettings = Field(default_factory=ObfSettings)
    # The person or service that answers when someone asks to talk to a human
    # (topic parler_humain). Empty values are left out of the answer.
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_url: str = ""
    # While no BAGOU_CONTACT_* is set, give the demo site's fictitious contact (above).
    # Deployments set their own contact, or BAGOU_DEMO_CONTACT=false: the answer then
    # says to call the structure that gave the badge, and offers the lieux.
    demo_contact: bool = True
    # The lieux de la reconnaissance that Bagou gives when a person names a town or a
    # postcode (a data file the structure keeps up to date; read when the actions start).
    lieux_file: Path = PROJECT_ROOT / "lieux.yml"
    # The key that opens the learner's identity references (bot/identity_ref.py), as the
    # gateway's; without it, derived from the server's key, read only (never made here).
    identity_key: str = ""
    secret_key: str = ""
    secret_key_file: Path = PROJECT_ROOT / "var" / "secret.key"

    def server_key(self) -> bytes | None:
        if self.secret_key:
            return self.secret_key.encode()
        try:
            return self.secret_key_file.read_bytes().strip() or None
        except OSError:
            return None

    @model_validator(mode="after")
    def _demo_contact(self) -> "ActionSettings":
        contact = (self.contact_name, self.contact_phone, self.contact_email, self.contact_url)
        if self.demo_contact and not any(contact):
            for key, value in DEMO_CONTACT.items():
                setattr(self, key, value)
        return self


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
