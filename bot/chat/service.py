"""One chat turn: check the message, keep the session, ask Rasa, store, answer."""

import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.chat.course import CourseUpdate, course_metadata, course_update
from bot.chat.accompanier_badges import TOPIC as ACCOMPANIER_TOPIC
from bot.chat.accompanier_badges import replies_for as accompanier_replies
from bot.chat.course_store import CourseStore
from bot.chat.identity import ANONYMOUS, Identity, learner_from_site_token
from bot.chat.point_info import ISSUED, PENDING, PointInfoAwards
from bot.chat.rasa_client import RasaClient, RasaUnavailable
from bot.chat.topics import conversation_context, topic_of_message, topic_of_turn
from bot.chat.who_saw import TOPIC as WHO_SAW_TOPIC, Viewings, replies_for as who_saw_replies
from bot.db.calls import DatabaseCalls
from bot.db.models import ChatMessage, ChatSession, utcnow
from bot.errors import ApiError
from bot.identity_ref import make_ref, reference_key
from bot.privacy import mask_for_rasa, mask_names, mask_personal_data
from bot.sealed import Unreadable, purpose_key, seal, unseal
from bot.schemas import Button, ChatRequest, ChatResponse, Reply
from bot.texts import fold_accents, text
from bot.verify.answer import TOPIC as VERIFY_TOPIC, history_text, replies_for
from bot.verify.inputs import URL, Candidate, find_in_message
from bot.verify.service import Verifier

log = logging.getLogger(__name__)
# A credential pasted in the chat (JSON with its proof, or a JWS) is longer than a
# question; up to this size it is checked rather than refused as too long.
MAX_PASTED_BADGE = 100_000
# How many of the person's last messages a follow-up is read with.
CONTEXT_TURNS = 3
# The course in the chat (actions/formation.py): its topic, and the payload that starts it.
COURSE_TOPIC = "autoformation_module"
COURSE_START = "/autoformation_module"
# What a badge message offers: the learner's badges (action_mes_badges), where it now is.
MY_BADGES = "/mes_badges"
# « mon badge Point Info » (what an anonymous person who finished is told to say once
# signed in): the gateway answers it itself, since only the gateway knows who passed.
ASKS_FOR_POINT_INFO = re.compile(r"\bmon (?:badge )?point ?info\b")


@dataclass
class Turn:
    """The session of a turn and who is talking. A new session, or a new sign-in, is
    written with the turn itself: one database transaction per turn."""
    session_id: str
    identity: Identity
    new: bool = False
    sign_in: Identity | None = None
    # The person's last messages of this session with their topics, newest first: a
    # follow-up (« et sur LinkedIn ? ») is read with them (bot/chat/topics.py).
    previous: tuple[tuple[str, str | None], ...] = ()


