"""What the embeddable chat widget needs from the gateway.

- its files, `/widget/bagou.js` and `/widget/bagou.css`, and its French texts as JSON
  (`/widget/texts.json`, from texts/widget.yml: the script holds no French), with the
  first message built from the settings (how long messages are kept, the contact, the
  privacy page) and the credit of the pictograms;
- the pictograms of the themes, `/widget/pictogrammes/<id>.svg` (OpenMoji's files, the
  ids of widget/pictogrammes.yml only);
- the history of a conversation, so that it survives a reload or a move to another
  page of the site (`GET /api/chat/{session_id}/history`);
- a thumb up or down on an answer, stored with its topic (`POST /api/feedback`);
- the demo site at `/`: the page of a fictional « lieu de la reconnaissance » that
  embeds the widget as a real site would, under a strict Content-Security-Policy
  (bot/http/security_headers.py).
"""

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.api.openapi import error_responses
from bot.chat.course import PAUSE, STOP
from bot.chat.course import payload as course_payload
from bot.chat.service import find_session
from bot.chat.topics import all_topics
from bot.db.models import ChatFeedback, ChatMessage
from bot import pictograms
from bot.errors import ApiError
from bot.schemas import Feedback, FeedbackRequest, History, HistoryMessage
from bot.settings import PROJECT_ROOT, Settings
from bot.texts import labels_and_messages, load_texts, text, texts_file

WIDGET_DIR = PROJECT_ROOT / "widget"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# The gateway messages that the widget shows itself (the others come with API errors).
GATEWAY_TEXTS = ("serveur_injoignable", "texte_trop_long")
# The newest messages of a conversation given back to the widget.
HISTORY_LIMIT = 200
ERRORS = error_responses(400, 404, 422)

# The demo pages' Content-Security-Policy (strict: nothing inline) and the other security
# headers come from bot/http/security_headers.py (kind `site`).
PAGE_HEADERS = {"Cache-Control": "no-cache"}
# Host sites keep the same <script src>: a short cache lets a new version reach them
# within 10 minutes; the ETag makes the check cheap.
ASSET_CACHE = "public, max-age=600"


class Asset:
    """A file served with its content type, an ETag and cache headers; read again
    when it changes on disk, so that editing the widget needs no restart."""

    def __init__(self, path: Path, media_type: str, headers: dict[str, str] | None = None,
                 render: Callable[[bytes], bytes] | None = None):
        self.path, self.media_type = path, media_type
        self.headers = headers or {}
        self.render = render or (lambda body: body)
        self._mtime: float | None = None
        self._body, self._etag = b"", ""

    def _load(self) -> None:
        mtime = self.path.stat().st_mtime
        if mtime != self._mtime:
            self._body = self.render(self.path.read_bytes())
            self._etag = '"' + hashlib.sha256(self._body).hexdigest()[:32] + '"'
            self._mtime = mtime

    async def respond(self, request: Request) -> Response:
        await run_in_threadpool(self._load)
        headers = {"ETag": self._etag, **self.headers}
        if self._etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(self._body, media_type=self.media_type, headers=headers)


def retention(days: int) -> str:
    """« 3 mois » for 90 days, « 45 jours » for 45: the words a person counts in."""
    if days % 30 == 0:
        return f"{days // 30} mois"
    return f"{days} jour" if days == 1 else f"{days} jours"


