"""Tables of the course held in the chat (issue 22): a learner's progress, the Point Info
badge awards, and the course events that the editors' dashboard counts.

No e-mail address in clear in the progress: a learner is named by the same keyed
pseudonym as in the console's audit log (bot/console/pseudonym.learner_ref). An award
that is still pending keeps the address it must go to (OBF issues by address, and a
retry runs while the person is away); it is blanked once the badge is issued.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, utcnow


class CourseProgress(Base):
    """Where an identified learner is in the course, in any session and on any device.

    A row is the learner's (`learner_ref`), or, for an anonymous conversation that
    passed the course, that conversation's (`session_id`): the person can then sign in
    in the same conversation and ask for the badge (« mon badge Point Info »)."""

    __tablename__ = "course_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), unique=True)
    # The action's CourseState.to_dict(): stored and given back, never read here.
    state: Mapped[dict] = mapped_column(JSON)
    last_event: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column(Boolean)


class CourseAward(Base):
    """One badge to give to one learner: pending until OBF has issued it, then issued.

    `award_key` (learner_ref + badge id) is unique: one award per learner and badge,
    whatever is retried; it is also the key of ObfDirectory.issue_badge_once."""

    __tablename__ = "course_awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_key: Mapped[str] = mapped_column(String(200), unique=True)
    learner_ref: Mapped[str] = mapped_column(String(64), index=True)
    badge_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # "pending" or "issued"
    # The address OBF issues to; None once issued.
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(32))
    # When the next try may start; a try in progress holds it a little later (a lease),
    # so that two workers never try the same award at the same time.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    issued_at: Mapped[datetime | None] = mapped_column()
    event_id: Mapped[str | None] = mapped_column(String(64))
    # When the person was told that the badge arrived (None: tell them at their next turn).
    notified_at: Mapped[datetime | None] = mapped_column()


class CourseEvent(Base):
    """One course event of a conversation (anonymous or not), for the dashboard:
    started, stopped (with its step), completed (passed or not), answered (question, right)."""

    __tablename__ = "course_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str | None] = mapped_column(String(80))
    right: Mapped[bool | None] = mapped_column(Boolean)
    passed: Mapped[bool | None] = mapped_column(Boolean)
