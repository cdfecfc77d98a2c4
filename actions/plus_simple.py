"""Topic `plus_simple`: the person did not understand. Explain the last answer another
way, and another way again each time they say so in a row.

1. The first « j'ai pas compris » says the simpler version of the answer. It sits next
   to the answer in its FAQ file, as a response variation with the condition
   `version_simple: true`. That slot is never true, so Rasa never picks the variation by
   itself; this action reads it from the domain.
2. The second in a row goes one step at a time: the answer's lines, 2 at a time, with a
   « La suite » button for the next ones. An answer that is not made of steps (a
   definition, « à quoi sert un badge ») has no steps to follow: then it is the concrete
   example of its simpler version that comes 2 lines at a time.
3. The third in a row (and after) offers a person to talk to: the structure's contact
   (`structure_contact`, as action_parler_humain gives it) or the structure that gave
   the badge.
An answer that cannot be said another way skips that way (no simpler version: straight
to the steps, or to « je vais vous aider autrement »).

« In a row » is read from the tracker's events, not from a slot: the answer being
explained is the latest bot turn whose topic is not `plus_simple`, and the count is the
number of plus_simple messages since then. A « Je n'ai pas compris » button therefore
re-explains the answer it came with (the latest one), even when that answer came from a
custom action with no simpler version: it never falls back on an older answer.

« La suite » sends the intent payload `/plus_simple{"suite": "<response> <part>"}`: the
rule of plus_simple runs this action without the classifier, and the payload names the
answer and the part to show, so the button shows the next lines of the answer it came
with even when pressed later. The `suite` entity does not influence predictions, and a
« La suite » does not count as one more « pas compris ».

Every wording is a response of domain.yml (`utter_plus_simple_*`), for the FALC checker.
"""

import re
from dataclasses import dataclass
from typing import cast

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.parler_humain import structure_contact
from actions.wording import buttons_of, wording

TOPIC = "plus_simple"
INTENT = "plus_simple"
SUITE = "suite"  # the entity of the « La suite » payload
SIMPLE_CONDITION = {"type": "slot", "name": "version_simple", "value": True}
# How many lines each part of « one step at a time » shows.
PART_LINES = 2
# An answer with at least this many instructions (« Ouvrez … », « Puis cliquez … ») is
# a how-to made of steps; fewer is an explanation with, at most, one thing to do.
MIN_STEPS = 3
# A new conversation (Rasa's session) starts the count again.
CONVERSATION_START = {"restart", "session_started"}


# --- the answer being explained, and how many times in a row --------------------------

def response_of(event: dict) -> str | None:
    """The response a bot message came from, when it came from a named one."""
    return (event.get("metadata") or {}).get("utter_action") or None


