"""Log records that cannot carry a secret or an e-mail address, in every process that
Bagou writes (the gateway, the action server, `bagou` commands).

One place: a log record factory (`logging.setLogRecordFactory`), so every record of
every logger is cleaned when it is made, whatever handler or formatter prints it later
(uvicorn's, Sanic's in rasa-sdk, pytest's). It masks:

- the known secret values: BAGOU_RASA_TOKEN, BAGOU_ACTIONS_TOKEN, BAGOU_SECRET_KEY (or
  the key file), BAGOU_IDENTITY_KEY, the site secrets of BAGOU_SITE_SECRETS,
  OBF_CLIENT_SECRET, the passwords in the database, tracker store, lock store and rate
  limit URLs (8 signs or more: shorter values would mask ordinary words);
- e-mail addresses, also URL-encoded (`lea%40example.org`), and phone numbers
  (bot.privacy);
- JSON Web Tokens (site tokens, LTI id_tokens, OAuth2 tokens written as JWTs);
- query strings (`?email=…&access_token=…`): httpx logs every URL it requests, and the
  OBF API takes the learner's address as a query parameter;
- the password of a URL (`scheme://user:password@host`).

Each argument is cleaned on its own (formatters that read `args`, like uvicorn's
access log, keep working), then the formatted message: when it still holds something
to mask, the record keeps only the cleaned message.
A traceback is formatted and cleaned at once (`exc_text`, which formatters reuse).
"""

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import cast
from urllib.parse import unquote, urlsplit

from bot.privacy import mask_personal_data

SECRET_MASK = "[secret masqué]"
MIN_SECRET = 8
ENCODED_EMAIL = re.compile(r"[\w.+-]+%40[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
QUERY = re.compile(r"\?[\w.%\[\]-]+=[^\s\"'#<>]*")
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@", re.IGNORECASE)

_secrets: set[str] = set()
_secret_pattern: re.Pattern | None = None
_base_factory: Callable[..., logging.LogRecord] | None = None


def add_secrets(values: Iterable[str | None]) -> None:
    """Values that must never reach a log."""
    global _secret_pattern
    new = {v for v in values if isinstance(v, str) and len(v.strip()) >= MIN_SECRET}
    new |= {unquote(v) for v in new}
    if new - _secrets:
        _secrets.update(new)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def scrub(text: str) -> str:
    if _secret_pattern is not None:
        text = _secret_pattern.sub(SECRET_MASK, text)
    text = URL_PASSWORD.sub(r"\1" + SECRET_MASK + "@", text)
    text = JWT.sub("[jeton masqué]", text)
    text = QUERY.sub("?[…]", text)
    text = ENCODED_EMAIL.sub("[e-mail masqué]", text)
    return mask_personal_data(text)


def _clean(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    shown = str(value)
    cleaned = scrub(shown)
    return value if cleaned == shown else cleaned


def _clean_record(record: logging.LogRecord) -> None:
    if record.args:
        # Each argument on its own, so that formatters that read `args` still can
        # (uvicorn's access log); then the whole message, in case a secret or an
        # address appears only once formatted.
        if isinstance(record.args, Mapping):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(v) for v in record.args)
        full = record.getMessage()
        cleaned = scrub(full)
        if cleaned != full and record.name != "uvicorn.access":
            record.msg, record.args = cleaned, ()
    else:
        record.msg = scrub(record.msg) if isinstance(record.msg, str) else _clean(record.msg)
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


def _factory(*args, **kwargs) -> logging.LogRecord:
    record = cast(Callable[..., logging.LogRecord], _base_factory)(*args, **kwargs)
    try:
        _clean_record(record)
    except Exception:  # a log line is never worth a crash
        record.msg, record.args = "[message masqué]", ()
    return record


def url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def settings_secrets(settings) -> list[str]:
    """The secret values of the gateway's settings (bot.settings.Settings)."""
    values = [settings.rasa_token, settings.secret_key, *settings.site_secrets.values(),
              getattr(settings, "identity_key", ""),
              # Rasa → action server (actions/server.py; not a gateway setting).
              os.environ.get("BAGOU_ACTIONS_TOKEN", "")]
    # OBF_CLIENT_SECRET's values (settings.obf, bot/obf/settings.py).
    obf = getattr(settings, "obf", None)
    values += [secret.get_secret_value() for secret in getattr(obf, "client_secret", [])]
    for name in ("database_url", "rasa_tracker_url", "rasa_lock_url", "rate_limit_url"):
        values.append(url_password(str(getattr(settings, name, "") or "")))
    try:
        if not settings.secret_key and settings.secret_key_file.is_file():
            values.append(settings.secret_key_file.read_text(encoding="utf-8").strip())
    except OSError:
        pass
    return values


def install(settings=None) -> None:
    """Idempotent. With `settings` (the gateway's, bot.settings.Settings), their secrets
    are masked too, OBF's (settings.obf) with them. Called by each process's entry
    point, never on import."""
    global _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_factory)
    if settings is not None:
        add_secrets(settings_secrets(settings))
