"""What the console's routes depend on (FastAPI dependencies).

- `ConsoleDep`: the console's services (database, settings, chat sessions, OBF), put on
  each request by the router that bot.console.routes.make_router builds;
- `Signed`, `Adviser`, `Editor`, `Admin`: the signed-in person, with any role or with
  one that may use the page; when the admins require the second factor and this
  person has not set it up yet, they are sent to set it up first (`SignedAny` lets
  them in there, and out through sign-out);
- `CheckedForm`: the fields of a POST form whose CSRF token and Origin are right.

A dependency that cannot give what the route needs raises a Refusal; ConsoleRoute
(bot/console/pages.py) turns it into its page, in one place: back to the sign-in page,
« not for your role », or « this form has ended ».
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.chat.identity import Identity
from bot.console import accounts, sessions, totp
from bot.console.forms import FormError, FormTooBig, read_form
from bot.console.learners import DirectoryFactory
from bot.console.pages import Refusal, render
from bot.console.pseudonym import load_key
from bot.db.models import ConsoleSession, ConsoleUser
from bot.settings import Settings

log = logging.getLogger(__name__)
BASE = "/conseiller"
SECURE_COOKIE: dict[str, Any] = dict(httponly=True, secure=True, samesite="lax", path=sessions.COOKIE_PATH)


@dataclass
class Console:
    """The services of one app's console. `start_session` is ChatService.start_session;
    `directory` makes the OBF directory of a look-up (learners.directory_factory)."""

    db: sessionmaker
    settings: Settings
    start_session: Callable[[Identity], str]
    directory: DirectoryFactory

    @cached_property
    def key(self) -> bytes:
        return load_key(self.settings)


STATE = "bagou_console"


def provider(console: Console) -> Callable[[Request], None]:
    """The router's own dependency: it puts the console's services on the request."""
    def provide(request: Request) -> None:
        setattr(request.state, STATE, console)
    return provide


def console(request: Request) -> Console:
    return getattr(request.state, STATE)


ConsoleDep = Annotated[Console, Depends(console)]


# --- who is there ---------------------------------------------------------------------

@dataclass
class SignedIn:
    session: ConsoleSession
    user: ConsoleUser
    # The admins require the second factor for this role and it is not on yet.
    must_set_up: bool = False

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class SignInRequired(Refusal):
    """Back to the sign-in page, with « your connection ended » when there was a cookie."""

    def __init__(self, had_cookie: bool):
        self.had_cookie = had_cookie

    def response(self) -> Response:
        url = f"{BASE}/connexion" + ("?motif=expiree" if self.had_cookie else "")
        response = RedirectResponse(url, status_code=303)
        if self.had_cookie:
            response.delete_cookie(sessions.COOKIE, **SECURE_COOKIE)
        return response


class MessagePage(Refusal):
    """A FALC message page for the signed-in person (or for nobody)."""

    def __init__(self, status: int, message_key: str, who: SignedIn | None = None,
                 title_key: str = "titre_console"):
        self.status, self.message_key, self.who, self.title_key = (status, message_key, who,
                                                                   title_key)

    def response(self) -> Response:
        return render("message.html", self.status, user=self.who and self.who.user,
                      csrf=self.who and self.who.csrf, message_key=self.message_key,
                      title_key=self.title_key)


def load_session(c: Console, token: str | None) -> SignedIn | None:
    with c.db.begin() as s:
        found = sessions.find_session(s, token, c.settings.console_idle_minutes)
        return SignedIn(found, found.user, totp.must_set_up(s, found.user)) if found else None


class SetUpRequired(Refusal):
    """To the page of the second factor, which the admins require and is not on yet."""

    def response(self) -> Response:
        return RedirectResponse(f"{BASE}/double-verification", status_code=303)


async def signed_in_any(request: Request, c: ConsoleDep) -> SignedIn:
    token = request.cookies.get(sessions.COOKIE)
    found = await run_in_threadpool(load_session, c, token)
    if found is None:
        raise SignInRequired(had_cookie=bool(token))
    return found


# Signed in, even without the second factor that the admins require (its own pages).
SignedAny = Annotated[SignedIn, Depends(signed_in_any)]


async def signed_in(who: SignedAny) -> SignedIn:
    if who.must_set_up:
        raise SetUpRequired()
    return who


Signed = Annotated[SignedIn, Depends(signed_in)]


def role(allowed: Callable[[str], bool]) -> Callable:
    async def check(who: Signed) -> SignedIn:
        if not allowed(who.user.role):
            raise MessagePage(403, "interdit", who)
        return who
    return check


def can_admin(role_name: str) -> bool:
    return role_name == accounts.ADMIN


Adviser = Annotated[SignedIn, Depends(role(accounts.can_advise))]
Editor = Annotated[SignedIn, Depends(role(accounts.can_edit))]
Admin = Annotated[SignedIn, Depends(role(can_admin))]


# --- forms ------------------------------------------------------------------------------

def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


async def checked_form(request: Request, who: SignedAny) -> dict[str, str]:
    """The form's fields; a Refusal when it cannot be read or its CSRF token is wrong."""
    try:
        form = await read_form(request)
    except FormTooBig:
        raise MessagePage(413, "formulaire_trop_gros", who) from None
    except FormError:
        raise MessagePage(422, "formulaire_incomplet", who) from None
    if not same_origin(request) or not sessions.same_token(who.csrf, form.get("csrf")):
        log.warning("Console: form refused (CSRF) for %s", who.user.login)
        raise MessagePage(403, "formulaire_expire", who)
    return form


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]
