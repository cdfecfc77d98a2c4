"""Configuration from environment variables (and an optional `.env` file).

Every variable is documented in the README with its default. One convention: a field is
named after its variable without the prefix (BAGOU_PUBLIC_URL is `public_url`), a list
is a list (comma-separated in its variable, bot/setting_types.py), and OBF's variables
are one nested object, `settings.obf` (OBF_*, bot/obf/settings.py). Values that are
unsafe outside local use stop the start (`unsafe_reasons`, `check_safe`).
"""

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.setting_types import CommaList, SecretCommaList, comma_list

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The contact of « La Passerelle », the fictitious lieu de la reconnaissance of the demo
# site (bot/web/index.html shows the same phone): what the embedded demo answers when
# someone asks for a person and no BAGOU_CONTACT_* is set (the widget's first message
# and the action server's answer, actions/config.py).
DEMO_CONTACT = {"contact_name": "La Passerelle", "contact_phone": "02 00 00 00 00"}


ApiVersion = Literal["v1", "v2"]
# The id of « Point Info Badge » in the sandbox's demo data (bot/obf_sandbox/seed.yml
# gives it explicitly; tests/test_obf_sandbox.py checks that both agree).
SANDBOX_POINT_INFO_BADGE_ID = "VAPBCO7Q74XWG"


