"""Shared fixtures (the helpers are in tests/helpers/). `running_bagou` starts the real
product with `bagou run`."""

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot import hashing, log_safety
from bot.ops.training import ensure_model
from bot.settings import Settings
from tests.helpers.cheap import (cheap_hasher, copy_template_on_connect, make_template,
                                 shared_ssl_contexts)
from tests.helpers.processes import RunningBagou, start_bagou

# One key of the learner's sealed identity (bot/identity_ref.py) for the gateways and the
# actions that the tests run in this process and start (`bagou run` passes it on), so
# that tests/helpers/identity.py can seal a learner's reference as the gateway does.
os.environ.setdefault("BAGOU_IDENTITY_KEY", "tests-identity-key-0123456789")
# Every Rasa that the tests start computes the conversation's states both ways and stops
# the turn when they differ (rasa_ext/incremental_states.py): every stack test checks it.
os.environ.setdefault("BAGOU_CHECK_STATES", "1")

# argon2id at its cheapest in this process (tests/helpers/cheap.py says why), before
# any module takes bot.hashing.HASHER by name (bot/console/accounts.py does on import).
assert "bot.console.accounts" not in sys.modules
hashing.HASHER = cheap_hasher()


def pytest_configure(config):
    # The test process is an entry point too: its log records are cleaned as the
    # gateway's are (bot/log_safety.py), whichever test runs first.
    log_safety.install()


@pytest.fixture(scope="session", autouse=True)
def cheap_set_up(tmp_path_factory):
    """Every new SQLite file of a test starts as a copy of one migrated database (the
    migrations run once per process), and httpx's clients share their SSL contexts
    (tests/helpers/cheap.py)."""
    copy = copy_template_on_connect(make_template(tmp_path_factory.mktemp("schema") / "bagou.db"))
    event.listen(Engine, "connect", copy)
    with pytest.MonkeyPatch.context() as patch:
        shared_ssl_contexts(patch)
        yield
    event.remove(Engine, "connect", copy)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The real model, trained once per test run (and not at all when data is unchanged)."""
    settings = Settings()
    ensure_model(settings.model_dir, settings.log_dir / "train.log")
    return settings.model_dir


@pytest.fixture(scope="module")
def running_bagou(trained_model, tmp_path_factory) -> RunningBagou:
    """`bagou run` on free ports with its own database, as a person would start it."""
    # The tests play a whole course (about 50 clicks) in seconds, faster than any
    # person: the per-conversation limit (30 a minute) would refuse them.
    with start_bagou(trained_model, tmp_path_factory.mktemp("bagou"),
                     BAGOU_RATE_LIMIT_SESSION="600/minute") as bagou:
        yield bagou


# The structure's contact as the actions read it (BAGOU_CONTACT_*): none at all, or one.
@pytest.fixture
def no_contact(monkeypatch):
    for name in ("NAME", "PHONE", "EMAIL", "URL"):
        monkeypatch.setenv(f"BAGOU_CONTACT_{name}", "")
    monkeypatch.setenv("BAGOU_DEMO_CONTACT", "false")
    from actions.config import get_settings
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def contact(monkeypatch):
    monkeypatch.setenv("BAGOU_CONTACT_NAME", "Espace badges de Caen")
    monkeypatch.setenv("BAGOU_CONTACT_PHONE", "02 31 00 00 00")
    monkeypatch.setenv("BAGOU_CONTACT_EMAIL", "")
    monkeypatch.setenv("BAGOU_CONTACT_URL", "https://example.org/contact")
    from actions.config import get_settings
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
