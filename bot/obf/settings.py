"""OBF configuration from the environment (and the project's `.env`, like bot/settings.py).

The variables keep their historical names, without the BAGOU_ prefix, and each field is
named after its variable without OBF_: OBF_BASE_URL (base_url), OBF_CLIENT_ID,
OBF_CLIENT_SECRET, OBF_API_VERSION, OBF_TIMEOUT. The gateway's settings hold them as
`settings.obf` (bot/settings.py), the action server's as well (actions/config.py).
The badge that the course in the chat gives (issue 22): BAGOU_POINT_INFO_BADGE_ID (the
sandbox's « Point Info Badge » by default) in the organisation
BAGOU_POINT_INFO_CLIENT_ID (empty: the first one of OBF_CLIENT_ID, or the sandbox's).
Several organisations: OBF_CLIENT_ID=a,b and OBF_CLIENT_SECRET=sa,sb (same order,
same base URL), lists here. An empty OBF_BASE_URL means "not configured": the product
then uses its embedded sandbox, built with `build_organisations()`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import SecretStr

from bot.obf.errors import ObfConfigError
from bot.settings import SANDBOX_POINT_INFO_BADGE_ID, ApiVersion, ObfSettings

__all__ = ["SANDBOX_POINT_INFO_BADGE_ID", "ApiVersion", "ObfOrganisation", "ObfSettings",
           "build_organisations", "configured_organisations"]

@dataclass(frozen=True)
class ObfOrganisation:
    """One OBF organisation: where it lives and how to authenticate."""

    base_url: str  # may carry a path prefix, e.g. http://127.0.0.1:8000/obf-sandbox
    client_id: str
    # repr=False and SecretStr: a secret must never show up in a log or a traceback.
    client_secret: SecretStr = field(repr=False)
    api_version: ApiVersion = "v2"


def configured_organisations(obf: ObfSettings) -> list[ObfOrganisation]:
    """The configured organisations; [] when OBF_BASE_URL is empty."""
    if not obf.configured:
        return []
    return build_organisations(
        obf.base_url, obf.client_id,
        [secret.get_secret_value() for secret in obf.client_secret], obf.api_version,
    )


def _split(values: str | Sequence[str]) -> list[str]:
    items = values.split(",") if isinstance(values, str) else list(values)
    return [item.strip() for item in items if item and item.strip()]


def build_organisations(
    base_url: str,
    client_ids: str | Sequence[str],
    client_secrets: str | Sequence[str],
    api_version: ApiVersion = "v2",
) -> list[ObfOrganisation]:
    """Pair ids and secrets (comma-separated strings or lists) into organisations.

    Raises ObfConfigError when they cannot be paired: guessing which secret goes
    with which id would send a secret to the wrong organisation.
    """
    ids, secrets = _split(client_ids), _split(client_secrets)
    if not base_url.strip():
        raise ObfConfigError("OBF_BASE_URL is empty")
    if not ids:
        raise ObfConfigError("OBF_CLIENT_ID is empty")
    if len(ids) != len(secrets):
        raise ObfConfigError(
            f"OBF_CLIENT_ID has {len(ids)} value(s) but OBF_CLIENT_SECRET has "
            f"{len(secrets)}: give one secret per organisation, in the same order"
        )
    if api_version not in ("v1", "v2"):
        raise ObfConfigError(f"OBF_API_VERSION must be v1 or v2, not {api_version!r}")
    return [
        ObfOrganisation(base_url.strip(), cid, SecretStr(secret), api_version)
        for cid, secret in zip(ids, secrets)
    ]

