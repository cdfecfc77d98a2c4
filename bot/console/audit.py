"""The audit log of badge look-ups: who, when, which learner (pseudonym), with or
without consent, and what came of it. The application only ever adds lines: any
update or delete of an audit line through the ORM raises (only `bagou purge`
removes lines past BAGOU_AUDIT_RETENTION_DAYS, with a plain SQL delete)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.console.pseudonym import learner_ref
from bot.db.models import ConsoleAudit, ConsoleUser

log = logging.getLogger(__name__)
BADGES_LOOKUP = "badges_lookup"
SUMMARY_EMAIL = "summary_email"
# What a learner's « qui a regardé mes badges ? » lists: the look-ups of their badges.
LOOKUPS = (BADGES_LOOKUP, SUMMARY_EMAIL)
SHOWN = ("ok", "partial")


class AuditIsAppendOnly(RuntimeError):
    pass


@event.listens_for(ConsoleAudit, "before_update")
def _no_update(_mapper, _connection, _target):
    raise AuditIsAppendOnly("audit lines cannot be changed")


@event.listens_for(ConsoleAudit, "before_delete")
def _no_delete(_mapper, _connection, _target):
    raise AuditIsAppendOnly("audit lines cannot be deleted")


def write(db: Session, user: ConsoleUser, learner_ref: str, consent: bool, outcome: str,
          badge_count: int | None = None, action: str = BADGES_LOOKUP) -> ConsoleAudit:
    line = ConsoleAudit(user_login=user.login, user_role=user.role, action=action,
                        learner_ref=learner_ref, consent=consent, outcome=outcome,
                        badge_count=badge_count)
    db.add(line)
    # The pseudonym is cut short in the log: enough to follow, never the e-mail.
    log.info("audit: %s by %s, learner %s…, consent=%s, outcome=%s", action, user.login,
             learner_ref[:12], consent, outcome)
    return line


@dataclass(frozen=True)
class Viewing:
    """One look-up of a learner's badges, as the learner may read it: when, which
    structure (one gateway serves one structure: BAGOU_CONTACT_NAME), and whether the
    badges were shown. Never the adviser's login nor e-mail."""

    at: datetime
    structure: str
    shown: bool


def viewings(db: Session, learner_ref: str, structure: str, limit: int = 50) -> list[Viewing]:
    """The look-ups of this learner's badges (their pseudonym), newest first: the
    answer of `qui_a_vu_mes_badges` for a learner identified by the site or by Moodle."""
    rows = db.execute(select(ConsoleAudit.at, ConsoleAudit.outcome).where(
        ConsoleAudit.learner_ref == learner_ref, ConsoleAudit.action.in_(LOOKUPS))
        .order_by(ConsoleAudit.at.desc(), ConsoleAudit.id.desc()).limit(limit))
    return [Viewing(at, structure, outcome in SHOWN) for at, outcome in rows]


def viewings_reader(db: sessionmaker, key: Callable[[], bytes],
                    structure: str) -> Callable[[str, int], list[Viewing]]:
    """`viewings` for the chat (bot/chat/who_saw.py): given a learner's address (the one
    their identity carries, never a typed one) and a limit."""
    def read(email: str, limit: int) -> list[Viewing]:
        with db() as s:
            return viewings(s, learner_ref(key(), email), structure, limit)
    return read