def welcome(messages: dict, settings: Settings) -> dict:
    """The first message, which says the truth: a program, what it keeps and for how
    long, what it hides, how to reach a person; one FALC line each (texts/widget.yml).
    The widget adds the privacy page of its host site when the page gives one.

    Two parts, so that the theme buttons are in view on a 360 × 640 phone (issue 23):
    `text` (who speaks: a program, what it does, what to do) comes above the buttons,
    `facts` (what it keeps, what it hides, who to call) right below them, in the same
    message, never folded away. All of it at once does not fit above the fold."""
    contact = settings.contact
    name, phone = contact["contact_name"], contact["contact_phone"]
    if phone:
        reach = messages["accueil_appeler"].format(nom=name or phone, telephone=phone)
        if not name:
            reach = messages["accueil_appeler_numero"].format(telephone=phone)
    elif contact["contact_email"]:
        reach = messages["accueil_ecrire"].format(email=contact["contact_email"])
    elif contact["contact_url"]:
        reach = messages["accueil_site"].format(url=contact["contact_url"])
    else:
        reach = messages["accueil_structure"]
    facts = [messages["accueil_duree"].format(duree=retention(settings.retention_days)),
             messages["accueil_masque"], reach]
    return {"text": "\n".join([messages["accueil"], messages["accueil_choisir"]]),
            "facts": "\n".join(facts), "privacy_url": settings.privacy_url or None}


@lru_cache
def _topic_of_title() -> dict[str, str]:
    return {t.title: t.id for t in all_topics().values()}


def pictogram_of_title(title: str) -> dict | None:
    """The pictogram of a theme button: a button whose text is a topic's question (its
    topics.yml `title`)."""
    found = pictograms.for_topic(_topic_of_title().get(title))
    return {"id": found.id, "url": found.url, "name": found.name} if found else None


def widget_texts(settings: Settings) -> dict:
    """The widget's texts and the few gateway messages that it shows by itself."""
    source = load_texts("widget")
    texts = labels_and_messages(source)
    texts.update({key: text(key, max=settings.max_message_chars) for key in GATEWAY_TEXTS})
    return {
        "lang": "fr",
        "max_message_chars": settings.max_message_chars,
        "texts": texts,
        "welcome": welcome(source.get("messages", {}), settings),
        "suggestions": [{"title": t, "payload": t, "pictogram": pictogram_of_title(t)}
                        for t in source.get("suggestions", [])],
        "credit": pictograms.credit(),
        # Buttons of the answers that ask a topic's question (its topics.yml title) show
        # that theme's pictogram: the widget finds them here by their title.
        "theme_buttons": {title: found for title in _topic_of_title()
                          if (found := pictogram_of_title(title))},
        # « Utile » and « Pas utile » go under FAQ answers only: under a lesson of the
        # course, a greeting or « Faire une pause » they are noise.
        "feedback_topics": sorted(t.id for t in all_topics().values() if t.kind == "faq"),
        # The course's own controls (bot/chat/course.py): a row of their own under
        # the answers, always in view, not counted among the 3 questions. Payload → icon.
        "course_controls": {course_payload(PAUSE): "pause", course_payload(STOP): "stop"},
    }


