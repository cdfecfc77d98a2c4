"""Accounts without a shell, for admins: create an account, disable and enable it again,
give it a new password (`bagou user …` stays for the first admin and for scripts).
Every change writes an audit line (action account_*, the account as a keyed
pseudonym of its login, as in the sign-in attempts); disabling an account or changing
its password ends its sessions.

The second factor (bot/console/totp.py, second_factor.py): an admin requires it for
every adviser and admin (those who read learners' badges; each sets it up at their
next page), and removes it from an account whose phone is lost (its sessions end; the
person sets it up again)."""

import logging

from fastapi import APIRouter
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.console import accounts, audit, sessions, totp
from bot.console.deps import BASE, Admin, CheckedForm, Console, ConsoleDep, MessagePage, SignedIn
from bot.console.pages import ConsoleRoute, render
from bot.console.pseudonym import pseudonym
from bot.db.models import ConsoleUser

log = logging.getLogger(__name__)
router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
CREATE, DISABLE, ENABLE, PASSWORD = ("account_create", "account_disable", "account_enable",
                                     "password_reset")
ACTIONS = (CREATE, DISABLE, ENABLE, PASSWORD, *totp.ACTIONS)


def account_ref(key: bytes, login: str) -> str:
    return pseudonym(key, "login", accounts.normalise_login(login))


def all_users(c: Console) -> tuple[list[ConsoleUser], bool]:
    """The accounts, and whether the second factor is required."""
    with c.db() as s:
        return (list(s.scalars(select(ConsoleUser).order_by(ConsoleUser.login))),
                totp.required(s))


def page(c: Console, who: SignedIn, status: int = 200, message_key: str | None = None,
         error: bool = True, form: dict | None = None):
    users, required = all_users(c)
    return render("comptes.html", status, user=who.user, csrf=who.csrf, users=users,
                  roles=accounts.ROLES, message_key=message_key, error=error,
                  form=form or {}, min_password=accounts.MIN_PASSWORD_LENGTH,
                  totp_required=required, totp_on=totp.enabled)


def refusal_of(error: accounts.AccountError) -> str:
    text = str(error)
    if "password" in text:
        return "compte_mot_de_passe_court"
    if "exists" in text:
        return "compte_existe"
    return "compte_identifiant_invalide"


@router.get("/comptes")
async def account_list(who: Admin, c: ConsoleDep):
    return await run_in_threadpool(page, c, who)


@router.post("/comptes/nouveau")
async def account_create(who: Admin, form: CheckedForm, c: ConsoleDep):
    login, name = form.get("identifiant", "").strip(), form.get("nom", "").strip()[:200]
    role, password = form.get("role", ""), form.get("mot_de_passe", "")

    def create():
        with c.db.begin() as s:
            user = accounts.create_user(s, login, name or login, role, password)
            audit.write(s, s.get(ConsoleUser, who.user.id), account_ref(c.key, user.login),
                        True, "ok", None, CREATE)
    try:
        await run_in_threadpool(create)
    except accounts.AccountError as error:
        return await run_in_threadpool(page, c, who, 422, refusal_of(error), True,
                                       {"identifiant": login[:100], "nom": name, "role": role})
    return await run_in_threadpool(page, c, who, 200, "compte_cree", False)


def _target(c: Console, user_id: str) -> ConsoleUser | None:
    """The account of an address's id (text: a wrong one gets the FALC 404 page, not
    the API's validation error)."""
    if not user_id.isdigit() or len(user_id) > 12:
        return None
    with c.db() as s:
        return s.get(ConsoleUser, int(user_id))


@router.post("/comptes/{user_id}/actif")
async def account_active(user_id: str, who: Admin, form: CheckedForm, c: ConsoleDep):
    active = form.get("actif") == "oui"
    target = await run_in_threadpool(_target, c, user_id)
    if target is None:
        raise MessagePage(404, "compte_inconnu", who)
    if target.id == who.user.id and not active:
        return await run_in_threadpool(page, c, who, 422, "compte_soi_meme")

    def change():
        with c.db.begin() as s:
            user = s.get(ConsoleUser, target.id)
            user.active = active
            if not active:
                sessions.end_sessions(s, user.id)
            audit.write(s, s.get(ConsoleUser, who.user.id), account_ref(c.key, user.login),
                        True, "ok", None, ENABLE if active else DISABLE)
    await run_in_threadpool(change)
    return await run_in_threadpool(page, c, who, 200,
                                   "compte_active" if active else "compte_desactive", False)


@router.post("/comptes/{user_id}/mot-de-passe")
async def account_password(user_id: str, who: Admin, form: CheckedForm, c: ConsoleDep):
    password = form.get("mot_de_passe", "")
    target = await run_in_threadpool(_target, c, user_id)
    if target is None:
        raise MessagePage(404, "compte_inconnu", who)

    def change():
        with c.db.begin() as s:
            user = s.get(ConsoleUser, target.id)
            accounts.set_password(user, password)
            # A new password ends the sessions opened with the old one (not this one).
            sessions.end_sessions(s, user.id, keep=who.session)
            audit.write(s, s.get(ConsoleUser, who.user.id), account_ref(c.key, user.login),
                        True, "ok", None, PASSWORD)
    try:
        await run_in_threadpool(change)
    except accounts.AccountError:
        return await run_in_threadpool(page, c, who, 422, "compte_mot_de_passe_court")
    return await run_in_threadpool(page, c, who, 200, "compte_mot_de_passe_change", False)


@router.post("/comptes/double-verification")
async def second_factor_required(who: Admin, form: CheckedForm, c: ConsoleDep):
    on = form.get("exige") == "oui"

    def change():
        with c.db.begin() as s:
            totp.set_required(s, on, who.user.login)
            audit.write(s, s.get(ConsoleUser, who.user.id), totp.POLICY_SUBJECT, True, "ok",
                        None, totp.POLICY_ON if on else totp.POLICY_OFF)
    await run_in_threadpool(change)
    return await run_in_threadpool(page, c, who, 200,
                                   "double_exigee" if on else "double_pas_exigee", False)


@router.post("/comptes/{user_id}/double-verification")
async def second_factor_reset(user_id: str, who: Admin, _form: CheckedForm, c: ConsoleDep):
    """The phone is lost (and the recovery codes too): the second factor is removed."""
    target = await run_in_threadpool(_target, c, user_id)
    if target is None:
        raise MessagePage(404, "compte_inconnu", who)

    def change():
        with c.db.begin() as s:
            user = s.get(ConsoleUser, target.id)
            totp.turn_off(s, user)
            sessions.end_sessions(s, user.id, keep=who.session)
            audit.write(s, s.get(ConsoleUser, who.user.id), account_ref(c.key, user.login),
                        True, "ok", None, totp.RESET)
    await run_in_threadpool(change)
    return await run_in_threadpool(page, c, who, 200, "double_retiree", False)
