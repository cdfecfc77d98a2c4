"""The second factor of the console (« double vérification »): its sign-in step, and the
page where each person turns it on (QR code for the phone app, recovery codes), makes
new recovery codes or turns it off. The codes themselves: bot/console/totp.py; the
admins' side (require it for every adviser, remove it from an account): comptes.py.

The sign-in step keeps no session: after the right password, the browser gets a short
cookie (PENDING_MINUTES, path /conseiller/connexion) that names the account and is
signed with the server's key over the account's password hash and sealed secret (a new
password or a removed second factor ends it); the session is opened only with the
code, with a new token. Its form is checked like the sign-in form (double submit of
the CSRF token, Origin). Every change writes an audit line (the account as its keyed
pseudonym, as for the other account changes).
"""

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.console import accounts, audit, sessions, totp
from bot.console.comptes import account_ref
from bot.console.deps import (BASE, SECURE_COOKIE, CheckedForm, Console, ConsoleDep, SignedAny,
                              SignedIn, same_origin)
from bot.console.forms import FormError, read_form
from bot.console.pages import ConsoleRoute, render
from bot.console.summary import structure_contact
from bot.db.models import ConsoleUser

log = logging.getLogger(__name__)
router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
PAGE = f"{BASE}/double-verification"
CODE_PAGE = f"{BASE}/connexion/code"
PENDING_COOKIE = "bagou_code"
PENDING_PATH = f"{BASE}/connexion"
PENDING_MINUTES = 5
REFUSAL_STATUS = {"code_refuse": 422, "connexion_bloquee": 429}


# --- the sign-in step ------------------------------------------------------------------

def _signature(key: bytes, user: ConsoleUser, expires: int) -> str:
    message = f"pending:{user.id}:{expires}:{user.password_hash}:{user.totp_secret}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def pending_cookie(key: bytes, user: ConsoleUser) -> str:
    expires = int(time.time()) + PENDING_MINUTES * 60
    return f"{user.id}.{expires}.{_signature(key, user, expires)}"


