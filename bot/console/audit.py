"""The audit log of badge look-ups: who, when, which learner (pseudonym), with or
without consent, and what came of it. The application only ever adds lines: any
update or delete of an audit line through the ORM raises (only `bagou purge`
removes lines past BAGOU_AUDIT_RETENTION_DAYS, with a plain SQL delete)."""

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.db.models import ConsoleAudit, ConsoleUser

log = logging.getLogger(__name__)
BADGES_LOOKUP = "badges_lookup"


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
