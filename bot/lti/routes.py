"""The LTI 1.3 routes, at stable paths (the URLs to paste in Moodle, docs/moodle.md):

- GET|POST /lti/login  — OIDC login initiation (« Initiate login URL »);
- POST /lti/launch     — the launch (« Redirection URI(s) » and « Tool URL »);
- GET /lti/jwks        — the tool's public keys (« Public keyset URL »);
- GET /lti/ouvrir      — Bagou in a new window, with a one-time ticket made at launch.

A valid launch binds the person to a new chat session (ChatService.start_session):
a learner, or an adviser for Instructor and Administrator roles, identified by the
platform for `lti_identity_hours`, then the page opens Bagou full page in that session.
"""

import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.chat.identity import Identity
from bot.lti.adapter import (BagouMessageLaunch, BagouOIDCLogin, DbStorage,
                             LaunchRefused, StarletteRequest, new_id, refusal_from)
from bot.lti.config import LtiConfigError, ToolConfig, load_tool_config, tool_jwks
from bot.lti.pages import LTI_CSS, chat_page, refusal_page
from bot.settings import Settings

log = logging.getLogger(__name__)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
# Roles that get the adviser-oriented help (trainers, teachers, administrators).
ADVISER_ROLES = {"Instructor", "Administrator", "TeachingAssistant", "ContentDeveloper"}
TICKET_LIFETIME_S = 10 * 60
MAX_FORM_BYTES = 64 * 1024
# What the LTI routes answer, for the OpenAPI document: HTML pages, and FALC refusal
# pages (HTML too: Moodle shows them in its frame) when a launch is refused.
_HTML = {"text/html": {"schema": {"type": "string"}}}
PAGES = {"response_class": HTMLResponse, "responses": {
    **{code: {"description": "A FALC page that says why Bagou cannot open.", "content": _HTML}
       for code in (400, 401, 403, 503)},
    302: {"description": "On to the platform (login) or to Bagou."},
}}


def is_adviser(roles: object) -> bool:
    """LTI roles are URIs (…/membership#Instructor, …/institution/person#Administrator,
    …/membership/Instructor#TeachingAssistant) or, deprecated, short names."""
    if not isinstance(roles, list):
        return False
    for role in roles:
        if not isinstance(role, str):
            continue
        name = role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if name in ADVISER_ROLES or "/membership/Instructor" in role:
            return True
    return False


def identity_from_claims(claims: dict, hours: float, now: datetime | None = None) -> Identity:
    now = now or datetime.now(timezone.utc)
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) and "@" in email else None
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p) or None
    kind = "adviser" if is_adviser(claims.get(LTI + "roles")) else "learner"
    return Identity(kind=kind, email=email, name=name, source=f"lti:{claims['iss']}",
                    expires_at=now + timedelta(hours=hours))


