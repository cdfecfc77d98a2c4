"""The sandbox as one router for the gateway: `app.include_router(make_router(engine))`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from bot.db.engine import make_sessionmaker
from bot.obf_sandbox import issuing, public, routes_v1, routes_v2, tokens
from bot.obf_sandbox.constants import PREFIX
from bot.obf_sandbox.deps import SESSIONS_STATE
from bot.obf_sandbox.seed import seed_database


def make_router(engine: Engine) -> APIRouter:
    """Routes under /obf-sandbox. Its lifespan runs after the gateway's own (FastAPI
    nests an included router's lifespan inside the app's), so the schema is migrated
    before the demo data is loaded; it then hands the routes their sessions through
    the lifespan state."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict]:
        await run_in_threadpool(seed_database, engine)
        yield {SESSIONS_STATE: make_sessionmaker(engine)}

    router = APIRouter(prefix=PREFIX, lifespan=lifespan)
    for part in (tokens.router, routes_v2.router, routes_v1.router, issuing.router,
                 public.router):
        router.include_router(part)
    return router
