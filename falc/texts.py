"""Every text that Bagou can say, with where it comes from.

- FAQ answers and their buttons: `responses:` of faq/*.yml (and data/**/*.yml, if a
  response is ever put there);
- conversation responses and their buttons: `responses:` of domain.yml (custom actions
  say these responses too, by name);
- gateway messages: texts/gateway.yml (placeholders get a sample number);
- the chat widget's labels, messages and first suggestions: texts/widget.yml;
- the pages of the adviser console: texts/console.yml (`messages`, `labels`);
- the answers of the badge check: texts/verify.yml (`statuts`, `raisons`,
  `details` as answers; `liens`, `boutons`, `historique` as button titles);
- topic titles: topics.yml, used as button titles by the custom actions;
- the lieux de la reconnaissance of lieux.yml (opening hours, what each place helps
  with), said by actions/lieux.py;
- the explanations of the glossary, which answers reuse;
- the course of the chat, formation/*.yml (bot/chat/course_content.py): its messages,
  questions, explanations and « À vous » tasks as answers; the titles of the course and
  of its steps, the answers to choose and the links as button titles.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from falc import PROJECT_ROOT
from falc.glossary import GLOSSARY_FILE

ANSWER = "réponse"
TITLE = "bouton"
EXPLANATION = "glossaire"
# The files of texts/, which bot/texts.py reads for the gateway. Its own messages
# (errors, sign-in, the badge check page …):
GATEWAY_TEXTS = "texts/gateway.yml"
# The widget's texts (labels, messages, first suggestions), served to it as JSON.
WIDGET_TEXTS = "texts/widget.yml"
# The adviser console's pages (same shape: messages and labels).
CONSOLE_TEXTS = "texts/console.yml"
# What Bagou says after checking a badge (bot/verify/answer.py).
VERIFY_TEXTS = "texts/verify.yml"
# The places that actions/lieux.py gives (a data file the structure keeps).
PLACES = "lieux.yml"
# The course held in the chat (actions/formation.py): one file per step.
COURSE = "formation"
# Placeholders ({max} in texts/gateway.yml, {telephone} in domain.yml) get this sample.
SAMPLE_NUMBER = "1000"


@dataclass
class Text:
    origin: str  # file › key, as a content editor finds it
    kind: str  # ANSWER, TITLE or EXPLANATION
    text: str
    buttons: list[str] = field(default_factory=list)  # titles of the buttons offered with it
    also_in: int = 0  # a title used elsewhere too: how many other places


def _relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def _load(path: Path) -> dict:
    # libyaml's loader when PyYAML has it: several times faster than the pure-Python one.
    return yaml.load(path.read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


def _responses(path: Path) -> list[tuple[Text, list[tuple[str, str]]]]:
    """Answers of a Rasa file, each with its buttons as (origin, title)."""
    found = []
    for name, variations in (_load(path).get("responses") or {}).items():
        for index, variation in enumerate(variations or []):
            key = name if len(variations) == 1 else f"{name}[{index + 1}]"
            origin = f"{_relative(path)} › {key}"
            buttons = [str(b.get("title", "")) for b in variation.get("buttons") or []]
            # Responses that actions fill in ({telephone}) get a sample value.
            answer = Text(origin, ANSWER, str(variation.get("text", "")).format_map(_Sample()), buttons)
            found.append((answer, [(f"{origin} › bouton {i + 1}", t) for i, t in enumerate(buttons)]))
    return found


class _Sample(dict):
    def __missing__(self, key: str) -> str:
        return SAMPLE_NUMBER


def _gateway_texts(path: Path) -> list[Text]:
    return [Text(f"{_relative(path)} › {key}", ANSWER, str(value).format_map(_Sample()))
            for key, value in _load(path).items()]


def _widget_texts(path: Path) -> tuple[list[Text], list[tuple[str, str]]]:
    """texts/widget.yml, and texts/console.yml of the same shape: `messages` are read
    like answers (the welcome comes with the `suggestions` as buttons); `labels` and
    `suggestions` are button titles."""
    widget = _load(path)
    origin = _relative(path)
    suggestions = [str(t) for t in widget.get("suggestions") or []]
    answers = [Text(f"{origin} › {key}", ANSWER, str(value).format_map(_Sample()),
                    suggestions if key == "accueil" else [])
               for key, value in (widget.get("messages") or {}).items()]
    titles = [(f"{origin} › {key}", str(value)) for key, value in (widget.get("labels") or {}).items()]
    titles += [(f"{origin} › suggestions › {i + 1}", t) for i, t in enumerate(suggestions)]
    return answers, titles


def _verify_texts(path: Path) -> tuple[list[Text], list[tuple[str, str]]]:
    """texts/verify.yml: each status, reason and detail line is said on its own or
    with the others of its message, so each is checked as an answer."""
    data = _load(path)
    origin = _relative(path)
    answers = [Text(f"{origin} › {section} › {key}", ANSWER, str(value).format_map(_Sample()))
               for section in ("statuts", "raisons", "details")
               for key, value in (data.get(section) or {}).items()]
    titles = [(f"{origin} › {section} › {key}", str(value))
              for section in ("liens", "boutons", "historique")
              for key, value in (data.get(section) or {}).items()]
    return answers, titles


def _place_texts(path: Path) -> list[Text]:
    """lieux.yml: each place's hours and help lines are said as an answer."""
    origin = _relative(path)
    return [Text(f"{origin} › {place.get('nom')} › {key}", ANSWER, str(place[key]).strip())
            for place in _load(path).get("lieux") or []
            for key in ("horaires", "aide") if place.get(key)]


