"""The interview helper of advisers: the chat, wide, with quick questions; a new
conversation; the last answer in large print (« Montrer à la personne »)."""


from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.chat.identity import Identity
from bot.chat.topics import all_topics
from bot.console.deps import BASE, Adviser, CheckedForm, Console, ConsoleDep
from bot.console.pages import ConsoleRoute, render
from bot.db.models import ChatMessage, ConsoleSession, ConsoleUser

router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)

# Quick questions of the interview page: (texts/console.yml label, topic id). A button sends
# the topic's title (topics.yml), the same question that the chat's own buttons send.
VERBS = [("verbe_decrire", "decrire_badge"), ("verbe_recevoir", "recevoir_badge"),
         ("verbe_partager", "partager_badge"), ("verbe_enrichir", "enrichir_badge"),
         ("verbe_endosser", "endossement_definition"),
         ("verbe_rechercher", "rechercher_badges")]
# The three accompanier badges (topic badges_accompagnateurs): (label, question sent).
ACCOMPANIER_BADGES = [("badge_point_info", "C'est quoi le badge Point Info Badge ?"),
                      ("badge_conseil", "C'est quoi le niveau Conseil Badge ?"),
                      ("badge_referent", "C'est quoi le niveau Référent Badge ?")]


def adviser_identity(session: ConsoleSession, user: ConsoleUser) -> Identity:
    # No e-mail: an adviser's chat never looks up anybody's badges by itself; the
    # badge look-up has its own page, with consent and audit.
    return Identity(kind="adviser", name=user.name, source=f"console:{user.login}",
                    expires_at=session.expires_at)


def chat_session(c: Console, token_hash: str, fresh: bool) -> str:
    """The conversation of this console session (a new one when `fresh`)."""
    with c.db.begin() as s:
        session = s.get(ConsoleSession, token_hash)
        if session.chat_session_id is None or fresh:
            session.chat_session_id = c.start_session(adviser_identity(session, session.user))
        return session.chat_session_id


def last_answer(c: Console, chat_id: str | None) -> list[str]:
    """The assistant's messages after the person's last message."""
    if chat_id is None:
        return []
    with c.db() as s:
        rows = s.scalars(select(ChatMessage).where(ChatMessage.session_id == chat_id)
                         .order_by(ChatMessage.id.desc()).limit(20)).all()
    answer = []
    for row in rows:
        if row.sender != "bot":
            break
        answer.append(row.text)
    return answer[::-1]


@router.get("/entretien")
async def interview(who: Adviser, c: ConsoleDep):
    chat_id = await run_in_threadpool(chat_session, c, who.session.token_hash, False)
    return render("entretien.html", user=who.user, csrf=who.csrf, chat_id=chat_id,
                  verbs=[(label, all_topics()[topic].title) for label, topic in VERBS],
                  accompanier=ACCOMPANIER_BADGES)


@router.post("/entretien/nouveau")
async def new_interview(who: Adviser, _form: CheckedForm, c: ConsoleDep):
    await run_in_threadpool(chat_session, c, who.session.token_hash, True)
    return RedirectResponse(f"{BASE}/entretien", status_code=303)


@router.get("/montrer")
async def show(who: Adviser, c: ConsoleDep):
    answer = await run_in_threadpool(last_answer, c, who.session.chat_session_id)
    return render("montrer.html", user=who.user, csrf=who.csrf, answer=answer)
