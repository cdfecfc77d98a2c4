"""`bagou user …` and `bagou purge`: the console's commands (wired in bot/ops/cli.py)."""

import getpass
import sys

from sqlalchemy import select

from bot.console import accounts, sessions
from bot.console.purge import purge
from bot.db.engine import make_engine, make_sessionmaker, upgrade_schema
from bot.db.models import ConsoleUser
from bot.settings import Settings


def _sessions(settings: Settings):
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    return make_sessionmaker(engine)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe (12 signes ou plus) : ")
    if getpass.getpass("Le même mot de passe, encore une fois : ") != first:
        raise accounts.AccountError("the two passwords differ")
    return first


def user_add(settings: Settings, login: str, role: str, name: str | None,
             password_stdin: bool) -> int:
    try:
        password = _password(password_stdin)
        with _sessions(settings).begin() as db:
            user = accounts.create_user(db, login, name or login, role, password)
            print(f"Compte créé : {user.login} ({user.role}).")
        return 0
    except accounts.AccountError as error:
        print(f"Compte non créé : {error}.", file=sys.stderr)
        return 1


def user_password(settings: Settings, login: str, password_stdin: bool) -> int:
    try:
        password = _password(password_stdin)
        with _sessions(settings).begin() as db:
            user = db.scalar(select(ConsoleUser).where(
                ConsoleUser.login == accounts.normalise_login(login)))
            if user is None:
                raise accounts.AccountError(f"no account {login!r}")
            accounts.set_password(user, password)
            # A new password ends the sessions opened with the old one.
            sessions.end_sessions(db, user.id)
        print("Mot de passe changé.")
        return 0
    except accounts.AccountError as error:
        print(f"Mot de passe non changé : {error}.", file=sys.stderr)
        return 1


def user_active(settings: Settings, login: str, active: bool) -> int:
    with _sessions(settings).begin() as db:
        user = db.scalar(select(ConsoleUser).where(
            ConsoleUser.login == accounts.normalise_login(login)))
        if user is None:
            print(f"Pas de compte {login!r}.", file=sys.stderr)
            return 1
        user.active = active
        if not active:
            sessions.end_sessions(db, user.id)
    print("Compte activé." if active else "Compte désactivé.")
    return 0


def user_totp_off(settings: Settings, login: str) -> int:
    """The second factor removed (phone and recovery codes lost), as the admins' page
    does: its sessions end, an audit line is written (by « bagou », the command line)."""
    from bot.console import audit, totp
    from bot.console.comptes import account_ref
    from bot.console.pseudonym import load_key

    with _sessions(settings).begin() as db:
        user = db.scalar(select(ConsoleUser).where(
            ConsoleUser.login == accounts.normalise_login(login)))
        if user is None:
            print(f"Pas de compte {login!r}.", file=sys.stderr)
            return 1
        totp.turn_off(db, user)
        sessions.end_sessions(db, user.id)
        audit.write(db, ConsoleUser(login="bagou", role="admin"),
                    account_ref(load_key(settings), user.login), True, "ok", None, totp.RESET)
    print("Double vérification retirée.")
    return 0


def user_list(settings: Settings) -> int:
    with _sessions(settings)() as db:
        for user in db.scalars(select(ConsoleUser).order_by(ConsoleUser.login)):
            state = "actif" if user.active else "désactivé"
            print(f"{user.login}\t{user.role}\t{state}\t{user.name}")
    return 0


def run_purge(settings: Settings) -> int:
    with _sessions(settings).begin() as db:
        done = purge(db, settings.retention_days, settings.audit_retention_days)
    print(f"Conservation : {settings.retention_days} jours "
          f"(journal des recherches : {settings.audit_retention_days} jours).")
    for name, count in vars(done).items():
        print(f"{name}: {count}")
    return 0
