"""Topic `autoformation_module`: the course « Je sais expliquer les Open Badges », held
in the chat (issue 22). The content is in formation/ (bot/chat/course_content.py);
every word around it is a response of domain.yml named utter_formation_*.

How the person moves
--------------------
A step shows its messages one at a time (« Étape 3 sur 6 : Partager un badge » on
top), then its questions, then « Bravo, vous avez fini l'étape 3 » with the optional
« À vous » task. Every course button sends an intent payload,
`/autoformation_module{"formation": "<gesture>"}`, so clicks never depend on the
classifier; the rule of autoformation_module runs this action for all of them:

    suite              the next message (or the first question, or the next step)
    retour             the message before (from a question: the step's last message)
    passer             skip this step (its questions stay unanswered)
    etape <id>         go to a step (offered at the end for the steps not done)
    reponse <id> <q> <a>   answer a of question q of step id (1-based numbers)
    pause, reprendre, arreter, recommencer

A message without a gesture (« je veux apprendre », the button of the `autoformation`
answer, a Moodle deep link) starts the course, or offers to resume it when it was
started. An answer button of an older question (pressed again later) shows the
current screen: only the question on screen is scored.

Score: a question counts as right when it is answered right on the first or the
second try; the first result of a question is kept (a step done again is practice).
The course is completed when every step's questions are answered; it is passed with
at least `reussite.bonnes` right answers out of every `reussite.sur` questions
(4 of 5, rounded up). A skipped step is offered again at the end.

State
-----
The course state is a small JSON dict (`CourseState.to_dict`) kept in the slot
`formation_etat` (one conversation, carried over Rasa sessions by session_config).
Steps are named by id, never by position, so that editors can reorder or add steps
without breaking saved progress; a state that no longer fits the content is dropped.
`seq` grows with every change: of two copies, the higher `seq` is the newer one.
The slot `formation_en_cours` (bool, the only one that influences the dialogue) is
true while the course is active (not paused, stopped or finished).

A FAQ question in the middle
----------------------------
A rule of data/stories/rules.yml with the condition `formation_en_cours: true` runs
`utter_faq` then this action: the FAQ is answered as usual, then this action sees an
intent other than its own and says « On reprend ? » with « Reprendre la formation »
and « Faire une pause ». That message names no topic and no response, so the turn's
topic stays the FAQ topic and « j'ai pas compris » still explains the FAQ answer.
A rule rather than a follow-up in this action: the FAQ answer stays Rasa's own
(response selector, simpler version, lieux), and the course needs no copy of it.

Persistence for identified learners (contract with the gateway)
---------------------------------------------------------------
Every turn of the course ends with a message whose `custom` payload is

    {"course": {"event": "started" | "progress" | "answered" | "skipped" | "paused"
                         | "resumed" | "stopped" | "completed",
                "step": "<step id>", "number": 3, "steps": 6,
                "score": 7, "questions": 12, "needed": 10,
                "passed": null | true | false,          # set when event == completed
                "answer": {"question": "partager.1", "right": false, "attempt": 1},  # answered
                "state": {...}}}                         # CourseState.to_dict()

The gateway (which owns the database) may store `state` for a learner identified by
the site or by Moodle, keyed by that identity, and send it back in the metadata of
the learner's next messages, in any session and on any device:

    metadata = {"identity": {...}, "context": {...}, "course": {"state": {...}}}

This action then uses the saved state when the slot has none or an older one (lower
`seq`). The gateway never has to understand the state; it stores and returns it.
For an anonymous person nothing needs storing: the slot keeps the course for the
conversation. The gateway drops the custom messages from the replies it shows.

The badge at the end (issue 22, item 3) hooks on `event == "completed"` with
`passed == true` (also the slot `formation_reussie`); the dashboard (item 4) can
count `started`, `stopped` (with the step), `completed` and `answered` with
`right: false` per question.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.obf_access import forget_lookups
from actions.wording import wording
from bot.chat.course import (ANSWER, BACK, ENTITY, GOTO, INTENT, NEXT, PAUSE, RESTART, RESUME,
                             SKIP, STOP, payload)
from bot.chat.course_content import Course, Step, course

TOPIC = "autoformation_module"
STATE_SLOT = "formation_etat"
ACTIVE_SLOT = "formation_en_cours"
PASSED_SLOT = "formation_reussie"
STATE_VERSION = 1

# Screens
LESSON, QUESTION, STEP_END, END = "lesson", "question", "step_end", "end"
# Statuses
ACTIVE, PAUSED, STOPPED, FINISHED = "active", "paused", "stopped", "finished"

# Gestures (the value of the `formation` entity): bot/chat/course.py, with payload().
SIMPLE_GESTURES = {NEXT, BACK, SKIP, PAUSE, RESUME, STOP, RESTART}


# --- the state ------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseState:
    step: str
    screen: str = LESSON
    index: int = 0  # the message or question on screen
    attempt: int = 1  # 2 after a first wrong answer to the question on screen
    results: dict[str, bool] = field(default_factory=dict)  # question key → right
    status: str = ACTIVE
    seq: int = 0

    def to_dict(self) -> dict:
        return {"v": STATE_VERSION, "step": self.step, "screen": self.screen,
                "index": self.index, "attempt": self.attempt, "results": dict(self.results),
                "status": self.status, "seq": self.seq}

    @classmethod
    def from_dict(cls, data: object, content: Course) -> CourseState | None:
        """A saved state, or None when it is missing, malformed or no longer fits
        the content (a step removed, fewer messages): then the course starts again."""
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            return None
        step_id = data.get("step")
        step = content.step(step_id) if isinstance(step_id, str) else None
        screen, index, attempt = data.get("screen"), data.get("index"), data.get("attempt")
        results, status, seq = data.get("results"), data.get("status"), data.get("seq")
        if (step is None or screen not in (LESSON, QUESTION, STEP_END, END)
                or status not in (ACTIVE, PAUSED, STOPPED, FINISHED)
                or not all(isinstance(v, int) and not isinstance(v, bool)
                           for v in (index, attempt, seq))
                or attempt not in (1, 2) or not isinstance(results, dict)):
            return None
        limit = {LESSON: len(step.messages), QUESTION: len(step.questions)}.get(screen, 1)
        if not 0 <= cast(int, index) < limit:
            return None
        keys = set(content.question_keys)
        kept = {k: v for k, v in results.items() if k in keys and isinstance(v, bool)}
        return cls(step.id, screen, cast(int, index), cast(int, attempt), kept, status,
                   cast(int, seq))


def fresh_state(content: Course, seq: int = 0) -> CourseState:
    return CourseState(content.etapes[0], seq=seq)


def score(content: Course, state: CourseState) -> int:
    return sum(1 for key in content.question_keys if state.results.get(key))


def steps_not_done(content: Course, state: CourseState) -> list[str]:
    """Steps with a question not answered yet (skipped, or not reached)."""
    return [s.id for s in content.steps
            if any(s.question_key(i) not in state.results for i in range(len(s.questions)))]


def passed(content: Course, state: CourseState) -> bool:
    return not steps_not_done(content, state) and score(content, state) >= content.needed()


@dataclass(frozen=True)
class Gesture:
    kind: str
    step: str | None = None
    question: int | None = None  # 0-based
    choice: int | None = None  # 0-based


def parse_gesture(value: object) -> Gesture | None:
    """The gesture of a course button, or None for something else."""
    if not isinstance(value, str):
        return None
    parts = value.split()
    if len(parts) == 1 and parts[0] in SIMPLE_GESTURES:
        return Gesture(parts[0])
    if len(parts) == 2 and parts[0] == GOTO:
        return Gesture(GOTO, parts[1])
    if len(parts) == 4 and parts[0] == ANSWER and parts[2].isdigit() and parts[3].isdigit():
        question, choice = int(parts[2]) - 1, int(parts[3]) - 1
        if question >= 0 and choice >= 0:
            return Gesture(ANSWER, parts[1], question, choice)
    return None


@dataclass(frozen=True)
class Show:
    """One thing said in a turn: what, and about which step and question."""
    kind: str
    step: str | None = None
    index: int | None = None
    retry: bool = False


@dataclass(frozen=True)
class Outcome:
    state: CourseState | None
    shows: list[Show]
    event: str | None = None
    answer: dict | None = None


def _step(content: Course, step_id: str | None) -> Step:
    """A step that a state or a Show names: CourseState.from_dict checked that it exists."""
    return cast(Step, content.step(cast(str, step_id)))


def _state(outcome: Outcome) -> CourseState:
    """The state of an outcome that has messages (only a turn outside the course has none)."""
    return cast(CourseState, outcome.state)


def screen_of(state: CourseState, retry: bool = False) -> Show:
    """What is on screen at this state."""
    if state.screen == END:
        return Show(END)
    return Show(state.screen, state.step, state.index, retry)


def _changed(state: CourseState, **values) -> CourseState:
    return replace(state, seq=state.seq + 1, **values)


def _step_index(content: Course, state: CourseState) -> int:
    return content.etapes.index(state.step)


def _to_step(content: Course, state: CourseState, position: int) -> CourseState:
    """The first message of the step at `position`, or the end after the last one."""
    if position >= len(content.etapes):
        return _changed(state, screen=END, index=0, attempt=1)
    return _changed(state, step=content.etapes[position], screen=LESSON, index=0, attempt=1)


def _onwards(content: Course, state: CourseState, position: int) -> CourseState:
    """After the step at `position` (done or skipped): the next step not done yet, or
    the end. A step done earlier is not said twice, so a step taken again from the
    end's list (or after going back) leads on to what is left."""
    missing = set(steps_not_done(content, state))
    later = [i for i in range(position + 1, len(content.etapes)) if content.etapes[i] in missing]
    return _to_step(content, state, later[0] if later else len(content.etapes))


def _arrive(content: Course, state: CourseState, event: str, shows: list[Show],
            answer: dict | None = None) -> Outcome:
    """Show where the state now is; reaching the end with every step done completes
    the course (event `completed`)."""
    if state.screen == END and not steps_not_done(content, state):
        state = replace(state, status=FINISHED)
        event = "completed"
    return Outcome(state, [*shows, screen_of(state)], event, answer)


def start(content: Course, state: CourseState | None) -> Outcome:
    seq = state.seq + 1 if state else 0
    new = fresh_state(content, seq)
    return Outcome(new, [Show("welcome"), screen_of(new)], "started")


def advance(content: Course, state: CourseState | None, gesture: Gesture | None) -> Outcome:
    """The course after one message of the person. `gesture` None: a message of the
    intent without a course button (« je veux apprendre »)."""
    if gesture is None:
        if state is None or state.status == STOPPED:
            return start(content, state)
        if state.status == FINISHED:
            return Outcome(state, [Show("already_finished")])
        at_start = (state.step == content.etapes[0] and state.screen == LESSON
                    and state.index == 0 and not state.results)
        if at_start:
            return Outcome(_changed(state, status=ACTIVE), [screen_of(state)], "resumed")
        return Outcome(state, [Show("already")])

    if state is None and gesture.kind == STOP:  # an old button: nothing to stop
        return Outcome(None, [Show("stopped")])
    if gesture.kind == RESTART or state is None or (
            state.status == STOPPED and gesture.kind != STOP):
        return start(content, state)
    if gesture.kind == STOP:
        return Outcome(_changed(state, status=STOPPED), [Show("stopped")], "stopped")
    if gesture.kind == PAUSE:
        if state.status == FINISHED:
            return Outcome(state, [screen_of(state)])
        return Outcome(_changed(state, status=PAUSED), [Show("paused")], "paused")
    if state.status == FINISHED and gesture.kind not in (GOTO, BACK):
        return Outcome(state, [screen_of(state)])
    if gesture.kind == RESUME:
        resumed = _changed(state, status=ACTIVE) if state.status != ACTIVE else state
        return Outcome(resumed, [screen_of(resumed)], "resumed")

    state = replace(state, status=ACTIVE)
    step = _step(content, state.step)
    position = _step_index(content, state)
    if gesture.kind == NEXT:
        if state.screen == LESSON and state.index + 1 < len(step.messages):
            return _arrive(content, _changed(state, index=state.index + 1), "progress", [])
        if state.screen == LESSON:
            return _arrive(content, _changed(state, screen=QUESTION, index=0, attempt=1),
                           "progress", [])
        if state.screen == STEP_END:
            return _arrive(content, _onwards(content, state, position), "progress", [])
        return Outcome(state, [screen_of(state)])
    if gesture.kind == BACK:
        if state.screen == LESSON and state.index > 0:
            back = _changed(state, index=state.index - 1)
        elif state.screen == LESSON:
            back = _to_step(content, state, max(position - 1, 0))
        elif state.screen == END:
            back = _changed(state, step=content.etapes[-1], screen=LESSON, index=0, attempt=1)
        else:
            back = _changed(state, screen=LESSON, index=len(step.messages) - 1, attempt=1)
        return Outcome(back, [screen_of(back)], "progress")
    if gesture.kind == SKIP:
        if state.screen == END:
            return Outcome(state, [screen_of(state)])
        return _arrive(content, _onwards(content, state, position), "skipped", [])
    if gesture.kind == GOTO:
        if gesture.step not in content.etapes:
            return Outcome(state, [screen_of(state)])
        target = _changed(state, step=gesture.step, screen=LESSON, index=0, attempt=1,
                          status=ACTIVE)
        return Outcome(target, [screen_of(target)], "progress")
    if gesture.kind == ANSWER:
        return answer(content, state, gesture)
    return Outcome(state, [screen_of(state)])


def answer(content: Course, state: CourseState, gesture: Gesture) -> Outcome:
    step = _step(content, state.step)
    on_screen = (state.screen == QUESTION and gesture.step == state.step
                 and gesture.question == state.index)
    choice = cast(int, gesture.choice)  # an ANSWER gesture has its choice (parse_gesture)
    if not on_screen or choice >= len(step.questions[state.index].reponses):
        return Outcome(state, [screen_of(state)])
    question = step.questions[state.index]
    key = step.question_key(state.index)
    right = gesture.choice == question.right
    said = {"question": key, "right": right, "attempt": state.attempt}
    if not right and state.attempt == 1:
        again = _changed(state, attempt=2)
        return Outcome(again, [Show("wrong", step.id, state.index), screen_of(again, retry=True)],
                       "answered", said)
    results = {**state.results}
    results.setdefault(key, right)
    feedback = Show("right") if right else Show("right_answer", step.id, state.index)
    if state.index + 1 < len(step.questions):
        after = _changed(state, index=state.index + 1, attempt=1, results=results)
    else:
        after = _changed(state, screen=STEP_END, index=0, attempt=1, results=results)
    return _arrive(content, after, "answered", [feedback], said)


# --- what is said ---------------------------------------------------------------------

def button(domain: dict, response: str, gesture: str, **values) -> dict:
    return {"title": wording(domain, response, **values), "payload": payload(gesture)}


def progress_line(domain: dict, content: Course, step_id: str) -> str:
    step = _step(content, step_id)
    return wording(domain, "utter_formation_etape", numero=content.number(step_id),
                   total=len(content.etapes), titre=step.titre)


def controls(domain: dict, content: Course, state: CourseState, show: Show) -> list[dict]:
    """The buttons of the last message of a turn."""
    pause = button(domain, "utter_formation_bouton_pause", PAUSE)
    resume = button(domain, "utter_formation_bouton_reprendre", RESUME)
    restart = button(domain, "utter_formation_bouton_recommencer", RESTART)
    if show.kind == "paused":
        return [resume, button(domain, "utter_formation_bouton_arreter", STOP)]
    if show.kind == "stopped" or show.kind == "already_finished":
        return [restart]
    if show.kind in ("already", "resume_prompt"):
        return [resume, restart if show.kind == "already" else pause]
    if show.kind == END:
        missing = steps_not_done(content, state)
        if missing:
            return [button(domain, "utter_formation_bouton_etape", f"{GOTO} {s}",
                           numero=content.number(s), titre=_step(content, s).titre)
                    for s in missing]
        return [restart]
    step, index = _step(content, show.step), cast(int, show.index)
    if show.kind == QUESTION:
        question = step.questions[index]
        return [{"title": a.texte,
                 "payload": payload(f"{ANSWER} {step.id} {index + 1} {i + 1}")}
                for i, a in enumerate(question.reponses)] + [pause]
    nxt = {"title": wording(domain, "utter_bouton_la_suite"), "payload": payload(NEXT)}
    if show.kind == STEP_END:
        link = [{"title": step.lien.titre, "payload": step.lien.url}] if step.lien else []
        return [nxt, *link, pause]
    first = show.index == 0 and step.id == content.etapes[0]
    back = [] if first else [button(domain, "utter_formation_bouton_retour", BACK)]
    return [nxt, *back, button(domain, "utter_formation_bouton_passer", SKIP), pause]


def texts_of(domain: dict, content: Course, state: CourseState, show: Show) -> list[str]:
    """The messages (one or more bubbles) of one Show."""
    total = len(content.etapes)
    # Every Show but "welcome", "stopped" and "resume_prompt" names a step and an index.
    step = cast(Step, content.step(show.step) if show.step else None)
    index = cast(int, show.index)
    if show.kind == "welcome":
        return [wording(domain, "utter_formation_accueil", total=total)]
    if show.kind == LESSON:
        return [progress_line(domain, content, step.id) + "\n" + step.messages[index]]
    if show.kind == QUESTION:
        question = step.questions[index].question
        return [question if show.retry else progress_line(domain, content, step.id) + "\n" + question]
    if show.kind == "right":
        return [wording(domain, "utter_formation_juste")]
    if show.kind == "wrong":
        return ["\n".join([wording(domain, "utter_formation_faux"),
                           step.questions[index].explication,
                           wording(domain, "utter_formation_essayer")])]
    if show.kind == "right_answer":
        asked = step.questions[index]
        return [wording(domain, "utter_formation_bonne_reponse",
                        reponse=asked.reponses[asked.right].texte)]
    if show.kind == STEP_END:
        done = [wording(domain, "utter_formation_fin_etape",
                        numero=content.number(step.id), total=total)]
        if step.a_vous:
            done.append(wording(domain, "utter_formation_a_vous") + "\n" + step.a_vous)
        return done
    if show.kind == "stopped":
        return [wording(domain, "utter_formation_arret")]
    numbers = {"score": score(content, state), "total": len(content.question_keys),
               "besoin": content.needed()}
    if show.kind == END:
        if steps_not_done(content, state):
            return [wording(domain, "utter_formation_etapes_restantes")]
        name = "utter_formation_reussie" if passed(content, state) else "utter_formation_pas_reussie"
        return [wording(domain, name, **numbers)]
    at = {"numero": content.number(state.step), "total": total}
    if show.kind == "paused":
        return [wording(domain, "utter_formation_pause", **at)]
    if show.kind == "already":
        return [wording(domain, "utter_formation_deja", **at)]
    if show.kind == "already_finished":
        return [wording(domain, "utter_formation_deja_finie", **numbers)]
    if show.kind == "resume_prompt":
        return [wording(domain, "utter_formation_reprise", **at)]
    raise ValueError(f"nothing to say for {show.kind}")


def messages(domain: dict, content: Course, outcome: Outcome) -> list[dict]:
    """The turn's messages as utter_message arguments; the last one has the buttons."""
    said: list[dict] = []
    for show in outcome.shows:
        said += [{"text": t} for t in texts_of(domain, content, _state(outcome), show)]
    if said:
        said[-1]["buttons"] = controls(domain, content, _state(outcome), outcome.shows[-1])
    return said


def course_payload(content: Course, outcome: Outcome) -> dict:
    """The `custom` payload of the turn (see the module docstring)."""
    state = _state(outcome)
    completed = outcome.event == "completed"
    return {"course": {
        "event": outcome.event, "step": state.step, "number": content.number(state.step),
        "steps": len(content.etapes), "score": score(content, state),
        "questions": len(content.question_keys), "needed": content.needed(),
        "passed": passed(content, state) if completed else None,
        "answer": outcome.answer, "state": state.to_dict()}}


# --- the action -----------------------------------------------------------------------

def saved_state(tracker: Tracker, content: Course) -> CourseState | None:
    """The newer of the slot's state and the one the gateway saved for the learner."""
    in_slot = CourseState.from_dict(tracker.get_slot(STATE_SLOT), content)
    metadata = tracker.latest_message.get("metadata") or {}
    saved = metadata.get("course") if isinstance(metadata, dict) else None
    from_gateway = CourseState.from_dict((saved or {}).get("state") if isinstance(saved, dict)
                                         else None, content)
    if in_slot is None or (from_gateway is not None and from_gateway.seq > in_slot.seq):
        return from_gateway
    return in_slot


def gesture_of(tracker: Tracker) -> Gesture | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == ENTITY:
            return parse_gesture(entity.get("value"))
    return None


class ActionAutoformationModule(Action):
    def name(self) -> str:
        return "action_autoformation_module"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        content = course()
        state = saved_state(tracker, content)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent != INTENT:
            # After a FAQ answer in the middle of the course (rule with a slot condition).
            if state is not None and state.status == ACTIVE:
                for text in texts_of(domain, content, state, Show("resume_prompt")):
                    dispatcher.utter_message(
                        text=text, buttons=controls(domain, content, state, Show("resume_prompt")))
            return []
        outcome = advance(content, state, gesture_of(tracker))
        for message in messages(domain, content, outcome):
            dispatcher.utter_message(**message, topic=TOPIC)
        events = []
        if outcome.state is not None:
            if outcome.event:
                dispatcher.utter_message(json_message=course_payload(content, outcome))
            events = [SlotSet(STATE_SLOT, outcome.state.to_dict()),
                      SlotSet(ACTIVE_SLOT, outcome.state.status == ACTIVE)]
            if outcome.event == "completed" and passed(content, outcome.state):
                events.append(SlotSet(PASSED_SLOT, True))
                forget_lookups(tracker.sender_id)  # the gateway now issues its badge
        return events