def last_response_name(tracker: Tracker) -> str | None:
    """The response of the latest bot message that came from a named response."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and response_of(event):
            return response_of(event)
    return None


def is_suite(parse_data: dict) -> bool:
    return any(e.get("entity") == SUITE for e in parse_data.get("entities") or [])


def suite_of(parse_data: dict) -> tuple[str, int] | None:
    """The answer and part that a « La suite » button asks for, if this is one."""
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == SUITE and isinstance(entity.get("value"), str):
            response, _, part = entity["value"].rpartition(" ")
            if response and part.isdigit():
                return response, int(part)
    return None


@dataclass(frozen=True)
class Request:
    answer: str | None  # the response of the answer to explain (None: none to explain)
    level: int  # 1 for the first « pas compris » in a row, 2 for the second …


def explained_answer(events: list[dict]) -> Request:
    """The latest answer that is not plus_simple, and the plus_simple messages since."""
    level = 0
    answer_turn: list[dict] = []  # the answer's bot messages, latest first
    for event in reversed(events):
        kind = event.get("event")
        if kind in CONVERSATION_START:
            break
        if kind == "bot":
            if answer_turn or (event.get("metadata") or {}).get("topic") != TOPIC:
                answer_turn.append(event)
        elif kind == "user":
            if answer_turn:
                break  # the message that the answer answered
            parse = event.get("parse_data") or {}
            if (parse.get("intent") or {}).get("name") != INTENT:
                break  # a message that got no answer: nothing to explain
            if not is_suite(parse):
                level += 1
    answer = next((response_of(e) for e in answer_turn if response_of(e)), None)
    return Request(answer, max(level, 1))


# --- the ways of saying an answer -----------------------------------------------------

def simple_version(domain: dict, response: str | None) -> dict | None:
    for variation in (domain.get("responses") or {}).get(response or "", []):
        if SIMPLE_CONDITION in (variation.get("condition") or []):
            return variation
    return None


def usual_version(domain: dict, response: str | None) -> dict | None:
    for variation in (domain.get("responses") or {}).get(response or "", []):
        if not variation.get("condition") and variation.get("text"):
            return variation
    return None


# An instruction starts its line, or a clause after a comma, with a verb in the
# imperative (« Ouvrez », « Connectez-vous », « Puis cliquez », « Dans le profil, ajoutez »).
CONNECTOR = r"(?:(?:puis|alors|ensuite|sinon|enfin|et|d'abord)\s*,?\s+)?"
IMPERATIVE = re.compile(CONNECTOR + r"(\w+ez|faites|dites)(?:-\w+)?\b", re.IGNORECASE)
NOT_VERBS = {"chez", "assez", "nez", "rez"}


def is_instruction(line: str) -> bool:
    clauses = [line, *line.split(",")[1:]]
    return any((m := IMPERATIVE.match(c.strip())) and m.group(1).lower() not in NOT_VERBS
               for c in clauses)


def is_steps(text: str) -> bool:
    return sum(is_instruction(line) for line in text.splitlines()) >= MIN_STEPS


EXAMPLE_START = re.compile(r"^par exemple\s*[,:]?\s*", re.IGNORECASE)


def example_lines(text: str) -> list[str]:
    """The concrete example of a simpler version: from « Par exemple » on (the whole
    text when it is all one example), without the words « Par exemple »."""
    lines = [line for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if EXAMPLE_START.match(line)), 0)
    first = EXAMPLE_START.sub("", lines[start]) if lines else ""
    head = [first[:1].upper() + first[1:]] if first else []
    return head + lines[start + 1:]


def parts_of(lines: list[str]) -> list[list[str]]:
    """The lines, 2 at a time. A question (« Le logo manque ? ») or a line that
    announces a list stays with what follows it, and a list stays in one piece."""
    units: list[list[str]] = []
    for line in lines:
        if units and line.lstrip().startswith("- ") and (
                units[-1][-1].rstrip().endswith(":") or units[-1][-1].lstrip().startswith("- ")):
            units[-1].append(line)
        else:
            units.append([line])

    def leads(unit: list[str]) -> bool:
        return unit[-1].rstrip().endswith(("?", ":"))

    parts, i = [], 0
    while i < len(units):
        part = list(units[i])
        nxt = i + 1
        if nxt < len(units) and (leads(units[i]) or not leads(units[nxt]) or nxt == len(units) - 1):
            part += units[nxt]
            nxt += 1
        parts.append(part)
        i = nxt
    return parts


@dataclass(frozen=True)
class Paced:
    """An answer said one step at a time."""
    intro: str  # response said before the first part
    parts: list[list[str]]
    buttons: list[dict]  # the answer's buttons, offered after the last part


def paced(domain: dict, response: str | None) -> Paced | None:
    usual, simple = usual_version(domain, response), simple_version(domain, response)
    if usual and is_steps(usual["text"]):
        lines = [line for line in usual["text"].splitlines() if line.strip()]
        return Paced("utter_plus_simple_etapes", parts_of(lines), list(usual.get("buttons") or []))
    if simple and example_lines(simple["text"]):
        buttons = simple.get("buttons") or (usual or {}).get("buttons") or []
        return Paced("utter_plus_simple_exemple", parts_of(example_lines(simple["text"])),
                     list(buttons))
    return None


# --- what is said ---------------------------------------------------------------------

def say_part(dispatcher: CollectingDispatcher, domain: dict, response: str, way: Paced,
             part: int) -> None:
    part = min(max(part, 0), len(way.parts) - 1)
    lines = ([wording(domain, way.intro)] if part == 0 else []) + way.parts[part]
    if part + 1 < len(way.parts):
        if part == 0:
            lines.append(wording(domain, "utter_plus_simple_consigne"))
        buttons = [{"title": wording(domain, "utter_bouton_la_suite"),
                    "payload": f'/{INTENT}{{"{SUITE}": "{response} {part + 1}"}}'}]
    else:
        if part > 0:
            lines.append(wording(domain, "utter_plus_simple_fin"))
        buttons = way.buttons
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons, topic=TOPIC)


def offer_person(dispatcher: CollectingDispatcher, domain: dict) -> None:
    contact = structure_contact(domain)
    if contact.known:
        reach = [wording(domain, "utter_plus_simple_contact"), *contact.lines]
    else:
        reach = [wording(domain, "utter_plus_simple_sans_contact")]
    text = "\n".join([wording(domain, "utter_plus_simple_personne"), *reach])
    buttons = [*contact.links, *buttons_of(domain, "utter_plus_simple_personne")]
    dispatcher.utter_message(text=text, buttons=buttons, topic=TOPIC)


class ActionPlusSimple(Action):
    def name(self) -> str:
        return "action_plus_simple"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        suite = suite_of(tracker.latest_message)
        if suite and (way := paced(domain, suite[0])):
            say_part(dispatcher, domain, suite[0], way, suite[1])
            return []

        request = explained_answer(tracker.events)
        simple = simple_version(domain, request.answer)
        step_by_step = paced(domain, request.answer)
        ways = [w for w in ("simple" if simple else None, "paced" if step_by_step else None) if w]
        ways = (ways or ["none"]) + ["person"]
        chosen = ways[min(request.level, len(ways)) - 1]
        if chosen == "simple":
            shown = cast(dict, simple)
            dispatcher.utter_message(text=shown["text"], buttons=shown.get("buttons", []),
                                     topic=TOPIC)
        elif chosen == "paced":
            say_part(dispatcher, domain, cast(str, request.answer), cast(Paced, step_by_step), 0)
        elif chosen == "none":
            dispatcher.utter_message(response="utter_plus_simple_sans_reponse", topic=TOPIC)
        else:
            offer_person(dispatcher, domain)
        return []
