"""The LTI 1.3 routes, at stable paths (the URLs to paste in Moodle, docs/moodle.md):

- GET|POST /lti/login  — OIDC login initiation (« Initiate login URL »);
- POST /lti/launch     — the launch (« Redirection URI(s) » and « Tool URL »), of a link
                         (LtiResourceLinkRequest) or of a teacher's choice of link
                         (LtiDeepLinkingRequest, « Sélectionner un contenu »);
- POST /lti/lien       — the teacher's choice, sent back to Moodle signed (deep linking);
- GET /lti/jwks        — the tool's public keys (« Public keyset URL »);
- GET /lti/ouvrir      — Bagou in a new window, with a one-time ticket made at launch;
- /lti/inscription     — dynamic registration (bot/lti/registrations.py).

A valid launch binds the person to a new chat session (ChatService.start_session):
a learner, or an adviser for Instructor and Administrator roles, identified by the
platform for `lti_identity_hours`, who may see the badges of the OBF organisations that
the platform's registration names (bot/lti/organisations.py); then the page opens Bagou
full page in that session.

Nothing here waits on a platform while holding a worker thread: the platform's key set
is fetched on the event loop (bot/lti/keyset.py), and the threads only do the checks and
the database. Every /lti/* route has a rate limit per address (BAGOU_RATE_LIMIT_LTI).
Every refusal is logged at warning level with its reason (docs/moodle.md § 6).
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from bot.http.forms import FormError, read_form
from bot.http.security_headers import FRAME_ANCESTORS_STATE
from bot.lti import deep_linking, registrations
from bot.lti.adapter import (BagouMessageLaunch, BagouOIDCLogin, LaunchRefused,
                             StarletteRequest, new_id, refusal_from, unverified_token)
from bot.lti.claims import LTI, identity_from_claims
from bot.lti.config import LtiConfigError, tool_jwks
from bot.lti.deps import Lti, LtiTool
from bot.lti.keyset import KeySetError
from bot.lti.organisations import organisations_of
from bot.lti.pages import (LTI_CSS, LTI_JS, chat_page, deep_link_choice_page,
                           deep_link_return_page, message_page, refusal_page)

log = logging.getLogger(__name__)

TICKET_LIFETIME_S = 10 * 60
# A teacher takes time to choose: the choice page stays valid this long.
CHOICE_LIFETIME_S = 60 * 60
MAX_FORM_BYTES = 64 * 1024
REGISTRATION_DEADLINE_S = 20
# What the LTI routes answer, for the OpenAPI document: HTML pages, and FALC refusal
# pages (HTML too: Moodle shows them in its frame) when a launch is refused.
_HTML = {"text/html": {"schema": {"type": "string"}}}
PAGES: dict[str, Any] = {"response_class": HTMLResponse, "responses": {
    **{code: {"description": "A FALC page that says why Bagou cannot open.", "content": _HTML}
       for code in (400, 401, 403, 429, 502, 503)},
    302: {"description": "On to the platform (login) or to Bagou."},
}}
NOT_LIMITED = ("/lti/lti.css", "/lti/lti.js")


class LimitedRoute(APIRoute):
    """Every LTI route answers 429 with a FALC page past BAGOU_RATE_LIMIT_LTI per address,
    before it reads anything (the gateway's limiter, bot/http/rate_limit.py)."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            tool: LtiTool = request.app.state.lti
            if tool.limits is not None and request.url.path not in NOT_LIMITED:
                address = request.client.host if request.client else None
                decision = await tool.limits.check(None, address)
                if not decision.allowed:
                    log.warning("LTI refused %s: lti_trop_de_demandes (rate limit of the "
                                "address)", request.url.path)
                    page = refusal_page("lti_trop_de_demandes", 429)
                    page.headers["Retry-After"] = str(decision.retry_after)
                    return page
            return await handler(request)

        return limited


router = APIRouter(prefix="/lti", tags=["lti"], route_class=LimitedRoute)


def secure(tool: LtiTool, request: Request) -> bool:
    return tool.base_url(request).startswith("https://")


async def lti_request(tool: LtiTool, request: Request) -> StarletteRequest:
    params = dict(request.query_params)
    if request.method == "POST":
        # Platforms post forms urlencoded (OIDC form_post); an id_token is a few
        # kilobytes at most. A body that is no such form brings no field: the launch
        # is then refused for what it lacks.
        try:
            params.update(await read_form(request, MAX_FORM_BYTES))
        except FormError:
            pass
    return StarletteRequest(params, dict(request.cookies), secure(tool, request))


def refuse(error: Exception, request: Request, context: str = "") -> Response:
    """The FALC page of a refusal, and its reason in the log (never a token, never an
    e-mail: bot/log_safety.py masks them anyway)."""
    refusal = refusal_from(error)
    log.warning("LTI refused %s: %s (%s)%s", request.url.path, refusal.code,
                refusal.detail or "no detail", f" [{context}]" if context else "")
    return refusal_page(refusal.code, refusal.status)


# --- login -------------------------------------------------------------------------------


def do_login(tool: LtiTool, lti: StarletteRequest, launch_url: str) -> Response:
    conf = tool.registry.tool_config()
    iss, client_id = lti.get_param("iss"), lti.get_param("client_id")
    if iss and client_id in conf.pending.get(iss, ()) and client_id not in conf.clients.get(
            iss, ()):
        raise LaunchRefused("lti_en_attente", 403,
                            f"the registration of {iss} waits for approval (console)")
    if not iss or iss not in conf.clients:
        raise LaunchRefused("lti_plateforme_inconnue", 400, f"unknown issuer {iss!r}")
    if client_id and client_id not in conf.clients[iss]:
        raise LaunchRefused("lti_audience_invalide", 400,
                            f"client_id {client_id!r} is not registered for {iss}")
    if conf.entry(iss, client_id) is None:
        raise LaunchRefused("lti_audience_invalide", 400,
                            f"{iss} has several client ids and the login names none")
    if not lti.get_param("login_hint"):
        raise LaunchRefused("lti_demande_incomplete", 400, "no login_hint")
    login = BagouOIDCLogin(lti, conf.conf, tool.storage)
    login.set_launch_data_storage(tool.storage)
    return login.redirect(launch_url)  # the deployment is checked at launch


@router.get("/login", operation_id="lti_login_get", **PAGES)
@router.post("/login", operation_id="lti_login_post", **PAGES)
async def login(request: Request, tool: Lti) -> Response:
    """OIDC login initiation: redirects to the platform with a state and a nonce."""
    lti = await lti_request(tool, request)
    try:
        return await run_in_threadpool(do_login, tool, lti,
                                       tool.base_url(request) + "/lti/launch")
    except Exception as error:
        return refuse(error, request, f"iss={lti.get_param('iss')!r} "
                                      f"client_id={lti.get_param('client_id')!r}")


# --- launch ------------------------------------------------------------------------------


@dataclass
class Launched:
    claims: dict
    session_id: str | None = None
    ticket: str | None = None
    cookie_missing: bool = False
    choice: str | None = None  # a deep-linking request: the ticket of the choice page


async def platform_key_set(tool: LtiTool, lti: StarletteRequest) -> dict | None:
    """The key set of the platform that the (not yet checked) token names, fetched on the
    event loop. None when the token names no known registration: the checks then refuse
    it for the right reason."""
    header, claims = unverified_token(lti.get_param("id_token"))
    iss, aud = claims.get("iss"), claims.get("aud")
    if not isinstance(iss, str) or not header:
        return None
    conf = await run_in_threadpool(tool.registry.tool_config)
    for client_id in (aud if isinstance(aud, list) else [aud]):
        if isinstance(client_id, str) and client_id in conf.clients.get(iss, ()):
            entry = conf.entry(iss, client_id) or {}
            url = entry.get("key_set_url")
            if entry.get("key_set") or not isinstance(url, str):
                return None
            try:
                return await tool.keys.key_set(url, header.get("kid"))
            except KeySetError as error:
                raise LaunchRefused("lti_signature_invalide", 403, str(error)) from error
    return None


def do_launch(tool: LtiTool, lti: StarletteRequest, key_set: dict | None) -> Launched:
    conf = tool.registry.tool_config()
    launch = BagouMessageLaunch(lti, conf, tool.storage, key_set,
                                tool.settings.lti_clock_leeway)
    launch.set_launch_data_storage(tool.storage)
    claims = dict(launch.get_launch_data())  # validates everything, or raises
    if launch.is_deep_link_launch():
        settings = claims.get(deep_linking.DEEP_LINKING) or {}
        choice = new_id()
        tool.storage.set_value(f"choice-{choice}", {
            "iss": claims["iss"], "client_id": launch.get_client_id(),
            "deployment_id": claims.get(LTI + "deployment_id"), "settings": settings,
        }, exp=CHOICE_LIFETIME_S)
        log.info("LTI deep linking request from %s", claims["iss"])
        return Launched(claims, choice=choice)
    # Whose badges this person may see: the organisations of the platform's registration.
    organisations = organisations_of(conf.entry(str(claims["iss"]), launch.get_client_id()))
    identity = identity_from_claims(claims, tool.settings.lti_identity_hours,
                                    organisations=organisations)
    if identity.email is None:
        log.warning("LTI launch without e-mail from %s: « Share launcher's email with the "
                    "tool » is not « Always »; « mes badges » will find nothing",
                    claims["iss"])
    session_id = tool.start_session(identity)
    ticket = new_id()
    tool.storage.set_value(f"ticket-{ticket}", {"session": session_id,
                                                "course": _course(claims),
                                                "back": _return_url(claims)},
                           exp=TICKET_LIFETIME_S)
    log.info("LTI launch: %s from %s (OBF organisations: %s)", identity.kind, identity.source,
             ", ".join(organisations) or "none")
    return Launched(claims, session_id, ticket, launch.cookie_missing)


@router.post("/launch", **PAGES)
async def launch(request: Request, tool: Lti) -> Response:
    """The launch: checks the id_token, binds the person to a chat session and opens
    Bagou full page (or, for a teacher's « Sélectionner un contenu », the choice of where
    the learners start)."""
    lti = await lti_request(tool, request)
    try:
        key_set = await platform_key_set(tool, lti)
        done = await run_in_threadpool(do_launch, tool, lti, key_set)
    except Exception as error:
        _header, claims = unverified_token(lti.get_param("id_token"))
        return refuse(error, request, f"iss={claims.get('iss')!r} aud={claims.get('aud')!r}")
    if done.choice:
        return deep_link_choice_page(done.choice, deep_linking.starts())
    if message := deep_linking.first_message(done.claims):
        await tool.first_turn(cast(str, done.session_id), message)
    url = f"{tool.base_url(request)}/lti/ouvrir?{urlencode({'ticket': done.ticket})}"
    return chat_page(cast(str, done.session_id), _course(done.claims), url, done.cookie_missing,
                     _return_url(done.claims))


# --- deep linking: the teacher's choice ----------------------------------------------------


def do_choice(tool: LtiTool, choice: str, start_value: str, launch_url: str):
    start = deep_linking.find_start(start_value)
    if start is None:
        raise LaunchRefused("lti_demande_incomplete", 400, f"unknown start {start_value!r}")
    found = tool.storage.take(f"choice-{choice}") if choice else None
    if not isinstance(found, dict):
        raise LaunchRefused("lti_lien_utilise", 403, "unknown, used or old choice ticket")
    conf = tool.registry.tool_config()
    registration = conf.conf.find_registration_by_params(found["iss"], found["client_id"])
    settings = found["settings"]
    return_url = settings.get("deep_link_return_url")
    if not isinstance(return_url, str) or _origin(return_url) not in tool.registry.origins():
        raise LaunchRefused("lti_demande_incomplete", 400,
                            f"deep_link_return_url {return_url!r} is not on the platform")
    token = deep_linking.response_jwt(registration, found["deployment_id"], settings, start,
                                      launch_url)
    log.info("LTI deep linking response to %s: start %s", found["iss"], start.value)
    return return_url, token


@router.post("/lien", **PAGES)
async def choose(request: Request, tool: Lti) -> Response:
    """The teacher's choice: a signed LtiDeepLinkingResponse posted back to Moodle."""
    form = await lti_request(tool, request)
    try:
        return_url, token = await run_in_threadpool(
            do_choice, tool, form.get_param("choix"), form.get_param("depart"),
            tool.base_url(request) + "/lti/launch")
    except Exception as error:
        return refuse(error, request)
    return deep_link_return_page(return_url, token)


# --- dynamic registration (bot/lti/registrations.py) ------------------------------------------


@router.get("/inscription/{token}", **PAGES)
async def registration(request: Request, tool: Lti, token: str,
                       openid_configuration: str = "", registration_token: str = ""
                       ) -> Response:
    """The one-time registration URL made in the console, opened by Moodle's
    administrator from « Gérer les outils »: Bagou registers itself there, pending the
    approval of Bagou's administrator."""
    # Moodle shows this page in a frame of its « Gérer les outils » page: the Moodle that
    # opens it may frame it (only a message and a « Fermer » button are in it).
    if registrations.allowed_url(openid_configuration):
        setattr(request.state, FRAME_ANCESTORS_STATE, [_origin(openid_configuration)])
    invitation = await run_in_threadpool(registrations.take_invitation, tool.storage, token)
    if invitation is None:
        log.warning("LTI registration refused: unknown, used or old registration URL")
        return message_page("lti_inscription_lien_invalide", 403)
    if not openid_configuration:
        await run_in_threadpool(registrations.give_back_invitation, tool.storage, token,
                                invitation)
        log.warning("LTI registration refused: no openid_configuration (opened by hand?)")
        return message_page("lti_inscription_echec", 400)
    try:
        # Two requests to the platform, each bounded; the whole exchange too.
        found = await asyncio.wait_for(registrations.register(
            openid_configuration, registration_token, tool.base_url(request),
            timeout=tool.settings.lti_keyset_timeout + 2), REGISTRATION_DEADLINE_S)
        await run_in_threadpool(registrations.store, tool.storage.sessions, found)
    except (registrations.RegistrationFailed, SQLAlchemyError, asyncio.TimeoutError) as error:
        await run_in_threadpool(registrations.give_back_invitation, tool.storage, token,
                                invitation)
        log.warning("LTI registration with %s failed: %s", openid_configuration,
                    error or type(error).__name__)
        return message_page("lti_inscription_echec", 502)
    log.warning("LTI registration of %s (client %s, deployment %s) waits for approval in "
                "the console (/conseiller/moodle)", found.issuer, found.client_id,
                found.deployment_id)
    return message_page("lti_inscription_faite", 200, close=True)


# --- a new window ------------------------------------------------------------------------


@router.get("/ouvrir", **PAGES)
async def open_elsewhere(tool: Lti, ticket: str = "") -> Response:
    """Bagou in a new window (when the frame blocks it): a one-time ticket, made at
    launch, gives the same session."""
    found = await run_in_threadpool(tool.storage.take, f"ticket-{ticket}") if ticket else None
    if not isinstance(found, dict):
        log.warning("LTI refused /lti/ouvrir: lti_lien_utilise (unknown, used or old ticket)")
        return refusal_page("lti_lien_utilise", 403)
    return chat_page(found["session"], found.get("course"), None, False, found.get("back"))


# --- keys, and the page's own files --------------------------------------------------------


@router.get("/jwks", responses={code: PAGES["responses"][code] for code in (429, 503)})
async def jwks(tool: Lti) -> Response:
    """The tool's public keys (JWKS)."""
    try:
        keys = await run_in_threadpool(tool_jwks, tool.settings.lti_key_dir)
    except LtiConfigError as error:
        log.error("%s", error)
        return refusal_page("lti_non_configure", 503)
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


@router.get("/lti.css", include_in_schema=False)
async def css() -> Response:
    return Response(LTI_CSS, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=600"})


@router.get("/lti.js", include_in_schema=False)
async def script() -> Response:
    return Response(LTI_JS, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=600"})


def _course(claims: dict) -> str | None:
    context = claims.get(LTI + "context")
    if isinstance(context, dict):
        title = context.get("title") or context.get("label")
        return title if isinstance(title, str) else None
    return None


def _return_url(claims: dict) -> str | None:
    """Moodle's « Retour au cours » address (launch_presentation.return_url), when it is
    on the platform itself."""
    presentation = claims.get(LTI + "launch_presentation")
    url = presentation.get("return_url") if isinstance(presentation, dict) else None
    if isinstance(url, str) and _origin(url) == _origin(str(claims.get("iss", ""))):
        return url
    return None


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None
