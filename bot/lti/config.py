"""The tool's RSA key pair and the platforms' registrations.

Registrations come from the JSON file named by BAGOU_LTI_CONFIG, in the format of
pylti1p3's `ToolConfJsonFile` (one entry, or a list of entries, per issuer):

    {"https://moodle.example.org": [{
        "default": true, "client_id": "…",
        "auth_login_url": "https://moodle.example.org/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.org/mod/lti/token.php",
        "key_set_url": "https://moodle.example.org/mod/lti/certs.php",
        "deployment_ids": ["1"], "organisations": ["<OBF client id>"]}]}

`private_key_file` and `public_key_file` may be left out: the key pair made by
`bagou lti keys` in BAGOU_LTI_KEY_DIR is then used (relative paths are read from the
JSON file's folder, as pylti1p3 does). `organisations` names the OBF organisations whose
badges the learners of that Moodle may see (bot/lti/organisations.py; none: no look-up).
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfDict

PRIVATE_KEY = "private.key"
PUBLIC_KEY = "public.key"


class LtiConfigError(Exception):
    """The LTI configuration is missing or unreadable (a message for the administrator)."""


def make_keys(key_dir: Path, force: bool = False) -> tuple[Path, Path]:
    """Makes a 2048-bit RSA key pair; refuses to replace one unless `force`."""
    private, public = key_dir / PRIVATE_KEY, key_dir / PUBLIC_KEY
    if private.exists() and not force:
        raise FileExistsError(private)
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # Written readable by the owner only, from the first byte.
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def read_keys(key_dir: Path) -> tuple[str, str]:
    try:
        return ((key_dir / PRIVATE_KEY).read_text(encoding="utf-8"),
                (key_dir / PUBLIC_KEY).read_text(encoding="utf-8"))
    except OSError as error:
        raise LtiConfigError(
            f"No LTI key pair in {key_dir}: run `bagou lti keys`.") from error


def tool_jwks(key_dir: Path) -> dict:
    """The tool's public keys as a JWKS (what Moodle's « Public keyset URL » reads)."""
    _private, public = read_keys(key_dir)
    return {"keys": [dict(Registration.get_jwk(public))]}


@dataclass
class ToolConfig:
    conf: ToolConfDict
    issuers: list[str]
    # The registered client ids of each issuer, and those waiting for the approval of
    # Bagou's administrator (dynamic registration, bot/lti/registrations.py).
    clients: dict[str, set[str]] = field(default_factory=dict)
    pending: dict[str, set[str]] = field(default_factory=dict)

    def entry(self, iss: str, client_id: str | None) -> dict | None:
        """The registration of `client_id` at `iss` (the only or default one without
        client id), as pylti1p3 chooses it; None when there is none."""
        try:
            return self.conf.get_iss_config(iss, client_id or None)
        except Exception:  # pylti1p3 raises bare Exceptions
            return None


def read_registrations(config_file: Path) -> dict:
    """BAGOU_LTI_CONFIG's entries, always as lists per issuer."""
    try:
        data = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LtiConfigError(f"Cannot read the LTI registrations {config_file}: {error}") from error
    if not isinstance(data, dict) or not data:
        raise LtiConfigError(f"{config_file}: expected an object with one entry per issuer")
    return {iss: list(entries) if isinstance(entries, list) else [entries]
            for iss, entries in data.items()}


def load_tool_config(config_file: Path, key_dir: Path) -> ToolConfig:
    return build_tool_config(read_registrations(config_file), config_file.parent, key_dir)


def build_tool_config(data: dict[str, list[dict]], folder: Path | None, key_dir: Path,
                      pending: dict[str, set[str]] | None = None) -> ToolConfig:
    """pylti1p3's configuration from entries per issuer (the JSON file's, the database's);
    key files named by an entry are read from `folder`."""
    try:
        conf = ToolConfDict(cast(Any, data))
    except Exception as error:  # pylti1p3 raises bare Exceptions on a bad format
        raise LtiConfigError(f"LTI registrations: {error}") from error
    default_keys = None
    clients: dict[str, set[str]] = {}
    for iss, entries in data.items():
        for entry in entries:
            if entry.get("private_key_file") and folder is not None:
                private = _read(folder, entry["private_key_file"])
                public = (_read(folder, entry["public_key_file"])
                          if entry.get("public_key_file") else None)
            else:
                default_keys = default_keys or read_keys(key_dir)
                private, public = default_keys
            conf.set_private_key(iss, private, client_id=entry.get("client_id"))
            if public:
                conf.set_public_key(iss, public, client_id=entry.get("client_id"))
            clients.setdefault(iss, set()).add(str(entry.get("client_id")))
    return ToolConfig(conf, list(data), clients, pending or {})


def _read(folder: Path, name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else folder / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise LtiConfigError(f"Cannot read the LTI key {path}: {error}") from error


def platform_origins(config_file: Path | None, issuers: list[str] | None = None) -> list[str]:
    """The web origins (scheme://host[:port]) of the registered platforms, read from
    the issuers of BAGOU_LTI_CONFIG (or given): the pages that may show Bagou in a frame
    (`frame-ancestors`, bot/http/security_headers.py). Moodle's issuer is its address
    (https://moodle.example.org, or with a path: only the origin counts)."""
    if issuers is None:
        if config_file is None:
            return []
        try:
            data = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        issuers = list(data) if isinstance(data, dict) else []
    origins = []
    for issuer in issuers:
        parts = urlsplit(str(issuer))
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins
