"""What content editors read on the dashboard, and export as CSV:

- questions per topic per week (the person's messages, by the topic of the answer);
- the messages that Bagou did not understand (`incompris`) or that were off topic
  (`hors_sujet`), grouped when they say nearly the same thing, with their counts:
  the FAQ to write next;
- the answers that got a thumb down, with the question before them;
- the course in the chat (issue 22): how many conversations start it, finish it and
  pass it, at which step those who did not finish stopped, and the questions most
  often answered wrong (`course_events`, written by bot/chat/course_store.py).

Grouping: rapidfuzz's token_set_ratio on normalised text (lower case, no accents, no
punctuation), greedy: a message joins the first group whose first message is at least
SIMILARITY similar, else it starts a group. Chosen over scikit-learn (TF-IDF and
clustering): short messages with typos and word order changes are what token_set_ratio
handles well, there is no number of clusters to choose and no model, and rapidfuzz is a
small wheel without numpy or scipy. A few thousand messages take well under a second.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat.course_content import Course, Step, course
from bot.db.models import ChatFeedback, ChatMessage, ChatSession, CourseEvent, utcnow
from bot.texts import fold_accents

FAILED_TOPICS = ("incompris", "hors_sujet")
# The advisers' interview chats (identity kind « adviser ») are counted apart: their
# quick buttons must not pass for the public's questions.
ADVISER = "adviser"


def public(query):
    """Only the messages of the public's conversations (not the advisers' interviews)."""
    return query.join(ChatSession, ChatSession.id == ChatMessage.session_id).where(
        ChatSession.identity_kind != ADVISER)


def adviser_questions(db: Session, since: datetime) -> int:
    """The advisers' questions in their interview chats, counted apart."""
    return db.scalar(select(func.count()).select_from(ChatMessage).join(
        ChatSession, ChatSession.id == ChatMessage.session_id).where(
        ChatSession.identity_kind == ADVISER, ChatMessage.sender == "user",
        ChatMessage.created_at >= since)) or 0
SIMILARITY = 75
MAX_EXAMPLES = 3


@dataclass
class Group:
    text: str  # the most frequent wording of the group
    topic: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class WeeklyTopics:
    weeks: list[date]  # Mondays, oldest first
    rows: list[tuple[str, list[int], int]]  # topic, count per week, total


@dataclass
class DownVote:
    topic: str | None
    answer: str
    question: str | None
    count: int
    last: datetime


def week_start(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def weekly_topics(db: Session, weeks: int, now: datetime | None = None) -> WeeklyTopics:
    now = now or utcnow()
    first = week_start(now) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks)]
    since = datetime.combine(first, datetime.min.time())
    counts: dict[str, list[int]] = {}
    rows = db.execute(public(select(ChatMessage.topic, ChatMessage.created_at)).where(
        ChatMessage.sender == "user", ChatMessage.created_at >= since))
    for topic, created_at in rows:
        index = (week_start(created_at) - first).days // 7
        if 0 <= index < weeks:
            counts.setdefault(topic or "sans_sujet", [0] * weeks)[index] += 1
    table = sorted(((t, c, sum(c)) for t, c in counts.items()), key=lambda r: (-r[2], r[0]))
    return WeeklyTopics(mondays, table)


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold_accents(text)).split())


def group_similar(messages: list[tuple[str, str]], threshold: int = SIMILARITY) -> list[Group]:
    """`messages`: (topic, text). Groups, the largest first."""
    keys: list[str] = []
    members: list[list[tuple[str, str]]] = []
    for topic, text in messages:
        key = normalise(text)
        if not key:
            continue
        found = process.extractOne(key, keys, scorer=fuzz.token_set_ratio,
                                   score_cutoff=threshold) if keys else None
        if found is None:
            keys.append(key)
            members.append([(topic, text)])
        else:
            members[found[2]].append((topic, text))
    groups = []
    for items in members:
        wordings: dict[str, int] = {}
        topics: dict[str, int] = {}
        for topic, text in items:
            wordings[text] = wordings.get(text, 0) + 1
            topics[topic] = topics.get(topic, 0) + 1
        ranked = sorted(wordings, key=lambda t: -wordings[t])
        groups.append(Group(text=ranked[0], topic=max(topics, key=topics.__getitem__),
                            count=len(items), examples=ranked[1:1 + MAX_EXAMPLES]))
    return sorted(groups, key=lambda g: (-g.count, g.text))


