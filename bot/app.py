"""The FastAPI gateway: chat API, health, the widget and the demo site at /."""

import asyncio
import contextlib
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot import log_safety
from bot.api.openapi import error_responses
from bot.api.openapi import install as install_openapi
from bot.api.check_page import make_router as check_page_router
from bot.api.verify import make_router as verify_router
from bot.api.widget import make_router as widget_router
from bot.chat.course_store import CourseStore
from bot.chat.point_info import PointInfoAwards
from bot.chat.rasa_client import RasaClient
from bot.chat.service import ChatService
from bot.console import audit
from bot.console import make_router as console_router
from bot.console.deps import Console
from bot.console.deps import provider as console_provider
from bot.console.learners import directory_factory
from bot.console.moodle import router as moodle_console_router
from bot.console.pages import too_big_page
from bot.console.pseudonym import learner_ref, load_key
from bot.db.engine import database_answers, make_engine, make_sessionmaker, upgrade_schema
from bot.errors import install_error_handlers
from bot.http.body_limit import BodyLimitMiddleware
from bot.http.header_limit import HeaderLimitMiddleware
from bot.http.rate_limit import RateLimitMiddleware, RateLimits
from bot.http.security_headers import SecurityHeadersMiddleware
from bot.lti.adapter import DbStorage
from bot.lti.deps import LtiTool
from bot.lti.keyset import PlatformKeys
from bot.lti.registrations import registrations_source
from bot.lti.registry import LtiRegistry
from bot.lti.routes import router as lti_router
from bot.obf_sandbox.router import make_router as obf_sandbox_router
from bot.schemas import ChatRequest, ChatResponse, Health
from bot.settings import Settings, get_settings
from bot.verify.fetch import FetchPolicy
from bot.verify.service import Verifier

