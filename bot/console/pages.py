"""Server-rendered pages of the console: Jinja2 templates, texts from texts/console.yml. The
security headers (bot/http/security_headers.py, kind `console`) give them the same strict
Content-Security-Policy as the demo site (no inline script or style), `Referrer-Policy:
same-origin` (with no-referrer, Chromium sends « Origin: null » with the forms, and the
Origin check against CSRF would refuse them) and `X-Frame-Options: DENY`."""

import logging
from collections.abc import Callable, Coroutine
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.responses import HTMLResponse

from bot.templates import environment
from bot.texts import french_date, labels_and_messages, load_texts

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

# Personal data (a learner's badges): never in a cache.
HEADERS = {"Cache-Control": "no-store"}


@lru_cache
def texts() -> dict[str, str]:
    return labels_and_messages(load_texts("console"))


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def strip_markup(text: str) -> str:
    """The assistant's answers mark bold with ** : the large-print page shows plain text."""
    return text.replace("**", "")


ENV = environment(HERE / "templates")
# « lundi 7 juillet 2025 », as FALC asks (bot.texts.french_date, with the day of the week).
ENV.filters.update(french_date=partial(french_date, weekday=True), lines=lines,
                   plain=strip_markup)


def render(template: str, status: int = 200, headers: dict | None = None,
           **values) -> HTMLResponse:
    html = ENV.get_template(template).render(t=texts(), **values)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


# The database cannot be reached (as bot/errors.py answers the API, but as a page).
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER = {"Retry-After": "30"}


def database_down_page() -> HTMLResponse:
    """The console's page when the database cannot be reached: a FALC message, no
    account name (the session could not be read), 503 with Retry-After."""
    return render("message.html", 503, headers=RETRY_AFTER, user=None, csrf=None,
                  message_key="base_indisponible", title_key="titre_console")


def too_big_page() -> HTMLResponse:
    """The console's page for a body over the gateway's limit (BAGOU_MAX_BODY_BYTES,
    bot/http/body_limit.py), read before any session: a FALC message, not the API's JSON."""
    return render("message.html", 413, user=None, csrf=None,
                  message_key="formulaire_trop_gros", title_key="titre_console")


class Refusal(Exception):
    """A page that a dependency gives instead of the route's own (bot/console/deps.py:
    not signed in, not for this role, a refused form). Raised, and answered once, by
    ConsoleRoute below."""

    def response(self) -> Response:  # pragma: no cover - every subclass gives its own
        raise NotImplementedError


class ConsoleRoute(APIRoute):
    """Every console page: a Refusal gives its own page; a database outage gives the
    FALC page above, never the API's JSON error nor a stack trace. Console sessions
    live in the database, so during an outage every page but the static files gives
    it; the pool's pre-ping reconnects by itself when the database is back, and the
    session cookie works again."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as refusal:
                return refusal.response()
            except DATABASE_DOWN as error:
                log.warning("Console: database unavailable: %s", type(error).__name__)
                return database_down_page()

        return handle
