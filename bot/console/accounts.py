"""Console accounts: roles, argon2id password hashes, sign-in with lockouts.

Lockouts (counted in console_sign_in_attempts, so that every gateway worker agrees):
- an account: after ACCOUNT_MAX_FAILURES failed sign-ins within LOCK_WINDOW (since its
  last successful sign-in), it is locked for LOCK_WINDOW from the last failure, even
  for the right password;
- an address: after ADDRESS_MAX_FAILURES failures from one IP address within
  LOCK_WINDOW, whatever the logins tried (guessing many accounts), that address is
  refused for LOCK_WINDOW.
Unknown logins count like known ones and take as long (a dummy hash is checked), so
that the answers do not tell which logins exist.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.pseudonym import pseudonym
from bot.db.models import ConsoleSignInAttempt, ConsoleUser, utcnow
from bot.hashing import HASHER, verify_secret  # HASHER: argon2id (bot/hashing.py)

ADVISER, EDITOR, ADMIN = "adviser", "editor", "admin"
ROLES = (ADVISER, EDITOR, ADMIN)
ACCOUNT_MAX_FAILURES = 5
ADDRESS_MAX_FAILURES = 20
LOCK_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_DUMMY_HASH = HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    pass


def can_advise(role: str) -> bool:
    return role in (ADVISER, ADMIN)


def can_edit(role: str) -> bool:
    return role in (EDITOR, ADMIN)


def normalise_login(login: str) -> str:
    return login.strip().lower()


def create_user(db: Session, login: str, name: str, role: str, password: str) -> ConsoleUser:
    login = normalise_login(login)
    if not login or len(login) > 100 or any(c.isspace() for c in login):
        raise AccountError("the login must be one word of 1 to 100 characters")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    check_password_strength(password)
    if db.scalar(select(ConsoleUser).where(ConsoleUser.login == login)):
        raise AccountError(f"the login {login!r} exists already")
    user = ConsoleUser(login=login, name=name.strip() or login, role=role,
                       password_hash=HASHER.hash(password), active=True)
    db.add(user)
    db.flush()
    return user


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs {MIN_PASSWORD_LENGTH} characters or more")


def set_password(user: ConsoleUser, password: str) -> None:
    check_password_strength(password)
    user.password_hash = HASHER.hash(password)


@dataclass
class SignIn:
    user: ConsoleUser | None
    refusal: str | None  # texts/console.yml key: "connexion_refusee" or "connexion_bloquee"
    # The password is right and the account has a second factor: the sign-in ends with
    # its code (finish_sign_in); nothing is counted as a success before that.
    needs_code: bool = False


def sign_in(db: Session, key: bytes, login: str, password: str, address: str,
            now: datetime | None = None) -> SignIn:
    now = now or utcnow()
    login = normalise_login(login)
    login_ref, address_ref = pseudonym(key, "login", login), pseudonym(key, "address", address)
    since = now - LOCK_WINDOW
    if _failures(db, ConsoleSignInAttempt.address_ref == address_ref, since) >= ADDRESS_MAX_FAILURES:
        _record(db, login_ref, address_ref, False, now)
        return SignIn(None, "connexion_bloquee")
    last_success = db.scalar(select(func.max(ConsoleSignInAttempt.at)).where(
        ConsoleSignInAttempt.login_ref == login_ref, ConsoleSignInAttempt.success.is_(True)))
    account_since = max(since, last_success) if last_success else since
    locked = _failures(db, ConsoleSignInAttempt.login_ref == login_ref,
                       account_since) >= ACCOUNT_MAX_FAILURES
    user = db.scalar(select(ConsoleUser).where(ConsoleUser.login == login))
    good = verify_secret(user.password_hash if user else _DUMMY_HASH, password)
    if locked:
        _record(db, login_ref, address_ref, False, now)
        return SignIn(None, "connexion_bloquee")
    if not (good and user is not None and user.active):
        _record(db, login_ref, address_ref, False, now)
        return SignIn(None, "connexion_refusee")
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    if user.totp_enabled_at is not None:
        return SignIn(user, None, needs_code=True)
    user.last_sign_in_at = now
    _record(db, login_ref, address_ref, True, now)
    return SignIn(user, None)


def finish_sign_in(db: Session, key: bytes, user: ConsoleUser, address: str,
                   code_ok: Callable[[], bool], now: datetime | None = None,
                   signing_in: bool = True) -> SignIn:
    """The second step of a sign-in (bot/console/second_factor.py): `code_ok` checks the
    code, only while neither the account nor the address is locked. A wrong code is a
    failed sign-in, counted with the wrong passwords: 5 of them lock the account.
    `signing_in` False: a code asked again inside a session (to turn the second factor
    off, for new recovery codes): a wrong one counts the same, a right one is no sign-in."""
    now = now or utcnow()
    login_ref, address_ref = pseudonym(key, "login", user.login), pseudonym(key, "address", address)
    since = now - LOCK_WINDOW
    last_success = db.scalar(select(func.max(ConsoleSignInAttempt.at)).where(
        ConsoleSignInAttempt.login_ref == login_ref, ConsoleSignInAttempt.success.is_(True)))
    account_since = max(since, last_success) if last_success else since
    if (_failures(db, ConsoleSignInAttempt.address_ref == address_ref, since) >= ADDRESS_MAX_FAILURES
            or _failures(db, ConsoleSignInAttempt.login_ref == login_ref,
                         account_since) >= ACCOUNT_MAX_FAILURES):
        _record(db, login_ref, address_ref, False, now)
        return SignIn(None, "connexion_bloquee")
    if not (user.active and code_ok()):
        _record(db, login_ref, address_ref, False, now)
        return SignIn(None, "code_refuse")
    if not signing_in:
        return SignIn(user, None)
    user.last_sign_in_at = now
    _record(db, login_ref, address_ref, True, now)
    return SignIn(user, None)


def _failures(db: Session, condition, since: datetime) -> int:
    return db.scalar(select(func.count()).select_from(ConsoleSignInAttempt).where(
        condition, ConsoleSignInAttempt.success.is_(False), ConsoleSignInAttempt.at >= since)) or 0


def _record(db: Session, login_ref: str, address_ref: str, success: bool, now: datetime) -> None:
    db.add(ConsoleSignInAttempt(at=now, login_ref=login_ref, address_ref=address_ref,
                                success=success))