def make_router(db: sessionmaker, settings: Settings) -> APIRouter:
    router = APIRouter()
    asset_headers = {
        "Cache-Control": ASSET_CACHE,
        # Sites that isolate themselves (COEP) may still load the widget.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    script = Asset(WIDGET_DIR / "bagou.js", "text/javascript; charset=utf-8", asset_headers)
    style = Asset(WIDGET_DIR / "bagou.css", "text/css; charset=utf-8", asset_headers)
    texts = Asset(texts_file("widget"), "application/json", asset_headers,
                  render=lambda _raw: json.dumps(widget_texts(settings),
                                                 ensure_ascii=False).encode())
    pages = {
        "/": Asset(WEB_DIR / "index.html", "text/html; charset=utf-8", PAGE_HEADERS),
        "/ateliers": Asset(WEB_DIR / "ateliers.html", "text/html; charset=utf-8", PAGE_HEADERS),
    }
    site_files = {
        "site.css": Asset(WEB_DIR / "site.css", "text/css; charset=utf-8",
                          {"Cache-Control": ASSET_CACHE}),
        "logo.svg": Asset(WEB_DIR / "logo.svg", "image/svg+xml",
                          {"Cache-Control": ASSET_CACHE}),
    }

    @router.get("/widget/bagou.js", include_in_schema=False)
    async def widget_script(request: Request):
        return await script.respond(request)

    @router.get("/widget/bagou.css", include_in_schema=False)
    async def widget_style(request: Request):
        return await style.respond(request)

    pictogram_headers = {**asset_headers, "Cache-Control": "public, max-age=86400"}
    pictogram_files = {key: Asset(found.path, "image/svg+xml", pictogram_headers)
                       for key, found in pictograms.catalogue().items()}

    @router.get("/widget/pictogrammes/{name}", include_in_schema=False)
    async def widget_pictogram(name: str, request: Request):
        """A pictogram of widget/pictogrammes.yml (OpenMoji, CC BY-SA 4.0), by its id."""
        key = name.removesuffix(".svg")
        if not name.endswith(".svg") or key not in pictogram_files:
            raise ApiError(404, "page_introuvable")
        return await pictogram_files[key].respond(request)

    @router.get("/widget/texts.json", tags=["widget"])
    async def widget_texts_json(request: Request):
        """The widget's French texts (texts/widget.yml) and the longest message accepted."""
        return await texts.respond(request)

    @router.get("/api/chat/{session_id}/history", response_model=History, responses=ERRORS,
                tags=["chat"])
    async def history(session_id: str):
        """The conversation so far, to show it again after a reload or on another page."""
        found = await run_in_threadpool(read_history, db, session_id)
        # A conversation is personal: no cache, anywhere.
        return Response(found.model_dump_json(), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    @router.post("/api/feedback", response_model=Feedback, responses=ERRORS, tags=["chat"])
    async def feedback(request: FeedbackRequest) -> Feedback:
        """A thumb up or down on one answer (`id` of a reply); a new one replaces the old."""
        return await run_in_threadpool(store_feedback, db, request)

    for path, page in pages.items():
        router.add_api_route(path, page.respond, methods=["GET"], include_in_schema=False)

    @router.get("/site/{name}", include_in_schema=False)
    async def site_file(name: str, request: Request):
        if name not in site_files:
            raise ApiError(404, "page_introuvable")
        return await site_files[name].respond(request)

    return router


def read_history(sessions: sessionmaker, session_id: str) -> History:
    with sessions() as db:
        find_session(db, session_id)
        rows = db.scalars(select(ChatMessage).where(ChatMessage.session_id == session_id)
                          .order_by(ChatMessage.id.desc()).limit(HISTORY_LIMIT)).all()[::-1]
        thumbs = dict(db.execute(select(ChatFeedback.message_id, ChatFeedback.value)
                                 .where(ChatFeedback.session_id == session_id)).all())
    messages, offered = [], {}
    for row in rows:
        if row.sender == "bot":
            offered.update({b["payload"]: b["title"] for b in row.buttons or []})
            messages.append(HistoryMessage(id=row.id, sender="bot", text=row.text,
                                           buttons=row.buttons or [], links=row.links or [],
                                           topic=row.topic, feedback=thumbs.get(row.id)))
        else:
            # A chosen button sent its payload (« /voir_plus_badges »); the person saw
            # its title, so the history shows the title again.
            messages.append(HistoryMessage(id=row.id, sender="user",
                                           text=offered.get(row.text, row.text)))
    return History(session_id=session_id, messages=messages)


def store_feedback(sessions: sessionmaker, request: FeedbackRequest) -> Feedback:
    try:
        return _store_feedback(sessions, request)
    except IntegrityError:  # the same thumb sent twice at once: the second one updates
        return _store_feedback(sessions, request)


def _store_feedback(sessions: sessionmaker, request: FeedbackRequest) -> Feedback:
    with sessions.begin() as db:
        find_session(db, request.session_id)
        message = db.get(ChatMessage, request.message_id)
        if message is None or message.session_id != request.session_id or message.sender != "bot":
            raise ApiError(404, "message_inconnu", request.session_id)
        row = db.scalar(select(ChatFeedback).where(ChatFeedback.message_id == message.id))
        if row is None:
            row = ChatFeedback(session_id=request.session_id, message_id=message.id)
            db.add(row)
        row.value, row.topic = request.value, message.topic
        return Feedback(session_id=request.session_id, message_id=message.id,
                        value=request.value, topic=message.topic)
