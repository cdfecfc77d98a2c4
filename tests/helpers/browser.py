"""The browser tests' scaffolding: Debian's Chromium, driven headless by Playwright with
`executable_path` (Playwright's own browser download cannot work on this project's
machines; the same path as scripts/browser.sh: BAGOU_CHROMIUM, /usr/bin/chromium by
default), and the gateway alone on uvicorn, with Rasa replaced when a test gives it."""

import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.ops.supervisor import free_port
from bot.settings import Settings

CHROMIUM = Path(os.environ.get("BAGOU_CHROMIUM") or "/usr/bin/chromium")

# What stands for Rasa: as RasaClient.send, (client, sender, text, metadata) -> messages.
RasaSend = Callable[[RasaClient, str, str, dict], Awaitable[list[dict]]]


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def watch_errors(page: Page) -> list[str]:
    """The page's script errors and Content-Security-Policy refusals, as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    return errors


def wait_until_up(url: str, timeout: float = 30, interval: float = 0.2) -> bool:
    """Whether `url` answered 200 within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=min(2, interval * 10)).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(interval)
    return False


@contextmanager
def rasa_replaced(send: RasaSend) -> Iterator[None]:
    saved = RasaClient.send
    RasaClient.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        RasaClient.send = saved  # type: ignore[method-assign]


@contextmanager
def gateway(directory: Path, rasa: RasaSend | None = None, **settings) -> Iterator[str]:
    """The gateway alone (create_app, a SQLite database in `directory`) on uvicorn in a
    thread of this process; its URL once the widget's texts answer. Rasa is `rasa`
    (canned answers, or the real course action in-process), or unreachable."""
    port = free_port()
    config = Settings(database_url=f"sqlite:///{directory / 'bagou.db'}", port=port,
                      rasa_port=free_port(), actions_port=free_port(), rasa_token="t",
                      rasa_timeout=2, **settings)
    with rasa_replaced(rasa) if rasa else nullcontext():
        server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1",
                                               port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/widget/texts.json")
        try:
            yield url
        finally:
            server.should_exit = True
            thread.join(10)