def make_router(db: sessionmaker, settings: Settings, start_session) -> APIRouter:
    """`start_session(identity) -> session id` is ChatService.start_session."""
    router = APIRouter(prefix="/lti", tags=["lti"])
    storage = DbStorage(db)
    cache: dict = {}

    def tool_config() -> ToolConfig:
        if settings.lti_config is None:
            raise LaunchRefused("lti_non_configure", 503, "BAGOU_LTI_CONFIG is not set")
        path = settings.lti_config
        try:
            mtime = path.stat().st_mtime
        except OSError as error:
            log.error("LTI registrations unreadable: %s", error)
            raise LaunchRefused("lti_non_configure", 503, str(error)) from error
        if cache.get("mtime") != mtime:  # read again when the file changes: no restart
            try:
                cache.update(conf=load_tool_config(path, settings.lti_key_dir), mtime=mtime)
            except LtiConfigError as error:
                log.error("%s", error)
                raise LaunchRefused("lti_non_configure", 503, str(error)) from error
        return cache["conf"]

    def base_url(request: Request) -> str:
        return (settings.public_base_url or str(request.base_url)).rstrip("/")

    def secure(request: Request) -> bool:
        return base_url(request).startswith("https://")

    async def lti_request(request: Request) -> StarletteRequest:
        params = dict(request.query_params)
        if request.method == "POST":
            # Platforms post forms urlencoded (OIDC form_post): read without
            # python-multipart; an id_token is a few kilobytes at most.
            body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace")
            params.update(parse_qsl(body, keep_blank_values=True))
        return StarletteRequest(params, dict(request.cookies), secure(request))

    def refuse(error: Exception) -> Response:
        refusal = refusal_from(error)
        if refusal.status >= 500:
            log.warning("LTI refused: %s (%s)", refusal.code, refusal.detail)
        else:
            log.info("LTI refused: %s (%s)", refusal.code, refusal.detail)
        return refusal_page(refusal.code, refusal.status)

    # --- login -------------------------------------------------------------------------

    def do_login(lti: StarletteRequest, launch_url: str) -> Response:
        conf = tool_config()
        iss = lti.get_param("iss")
        if not iss or iss not in conf.issuers:
            raise LaunchRefused("lti_plateforme_inconnue", 400, f"unknown issuer {iss!r}")
        if not lti.get_param("login_hint"):
            raise LaunchRefused("lti_demande_incomplete", 400, "no login_hint")
        login = BagouOIDCLogin(lti, conf.conf, storage)
        login.set_launch_data_storage(storage)
        return login.redirect(launch_url)  # the deployment is checked at launch

    @router.get("/login", operation_id="lti_login_get", **PAGES)
    @router.post("/login", operation_id="lti_login_post", **PAGES)
    async def login(request: Request) -> Response:
        """OIDC login initiation: redirects to the platform with a state and a nonce."""
        lti = await lti_request(request)
        try:
            return await run_in_threadpool(do_login, lti, base_url(request) + "/lti/launch")
        except Exception as error:
            return refuse(error)

    # --- launch ------------------------------------------------------------------------

    def do_launch(lti: StarletteRequest):
        conf = tool_config()
        launch = BagouMessageLaunch(lti, conf.conf, storage)
        launch.set_launch_data_storage(storage)
        claims = dict(launch.get_launch_data())  # validates everything, or raises
        identity = identity_from_claims(claims, settings.lti_identity_hours)
        if identity.email is None:
            log.info("LTI launch without e-mail (« Share launcher's email » is off)")
        session_id = start_session(identity)
        ticket = new_id()
        storage.set_value(f"ticket-{ticket}", {"session": session_id,
                                                "course": _course(claims)},
                          exp=TICKET_LIFETIME_S)
        log.info("LTI launch: %s from %s", identity.kind, identity.source)
        return session_id, _course(claims), ticket, launch.cookie_missing, launch.state_params

    @router.post("/launch", **PAGES)
    async def launch(request: Request) -> Response:
        """The launch: checks the id_token, binds the person to a chat session and opens
        Bagou full page."""
        lti = await lti_request(request)
        try:
            session_id, course, ticket, cookie_missing, _params = await run_in_threadpool(
                do_launch, lti)
        except Exception as error:
            return refuse(error)
        url = f"{base_url(request)}/lti/ouvrir?{urlencode({'ticket': ticket})}"
        return chat_page(session_id, course, url, cookie_missing)

    @router.get("/ouvrir", **PAGES)
    async def open_elsewhere(request: Request, ticket: str = "") -> Response:
        """Bagou in a new window (when the frame blocks it): a one-time ticket, made at
        launch, gives the same session."""
        found = await run_in_threadpool(storage.take, f"ticket-{ticket}") if ticket else None
        if not isinstance(found, dict):
            return refusal_page("lti_lien_utilise", 403)
        return chat_page(found["session"], found.get("course"), None, False)

    # --- keys, and what to paste in Moodle ----------------------------------------------

    @router.get("/jwks", responses={503: PAGES["responses"][503]})
    async def jwks() -> Response:
        """The tool's public keys (JWKS)."""
        try:
            keys = await run_in_threadpool(tool_jwks, settings.lti_key_dir)
        except LtiConfigError as error:
            log.error("%s", error)
            return refusal_page("lti_non_configure", 503)
        return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})

    @router.get("/lti.css", include_in_schema=False)
    async def css() -> Response:
        return Response(LTI_CSS, media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=600"})

    return router


def _course(claims: dict) -> str | None:
    context = claims.get(LTI + "context")
    if isinstance(context, dict):
        title = context.get("title") or context.get("label")
        return title if isinstance(title, str) else None
    return None

