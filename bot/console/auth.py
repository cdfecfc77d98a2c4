"""Signing in and out of the console, and its home page (the tools of one's role)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from bot.console import accounts, second_factor, sessions
from bot.console.deps import (BASE, SECURE_COOKIE, CheckedForm, Console, ConsoleDep, Signed,
                              SignedAny, load_session, same_origin)
from bot.console.forms import FormError, read_form
from bot.console.pages import ConsoleRoute, render

router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
MOTIFS = {"expiree": "connexion_expiree", "deconnecte": "deconnecte"}


def sign_in_page(status: int = 200, message: str | None = None, login: str = ""):
    csrf = sessions.new_token()
    response = render("connexion.html", status, user=None, csrf=csrf, message_key=message,
                      login=login)
    response.set_cookie(sessions.SIGN_IN_COOKIE, csrf, max_age=3600, **SECURE_COOKIE)
    return response


@router.get("")
async def home(who: Signed):
    return render("accueil.html", user=who.user, csrf=who.csrf,
                  can_advise=accounts.can_advise(who.user.role),
                  can_edit=accounts.can_edit(who.user.role),
                  can_admin=who.user.role == accounts.ADMIN)


@router.get("/connexion")
async def sign_in_form(request: Request, c: ConsoleDep, motif: str | None = None):
    if await run_in_threadpool(load_session, c, request.cookies.get(sessions.COOKIE)):
        return RedirectResponse(BASE, status_code=303)
    return sign_in_page(message=MOTIFS.get(motif or ""))


def open_session(c: Console, login: str, password: str, address: str):
    """(the session cookie's token, None), (None, the refusal's texts/console.yml key), or
    (None, None) with the cookie of the second step when the account has a second
    factor (bot/console/second_factor.py): no session before its code."""
    with c.db.begin() as s:
        result = accounts.sign_in(s, c.key, login, password, address)
        if result.user is None:
            return None, result.refusal, None
        if result.needs_code:
            return None, None, second_factor.pending_cookie(c.key, result.user)
        return (sessions.open_session(s, result.user, c.settings.console_session_hours), None,
                None)


@router.post("/connexion")
async def sign_in(request: Request, c: ConsoleDep):
    # Before any session: the CSRF token is checked against the sign-in cookie (double
    # submit), not with CheckedForm.
    try:
        form = await read_form(request)
    except FormError:
        return sign_in_page(422, "formulaire_incomplet")
    if not same_origin(request) or not sessions.same_token(
            request.cookies.get(sessions.SIGN_IN_COOKIE), form.get("csrf")):
        return sign_in_page(403, "formulaire_expire")
    login, password = form.get("identifiant", "").strip(), form.get("mot_de_passe", "")
    if not login or not password or len(login) > 100 or len(password) > 1000:
        return sign_in_page(422, "formulaire_incomplet", login[:100])
    address = request.client.host if request.client else "inconnue"
    token, refusal, pending = await run_in_threadpool(open_session, c, login, password, address)
    if pending is not None:
        return second_factor.ask_for_code(pending)
    if token is None:
        return sign_in_page(429 if refusal == "connexion_bloquee" else 401, refusal, login)
    response = RedirectResponse(BASE, status_code=303)
    response.set_cookie(sessions.COOKIE, token, **SECURE_COOKIE)
    response.delete_cookie(sessions.SIGN_IN_COOKIE, **SECURE_COOKIE)
    return response


def close_session(c: Console, token: str | None) -> None:
    with c.db.begin() as s:
        sessions.close_session(s, token)


@router.post("/deconnexion")
async def sign_out(request: Request, c: ConsoleDep, _who: SignedAny, _form: CheckedForm):
    await run_in_threadpool(close_session, c, request.cookies.get(sessions.COOKIE))
    response = RedirectResponse(f"{BASE}/connexion?motif=deconnecte", status_code=303)
    response.delete_cookie(sessions.COOKIE, **SECURE_COOKIE)
    return response
