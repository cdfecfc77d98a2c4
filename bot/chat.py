"""One chat turn: check the message, keep the session, ask Rasa, store, answer."""

import logging
import uuid

from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.errors import ApiError
from bot.models import ChatMessage, ChatSession, utcnow
from bot.privacy import mask_personal_data
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.schemas import ChatRequest, ChatResponse, Reply
from bot.texts import text
from bot.topics import topic_of_turn

log = logging.getLogger(__name__)

ANONYMOUS = {"kind": "anonymous"}


class ChatService:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient, max_chars: int):
        self._db = sessions
        self._rasa = rasa
        self._max_chars = max_chars

    async def handle(self, request: ChatRequest) -> ChatResponse:
        message = self._clean_text(request.text)
        session_id = await run_in_threadpool(self._open_session, request.session_id)
        try:
            raw = await self._rasa.send(session_id, message, {"identity": ANONYMOUS})
        except RasaUnavailable as error:
            log.warning("Rasa unavailable for a chat turn: %s", error)
            # Keep the question: what people asked while Bagou was down matters too.
            await run_in_threadpool(self._store_turn, session_id, message, [], None)
            raise ApiError(503, "assistant_indisponible", session_id) from error
        replies = [to_reply(m) for m in raw if m.get("text")]
        if not replies:
            log.warning("Rasa gave no text reply")
            replies = [Reply(text=text("reponse_vide"))]
        topic = topic_of_turn(raw)
        await run_in_threadpool(self._store_turn, session_id, message, replies, topic)
        return ChatResponse(session_id=session_id, replies=replies, topic=topic)

    def _clean_text(self, raw: str) -> str:
        message = raw.strip()
        if not message:
            raise ApiError(422, "texte_vide")
        if len(message) > self._max_chars:
            raise ApiError(422, "texte_trop_long", max=self._max_chars)
        return message

    def _open_session(self, session_id: str | None) -> str:
        with self._db.begin() as db:
            if session_id is None:
                session_id = str(uuid.uuid4())
                db.add(ChatSession(id=session_id))
                return session_id
            if not _is_uuid(session_id):
                raise ApiError(422, "session_invalide")
            session = db.get(ChatSession, session_id)
            if session is None:
                raise ApiError(404, "session_inconnue")
            session.last_active_at = utcnow()
            return session_id

    def _store_turn(self, session_id: str, message: str, replies: list[Reply], topic: str | None):
        with self._db.begin() as db:
            db.add(ChatMessage(session_id=session_id, sender="user",
                               text=mask_personal_data(message), topic=topic))
            db.add_all(ChatMessage(session_id=session_id, sender="bot", text=r.text, topic=topic)
                       for r in replies)


def to_reply(message: dict) -> Reply:
    """A Rasa message as the API gives it. A button whose payload is a web address
    is a link: content editors write links as buttons, the widget opens them."""
    buttons, links = [], []
    for b in message.get("buttons") or []:
        if not isinstance(b, dict) or not b.get("title"):
            continue
        payload = str(b.get("payload") or b["title"])
        if payload.startswith(("https://", "http://")):
            links.append({"title": b["title"], "url": payload})
        else:
            buttons.append({"title": b["title"], "payload": payload})
    return Reply(text=message["text"], buttons=buttons, links=links)


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