class ChatService:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient, max_chars: int,
                 site_secrets: dict[str, str] | None = None, verifier: Verifier | None = None,
                 course: CourseStore | None = None, awards: PointInfoAwards | None = None,
                 viewings: Viewings | None = None, audit_retention_days: int = 365,
                 server_key: Callable[[], bytes] | None = None, identity_key: str = ""):
        self._db = sessions
        self._engine = cast(Engine, sessions.kw["bind"])
        self._run = DatabaseCalls(self._engine)
        self._rasa = rasa
        self._max_chars = max_chars
        self._site_secrets = site_secrets or {}
        self._verifier = verifier
        # The course in the chat: progress of identified learners (bot/chat/course_store.py)
        # and the Point Info badge at the end (bot/chat/point_info.py). None: not kept.
        self._course = course
        self._awards = awards
        # The server's key (bot/console/pseudonym.load_key): the identity kept with a
        # session is sealed with it, and, without BAGOU_IDENTITY_KEY, the reference that
        # goes through Rasa (bot/identity_ref.py). None (tests): a key of this process.
        own = secrets.token_bytes(32)
        self._server_key = server_key or (lambda: own)
        self._identity_key = identity_key
        self._keys: tuple[bytes, bytes] | None = None
        # « qui a regardé mes badges ? »: the look-ups of the console's audit trail
        # (bot/chat/who_saw.py). None: Rasa's own answer is given.
        self._viewings = viewings
        self._audit_retention_days = audit_retention_days

    def _stored_key(self) -> bytes:
        return self._key_pair()[0]

    def _ref_key(self) -> bytes:
        return self._key_pair()[1]

    def _key_pair(self) -> tuple[bytes, bytes]:
        if self._keys is None:
            server = self._server_key()
            self._keys = (purpose_key(server, STORED_IDENTITY),
                          cast(bytes, reference_key(self._identity_key, server)))
        return self._keys

    @property
    def _courses(self) -> CourseStore:
        """The course store, where a learner or a course update implies that it is kept."""
        return cast(CourseStore, self._course)

    async def handle(self, request: ChatRequest) -> ChatResponse:
        # A link or a credential in the message: the gateway checks the badge itself.
        badge = self._badge_in(request.text)
        if badge is not None:
            return await self.verify_turn(badge, request.session_id, request.site_token,
                                          shown=self._shown(request.text, badge))
        message = self._clean_text(request.text)
        turn = await self._session_for(request.session_id, request.site_token)
        learner = self._course.learner_of(turn.identity) if self._course else None
        if (self._course and turn.identity.kind in ("anonymous", "learner")
                and asks_for_point_info(message)):
            return await self._point_info_turn(turn, message, learner)
        # An identified learner's course, saved by an earlier turn in any session.
        saved = await self._run(self._courses.saved_state, learner) if learner else None
        try:
            # What Rasa keeps (its tracker store, its logs): the message with e-mail
            # addresses, phone numbers and the person's own name masked, and the e-mail
            # only sealed for the action server (bot/identity_ref.py).
            engine_text = mask_for_rasa(message, [turn.identity.name])
            raw = await self._rasa.send(turn.session_id, engine_text, {
                "identity": turn.identity.metadata(
                    lambda email: make_ref(self._ref_key(), turn.session_id, email)),
                "context": conversation_context(list(turn.previous), message),
                **course_metadata(saved)})
        except RasaUnavailable as error:
            log.warning("Rasa unavailable for a chat turn: %s", error)
            # Keep the question: what people asked while Bagou was down matters too.
            await self._run(self._store_turn, turn, message, [], None)
            raise ApiError(503, "assistant_indisponible", turn.session_id) from error
        replies = [to_reply(m) for m in raw if m.get("text")]
        if not replies:
            log.warning("Rasa gave no text reply")
            replies = [Reply(text=text("reponse_vide"))]
        topic = topic_of_turn(raw)
        if topic == WHO_SAW_TOPIC and self._viewings is not None:
            replies = await self._who_saw(turn, raw)
        elif topic == ACCOMPANIER_TOPIC and (one_badge := accompanier_replies(message)):
            replies = replace_topic(raw, topic, one_badge)
        course = course_update(raw) if self._course else None
        after, badge_said = None, False
        if course is not None:
            extra, after = await self._after_course_turn(turn, learner, course)
            replies += extra
            badge_said = bool(extra)
        if learner and not badge_said:
            replies += await self._badge_news(learner)
        await self._run(self._store_turn, turn, message, replies, topic, after)
        return ChatResponse(session_id=turn.session_id, replies=replies, topic=topic)

    # --- the course in the chat (issue 22) -------------------------------------------

    async def _after_course_turn(self, turn: Turn, learner: str | None, course: CourseUpdate
                                 ) -> tuple[list[Reply], Callable]:
        """Keep an identified learner's progress; at a passed end, the badge (or how to
        get it). Gives the replies to add and what to write with the turn."""
        if learner:
            await self._run(self._courses.save_progress, learner, course)
        extra: list[Reply] = []
        if course.badge_earned:
            if learner:
                extra = await self._give_point_info(turn, learner)
            elif turn.identity.kind == "learner":  # Moodle gave no address
                extra = [Reply(text=text("point_info_sans_adresse"))]
            elif turn.identity.kind == "anonymous":
                extra = [Reply(text=text("point_info_connexion"))]
        return extra, self._courses.turn_rows(turn.session_id, course,
                                              anonymous=turn.identity.kind == "anonymous")

    async def _give_point_info(self, turn: Turn, learner: str) -> list[Reply]:
        """The learner passed: the award is kept first, then OBF is asked (once)."""
        if self._awards is None:
            return []
        award = await self._run(self._awards.ensure, learner,
                                        cast(str, turn.identity.email), turn.identity.name)
        if award.status == ISSUED:
            if not award.notified:
                await self._run(self._awards.mark_notified, award.id)
            return [badge_reply("point_info_deja")]
        outcome = await self._awards.attempt(award.id, told=True)
        if outcome == ISSUED:
            return [badge_reply("point_info_recu")]
        return [Reply(text=text("point_info_plus_tard"))]

    async def _badge_news(self, learner: str) -> list[Reply]:
        """At a learner's turn: a pending badge that is due is tried again; a badge that
        arrived while they were away is announced."""
        if self._awards is None:
            return []
        award = await self._run(self._awards.view, learner)
        if award is None or award.notified:
            return []
        if award.status == PENDING:
            if not award.due or await self._awards.attempt(award.id, told=True) != ISSUED:
                return []
        else:
            await self._run(self._awards.mark_notified, award.id)
        return [badge_reply("point_info_arrive")]

    async def _point_info_turn(self, turn: Turn, message: str,
                               learner: str | None) -> ChatResponse:
        """« mon badge Point Info »: the badge when the course is passed (in any session
        of the learner, or anonymously in this conversation before signing in)."""
        if learner is None:
            key = ("point_info_sans_adresse" if turn.identity.kind == "learner"
                   else "point_info_connexion")
            replies = [Reply(text=text(key))]
        elif (await self._run(self._courses.has_passed, learner)
              or await self._run(self._courses.adopt_session, turn.session_id, learner)):
            replies = await self._give_point_info(turn, learner)
        else:
            replies = [Reply(text=text("point_info_pas_fini"), buttons=[
                Button(title=text("point_info_bouton_formation"), payload=COURSE_START)])]
        await self._run(self._store_turn, turn, message, replies, COURSE_TOPIC)
        return ChatResponse(session_id=turn.session_id, replies=replies, topic=COURSE_TOPIC)

    async def _who_saw(self, turn: Turn, raw: list[dict]) -> list[Reply]:
        """Rasa's answer of the topic qui_a_vu_mes_badges replaced by the gateway's, from
        its audit trail (the other messages of the turn, if any, are kept)."""
        answer = await self._run(who_saw_replies, turn.identity,
                                         cast(Viewings, self._viewings),
                                         self._audit_retention_days)
        return replace_topic(raw, WHO_SAW_TOPIC, answer)

    async def verify_turn(self, badge: Candidate, session_id: str | None,
                          site_token: str | None, shown: str) -> ChatResponse:
        """One turn that checks a badge (bot/verify): from the chat, /api/verify or an
        upload. Only `shown` is stored on the person's side, never a file or credential."""
        turn = await self._session_for(session_id, site_token)
        email = turn.identity.email if turn.identity.kind != "anonymous" else None
        verdict = await cast(Verifier, self._verifier).verify(badge, email)
        replies = [Reply.model_validate(reply) for reply in replies_for(verdict)]
        await self._run(self._store_turn, turn, shown, replies, VERIFY_TOPIC)
        return ChatResponse(session_id=turn.session_id, replies=replies, topic=VERIFY_TOPIC)

    async def _session_for(self, session_id: str | None, site_token: str | None) -> Turn:
        """The session of this turn (new or known) and who is talking: a learner signed
        in by the site's token binds the session to them (bot/chat/identity.py)."""
        signed_in = None
        if site_token:
            try:
                signed_in = learner_from_site_token(site_token, self._site_secrets)
            except ApiError as error:
                error.session_id = session_id
                raise
        if session_id is None:  # nothing to read: the session is written with the turn
            identity = signed_in.active() if signed_in else ANONYMOUS
            return Turn(str(uuid.uuid4()), identity, new=True, sign_in=signed_in)
        return await self._run(self._known_session, session_id, signed_in)

    def _badge_in(self, raw: str) -> Candidate | None:
        if self._verifier is None or not raw or len(raw) > MAX_PASTED_BADGE:
            return None
        return find_in_message(raw)

    def _shown(self, raw: str, badge: Candidate) -> str:
        message = raw.strip()
        if badge.kind == URL and len(message) <= self._max_chars:
            return message
        return history_text("texte")

    def start_session(self, identity: Identity) -> str:
        """A new session bound to a person signed in elsewhere (an LTI launch, the
        console): written at once, its id goes to the widget before any turn."""
        session_id = str(uuid.uuid4())
        with self._db.begin() as db:
            db.execute(new_session(session_id, identity, key=self._stored_key()))
        return session_id

    def _clean_text(self, raw: str) -> str:
        message = raw.strip()
        # Nothing visible (spaces, zero-width signs): as empty.
        if not any(c.isprintable() and not c.isspace() for c in message):
            raise ApiError(422, "texte_vide")
        if len(message) > self._max_chars:
            raise ApiError(422, "texte_trop_long", max=self._max_chars)
        return message

    def _known_session(self, session_id: str, signed_in: Identity | None) -> Turn:
        """A session given by the client, and who talks in it: a new sign-in replaces
        the session's identity; otherwise the identity bound earlier holds until it
        expires. Read only: the turn writes."""
        # A connection, not an ORM session: Core statements only, on the path of every
        # turn (the ORM's session and execution layers were a fifth of the gateway's CPU).
        with self._engine.connect() as db:
            session = find_session(db, session_id, READ_IDENTITY)
            # Kept by the gateway rather than read from Rasa's tracker: it survives a
            # restart of Rasa and holds with several Rasa processes.
            previous = db.execute(READ_PREVIOUS, {"session_id": session_id}).all()
        identity = (signed_in if signed_in is not None
                    else stored_identity(session, self._stored_key()))
        return Turn(session_id, identity.active(), sign_in=signed_in,
                    previous=tuple((text, topic) for text, topic in previous))

    def _store_turn(self, turn: Turn, message: str, replies: list[Reply], topic: str | None,
                    after: Callable | None = None):
        # Stored pseudonymised (bot.privacy): e-mails, phone numbers, a name the person
        # gives and the identified person's own name are masked (only names in answers).
        # SQLAlchemy Core rather than the ORM on this path, run at every turn: the ORM's
        # unit of work was most of the gateway's database time (docs/performance.md).
        name = turn.identity.name
        now = utcnow()
        rows: list[dict[str, Any]] = [{"session_id": turn.session_id, "sender": "user", "topic": topic,
                 "text": mask_personal_data(message, [name]), "created_at": now,
                 "buttons": None, "links": None}]
        # Buttons and links are kept so that the widget can show them again after a
        # reload; the ids let the person give a thumb up or down on each answer.
        rows += [{"session_id": turn.session_id, "sender": "bot", "topic": topic,
                  "text": mask_names(r.text, [name]), "created_at": now,
                  "buttons": [b.model_dump() for b in r.buttons] or None,
                  "links": [link.model_dump() for link in r.links] or None}
                 for r in replies]
        with self._db.begin() if after else self._engine.begin() as db:
            if turn.new:
                db.execute(new_session(turn.session_id, turn.sign_in, now, self._stored_key()))
            elif turn.sign_in:
                db.execute(update(ChatSession).where(ChatSession.id == turn.session_id)
                           .values(last_active_at=now, **identity_columns(
                               turn.sign_in, turn.session_id, self._stored_key())))
            else:
                db.execute(TOUCH_SESSION, {"session_id": turn.session_id, "now": now})
            ids = db.execute(INSERT_MESSAGES, rows).scalars().all()
            if after is not None:  # rows of the turn that refer to its session
                after(db)
        for reply, message_id in zip(replies, ids[1:]):
            reply.id = message_id


