"""The course held in the chat (actions/formation.py, issue 22), seen from the gateway,
and the payload of its buttons, which the action makes and the widget shows.

The action ends each turn of the course with a message that has no text and whose
`custom` payload is `{"course": {...}}` (the contract is in actions/formation.py):
the event (started, progress, answered, skipped, paused, resumed, stopped, completed),
the step, the score, and the course `state` (a small JSON object).

What the gateway does with it (bot/chat/service.py; issue 22, items 2-4):
1. It shows no such message: ChatService keeps only the replies that have a text.
2. For a learner identified by the site or by Moodle, it stores `state` keyed by that
   learner, and sends it back with `course_metadata(state)` in the metadata of the
   learner's next messages, in any session and on any device; the action uses it when
   it is newer than what its own slot holds. The gateway never reads inside `state`.
   An anonymous person's course lives in Rasa's slot, for the conversation only
   (bot/chat/course_store.py).
3. On `completed` with `passed`, it issues the Point Info badge, once per learner
   (item 3, bot/chat/point_info.py); every event goes to `course_events`, which the
   editors' dashboard counts (item 4, bot/console/insights.course_stats).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# The course's buttons send the intent with a gesture as the `formation` entity.
INTENT = "autoformation_module"
ENTITY = "formation"
START, NEXT, BACK, SKIP, GOTO, ANSWER = "start", "suite", "retour", "passer", "etape", "reponse"
PAUSE, RESUME, STOP, RESTART = "pause", "reprendre", "arreter", "recommencer"


def payload(gesture: str) -> str:
    return f'/{INTENT}{{"{ENTITY}": "{gesture}"}}'


# A state is a few hundred bytes; anything much bigger is not the action's.
MAX_STATE_BYTES = 8192
EVENTS = frozenset({"started", "progress", "answered", "skipped", "paused", "resumed",
                    "stopped", "completed"})


@dataclass(frozen=True)
class CourseUpdate:
    event: str
    state: dict
    step: str | None = None
    score: int | None = None
    questions: int | None = None
    passed: bool | None = None  # set when event == "completed"
    answer: dict | None = None  # {"question": "partager.1", "right": false, "attempt": 1}

    @property
    def badge_earned(self) -> bool:
        return self.event == "completed" and self.passed is True


def course_update(messages: list[dict]) -> CourseUpdate | None:
    """The course payload of a turn's Rasa messages, or None (no course turn, or a
    payload that does not have the expected shape)."""
    for message in reversed(messages):
        custom = message.get("custom") if isinstance(message, dict) else None
        course = custom.get("course") if isinstance(custom, dict) else None
        if not isinstance(course, dict):
            continue
        event, state = course.get("event"), course.get("state")
        if event not in EVENTS or not isinstance(state, dict):
            return None
        if len(json.dumps(state, ensure_ascii=False).encode()) > MAX_STATE_BYTES:
            return None
        numbers = {k: course.get(k) if isinstance(course.get(k), int)
                   and not isinstance(course.get(k), bool) else None
                   for k in ("score", "questions")}
        answer = course.get("answer") if isinstance(course.get("answer"), dict) else None
        passed = course.get("passed") if isinstance(course.get("passed"), bool) else None
        step = course.get("step") if isinstance(course.get("step"), str) else None
        return CourseUpdate(event, state, step, passed=passed, answer=answer, **numbers)
    return None


def course_metadata(state: dict | None) -> dict:
    """What to add to the metadata of a learner's message: the saved course state."""
    return {"course": {"state": state}} if isinstance(state, dict) else {}
