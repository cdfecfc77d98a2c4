"""The course of issue 22 as content: formation/formation.yml (title, order of the
steps, pass mark) and one file per step, formation/<id>.yml. Content editors change
these files; this module reads and validates them (pydantic), so that a badly formed
step fails in the tests (tests/test_formation.py) and not in front of a learner.

Read by the action that holds the course (actions/formation.py) and by the editors'
dashboard (bot/console/insights.py): here, so that the gateway imports nothing of the
action server. PyYAML and pydantic only (tests/test_actions_imports.py).

The texts are French and FALC; the FALC checker reads them (falc/texts.py gathers
them with `course_texts`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

COURSE_DIR = Path(__file__).resolve().parents[2] / "formation"
COURSE_FILE = "formation.yml"
MIN_MESSAGES, MAX_MESSAGES = 2, 4
MIN_QUESTIONS, MAX_QUESTIONS = 1, 2
MIN_ANSWERS, MAX_ANSWERS = 2, 3


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: str) -> str:
    value = str(value).strip()
    if not value:
        raise ValueError("empty text")
    return value


class Answer(_Strict):
    texte: str
    juste: bool = False

    _clean = field_validator("texte")(_text)


class Question(_Strict):
    question: str
    reponses: tuple[Answer, ...] = Field(min_length=MIN_ANSWERS, max_length=MAX_ANSWERS)
    explication: str

    _clean = field_validator("question", "explication")(_text)

    @model_validator(mode="after")
    def _one_right_answer(self) -> Question:
        if sum(a.juste for a in self.reponses) != 1:
            raise ValueError(f"exactly one answer must be `juste: true`: {self.question!r}")
        if len({a.texte for a in self.reponses}) != len(self.reponses):
            raise ValueError(f"two answers are the same: {self.question!r}")
        return self

    @property
    def right(self) -> int:
        """The index of the right answer."""
        return next(i for i, a in enumerate(self.reponses) if a.juste)


class Link(_Strict):
    titre: str
    url: str

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://") or any(c.isspace() for c in value):
            raise ValueError(f"a link is an https address: {value!r}")
        return value


class Source(_Strict):
    url: str
    title: str
    checked: object  # a date, as in faq/


class Step(_Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    titre: str
    messages: tuple[str, ...] = Field(min_length=MIN_MESSAGES, max_length=MAX_MESSAGES)
    questions: tuple[Question, ...] = Field(min_length=MIN_QUESTIONS, max_length=MAX_QUESTIONS)
    a_vous: str | None = None
    lien: Link | None = None
    sources: tuple[Source, ...] = Field(min_length=1)

    @field_validator("titre")
    @classmethod
    def _titre(cls, value: str) -> str:
        return _text(value)

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_text(m) for m in value)

    @model_validator(mode="after")
    def _link_goes_with_a_task(self) -> Step:
        if self.lien and not self.a_vous:
            raise ValueError(f"step {self.id}: a link (`lien`) needs a task (`a_vous`)")
        return self

    def question_key(self, index: int) -> str:
        """How a question is named in a learner's saved results: « partager.1 »."""
        return f"{self.id}.{index + 1}"


class PassMark(_Strict):
    bonnes: int = Field(ge=1)
    sur: int = Field(ge=1)

    @model_validator(mode="after")
    def _ratio(self) -> PassMark:
        if self.bonnes > self.sur:
            raise ValueError("`bonnes` is at most `sur`")
        return self


class Course(_Strict):
    titre: str
    etapes: tuple[str, ...] = Field(min_length=1)
    reussite: PassMark
    steps: tuple[Step, ...] = ()

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def number(self, step_id: str) -> int:
        """The step's number as people read it: 1 for the first."""
        return self.etapes.index(step_id) + 1

    @property
    def question_keys(self) -> list[str]:
        return [s.question_key(i) for s in self.steps for i in range(len(s.questions))]

    def needed(self) -> int:
        """How many right answers pass the course (at least 4 of every 5, rounded up)."""
        total = len(self.question_keys)
        return -(-total * self.reussite.bonnes // self.reussite.sur)


def _load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a YAML mapping")
    return data


def load_course(directory: Path = COURSE_DIR) -> Course:
    """The course and its steps, in order; raises ValueError (pydantic's
    ValidationError is one) naming the file when something is badly formed."""
    head = Course.model_validate(_load_yaml(directory / COURSE_FILE))
    if len(set(head.etapes)) != len(head.etapes):
        raise ValueError(f"{COURSE_FILE}: a step is listed twice")
    steps = []
    for step_id in head.etapes:
        path = directory / f"{step_id}.yml"
        if not path.exists():
            raise ValueError(f"{COURSE_FILE} lists {step_id!r} but {path.name} is missing")
        step = Step.model_validate(_load_yaml(path))
        if step.id != step_id:
            raise ValueError(f"{path.name}: id is {step.id!r}, the file name says {step_id!r}")
        steps.append(step)
    listed = {f"{s}.yml" for s in head.etapes} | {COURSE_FILE}
    unlisted = sorted(p.name for p in directory.glob("*.yml") if p.name not in listed)
    if unlisted:
        raise ValueError(f"steps not listed in {COURSE_FILE}: {', '.join(unlisted)}")
    return head.model_copy(update={"steps": tuple(steps)})


@lru_cache
def course() -> Course:
    """The shipped course, read once per process."""
    return load_course()


def course_texts(directory: Path = COURSE_DIR) -> list[tuple[str, str, str, list[str]]]:
    """Every text of the course that a person reads, for the FALC checker:
    (origin, kind, text, titles of the buttons offered with it); kind is « réponse » for
    what is read as a message and « bouton » for a button title."""
    loaded = load_course(directory)
    found: list[tuple[str, str, str, list[str]]] = [
        (f"formation/{COURSE_FILE} › titre", "bouton", loaded.titre, [])]
    for step in loaded.steps:
        origin = f"formation/{step.id}.yml"
        found.append((f"{origin} › titre", "bouton", step.titre, []))
        found += [(f"{origin} › messages › {i + 1}", "réponse", m, [])
                  for i, m in enumerate(step.messages)]
        for q, question in enumerate(step.questions, start=1):
            titles = [a.texte for a in question.reponses]
            found.append((f"{origin} › questions › {q}", "réponse", question.question, titles))
            found += [(f"{origin} › questions › {q} › réponse {i + 1}", "bouton", t, [])
                      for i, t in enumerate(titles)]
            found.append((f"{origin} › questions › {q} › explication", "réponse",
                          question.explication, []))
        if step.a_vous:
            titles = [step.lien.titre] if step.lien else []
            found.append((f"{origin} › a_vous", "réponse", step.a_vous, titles))
        if step.lien:
            found.append((f"{origin} › lien", "bouton", step.lien.titre, []))
    return found
