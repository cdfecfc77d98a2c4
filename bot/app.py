"""The FastAPI gateway: chat API, health, the minimal page at /."""

import json
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.chat import ChatService
from bot.db import database_answers, make_engine, make_sessionmaker, upgrade_schema
from bot.errors import install_error_handlers
from bot.rasa_client import RasaClient
from bot.schemas import ChatRequest, ChatResponse, ErrorResponse, Health
from bot.settings import Settings, get_settings
from bot.texts import text

WEB = Path(__file__).with_name("web")
ERRORS = {code: {"model": ErrorResponse} for code in (400, 404, 422, 503)}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout)
    chat = ChatService(make_sessionmaker(engine), rasa, settings.max_message_chars)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(upgrade_schema, engine)
        yield
        await rasa.aclose()
        engine.dispose()

    app = FastAPI(
        title="Bagou",
        summary="Assistant en français sur les Open Badges",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    @app.post("/api/chat", response_model=ChatResponse, responses=ERRORS, tags=["chat"])
    async def post_chat(request: ChatRequest) -> ChatResponse:
        """Send one message; get the assistant's replies and the topic they answer."""
        return await chat.handle(request)

    @app.get("/health", response_model=Health, responses={503: {"model": Health}}, tags=["ops"])
    async def health():
        """Whether Rasa, the action server and the database answer."""
        state = Health(
            status="ok",
            rasa=await rasa.answers(),
            actions=await _answers(f"{settings.actions_url}/health"),
            database=await run_in_threadpool(database_answers, engine),
        )
        healthy = state.rasa and state.actions and state.database
        state.status = "ok" if healthy else "degraded"
        return JSONResponse(state.model_dump(), status_code=200 if healthy else 503)

    home_page = (WEB / "index.html").read_text(encoding="utf-8").replace(
        "__SERVEUR_INJOIGNABLE__", json.dumps(text("serveur_injoignable"), ensure_ascii=False)
    )

    @app.get("/", include_in_schema=False)
    async def home():
        return HTMLResponse(home_page)

    return app


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


