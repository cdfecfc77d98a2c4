"""What the gateway keeps of the course in the chat (issue 22, item 2), in the database.

- An identified learner's progress (`course_progress`, keyed by the learner's keyed
  pseudonym, never the address): the action's state, stored after each course turn and
  sent back in the metadata of the learner's next messages, in any session and on any
  device (bot/chat/course.py). The gateway never reads inside the state.
- An anonymous person's course lives in Rasa's slot, for the conversation only. One
  exception: a conversation that *passed* the course keeps that fact (a row keyed by
  the session, deleted with it), so that the person can sign in in the same
  conversation and ask for the badge (« mon badge Point Info »): it then becomes theirs.
- Every course event of every conversation (`course_events`), for the dashboard: no
  identity in it, only the session it happened in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.chat.course import CourseUpdate
from bot.chat.identity import Identity
from bot.db.models import CourseEvent, CourseProgress, utcnow

LearnerKey = Callable[[str], str]  # e-mail address -> keyed pseudonym


class CourseStore:
    def __init__(self, sessions: sessionmaker, learner_key: LearnerKey):
        self._db = sessions
        self._learner_key = learner_key

    def learner_of(self, identity: Identity) -> str | None:
        """The learner key of a person identified by the site or Moodle, else None."""
        if identity.kind != "learner" or not identity.email:
            return None
        return self._learner_key(identity.email)

    def saved_state(self, learner_ref: str) -> dict | None:
        with self._db() as db:
            state = db.execute(select(CourseProgress.state)
                               .where(CourseProgress.learner_ref == learner_ref)).scalar()
        return state if isinstance(state, dict) else None

    def has_passed(self, learner_ref: str) -> bool:
        with self._db() as db:
            return bool(db.execute(select(CourseProgress.passed)
                                   .where(CourseProgress.learner_ref == learner_ref)).scalar())

    def save_progress(self, learner_ref: str, course: CourseUpdate) -> None:
        """After a course turn of an identified learner."""
        for _ in range(2):  # a row made at the same moment by another turn: update it
            try:
                with self._db.begin() as db:
                    self._upsert(db, CourseProgress.learner_ref == learner_ref,
                                 {"learner_ref": learner_ref}, course)
                return
            except IntegrityError:
                continue

    @staticmethod
    def _upsert(db: Session, where, key: dict, course: CourseUpdate) -> None:
        now = utcnow()
        row = db.execute(select(CourseProgress.id, CourseProgress.passed,
                                CourseProgress.completed_at).where(where)).first()
        values: dict[str, Any] = {"state": course.state, "last_event": course.event, "step": course.step,
                  "updated_at": now}
        if course.event == "completed":
            # Passed once stays passed (the badge is earned), whatever comes later.
            values["passed"] = bool(course.passed) or bool(row and row.passed)
            values["completed_at"] = (row.completed_at if row and row.completed_at else now)
        if row is None:
            db.execute(insert(CourseProgress).values(started_at=now, **key, **values))
        else:
            db.execute(update(CourseProgress).where(CourseProgress.id == row.id)
                       .values(**values))

    def turn_rows(self, session_id: str, course: CourseUpdate,
                  anonymous: bool) -> Callable[[Session], None]:
        """What a course turn writes with the turn itself (bot/chat/service.py), once the
        session row exists: its event, and an anonymous conversation's passed course."""
        def write(db: Session) -> None:
            answer = course.answer or {}
            question = answer.get("question") if isinstance(answer.get("question"), str) else None
            right = answer.get("right") if isinstance(answer.get("right"), bool) else None
            db.execute(insert(CourseEvent).values(
                session_id=session_id, at=utcnow(), event=course.event,
                step=(course.step or "")[:64] or None, question=(question or "")[:80] or None,
                right=right, passed=course.passed))
            if anonymous and course.badge_earned:
                self._upsert(db, CourseProgress.session_id == session_id,
                             {"session_id": session_id}, course)
        return write

    def adopt_session(self, session_id: str, learner_ref: str) -> bool:
        """A course passed anonymously in this conversation becomes the learner's, who
        has just signed in. True when the learner has now passed the course."""
        with self._db.begin() as db:
            claim = db.execute(select(CourseProgress)
                               .where(CourseProgress.session_id == session_id,
                                      CourseProgress.passed.is_(True))).scalar()
            if claim is None:
                return False
            mine = db.execute(select(CourseProgress)
                              .where(CourseProgress.learner_ref == learner_ref)).scalar()
            if mine is None:
                claim.learner_ref, claim.session_id = learner_ref, None
            else:
                mine.passed, mine.state = True, claim.state
                mine.last_event, mine.step = claim.last_event, claim.step
                mine.completed_at = mine.completed_at or claim.completed_at
                mine.updated_at = utcnow()
                db.delete(claim)
        return True
