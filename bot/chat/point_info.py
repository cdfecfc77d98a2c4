"""The Point Info badge at the end of the course in the chat (issue 22, item 3).

A learner identified by the site or by Moodle who completes and passes the course gets
the badge from OBF (ObfDirectory.issue_badge_once). Exactly once, and never lost:

1. An award row (`course_awards`, one per `award_key` = learner key + badge id, unique)
   is committed *before* OBF is called: a crash, a timeout or an OBF failure leaves a
   pending award, never nothing.
2. A try first takes a short lease on the row (a conditional UPDATE on
   `next_attempt_at`): two workers, or the learner's turn and the periodic task, never
   try the same award at the same time. A lease that a crash left behind ends by itself.
3. issue_badge_once asks OBF first whether the learner already holds the badge, so a
   try after a lost answer finds the badge of the first try instead of issuing again.
4. A failed try is kept pending with a growing wait (1 min, 2, 4 … up to 1 h).

Retried by both (and why):
- a small periodic task started with the gateway (`run_periodically`): the badge
  arrives even when the person never comes back, which is the promise « je garde votre
  badge »; it only reads rows that are due, so it costs one indexed query a minute;
- the learner's own next turn (`due_for`/`attempt` in ChatService) and « mon badge
  Point Info »: the person is told at once when it works (« votre badge est arrivé »),
  also when the periodic task issued it while they were away (`notified_at`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.db.models import CourseAward, utcnow
from bot.obf import ObfDirectory, ObfError

log = logging.getLogger(__name__)

PENDING, ISSUED = "pending", "issued"
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# How long a try may hold an award (OBF's timeout is seconds; a crash frees it after this).
LEASE = timedelta(minutes=2)
RETRY_EVERY_S = 60.0

DirectoryFactory = Callable[[], ObfDirectory]


@dataclass(frozen=True)
class AwardView:
    id: int
    status: str
    due: bool  # pending and its next try may start now
    notified: bool  # the person was told that it arrived


def award_key(learner_ref: str, badge_id: str) -> str:
    return f"{learner_ref}:{badge_id}"


def wait_after(attempts: int) -> timedelta:
    """The wait before the next try, after `attempts` failed tries."""
    return min(FIRST_WAIT * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


class PointInfoAwards:
    def __init__(self, sessions: sessionmaker, directory: DirectoryFactory, badge_id: str,
                 client_id: str | None = None):
        self._db = sessions
        self._directory = directory
        self.badge_id = badge_id
        self.client_id = client_id or None

    # --- the rows (sync: run in a thread pool) -------------------------------------------

    def ensure(self, learner_ref: str, email: str, name: str | None = None) -> AwardView:
        """The learner's award, made pending when there is none yet."""
        key = award_key(learner_ref, self.badge_id)
        existing = self.view(learner_ref)
        if existing is not None:
            return existing
        try:
            with self._db.begin() as db:
                db.add(CourseAward(award_key=key, learner_ref=learner_ref,
                                   badge_id=self.badge_id, client_id=self.client_id,
                                   status=PENDING, email=email, name=name, attempts=0,
                                   created_at=utcnow(), next_attempt_at=utcnow()))
        except IntegrityError:  # made at the same moment by another turn: that one holds
            pass
        return cast(AwardView, self.view(learner_ref))  # written just now, or by that turn

    def view(self, learner_ref: str) -> AwardView | None:
        with self._db() as db:
            row = db.execute(select(CourseAward.id, CourseAward.status,
                                    CourseAward.next_attempt_at, CourseAward.notified_at)
                             .where(CourseAward.award_key == award_key(learner_ref,
                                                                       self.badge_id))).first()
        if row is None:
            return None
        due = row.status == PENDING and row.next_attempt_at <= utcnow()
        return AwardView(row.id, row.status, due, row.notified_at is not None)

    def mark_notified(self, award_id: int) -> None:
        with self._db.begin() as db:
            db.execute(update(CourseAward).where(CourseAward.id == award_id)
                       .values(notified_at=utcnow()))

    def _claim(self, award_id: int) -> CourseAward | None:
        """The award, leased to this try; None when it is issued, not due, or held."""
        now = utcnow()
        with self._db.begin() as db:
            taken = db.execute(
                update(CourseAward)
                .where(CourseAward.id == award_id, CourseAward.status == PENDING,
                       CourseAward.next_attempt_at <= now)
                .values(next_attempt_at=now + LEASE, attempts=CourseAward.attempts + 1)
            ).rowcount
            if taken != 1:
                return None
            return db.get(CourseAward, award_id)

    def _issued(self, award_id: int, event_id: str, notified: bool) -> None:
        now = utcnow()
        with self._db.begin() as db:
            db.execute(update(CourseAward).where(CourseAward.id == award_id).values(
                status=ISSUED, issued_at=now, event_id=event_id[:64], email=None,
                last_error=None, notified_at=now if notified else None))

    def _failed(self, award_id: int, attempts: int, kind: str) -> None:
        with self._db.begin() as db:
            db.execute(update(CourseAward).where(CourseAward.id == award_id).values(
                last_error=kind[:32], next_attempt_at=utcnow() + wait_after(attempts)))

    def _due_ids(self, limit: int = 20) -> list[int]:
        with self._db() as db:
            return list(db.execute(
                select(CourseAward.id).where(CourseAward.status == PENDING,
                                             CourseAward.next_attempt_at <= utcnow())
                .order_by(CourseAward.next_attempt_at).limit(limit)).scalars())

    # --- trying (async) ------------------------------------------------------------------

    async def attempt(self, award_id: int, *, told: bool = False) -> str:
        """One try: ISSUED when the learner now has the badge (issued now or found
        issued), PENDING when it must wait (OBF failed, or another try holds it).
        `told`: the person sees the result in this turn (else at their next turn)."""
        award = await run_in_threadpool(self._claim, award_id)
        if award is None:
            return PENDING
        try:
            directory = self._directory()
            try:
                result = await directory.issue_badge_once(
                    award.badge_id, cast(str, award.email), key=award.award_key,
                    client_id=award.client_id, name=award.name)
            finally:
                await directory.aclose()
        except ObfError as error:
            log.warning("Point Info badge: OBF failed (%s), try %d; kept pending",
                        error.kind, award.attempts)
            await run_in_threadpool(self._failed, award_id, award.attempts, error.kind)
            return PENDING
        except Exception:  # a bug must not lose the award either
            log.exception("Point Info badge: unexpected error; kept pending")
            await run_in_threadpool(self._failed, award_id, award.attempts, "bug")
            return PENDING
        log.info("Point Info badge: %s (event %s, try %d)",
                 "issued" if result.issued else "already held", result.event_id,
                 award.attempts)
        await run_in_threadpool(self._issued, award_id, result.event_id, told)
        return ISSUED

    async def retry_due(self) -> int:
        """Tries every award that is due; how many are now issued."""
        done = 0
        for award_id in await run_in_threadpool(self._due_ids):
            done += await self.attempt(award_id) == ISSUED
        return done

    async def run_periodically(self, every_s: float = RETRY_EVERY_S) -> None:
        """The periodic task of the gateway (bot/app.py lifespan)."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.retry_due()
            except Exception:  # the database away for a moment: try again next round
                log.exception("Point Info badge: periodic retry failed")