def _course_texts(directory: Path) -> tuple[list[Text], list[tuple[str, str]]]:
    """formation/*.yml, read as the course's loader reads them (the shape is checked by
    tests/test_formation.py, which also checks that every text is gathered here)."""
    answers: list[Text] = []
    titles: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.yml")):
        data = _load(path)
        origin = _relative(path)
        if data.get("titre"):
            titles.append((f"{origin} › titre", str(data["titre"])))
        answers += [Text(f"{origin} › messages › {i + 1}", ANSWER, str(m).strip())
                    for i, m in enumerate(data.get("messages") or [])]
        for q, question in enumerate(data.get("questions") or [], start=1):
            choices = [str(a.get("texte", "")) for a in question.get("reponses") or []]
            answers.append(Text(f"{origin} › questions › {q}", ANSWER,
                                str(question.get("question", "")).strip(), choices))
            titles += [(f"{origin} › questions › {q} › réponse {i + 1}", c)
                       for i, c in enumerate(choices)]
            answers.append(Text(f"{origin} › questions › {q} › explication", ANSWER,
                                str(question.get("explication", "")).strip()))
        link = data.get("lien") or {}
        if data.get("a_vous"):
            answers.append(Text(f"{origin} › a_vous", ANSWER, str(data["a_vous"]).strip(),
                                [str(link["titre"])] if link.get("titre") else []))
        if link.get("titre"):
            titles.append((f"{origin} › lien", str(link["titre"])))
    return answers, titles


def _topic_titles(path: Path) -> list[tuple[str, str]]:
    return [(f"{_relative(path)} › {t['id']} › title", str(t["title"]))
            for t in _load(path).get("topics", [])]


def rasa_files(root: Path = PROJECT_ROOT) -> list[Path]:
    return [root / "domain.yml", *sorted((root / "faq").glob("*.yml")),
            *sorted((root / "data").rglob("*.yml"))]


def gather(root: Path = PROJECT_ROOT) -> list[Text]:
    """All texts; a button title used in many places is checked once, where it is defined."""
    answers: list[Text] = []
    titles: dict[str, list[str]] = defaultdict(list)
    for origin, title in _topic_titles(root / "topics.yml"):
        titles[title].append(origin)
    for path in rasa_files(root):
        if path.exists():
            for answer, buttons in _responses(path):
                answers.append(answer)
                for origin, title in buttons:
                    titles[title].append(origin)
    answers += _gateway_texts(root / GATEWAY_TEXTS)
    for page_texts in (root / WIDGET_TEXTS, root / CONSOLE_TEXTS):
        if page_texts.exists():
            page_answers, page_titles = _widget_texts(page_texts)
            answers += page_answers
            for origin, title in page_titles:
                titles[title].append(origin)
    verify_file = root / VERIFY_TEXTS
    if verify_file.exists():
        verify_answers, verify_titles = _verify_texts(verify_file)
        answers += verify_answers
        for origin, title in verify_titles:
            titles[title].append(origin)
    if (root / PLACES).exists():
        answers += _place_texts(root / PLACES)
    if (root / COURSE).is_dir():
        course_answers, course_titles = _course_texts(root / COURSE)
        answers += course_answers
        for origin, title in course_titles:
            titles[title].append(origin)
    glossary_file = root / GLOSSARY_FILE.name
    if glossary_file.exists():
        answers += [Text(f"{glossary_file.name} › {t['mot']}", EXPLANATION, str(t["explication"]).strip())
                    for t in _load(glossary_file).get("termes", [])]
    title_texts = [Text(origins[0], TITLE, title, also_in=len(origins) - 1)
                   for title, origins in titles.items()]
    return answers + title_texts
