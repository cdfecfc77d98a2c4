"""Typed OBF errors: the only exceptions that leave `bot.obf`.

Each class has a stable `kind` string that callers can map to a FALC message
without importing every class (e.g. a dict `kind -> texts/gateway.yml key`).
Messages never contain an e-mail address, a secret or a token: they may be logged.
"""

from bot.privacy import mask_personal_data


class ObfError(Exception):
    kind = "error"

    def __init__(self, message: str, *, client_id: str | None = None,
                 status: int | None = None):
        # Masked again here as a last line of defence: messages end up in logs.
        super().__init__(mask_personal_data(message))
        self.message = mask_personal_data(message)
        self.client_id = client_id
        self.status = status

    def __str__(self) -> str:
        where = f" [org {self.client_id}]" if self.client_id else ""
        return f"{self.kind}: {self.message}{where}"


class ObfConfigError(ObfError, ValueError):
    """The OBF settings are inconsistent (e.g. 2 client ids but 1 secret)."""
    kind = "config"


class ObfInvalidRequest(ObfError, ValueError):
    """The caller asked for something that cannot be sent (e.g. an issue to a string
    that is not an e-mail address): refused before any request, so nothing happened."""
    kind = "invalid_request"


class ObfTimeout(ObfError):
    """OBF did not answer within OBF_TIMEOUT seconds."""
    kind = "timeout"


class ObfUnavailable(ObfError):
    """OBF could not be reached (connection refused, DNS, network, TLS)."""
    kind = "unavailable"


class ObfAuthError(ObfError):
    """Credentials refused (token endpoint), or 401/403 even with a fresh token."""
    kind = "auth"


class ObfNotFound(ObfError):
    """HTTP 404: unknown organisation, badge or route (wrong OBF_BASE_URL?)."""
    kind = "not_found"


class ObfRateLimited(ObfError):
    """HTTP 429 still there after our back-off and retries."""
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ObfServerError(ObfError):
    """HTTP 5xx: OBF itself failed."""
    kind = "server_error"


class ObfBadResponse(ObfError):
    """Not JSON, not the expected shape, or an HTTP status we do not expect
    (e.g. 400): either way the answer cannot be used."""
    kind = "bad_response"