IDENTITY_COLUMNS = (ChatSession.id, ChatSession.identity_kind, ChatSession.identity_email,
                    ChatSession.identity_name, ChatSession.identity_sealed,
                    ChatSession.identity_source, ChatSession.identity_expires_at,
                    ChatSession.identity_organisations)
# The statements of every turn, built once with bound parameters (building a statement
# and its cache key at each turn was a tenth of the gateway's CPU, docs/performance.md).
READ_IDENTITY = select(*IDENTITY_COLUMNS).where(ChatSession.id == bindparam("session_id"))
READ_PREVIOUS = (select(ChatMessage.text, ChatMessage.topic)
                 .where(ChatMessage.session_id == bindparam("session_id"),
                        ChatMessage.sender == "user")
                 .order_by(ChatMessage.id.desc()).limit(CONTEXT_TURNS))
TOUCH_SESSION = (update(ChatSession).where(ChatSession.id == bindparam("session_id"))
                 .values(last_active_at=bindparam("now")))
_MESSAGES = cast(Table, ChatMessage.__table__)
INSERT_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
# The purpose of the server's key that seals the identity kept with a session.
STORED_IDENTITY = "chat session identity"


def identity_columns(identity: Identity, session_id: str, key: bytes) -> dict:
    """The session's columns that say who is talking. The e-mail and the name are kept
    sealed with the server's key, bound to the session (bot/sealed.py): a copy of the
    database alone does not give them. identity_email and identity_name hold only what
    sessions bound before kept (read, then blanked by `bagou purge` when they expire)."""
    person = {k: v for k, v in (("email", identity.email), ("name", identity.name)) if v}
    return {"identity_kind": identity.kind, "identity_email": None, "identity_name": None,
            "identity_sealed": seal(key, session_id, json.dumps(person)) if person else None,
            "identity_source": identity.source,
            "identity_expires_at": identity.expires_at,
            "identity_organisations": (list(identity.organisations)
                                       if identity.organisations is not None else None)}