def failed_groups(db: Session, since: datetime) -> list[Group]:
    rows = db.execute(public(select(ChatMessage.topic, ChatMessage.text)).where(
        ChatMessage.sender == "user", ChatMessage.topic.in_(FAILED_TOPICS),
        ChatMessage.created_at >= since).order_by(ChatMessage.id))
    return group_similar([(t, x) for t, x in rows])


def down_votes(db: Session, since: datetime) -> list[DownVote]:
    rows = db.execute(public(select(ChatFeedback, ChatMessage).join(
        ChatMessage, ChatMessage.id == ChatFeedback.message_id)).where(
        ChatFeedback.value == "down", ChatFeedback.updated_at >= since))
    grouped: dict[tuple, DownVote] = {}
    for feedback, answer in rows:
        question = db.scalar(select(ChatMessage.text).where(
            ChatMessage.session_id == answer.session_id, ChatMessage.sender == "user",
            ChatMessage.id < answer.id).order_by(ChatMessage.id.desc()).limit(1))
        key = (answer.topic, answer.text)
        vote = grouped.get(key)
        if vote is None:
            grouped[key] = DownVote(answer.topic, answer.text, question, 1, feedback.updated_at)
        else:
            vote.count += 1
            vote.last = max(vote.last, feedback.updated_at)
    return sorted(grouped.values(), key=lambda v: (-v.count, v.topic or ""))


@dataclass
class StepStops:
    number: int
    step: str
    title: str
    count: int  # conversations whose last course event is in this step, not finished


@dataclass
class WrongQuestion:
    key: str  # « partager.1 »
    step_title: str
    question: str
    wrong: int  # wrong answers (every try)
    answers: int


@dataclass
class CourseStats:
    started: int  # conversations that started the course (once each)
    finished: int
    passed: int
    stops: list[StepStops]
    wrong: list[WrongQuestion]


def course_stats(db: Session, since: datetime, content: Course | None = None) -> CourseStats:
    """The course's numbers since `since`. Counted per conversation: a learner who
    resumes in another conversation continues there (her first one shows as a stop)."""
    if content is None:
        try:
            content = course()
        except (OSError, ValueError):  # formation/ missing or broken: the numbers still show
            content = None
    rows = db.execute(select(CourseEvent.id, CourseEvent.session_id, CourseEvent.event,
                             CourseEvent.step, CourseEvent.question, CourseEvent.right,
                             CourseEvent.passed)
                      .where(CourseEvent.at >= since).order_by(CourseEvent.id))
    started, finished, passed = set(), set(), set()
    last: dict[str, tuple[str, str | None]] = {}
    answers: dict[str, list[int]] = {}  # key -> [wrong, answers]
    for event_id, session_id, event, step, question, right, won in rows:
        who = session_id or f"event:{event_id}"  # a purged conversation counts once
        last[who] = (event, step)
        if event == "started":
            started.add(who)
        elif event == "completed":
            finished.add(who)
            if won:
                passed.add(who)
        elif event == "answered" and question and right is not None:
            counts = answers.setdefault(question, [0, 0])
            counts[0] += not right
            counts[1] += 1
    stopped: dict[str, int] = {}
    for who, (event, step) in last.items():
        if event != "completed" and who not in finished and step:
            stopped[step] = stopped.get(step, 0) + 1
    if content is not None:
        stops = [StepStops(content.number(s.id), s.id, s.titre, stopped.get(s.id, 0))
                 for s in content.steps if s.id in content.etapes]
    else:
        stops = [StepStops(0, s, s, n) for s, n in sorted(stopped.items())]
    wrong = []
    for key, (bad, total) in answers.items():
        if not bad:
            continue
        step_id, _, number = key.rpartition(".")
        found = content.step(step_id) if content is not None else None
        known = found is not None and number.isdigit() and 0 < int(number) <= len(found.questions)
        asked = cast(Step, found)  # read only when known
        wrong.append(WrongQuestion(key, asked.titre if known else step_id,
                                   asked.questions[int(number) - 1].question if known else key,
                                   bad, total))
    wrong.sort(key=lambda q: (-q.wrong, -q.answers, q.key))
    return CourseStats(len(started), len(finished), len(passed), stops, wrong)


def to_csv(header: list[str], rows: list[list]) -> str:
    """CSV for a spreadsheet: `;`-separated as French spreadsheets expect, with a BOM so
    that accents show, and cells that a spreadsheet would run as a formula made inert."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_inert(cell) for cell in row])
    return out.getvalue()


def _inert(cell) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