def pending_user(c: Console, cookie: str | None) -> ConsoleUser | None:
    """The account whose password was right, while its cookie holds."""
    parts = (cookie or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(cookie or "") > 200:
        return None
    user_id, expires = int(parts[0]), int(parts[1])
    if expires < time.time():
        return None
    with c.db() as s:
        user = s.get(ConsoleUser, user_id)
    if user is None or not user.active or not totp.enabled(user):
        return None
    if not hmac.compare_digest(_signature(c.key, user, expires), parts[2]):
        return None
    return user


def code_page(status: int = 200, message: str | None = None):
    csrf = sessions.new_token()
    response = render("connexion_code.html", status, user=None, csrf=csrf, message_key=message)
    response.set_cookie(sessions.SIGN_IN_COOKIE, csrf, max_age=PENDING_MINUTES * 60,
                        **SECURE_COOKIE)
    return response


def ask_for_code(pending: str):
    """The answer to the right password of an account with a second factor."""
    response = RedirectResponse(CODE_PAGE, status_code=303)
    response.set_cookie(PENDING_COOKIE, pending, max_age=PENDING_MINUTES * 60,
                        **{**SECURE_COOKIE, "path": PENDING_PATH})
    return response


def back_to_sign_in():
    response = RedirectResponse(f"{BASE}/connexion?motif=expiree", status_code=303)
    response.delete_cookie(PENDING_COOKIE, **{**SECURE_COOKIE, "path": PENDING_PATH})
    return response


@router.get("/connexion/code")
async def code_form(request: Request, c: ConsoleDep):
    if await run_in_threadpool(pending_user, c, request.cookies.get(PENDING_COOKIE)) is None:
        return back_to_sign_in()
    return code_page()


def finish(c: Console, user_id: int, code: str, address: str):
    """(the session cookie's token, None) or (None, the refusal's texts/console.yml key)."""
    with c.db.begin() as s:
        user = cast(ConsoleUser, s.get(ConsoleUser, user_id))
        checked: list[totp.Check] = []

        def code_ok() -> bool:
            checked.append(totp.check_code(s, c.key, user, code))
            return checked[-1].ok
        result = accounts.finish_sign_in(s, c.key, user, address, code_ok)
        if result.user is None:
            return None, result.refusal
        if checked and checked[-1].recovery:
            audit.write(s, user, account_ref(c.key, user.login), True, "ok", None,
                        totp.RECOVERY_USED)
        return sessions.open_session(s, user, c.settings.console_session_hours), None


@router.post("/connexion/code")
async def code_sign_in(request: Request, c: ConsoleDep):
    try:
        form = await read_form(request)
    except FormError:
        return code_page(422, "formulaire_incomplet")
    user = await run_in_threadpool(pending_user, c, request.cookies.get(PENDING_COOKIE))
    if user is None:
        return back_to_sign_in()
    if not same_origin(request) or not sessions.same_token(
            request.cookies.get(sessions.SIGN_IN_COOKIE), form.get("csrf")):
        return code_page(403, "formulaire_expire")
    code = form.get("code", "").strip()[:40]
    if not code:
        return code_page(422, "code_manquant")
    token, refusal = await run_in_threadpool(finish, c, user.id, code, address_of(request))
    if token is None:
        if refusal == "connexion_bloquee":
            blocked = render("connexion_code.html", 429, user=None, csrf="",
                             message_key=refusal, blocked=True)
            blocked.delete_cookie(PENDING_COOKIE, **{**SECURE_COOKIE, "path": PENDING_PATH})
            return blocked
        return code_page(401, refusal)
    signed = RedirectResponse(BASE, status_code=303)
    signed.set_cookie(sessions.COOKIE, token, **SECURE_COOKIE)
    signed.delete_cookie(sessions.SIGN_IN_COOKIE, **SECURE_COOKIE)
    signed.delete_cookie(PENDING_COOKIE, **{**SECURE_COOKIE, "path": PENDING_PATH})
    return signed


# --- one's own second factor --------------------------------------------------------------

def page(c: Console, who: SignedIn, status: int = 200, message_key: str | None = None,
         error: bool = True, codes: list[str] | None = None):
    with c.db() as s:
        user = cast(ConsoleUser, s.get(ConsoleUser, who.user.id))
        secret = totp.pending_secret(c.key, user)
        left = totp.recovery_codes_left(s, user) if totp.enabled(user) else 0
        required = totp.required(s) and user.role in totp.REQUIRED_ROLES
    setup = (totp.enrolment(secret, user.login, structure_contact(c.settings).name)
             if secret and codes is None else None)
    return render("double_verification.html", status, user=user, csrf=who.csrf,
                  message_key=message_key, error=error, on=totp.enabled(user), setup=setup,
                  codes=codes, left=left, required=required, must=who.must_set_up)


@router.get("/double-verification")
async def own_page(who: SignedAny, c: ConsoleDep):
    return await run_in_threadpool(page, c, who)


def _write(c: Console, who: SignedIn, change: Callable[[Session, ConsoleUser], Any]) -> Any:
    """`change(session, user)` and its result, in one transaction with the user row."""
    with c.db.begin() as s:
        return change(s, cast(ConsoleUser, s.get(ConsoleUser, who.user.id)))


@router.post("/double-verification/activer")
async def start(who: SignedAny, _form: CheckedForm, c: ConsoleDep):
    def begin(s, user):
        if totp.enabled(user):
            return False
        totp.start(s, c.key, user)
        return True
    if not await run_in_threadpool(_write, c, who, begin):
        return await run_in_threadpool(page, c, who, 409, "double_deja")
    return await run_in_threadpool(page, c, who)


@router.post("/double-verification/confirmer")
async def confirm(who: SignedAny, form: CheckedForm, c: ConsoleDep):
    code = form.get("code", "")[:40]

    def turn_on(s, user):
        codes = totp.confirm(s, c.key, user, code)
        if codes is not None:
            # Sessions opened without the second factor end; this one goes on.
            sessions.end_sessions(s, user.id, keep=who.session)
            audit.write(s, user, account_ref(c.key, user.login), True, "ok", None, totp.ENABLE)
        return codes
    codes = await run_in_threadpool(_write, c, who, turn_on)
    if codes is None:
        return await run_in_threadpool(page, c, who, 422, "code_refuse")
    who.must_set_up = False
    return await run_in_threadpool(page, c, who, 200, "double_activee", False, codes)


def _with_code(c: Console, who: SignedIn, address: str, code: str, then):
    """(`then(session, user)`, None) when `code` is a right code of this account, else
    (None, the refusal's texts/console.yml key): a wrong code counts as a failed sign-in."""
    def change(s, user):
        result = accounts.finish_sign_in(s, c.key, user, address,
                                         lambda: totp.check_code(s, c.key, user, code).ok,
                                         signing_in=False)
        return (then(s, user), None) if result.user is not None else (None, result.refusal)
    return _write(c, who, change)


def address_of(request: Request) -> str:
    return request.client.host if request.client else "inconnue"


@router.post("/double-verification/codes")
async def new_codes(request: Request, who: SignedAny, form: CheckedForm, c: ConsoleDep):
    def renew(s, user):
        codes = totp.new_recovery_codes(s, user)
        audit.write(s, user, account_ref(c.key, user.login), True, "ok", None, totp.NEW_CODES)
        return codes
    codes, refusal = await run_in_threadpool(_with_code, c, who, address_of(request),
                                             form.get("code", "")[:40], renew)
    if refusal:
        return await run_in_threadpool(page, c, who, REFUSAL_STATUS[refusal], refusal)
    return await run_in_threadpool(page, c, who, 200, "double_nouveaux_codes", False, codes)


@router.post("/double-verification/arreter")
async def turn_off(request: Request, who: SignedAny, form: CheckedForm, c: ConsoleDep):
    def required(s, user):
        return totp.required(s) and user.role in totp.REQUIRED_ROLES
    if await run_in_threadpool(_write, c, who, required):
        return await run_in_threadpool(page, c, who, 409, "double_obligatoire")

    def stop(s, user):
        totp.turn_off(s, user)
        audit.write(s, user, account_ref(c.key, user.login), True, "ok", None, totp.DISABLE)
        return True
    _done, refusal = await run_in_threadpool(_with_code, c, who, address_of(request),
                                             form.get("code", "")[:40], stop)
    if refusal:
        return await run_in_threadpool(page, c, who, REFUSAL_STATUS[refusal], refusal)
    return await run_in_threadpool(page, c, who, 200, "double_arretee", False)