def new_session(session_id: str, identity: Identity | None, now=None,
                key: bytes | None = None):
    """The statement that writes a new session, bound to `identity` when given (its
    e-mail and name sealed with `key`, the purpose key STORED_IDENTITY)."""
    now = now or utcnow()
    if identity is not None and key is None:
        raise ValueError("an identity is kept sealed: a key is needed")
    return insert(cast(Table, ChatSession.__table__)).values(
        id=session_id, created_at=now, last_active_at=now,
        **(identity_columns(identity, session_id, cast(bytes, key)) if identity else {}))


def stored_identity(session, key: bytes | None = None) -> Identity:
    """Who talks in a session: a ChatSession, or a row of its IDENTITY_COLUMNS; `key`
    opens its sealed e-mail and name (without it, or when it does not open them, the
    person is known by kind and source only)."""
    if session.identity_kind in (None, "anonymous"):
        return ANONYMOUS
    email, name = session.identity_email, session.identity_name  # kept before sealing
    sealed = getattr(session, "identity_sealed", None)
    if sealed:
        email = name = None
        try:
            person = json.loads(unseal(key, session.id, sealed)) if key else {}
        except (Unreadable, ValueError):
            log.warning("The identity of a chat session cannot be opened (another key?)")
            person = {}
        email, name = person.get("email"), person.get("name")
    kept = session.identity_organisations
    organisations: tuple[str, ...] | None = None
    if isinstance(kept, list):
        organisations = tuple(str(o) for o in kept)
    elif (session.identity_source or "").startswith("lti:"):
        organisations = ()  # launched from Moodle before organisations were kept: none
    return Identity(kind=session.identity_kind, email=email, name=name,
                    source=session.identity_source,
                    expires_at=session.identity_expires_at, organisations=organisations)


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