ERRORS = error_responses(400, 401, 404, 422, 503)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Values that must not serve real people stop the start (Settings.unsafe_reasons).
    settings.check_safe()
    # No secret and no e-mail address in any log line of this process (bot/log_safety.py).
    log_safety.install(settings)
    engine = make_engine(settings.database_url)
    rasa = RasaClient(settings.rasa_base_urls, settings.rasa_token, settings.rasa_timeout)
    # Badges given as a link, text or image are checked by the gateway (bot/verify).
    verifier = Verifier(FetchPolicy(timeout=settings.verify_timeout,
                                    max_bytes=settings.verify_max_fetch_bytes,
                                    allow_loopback=settings.verify_allow_loopback))
    # The course in the chat (issue 22): an identified learner's progress is keyed by the
    # same keyed pseudonym as the console's audit log; the Point Info badge comes from
    # the OBF that the console reads (the real one, or the sandbox in-process).
    key = lru_cache(maxsize=1)(lambda: load_key(settings))
    course = CourseStore(make_sessionmaker(engine), lambda email: learner_ref(key(), email))
    directories: dict[str, Any] = {}  # the app is needed to reach the sandbox in-process: filled below
    obf = settings.obf
    awards = PointInfoAwards(make_sessionmaker(engine), lambda: directories["obf"](),
                             obf.point_info_badge_id, obf.point_info_client_id)
    # « qui a regardé mes badges ? » is answered from the console's audit trail, by the
    # gateway that holds it (bot/chat/who_saw.py says why not an action).
    viewings = audit.viewings_reader(make_sessionmaker(engine), key,
                                     settings.contact["contact_name"])
    chat = ChatService(make_sessionmaker(engine), rasa, settings.max_message_chars,
                       settings.site_secrets, verifier, course=course, awards=awards,
                       viewings=viewings, audit_retention_days=settings.audit_retention_days,
                       # The identity kept with a session is sealed with the server's key,
                       # the one sent through Rasa with BAGOU_IDENTITY_KEY (issue 24).
                       server_key=key, identity_key=settings.identity_key)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(upgrade_schema, engine)
        # Pending Point Info badges (OBF was failing) are tried again every minute.
        retries = asyncio.create_task(awards.run_periodically())
        yield
        retries.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retries
        await rasa.aclose()
        engine.dispose()

    app = FastAPI(
        title="Bagou",
        summary="Assistant en français sur les Open Badges",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # The OpenAPI document also lists the answers of the middlewares (413, 429).
    install_openapi(app)

    # First of the routes: every request is matched against them in order, and the chat
    # turn is the most frequent.
    @app.post("/api/chat", response_model=ChatResponse, responses=ERRORS, tags=["chat"])
    async def post_chat(request: ChatRequest) -> ChatResponse:
        """Send one message; get the assistant's replies and the topic they answer."""
        return await chat.handle(request)

    @app.get("/health/live", tags=["ops"])
    async def live() -> dict[str, str]:
        """Whether the gateway itself answers (its event loop runs), whatever the other
        parts do: what `bagou run` watches to restart a frozen or stuck gateway
        (bot/ops/supervisor.py, HealthWatch). `/health` says whether Bagou can answer."""
        return {"status": "ok"}

    @app.get("/health", response_model=Health, responses={503: {"model": Health}}, tags=["ops"])
    async def health():
        """Whether each Rasa instance, the action server and the database answer.

        200 while Bagou can answer: `ok` when every part answers, `partial` when some
        Rasa instances are down but another one answers (a load balancer keeps sending
        people here); 503 `degraded` when Bagou cannot answer."""
        instances = await rasa.instances()
        state = Health(
            status="ok",
            rasa=any(instances.values()),
            rasa_instances=instances,
            actions=await _answers(f"{settings.effective_actions_url}/health"),
            database=await run_in_threadpool(database_answers, engine),
        )
        can_answer = state.rasa and state.actions and state.database
        if not can_answer:
            state.status = "degraded"
        elif not all(instances.values()):
            state.status = "partial"
        return JSONResponse(state.model_dump(), status_code=200 if can_answer else 503)

    if settings.obf_sandbox:
        app.include_router(obf_sandbox_router(engine))
    # Check a badge from a link, a pasted credential or an uploaded image (bot/verify);
    # GET /verifier?lien=… is the same check as a page (where the summary's QR codes lead).
    app.include_router(check_page_router(verifier))
    app.include_router(verify_router(chat, settings.verify_max_upload_bytes,
                                     [*settings.allowed_origins,
                                      settings.public_url.rstrip("/")]))
    # The widget: its files and texts, history, feedback, and the demo site at /.
    app.include_router(widget_router(make_sessionmaker(engine), settings))
    # Bagou as an LTI 1.3 tool of Moodle (bot/lti): /lti/login, /lti/launch, /lti/jwks…
    # Its registry of platforms (the JSON file, and the registrations made by Moodle),
    # the platforms' key sets and its rate limit live on app.state.lti (bot/lti/deps.py).
    app.state.lti = LtiTool(
        settings=settings,
        registry=LtiRegistry(settings, registrations_source(make_sessionmaker(engine))),
        storage=DbStorage(make_sessionmaker(engine)),
        keys=PlatformKeys(timeout=settings.lti_keyset_timeout),
        start_session=chat.start_session,
        send_first=lambda session_id, message: chat.handle(
            ChatRequest(session_id=session_id, text=message)),
        first_turn_timeout=settings.rasa_timeout,
        limits=RateLimits(settings.rate_limit_url, "", settings.rate_limit_lti,
                          namespace="bagou-lti") if settings.rate_limit_lti.strip() else None)
    app.include_router(lti_router)
    # The console of advisers and editors (bot/console), at /conseiller.
    directories["obf"] = directory_factory(app, engine, settings.obf)
    # Its page of the Moodle sites (bot/console/moodle.py), before the console's own
    # routes (their last one answers any other /conseiller address with a 404 page).
    app.include_router(moodle_console_router, dependencies=[Depends(console_provider(Console(
        make_sessionmaker(engine), settings, chat.start_session, directories["obf"])))])
    app.include_router(console_router(make_sessionmaker(engine), settings, chat.start_session,
                                      directories["obf"]))
    # Innermost first: rate limits (before any parsing, storage or Rasa), then the body
    # size limit, so that the limiter reads only small bodies.
    app.add_middleware(RateLimitMiddleware, limits=RateLimits(
        settings.rate_limit_url, settings.rate_limit_session, settings.rate_limit_address))
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       pages={"/conseiller": too_big_page})  # the console's FALC 413 page
    if settings.allowed_origins:
        # Only the sites listed in BAGOU_ALLOWED_ORIGINS may call the API from their
        # pages; the gateway's own pages need no CORS. No cookies: no credentials.
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"],
                           # The widget waits as long as a 429 or 503 asks before it
                           # sends a kept thumb again (widget/bagou.js).
                           expose_headers=["Retry-After"], max_age=600)
    if proxies := settings.trusted_proxies:
        # The client's address from X-Forwarded-For, only when the request comes from
        # one of these proxies (uvicorn's middleware: the rightmost untrusted address).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    # Too many or too large headers are refused before anything else reads them (431).
    app.add_middleware(HeaderLimitMiddleware)
    # Outermost: every response gets its security headers, errors and refusals too.
    app.add_middleware(
        SecurityHeadersMiddleware,
        frame_ancestors=lambda: [*app.state.lti.registry.origins(),
                                 *settings.allowed_origins],
        public_https=settings.public_url.startswith("https://"))

    return app


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


