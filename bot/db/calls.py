"""Where the chat's blocking database calls run, off the event loop.

SQLite takes one writer at a time. From Starlette's pool of 40 threads, the chat
turns' writes waited for each other in SQLite's busy handler and for the GIL: under 16
concurrent turns that was half of the gateway's CPU (5.7 ms a turn; 2.9 ms with one
thread, docs/performance.md). So on SQLite the calls queue for one thread of their own;
a server database (PostgreSQL) takes them in parallel from the thread pool.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseCalls:
    def __init__(self, engine: Engine):
        self._one = (ThreadPoolExecutor(1, thread_name_prefix="sqlite")
                     if engine.dialect.name == "sqlite" else None)

    async def __call__(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._one is None:
            return await run_in_threadpool(call, *args, **kwargs)
        future = asyncio.get_running_loop().run_in_executor(
            self._one, functools.partial(call, *args, **kwargs))
        # As Starlette's pool does: a call that was asked for runs to its end even if
        # the request is cancelled (a turn is stored even when the person has left).
        return await asyncio.shield(future)