def replace_topic(raw: list[dict], topic: str, answer: list[Reply]) -> list[Reply]:
    """Rasa's messages of `topic` replaced by the gateway's answer (the turn's other
    messages, if any, are kept before it)."""
    kept = [to_reply(m) for m in raw if m.get("text") and topic_of_message(m) != topic]
    return kept + answer


def badge_reply(key: str) -> Reply:
    """A message saying that the learner holds the badge, with « Voir mes badges »."""
    return Reply(text=text(key), buttons=[Button(title=text("point_info_bouton_badges"),
                                                 payload=MY_BADGES)])


def asks_for_point_info(message: str) -> bool:
    """« mon badge Point Info », « je veux mon badge point-info ! » … but not a question
    about that badge (« c'est quoi le badge Point Info ? », a FAQ topic)."""
    plain = "".join(c if c.isalnum() else " " for c in fold_accents(message))
    return ASKS_FOR_POINT_INFO.search(" ".join(plain.split())) is not None


def find_session(db: Session | Connection, session_id: str,
                 statement: Select | None = None) -> Any:
    """The session of an id a client sent (the ChatSession, or the row that `statement`
    reads, with its `session_id` parameter): the one reading for the chat turn, the
    history and the feedback. 422 session_invalide for an id the gateway never makes,
    404 session_inconnue for an unknown one."""
    if not _is_uuid(session_id):
        raise ApiError(422, "session_invalide")
    found = (db.execute(statement, {"session_id": session_id}).first()
             if statement is not None
             else cast(Session, db).get(ChatSession, session_id))  # ORM: a Session
    if found is None:
        raise ApiError(404, "session_inconnue")
    return found


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
