"""The editors' dashboard: what people ask, where Bagou fails them, the course in the
chat; its lists as CSV."""

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.chat.topics import all_topics
from bot.console import insights
from bot.console.deps import BASE, Console, ConsoleDep, Editor, MessagePage
from bot.console.pages import ENV, HEADERS, ConsoleRoute, render, texts
from bot.db.models import utcnow

router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
MAX_WEEKS = 52
DEFAULT_WEEKS = 8
LISTS = ("sujets", "incompris", "pas-utiles", "formation-suivi", "formation-questions")


def topic_title(topic: str | None) -> str:
    """A topic as editors read it: its title (topics.yml), not its id."""
    if not topic or topic == "sans_sujet":
        return texts()["sans_sujet"]
    if topic in insights.FAILED_TOPICS:  # both are « Autre chose » for the public
        return texts()[f"sujet_{topic}"]
    found = all_topics().get(topic)
    return found.title if found else topic


ENV.filters["topic_title"] = topic_title


def weeks_of(raw: str | None) -> int:
    try:
        return min(max(int(raw or DEFAULT_WEEKS), 1), MAX_WEEKS)
    except ValueError:
        return DEFAULT_WEEKS


def figures(c: Console, weeks: int):
    since = utcnow() - timedelta(weeks=weeks)
    with c.db() as s:
        return (insights.weekly_topics(s, weeks), insights.failed_groups(s, since),
                insights.down_votes(s, since), insights.course_stats(s, since),
                insights.adviser_questions(s, since))


@router.get("/tableau")
async def dashboard(who: Editor, c: ConsoleDep, semaines: str | None = None):
    weeks = weeks_of(semaines)
    topics, failed, down, course, advisers = await run_in_threadpool(figures, c, weeks)
    return render("tableau.html", user=who.user, csrf=who.csrf, weeks=weeks,
                  topics=topics, failed=failed, down=down, course=course,
                  adviser_questions=advisers, max_weeks=MAX_WEEKS)


@router.get("/tableau/{name}.csv")
async def dashboard_csv(who: Editor, c: ConsoleDep, name: str, semaines: str | None = None):
    if name not in LISTS:
        raise MessagePage(404, "tableau_vide", who, title_key="titre_tableau")
    topics, failed, down, course, _advisers = await run_in_threadpool(figures, c,
                                                                      weeks_of(semaines))
    if name == "formation-suivi":
        body = insights.to_csv(["mesure", "etape", "titre", "nombre"], [
            ["commencee", "", "", course.started], ["finie", "", "", course.finished],
            ["reussie", "", "", course.passed],
            *[["arret", s.number or s.step, s.title, s.count] for s in course.stops]])
    elif name == "formation-questions":
        body = insights.to_csv(["erreurs", "reponses", "question", "etape", "texte"],
                               [[q.wrong, q.answers, q.key, q.step_title, q.question]
                                for q in course.wrong])
    elif name == "sujets":
        body = insights.to_csv(["sujet", "titre", *[d.isoformat() for d in topics.weeks],
                                "total"], [[t, topic_title(t), *counts, total]
                                           for t, counts, total in topics.rows])
    elif name == "incompris":
        body = insights.to_csv(["nombre", "sujet", "message", "autres_formulations"],
                               [[g.count, g.topic, g.text, " | ".join(g.examples)]
                                for g in failed])
    else:
        body = insights.to_csv(["nombre", "sujet", "question", "reponse", "derniere_fois"],
                               [[v.count, v.topic, v.question, v.answer,
                                 v.last.strftime("%Y-%m-%dT%H:%M")] for v in down])
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="bagou-{name}.csv"'})