# The OBF variables (OBF_*), nested in Settings as `obf`; the client, the organisations and
# their checks are in bot/obf (bot/obf/settings.py).
class ObfSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OBF_", env_file=PROJECT_ROOT / ".env", extra="ignore")

    base_url: str = ""
    # One or several organisations (comma-separated in the variables), same order.
    client_id: CommaList = []
    client_secret: SecretCommaList = []
    api_version: ApiVersion = "v2"
    timeout: float = Field(5.0, gt=0)
    # The badge given at the end of the course (OBF badge id) and the organisation
    # that gives it. With a real OBF, set both to the ids of that OBF account.
    point_info_badge_id: str = Field(SANDBOX_POINT_INFO_BADGE_ID,
                                     validation_alias="BAGOU_POINT_INFO_BADGE_ID")
    point_info_client_id: str = Field("", validation_alias="BAGOU_POINT_INFO_CLIENT_ID")

    _comma_separated = field_validator("client_id", "client_secret", mode="before")(comma_list)

    @property
    def configured(self) -> bool:
        return bool(self.base_url.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BAGOU_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    # The action server's address when it does not run on this machine's loopback
    # (containers); empty: http://127.0.0.1:<actions_port>, as `bagou run` starts it.
    actions_url: str = ""
    # Shared secret between the gateway and Rasa's channel: Rasa trusts the identity
    # in a message's metadata only when this token comes with it. The launcher makes a
    # random one per run when it is not set.
    rasa_token: str = ""
    rasa_timeout: float = Field(10.0, gt=0)
    # Several Rasa processes (`bagou run` starts them on BAGOU_RASA_PORT and the ports
    # after it). More than one needs the shared stores below (rasa_ext/stores.py).
    rasa_instances: int = Field(1, ge=1, le=16)
    # Rasa's tracker store, postgresql://user:password@host:port/db; empty: in memory.
    rasa_tracker_url: str = ""
    # Rasa's lock store, redis://[:password@]host:port/0; empty: in memory.
    rasa_lock_url: str = ""
    # The Rasa instances the gateway talks to (base URLs, comma-separated in the
    # variable), when they are not the ones `bagou run` starts on loopback (containers).
    rasa_urls: CommaList = []
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'bagou.db'}"
    max_message_chars: int = Field(1000, gt=0)
    # The person or service that answers when someone asks to talk to a human: the
    # action server says it (actions/config.py, same variables and defaults) and the
    # widget's first message gives it. While none is set and BAGOU_DEMO_CONTACT is true,
    # the demo site's fictitious contact. BAGOU_LIEUX_FILE is read by the action server only.
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_url: str = ""
    demo_contact: bool = True
    # The host site's page about personal data (https://…): the widget's first message
    # links to it. Empty: no link. A page may give its own with <bagou-chat privacy-url>.
    privacy_url: str = ""
    # Sites allowed to identify their learners, as JSON {"<site id>": "<secret>"}: the
    # site signs a JWT (HS256, `iss` = site id) that the widget passes on.
    site_secrets: dict[str, str] = {}
    # Serve the OBF-compatible sandbox with demo data at /obf-sandbox (public demo
    # credentials, fake learners). Turn it off where a real OBF account is used: a
    # public https:// Bagou with a real OBF does not start with it (unsafe_reasons).
    obf_sandbox: bool = True
    # Open Badge Factory: OBF_BASE_URL, OBF_CLIENT_ID … (their own names, no BAGOU_).
    obf: ObfSettings = Field(default_factory=ObfSettings)
    # Web sites (origins: scheme://host[:port]) allowed to embed the widget from another
    # address than the gateway's own, comma-separated. The gateway's own pages always work.
    allowed_origins: CommaList = []
    # LTI 1.3 (Bagou as an external tool of Moodle, bot/lti): the platforms' registrations,
    # a JSON file in pylti1p3's format (docs/moodle.md); the LTI routes say Bagou is not
    # linked to Moodle while it is unset.
    lti_config: Path | None = None
    # The tool's RSA key pair (`bagou lti keys`). Outside the project on purpose: a private
    # key must never reach the repository, and it must survive a reset of var/ (a new key
    # means registering Bagou again in every Moodle).
    lti_key_dir: Path = Path(
        os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "bagou" / "lti"
    # How long a learner launched from Moodle stays identified in the chat.
    lti_identity_hours: float = Field(8, gt=0)
    # Clock skew accepted on a launch's iat, nbf and exp (a Moodle whose clock runs a
    # little ahead or behind); the id_token itself lives about a minute.
    lti_clock_leeway: float = Field(10, ge=0, le=300)
    # The platform's key set (Moodle's certs.php) is fetched within this many seconds,
    # on the event loop, then kept (bot/lti/keyset.py).
    lti_keyset_timeout: float = Field(3, gt=0, le=30)
    # Requests to /lti/* per client address (« 300/minute »; empty: no limit). As high
    # as the chat's: a whole class behind one address opens Bagou at the same time.
    rate_limit_lti: str = "300/minute"
    # The gateway's address as browsers and Moodle see it (https://bagou.example.org),
    # when it sits behind a proxy. Empty: the address of the request.
    public_url: str = ""
    # Adviser console (bot/console). Conversations, feedback and their messages are kept
    # this many days, then `bagou purge` deletes them.
    retention_days: int = Field(90, gt=0)
    # The audit log of badge look-ups (no e-mail in it) is kept longer: it answers
    # « who looked at my badges? ».
    audit_retention_days: int = Field(365, gt=0)
    # A console session ends after this many idle minutes, and in any case after
    # console_session_hours (a working day).
    console_idle_minutes: int = Field(60, gt=0)
    console_session_hours: float = Field(10, gt=0)
    # The key of the pseudonyms (HMAC-SHA256 of a learner's e-mail in the audit log, of
    # logins and addresses in the sign-in attempts). Empty: a random key is made once
    # and kept in secret_key_file (outside the repository; keep it with the database).
    # Outside local use, an empty key needs that file to exist already (unsafe_reasons).
    secret_key: str = ""
    secret_key_file: Path = PROJECT_ROOT / "var" / "secret.key"
    # The key of the learner's sealed identity on its way through Rasa to the actions
    # (bot/identity_ref.py), held by the gateway and the action server, never by Rasa.
    # Empty: `bagou run` makes one per run; otherwise derived from the server's key.
    identity_key: str = ""
    # The learner's summary sent by e-mail from the console (bot/console/summary.py):
    # smtp://[user:password@]host[:port] (STARTTLS when the server offers it) or
    # smtps://…; empty: the console says why it cannot send it. BAGOU_SMTP_FROM is the
    # sender's address (empty: bagou@<the SMTP host>).
    smtp_url: str = ""
    smtp_from: str = ""
    # Badge verification (bot/verify): links that people give are fetched with a short
    # timeout and a size limit, never on private or loopback addresses; uploads (PNG,
    # SVG, JSON) are read in memory and never kept. BAGOU_VERIFY_ALLOW_LOOPBACK lets
    # tests serve badges on 127.0.0.1 (private ranges stay refused).
    verify_allow_loopback: bool = False
    verify_timeout: float = Field(5.0, gt=0)
    verify_max_fetch_bytes: int = Field(1_000_000, gt=0)
    verify_max_upload_bytes: int = Field(2_000_000, gt=0)
    # Limits of the gateway (bot/http/body_limit.py, bot/http/rate_limit.py, docs/security.md).
    # Largest request body, refused before it is parsed (the badge upload has its own).
    max_body_bytes: int = Field(262_144, gt=0)
    # Slow clients (bot/http/server_protocol.py): seconds for a request's head, and the
    # grace before a body must come at 500 bytes a second.
    head_timeout_s: float = Field(10.0, gt=0)
    body_timeout_s: float = Field(20.0, gt=0)
    # Requests to the chat API per conversation and per client address (« 30/minute »,
    # « 30/minute;500/hour »; empty: no limit of that kind), counted in memory or in
    # Redis (redis://[:password@]host:6379/1) when several gateways share them.
    rate_limit_session: str = "30/minute"
    rate_limit_address: str = "300/minute"
    rate_limit_url: str = "memory://"
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For
    # gives the client's address. Empty: the TCP peer is the client.
    trusted_proxies: CommaList = []
    model_dir: Path = PROJECT_ROOT / "models"
    log_dir: Path = PROJECT_ROOT / "var" / "log"

    @field_validator("rasa_urls", "allowed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value, info: ValidationInfo):
        items = comma_list(value)
        if info.field_name == "trusted_proxies" or not isinstance(items, list):
            return items
        # Base URLs and origins: https://a.example/ is https://a.example.
        return [item.rstrip("/") if isinstance(item, str) else item for item in items]

    @property
    def rasa_ports(self) -> list[int]:
        """The ports of the Rasa processes that `bagou run` starts on loopback."""
        return [self.rasa_port + i for i in range(self.rasa_instances)]

    @property
    def rasa_base_urls(self) -> list[str]:
        """The Rasa instances the gateway spreads the messages over."""
        if self.rasa_urls:
            return list(self.rasa_urls)
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def rasa_url(self) -> str:
        return self.rasa_base_urls[0]

    @property
    def effective_actions_url(self) -> str:
        """BAGOU_ACTIONS_URL, else the action server that `bagou run` starts on loopback."""
        return self.actions_url.rstrip("/") or f"http://127.0.0.1:{self.actions_port}"

    @property
    def contact(self) -> dict[str, str]:
        """The contact as the actions give it: name, phone, e-mail, address (some empty)."""
        contact = {"contact_name": self.contact_name, "contact_phone": self.contact_phone,
                   "contact_email": self.contact_email, "contact_url": self.contact_url}
        if self.demo_contact and not any(contact.values()):
            contact.update(DEMO_CONTACT)
        return contact

    @property
    def effective_public_url(self) -> str:
        """BAGOU_PUBLIC_URL with a final /, else the address the gateway listens on."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/"
        return f"http://{self.host}:{self.port}/"

    @property
    def local_use(self) -> bool:
        """Bagou on this machine only: listening on loopback, and no https:// public URL."""
        return is_loopback(self.host) and not self.public_url.startswith("https://")

    def unsafe_reasons(self) -> list[str]:
        """Why these values must not serve real people; [] when they may (checked by
        `bagou run` and create_app, in French for the person who starts Bagou)."""
        reasons = []
        if self.public_url.startswith("https://") and self.obf_sandbox and self.obf.configured:
            reasons.append(
                "BAGOU_OBF_SANDBOX est vrai alors que OBF_BASE_URL est donnée et que "
                "BAGOU_PUBLIC_URL est en https://. Le bac à sable sert de faux badges, "
                "avec des identifiants publics, à côté du vrai OBF. "
                "Mettez BAGOU_OBF_SANDBOX=false.")
        if not self.local_use and not self.secret_key and not _has_key(self.secret_key_file):
            reasons.append(
                f"BAGOU_SECRET_KEY est vide et le fichier de clé {self.secret_key_file} "
                "n'existe pas, ou il est vide. Hors d'un usage local, donnez BAGOU_SECRET_KEY "
                "(par exemple : openssl rand -hex 32). Gardez-la avec les sauvegardes "
                "de la base de données.")
        return reasons

    def check_safe(self) -> None:
        """UnsafeSettings with every reason when `unsafe_reasons()` gives one."""
        if reasons := self.unsafe_reasons():
            raise UnsafeSettings("\n".join(reasons))


class UnsafeSettings(ValueError):
    """Settings that must not serve real people (Settings.unsafe_reasons)."""


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: reachable from elsewhere, as far as we know


def _has_key(path: Path) -> bool:
    """A key file made earlier (by a start on this machine, or by the operator)."""
    try:
        return bool(path.read_bytes().strip())
    except OSError:
        return False


@lru_cache
def get_settings() -> Settings:
    return Settings()
