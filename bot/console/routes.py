"""The console's routes, under /conseiller:

| route | who | what |
|---|---|---|
| GET  /conseiller | signed in | the tools of one's role |
| GET, POST /conseiller/connexion | anybody | sign-in form (CSRF: double submit) |
| POST /conseiller/deconnexion | signed in | sign-out |
| GET  /conseiller/entretien | adviser, admin | the chat, wide, with quick buttons |
| POST /conseiller/entretien/nouveau | adviser, admin | a new conversation |
| GET  /conseiller/montrer | adviser, admin | the last answer in large print |
| GET, POST /conseiller/badges | adviser, admin | a learner's badges (consent, audit) and the printable summary |
| GET  /conseiller/tableau | editor, admin | dashboard |
| GET  /conseiller/tableau/{list}.csv | editor, admin | its lists as CSV |

Every POST checks the session's CSRF token (synchronizer token) and, when the browser
sends one, the Origin header.
"""

import logging
import re
from collections.abc import Callable
from datetime import timedelta, timezone
from functools import cache
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.chat.identity import Identity
from bot.chat.topics import all_topics
from bot.console import accounts, audit, insights, sessions
from bot.console.forms import FormError, read_form
from bot.console.learners import DirectoryFactory, look_up
from bot.console.pages import DATABASE_DOWN, HEADERS, HERE, RETRY_AFTER, ConsoleRoute, render
from bot.console.pseudonym import learner_ref, load_key, normalise_email
from bot.db.models import ChatMessage, ConsoleSession, ConsoleUser, utcnow
from bot.settings import Settings

log = logging.getLogger(__name__)

BASE = "/conseiller"
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_WEEKS = 52
DEFAULT_WEEKS = 8
STATIC = {"console.css": "text/css; charset=utf-8",
          "console.js": "text/javascript; charset=utf-8"}
# Quick questions of the interview page: (texts.yml label, topic id). A button sends
# the topic's title (topics.yml), the same question that the chat's own buttons send.
VERBS = [("verbe_decrire", "decrire_badge"), ("verbe_recevoir", "recevoir_badge"),
         ("verbe_partager", "partager_badge"), ("verbe_enrichir", "enrichir_badge"),
         ("verbe_endosser", "endossement_definition"),
         ("verbe_rechercher", "rechercher_badges")]
# The three accompanier badges (topic badges_accompagnateurs): (label, question sent).
ACCOMPANIER_BADGES = [("badge_point_info", "C'est quoi le badge Point Info Badge ?"),
                      ("badge_conseil", "C'est quoi le niveau Conseil Badge ?"),
                      ("badge_referent", "C'est quoi le niveau Référent Badge ?")]
MOTIFS = {"expiree": "connexion_expiree", "deconnecte": "deconnecte"}


