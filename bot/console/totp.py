"""The console's second factor: TOTP (RFC 6238, pyotp: 6 digits, 30 s, SHA-1, what every
phone app reads from the QR code) and recovery codes.

- The secret is sealed with the server's key (BAGOU_SECRET_KEY or its file): AES-GCM
  with a key derived for this use, the account's id as associated data. A copy of the
  database alone gives neither the secrets nor the codes. A new server key makes the
  sealed secrets unreadable: an admin then removes the second factor of the accounts
  (« Retirer la double vérification »), and each person sets it up again.
- A code is accepted in the 30 s step before, at, or after the server's clock (phones
  drift), and never twice: the step of the last code accepted is kept, a code of that
  step or an earlier one is refused (a code seen over a shoulder cannot be replayed).
- Recovery codes: RECOVERY_COUNT codes of 10 letters and digits (50 bits), shown once,
  kept as argon2id hashes like passwords; each works once.
- Wrong codes count as failed sign-ins (bot/console/accounts.py): 5 in 15 minutes lock
  the account, whatever the password, so guessing a code is as slow as guessing a
  password.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import sealed as sealed_values
from bot.console.accounts import ADMIN, ADVISER, HASHER
from bot.db.models import ConsoleRecoveryCode, ConsoleSetting, ConsoleUser, utcnow

ISSUER = "Bagou"
STEP_SECONDS = 30
RECOVERY_COUNT = 10
# Without 0/o, 1/l/i: a code copied by hand is read back right.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
# The console setting that requires the second factor, and the roles it applies to:
# those who can read a learner's badges.
REQUIRED = "totp_required"
REQUIRED_ROLES = (ADVISER, ADMIN)
# Audit actions (bot/console/audit.py), written with the account's pseudonym.
ENABLE, DISABLE, NEW_CODES, RESET, RECOVERY_USED = (
    "totp_enable", "totp_disable", "totp_codes", "totp_reset", "totp_recovery_used")
POLICY_ON, POLICY_OFF = "totp_required_on", "totp_required_off"
ACTIONS = (ENABLE, DISABLE, NEW_CODES, RESET, RECOVERY_USED, POLICY_ON, POLICY_OFF)
# The audit line of the policy names no account: its « person » column says this.
POLICY_SUBJECT = "conseillers"


class SecretUnreadable(ValueError):
    """The sealed secret cannot be opened (the server's key changed)."""


# --- the secret, sealed ------------------------------------------------------------------

def _seal_key(key: bytes) -> bytes:
    return hmac.new(key, b"bagou console totp seal v1", hashlib.sha256).digest()


def seal(key: bytes, user_id: int, secret: str) -> str:
    return sealed_values.seal(_seal_key(key), f"user:{user_id}", secret)


def unseal(key: bytes, user_id: int, sealed: str) -> str:
    try:
        return sealed_values.unseal(_seal_key(key), f"user:{user_id}", sealed)
    except sealed_values.Unreadable as error:
        raise SecretUnreadable("the TOTP secret cannot be opened") from error


# --- state of an account -------------------------------------------------------------------

def enabled(user: ConsoleUser) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def required(db: Session) -> bool:
    return db.scalar(select(ConsoleSetting.value).where(ConsoleSetting.name == REQUIRED)) == "yes"


def must_set_up(db: Session, user: ConsoleUser) -> bool:
    """The admins require the second factor for this role, and it is not on yet."""
    return user.role in REQUIRED_ROLES and not enabled(user) and required(db)


def set_required(db: Session, on: bool, by: str) -> None:
    setting = db.get(ConsoleSetting, REQUIRED)
    if setting is None:
        db.add(ConsoleSetting(name=REQUIRED, value="yes" if on else "no", changed_by=by))
    else:
        setting.value, setting.changed_at, setting.changed_by = ("yes" if on else "no",
                                                                 utcnow(), by)


# --- setting it up ------------------------------------------------------------------------

@dataclass(frozen=True)
class Enrolment:
    """What the person copies into the phone app: the QR code, or the key by hand."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """The key in groups of 4, easier to type."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))

    def qr_svg(self, title: str) -> Markup:
        svg = segno.make(self.uri, error="m").svg_inline(scale=1, border=4, omitsize=True,
                                                         svgclass="qr", lineclass=None,
                                                         title=title)
        return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def enrolment(secret: str, login: str, structure: str) -> Enrolment:
    issuer = f"{ISSUER} {structure}".strip() if structure else ISSUER
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer))


def start(db: Session, key: bytes, user: ConsoleUser) -> str:
    """A new secret, kept sealed but not on until a first code is typed; returns it."""
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = seal(key, user.id, secret), None, None
    return secret


def pending_secret(key: bytes, user: ConsoleUser) -> str | None:
    if user.totp_secret is None or enabled(user):
        return None
    try:
        return unseal(key, user.id, user.totp_secret)
    except SecretUnreadable:
        return None


def confirm(db: Session, key: bytes, user: ConsoleUser, code: str,
            now: float | None = None) -> list[str] | None:
    """The first code typed: the second factor is on; returns the recovery codes (to
    show once), or None for a wrong code."""
    secret = pending_secret(key, user)
    step = matching_step(secret, code, None, now) if secret else None
    if step is None:
        return None
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    return new_recovery_codes(db, user)


def turn_off(db: Session, user: ConsoleUser) -> None:
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    db.execute(delete(ConsoleRecoveryCode).where(ConsoleRecoveryCode.user_id == user.id))


# --- codes -------------------------------------------------------------------------------

def normal_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def matching_step(secret: str, code: str, last_step: int | None,
                  now: float | None = None) -> int | None:
    """The time step that this 6-digit code belongs to (one step of drift either way),
    if it is later than the last one accepted."""
    code = normal_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
                totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes(db: Session, user: ConsoleUser) -> list[str]:
    """RECOVERY_COUNT new codes (the old ones stop working); returns them to show once."""
    db.execute(delete(ConsoleRecoveryCode).where(ConsoleRecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_COUNT)]
    for code in codes:
        db.add(ConsoleRecoveryCode(user_id=user.id, code_hash=HASHER.hash(code)))
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(db: Session, user: ConsoleUser) -> int:
    return len(db.scalars(select(ConsoleRecoveryCode.id).where(
        ConsoleRecoveryCode.user_id == user.id, ConsoleRecoveryCode.used_at.is_(None))).all())


def use_recovery_code(db: Session, user: ConsoleUser, code: str) -> bool:
    code = normal_code(code)
    if len(code) != RECOVERY_LENGTH:
        return False
    for row in db.scalars(select(ConsoleRecoveryCode).where(
            ConsoleRecoveryCode.user_id == user.id, ConsoleRecoveryCode.used_at.is_(None))):
        try:
            if HASHER.verify(row.code_hash, code):
                row.used_at = utcnow()
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


@dataclass(frozen=True)
class Check:
    ok: bool
    recovery: bool = False  # a recovery code was used (its audit line)


def check_code(db: Session, key: bytes, user: ConsoleUser, code: str,
               now: float | None = None) -> Check:
    """A code of the phone app, or a recovery code, for a user whose second factor is
    on. An accepted TOTP code moves the last step on (never accepted twice)."""
    if not enabled(user):
        return Check(False)
    try:
        secret = unseal(key, user.id, user.totp_secret or "")
    except SecretUnreadable:
        secret = None
    step = matching_step(secret, code, user.totp_last_step, now) if secret else None
    if step is not None:
        user.totp_last_step = step
        return Check(True)
    if use_recovery_code(db, user, code):
        return Check(True, recovery=True)
    return Check(False)
