"""Database tables of the gateway (SQLAlchemy 2), by domain. Alembic migrations follow these.

- base.py:    the declarative base, `utcnow`, `UnixTime`;
- chat.py:    chat sessions, messages, feedback;
- console.py: the adviser console's users, sessions, sign-in attempts, audit, second
              factor's recovery codes, console settings;
- course.py:  the course in the chat: progress, Point Info badge awards, events;
- lti.py:     what LTI 1.3 launches keep on the server, the platforms registered;
- sandbox.py: the OBF sandbox's organisations, badges, events, recipients, tokens.

Every table is imported here, so that `Base.metadata` (Alembic's target) has them all.
"""

from bot.db.models.base import Base, UnixTime, utcnow
from bot.db.models.chat import ChatFeedback, ChatMessage, ChatSession
from bot.db.models.console import (ConsoleAudit, ConsoleRecoveryCode, ConsoleSession, ConsoleSetting,
                                   ConsoleSignInAttempt, ConsoleUser)
from bot.db.models.course import CourseAward, CourseEvent, CourseProgress
from bot.db.models.lti import LtiRegistration, LtiStorage
from bot.db.models.sandbox import (SandboxBadge, SandboxClient, SandboxEarnableBadge, SandboxEvent,
                                   SandboxRecipient, SandboxToken)

__all__ = [
    "Base", "ChatFeedback", "ChatMessage", "ChatSession", "ConsoleAudit", "ConsoleRecoveryCode",
    "ConsoleSession", "ConsoleSetting", "ConsoleSignInAttempt", "ConsoleUser", "CourseAward", "CourseEvent", "CourseProgress",
    "LtiRegistration", "LtiStorage", "SandboxBadge", "SandboxClient",
    "SandboxEarnableBadge", "SandboxEvent", "SandboxRecipient", "SandboxToken", "UnixTime",
    "utcnow",
]