def make_router(db: sessionmaker, settings: Settings,
                start_session: Callable[[Identity], str],
                directory: DirectoryFactory) -> APIRouter:
    """`start_session` is ChatService.start_session; `directory` makes the OBF directory
    of a look-up (bot.console.learners.directory_factory)."""
    router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
    secure_cookie = dict(httponly=True, secure=True, samesite="lax", path=sessions.COOKIE_PATH)

    @cache
    def key() -> bytes:
        return load_key(settings)

    # --- who is there ---------------------------------------------------------------

    def _load(token: str | None) -> tuple[ConsoleSession, ConsoleUser] | None:
        with db.begin() as s:
            found = sessions.find_session(s, token, settings.console_idle_minutes)
            return (found, found.user) if found else None

    async def signed_in(request: Request, allowed: Callable[[str], bool] | None = None):
        """(session, user), or the response to give instead: back to the sign-in page
        (with « your connection ended » when there was a cookie), or « not for your role »."""
        token = request.cookies.get(sessions.COOKIE)
        found = await run_in_threadpool(_load, token)
        if found is None:
            url = f"{BASE}/connexion" + ("?motif=expiree" if token else "")
            response = RedirectResponse(url, status_code=303)
            if token:
                response.delete_cookie(sessions.COOKIE, **secure_cookie)
            return None, response
        session, user = found
        if allowed is not None and not allowed(user.role):
            return None, render("message.html", 403, user=user, csrf=session.csrf_token,
                                message_key="interdit", title_key="titre_console")
        return found, None

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)

    async def checked_form(request: Request, session: ConsoleSession):
        """The form's fields, or the FALC page that refuses it."""
        try:
            form = await read_form(request)
        except FormError:
            return None, render("message.html", 422, user=session.user, csrf=session.csrf_token,
                                message_key="formulaire_incomplet", title_key="titre_console")
        if not same_origin(request) or not sessions.same_token(session.csrf_token,
                                                               form.get("csrf")):
            log.warning("Console: form refused (CSRF) for %s", session.user.login)
            return None, render("message.html", 403, user=session.user, csrf=session.csrf_token,
                                message_key="formulaire_expire", title_key="titre_console")
        return form, None

    # --- sign-in, sign-out ----------------------------------------------------------

    def sign_in_page(status: int = 200, message: str | None = None, login: str = ""):
        csrf = sessions.new_token()
        response = render("connexion.html", status, user=None, csrf=csrf, message_key=message,
                          login=login)
        response.set_cookie(sessions.SIGN_IN_COOKIE, csrf, max_age=3600, **secure_cookie)
        return response

    @router.get("")
    async def home(request: Request):
        found, refused = await signed_in(request)
        if refused:
            return refused
        session, user = found
        return render("accueil.html", user=user, csrf=session.csrf_token,
                      can_advise=accounts.can_advise(user.role),
                      can_edit=accounts.can_edit(user.role))

    @router.get("/connexion")
    async def sign_in_form(request: Request, motif: str | None = None):
        if await run_in_threadpool(_load, request.cookies.get(sessions.COOKIE)):
            return RedirectResponse(BASE, status_code=303)
        return sign_in_page(message=MOTIFS.get(motif or ""))

    def _sign_in(login: str, password: str, address: str):
        with db.begin() as s:
            result = accounts.sign_in(s, key(), login, password, address)
            if result.user is None:
                return None, result.refusal
            return sessions.open_session(s, result.user, settings.console_session_hours), None

    @router.post("/connexion")
    async def sign_in(request: Request):
        try:
            form = await read_form(request)
        except FormError:
            return sign_in_page(422, "formulaire_incomplet")
        if not same_origin(request) or not sessions.same_token(
                request.cookies.get(sessions.SIGN_IN_COOKIE), form.get("csrf")):
            return sign_in_page(403, "formulaire_expire")
        login, password = form.get("identifiant", "").strip(), form.get("mot_de_passe", "")
        if not login or not password or len(login) > 100 or len(password) > 1000:
            return sign_in_page(422, "formulaire_incomplet", login[:100])
        address = request.client.host if request.client else "inconnue"
        token, refusal = await run_in_threadpool(_sign_in, login, password, address)
        if token is None:
            return sign_in_page(429 if refusal == "connexion_bloquee" else 401, refusal, login)
        response = RedirectResponse(BASE, status_code=303)
        response.set_cookie(sessions.COOKIE, token, **secure_cookie)
        response.delete_cookie(sessions.SIGN_IN_COOKIE, **secure_cookie)
        return response

    @router.post("/deconnexion")
    async def sign_out(request: Request):
        found, refused = await signed_in(request)
        if refused:
            return refused
        form, refused = await checked_form(request, found[0])
        if refused:
            return refused

        def close():
            with db.begin() as s:
                sessions.close_session(s, request.cookies.get(sessions.COOKIE))
        await run_in_threadpool(close)
        response = RedirectResponse(f"{BASE}/connexion?motif=deconnecte", status_code=303)
        response.delete_cookie(sessions.COOKIE, **secure_cookie)
        return response

    # --- interview helper (advisers) -------------------------------------------------

    def adviser_identity(session: ConsoleSession, user: ConsoleUser) -> Identity:
        expires = session.expires_at
        expires = expires.replace(tzinfo=timezone.utc) if expires.tzinfo is None else expires
        # No e-mail: an adviser's chat never looks up anybody's badges by itself; the
        # badge look-up has its own page, with consent and audit.
        return Identity(kind="adviser", name=user.name, source=f"console:{user.login}",
                        expires_at=expires)

    def _chat_session(token_hash: str, fresh: bool) -> str:
        with db.begin() as s:
            session = s.get(ConsoleSession, token_hash)
            if session.chat_session_id is None or fresh:
                session.chat_session_id = start_session(adviser_identity(session, session.user))
            return session.chat_session_id

    @router.get("/entretien")
    async def interview(request: Request):
        found, refused = await signed_in(request, accounts.can_advise)
        if refused:
            return refused
        session, user = found
        chat_id = await run_in_threadpool(_chat_session, session.token_hash, False)
        return render("entretien.html", user=user, csrf=session.csrf_token, chat_id=chat_id,
                      verbs=[(label, all_topics()[topic].title) for label, topic in VERBS],
                      accompanier=ACCOMPANIER_BADGES)

    @router.post("/entretien/nouveau")
    async def new_interview(request: Request):
        found, refused = await signed_in(request, accounts.can_advise)
        if refused:
            return refused
        form, refused = await checked_form(request, found[0])
        if refused:
            return refused
        await run_in_threadpool(_chat_session, found[0].token_hash, True)
        return RedirectResponse(f"{BASE}/entretien", status_code=303)

    def _last_answer(chat_id: str | None) -> list[str]:
        """The assistant's messages after the person's last message."""
        if chat_id is None:
            return []
        with db() as s:
            rows = s.scalars(select(ChatMessage).where(ChatMessage.session_id == chat_id)
                             .order_by(ChatMessage.id.desc()).limit(20)).all()
        answer = []
        for row in rows:
            if row.sender != "bot":
                break
            answer.append(row.text)
        return answer[::-1]

    @router.get("/montrer")
    async def show(request: Request):
        found, refused = await signed_in(request, accounts.can_advise)
        if refused:
            return refused
        session, user = found
        answer = await run_in_threadpool(_last_answer, session.chat_session_id)
        return render("montrer.html", user=user, csrf=session.csrf_token, answer=answer)

    # --- a learner's badges (advisers) --------------------------------------------------

    @router.get("/badges")
    async def badges_form(request: Request):
        found, refused = await signed_in(request, accounts.can_advise)
        if refused:
            return refused
        session, user = found
        return render("badges.html", user=user, csrf=session.csrf_token, message_key=None,
                      email="", result=None)

    def _audit(user_id: int, ref: str, outcome: str, count: int | None) -> None:
        with db.begin() as s:
            audit.write(s, s.get(ConsoleUser, user_id), ref, True, outcome, count)

    @router.post("/badges")
    async def badges(request: Request):
        found, refused = await signed_in(request, accounts.can_advise)
        if refused:
            return refused
        session, user = found
        form, refused = await checked_form(request, session)
        if refused:
            return refused
        email = normalise_email(form.get("email", ""))[:320]

        def again(status: int, message: str):
            return render("badges.html", status, user=user, csrf=session.csrf_token,
                          message_key=message, email=email, result=None)
        if not EMAIL.match(email):
            return again(422, "adresse_invalide")
        # Consent is checked here, on the server: the page's checkbox is not enough.
        if form.get("accord") != "oui":
            return again(422, "accord_manquant")
        async with directory() as obf:
            result = await look_up(obf, email)
        # The audit line comes after the read (it says what came of it) and before the
        # page: when it cannot be written, the badges are not shown.
        try:
            await run_in_threadpool(_audit, user.id, learner_ref(key(), email),
                                    result.outcome, None if result.error else len(result.badges))
        except DATABASE_DOWN as error:
            log.warning("Console: audit line not written, badges not shown: %s",
                        type(error).__name__)
            return render("badges.html", 503, headers=RETRY_AFTER, user=user,
                          csrf=session.csrf_token, message_key="journal_indisponible",
                          email=email, result=None)
        status = 503 if result.error else 200
        return render("badges.html", status, user=user, csrf=session.csrf_token,
                      message_key="badges_indisponibles" if result.error else None,
                      email=email, result=result)

    # --- dashboard (editors) -----------------------------------------------------------

    def _weeks(raw: str | None) -> int:
        try:
            return min(max(int(raw or DEFAULT_WEEKS), 1), MAX_WEEKS)
        except ValueError:
            return DEFAULT_WEEKS

    def _dashboard(weeks: int):
        since = (utcnow() - timedelta(weeks=weeks)).replace(tzinfo=None)
        with db() as s:
            return (insights.weekly_topics(s, weeks), insights.failed_groups(s, since),
                    insights.down_votes(s, since), insights.course_stats(s, since))

    @router.get("/tableau")
    async def dashboard(request: Request, semaines: str | None = None):
        found, refused = await signed_in(request, accounts.can_edit)
        if refused:
            return refused
        session, user = found
        weeks = _weeks(semaines)
        topics, failed, down, course = await run_in_threadpool(_dashboard, weeks)
        return render("tableau.html", user=user, csrf=session.csrf_token, weeks=weeks,
                      topics=topics, failed=failed, down=down, course=course,
                      max_weeks=MAX_WEEKS)

    @router.get("/tableau/{name}.csv")
    async def dashboard_csv(request: Request, name: str, semaines: str | None = None):
        found, refused = await signed_in(request, accounts.can_edit)
        if refused:
            return refused
        if name not in ("sujets", "incompris", "pas-utiles", "formation-suivi",
                        "formation-questions"):
            return render("message.html", 404, user=found[1], csrf=found[0].csrf_token,
                          message_key="tableau_vide", title_key="titre_tableau")
        weeks = _weeks(semaines)
        topics, failed, down, course = await run_in_threadpool(_dashboard, weeks)
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
            body = insights.to_csv(["sujet", *[d.isoformat() for d in topics.weeks], "total"],
                                   [[t, *counts, total] for t, counts, total in topics.rows])
        elif name == "incompris":
            body = insights.to_csv(["nombre", "sujet", "message", "autres_formulations"],
                                   [[g.count, g.topic, g.text, " | ".join(g.examples)]
                                    for g in failed])
        else:
            body = insights.to_csv(["nombre", "sujet", "question", "reponse", "derniere_fois"],
                                   [[v.count, v.topic, v.question, v.answer,
                                     v.last.isoformat(timespec="minutes")] for v in down])
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            **HEADERS, "Content-Disposition": f'attachment; filename="bagou-{name}.csv"'})

    # --- the pages' own files ----------------------------------------------------------

    @router.get("/static/{name}")
    async def static(name: str):
        if name not in STATIC:
            return Response(status_code=404)
        body = await run_in_threadpool((HERE / "static" / name).read_bytes)
        return Response(body, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    return router
