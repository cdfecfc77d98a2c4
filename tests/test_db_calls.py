"""Where the chat's database calls run (bot/db/calls.py): on SQLite, one at a time on
one thread of their own (SQLite takes one writer at a time), and a call that was asked
for runs to its end even when the request that asked is cancelled (the person left:
their turn is still stored)."""

import asyncio
import threading
import time

from sqlalchemy import create_engine, text

from bot.db.calls import DatabaseCalls


def test_sqlite_calls_run_one_at_a_time_on_one_thread(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'calls.db'}")
    calls = DatabaseCalls(engine)
    threads, running, most = set(), 0, 0

    def work(n: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        threads.add(threading.get_ident())
        with engine.begin() as db:
            db.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
            db.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        time.sleep(0.005)
        running -= 1
        return n

    async def scenario():
        return await asyncio.gather(*(calls(work, n) for n in range(12)))

    assert asyncio.run(scenario()) == list(range(12))
    assert len(threads) == 1 and threading.get_ident() not in threads
    assert most == 1
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM t")).scalar() == 12


def test_a_call_runs_to_its_end_when_its_request_is_cancelled(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'calls.db'}")
    calls = DatabaseCalls(engine)
    done = threading.Event()

    async def scenario():
        # An earlier call holds the thread: the write waits in the queue when its
        # request is cancelled.
        earlier = asyncio.create_task(calls(time.sleep, 0.2))
        write = asyncio.create_task(calls(done.set))
        await asyncio.sleep(0.05)
        write.cancel()
        await earlier
        await asyncio.sleep(0.1)
        return write.cancelled()

    assert asyncio.run(scenario())
    assert done.is_set()
