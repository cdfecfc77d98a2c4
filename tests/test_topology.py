"""The production topology on this machine: Debian's PostgreSQL (Rasa's tracker store
and the gateway's database) and Redis (Rasa's lock store) on loopback, two Rasa
processes sharing them behind the gateway, started by `bagou run` with
BAGOU_RASA_INSTANCES=2. `make test` installs the servers with scripts/services.sh."""

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psutil
from alembic.script import ScriptDirectory
import pytest
import yaml
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.rasa_client import TOKEN_HEADER, WEBHOOK_PATH, RasaClient
from bot.console import accounts
from bot.db.engine import MIGRATIONS, make_engine, make_sessionmaker, upgrade_schema
from bot.ops.supervisor import free_port, free_port_range
from bot.settings import PROJECT_ROOT, Settings
from bot.texts import text
from tests.helpers.processes import RunningBagou, start_bagou
from tests.helpers.services import INSTALL_HINT, Postgres, Redis, postgres_bin, postgres_server, \
    redis_bin, redis_server

# PostgreSQL and Redis (scripts/services.sh); the tests that also need the trained model
# are `stack` too.
pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def services():
    if postgres_bin() is None or redis_bin() is None:
        pytest.fail(f"PostgreSQL and Redis are needed: {INSTALL_HINT}")
    with postgres_server() as postgres, redis_server() as redis:
        yield postgres, redis


# --- the gateway's own database on PostgreSQL (no Rasa) ------------------------------

FAQ_ANSWER = [{"utter_action": "utter_faq/badge_definition",
               "text": "Un Open Badge est une image numérique.",
               "buttons": [{"title": "Que contient un badge ?",
                            "payload": "Que contient un badge ?"}]}]


def gateway_settings(postgres, database: str, monkeypatch, **values) -> Settings:
    """A gateway on its own PostgreSQL database, Rasa answering FAQ_ANSWER."""
    postgres.create_database(database)

    async def rasa(_self, _sender, _text, _metadata):
        return FAQ_ANSWER

    monkeypatch.setattr(RasaClient, "send", rasa)
    # A plain postgresql:// URL works too: the gateway uses psycopg 3 for it.
    return Settings(database_url=postgres.url(database), rasa_port=free_port(),
                    actions_port=free_port(), rasa_token="t", **values)


def test_the_gateway_keeps_conversations_in_postgresql(services, monkeypatch):
    postgres, _ = services
    settings = gateway_settings(postgres, "gateway", monkeypatch)
    with TestClient(create_app(settings)) as client:  # runs the migrations
        first = client.post("/api/chat", json={"text": "C'est quoi un badge ? a@b.fr"}).json()
        session = first["session_id"]
        assert first["topic"] == "badge_definition"
        client.post("/api/chat", json={"text": "Que contient un badge ?", "session_id": session})
        thumb = client.post("/api/feedback", json={
            "session_id": session, "message_id": first["replies"][0]["id"], "value": "up"})
        assert thumb.status_code == 200
        history = client.get(f"/api/chat/{session}/history").json()["messages"]
    assert [(m["sender"], m["text"]) for m in history] == [
        ("user", "C'est quoi un badge ? [e-mail masqué]"),
        ("bot", "Un Open Badge est une image numérique."),
        ("user", "Que contient un badge ?"),
        ("bot", "Un Open Badge est une image numérique."),
    ]
    assert history[1]["buttons"] and history[1]["feedback"] == "up"
    with postgres.connect("gateway") as db:
        # The newest migration of bot/db/migrations, whatever its number.
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
        (created,) = db.execute("SELECT created_at FROM chat_sessions WHERE id = %s",
                                (session,)).fetchone()
    # Stored in UTC, though the server's own time zone is Pacific/Auckland.
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert abs(now - created) < timedelta(minutes=5)


# --- two Rasa processes behind the gateway --------------------------------------------

@dataclass
class Topology:
    bagou: RunningBagou
    postgres: Postgres
    redis: Redis
    rasa_ports: list[int]

    @property
    def log_dir(self) -> Path:
        return self.bagou.output.parent / "log"

    def rasa_process(self, port: int) -> psutil.Process:
        (process,) = [p for p in psutil.Process(self.bagou.process.pid).children(recursive=True)
                      if "rasa run" in " ".join(p.cmdline())
                      and f"--port {port}" in " ".join(p.cmdline())]
        return process

    @contextmanager
    def actions_paused(self):
        """The action server stops answering (SIGSTOP to its process group: Sanic serves
        from worker processes that the main one spawned), and answers again after."""
        (main,) = [p for p in psutil.Process(self.bagou.process.pid).children(recursive=True)
                   if "actions.server" in " ".join(p.cmdline())]
        group = os.getpgid(main.pid)  # its own group: `bagou run` starts a new session
        os.killpg(group, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(group, signal.SIGCONT)

    def warm_up(self) -> None:
        """One message straight to each Rasa process, without the gateway's timeout: the
        first turn of a fresh process loads what its components load lazily, and took
        5 to 9 s here, over the tests' 5-s gateway timeout."""
        for port in self.rasa_ports:
            answer = httpx.post(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", timeout=120,
                                headers={TOKEN_HEADER: self.bagou.token},
                                json={"sender": f"warm-up-{port}", "message": "bonjour"})
            assert answer.status_code == 200, answer.text

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.bagou.url}/health", timeout=10)

    def served(self, session: str) -> list[int]:
        """How many turns of the conversation each Rasa process handled, from the
        lock that each one takes in Redis for each message (in its debug log)."""
        line = f"Acquired lock for conversation '{session}'"
        return [sum(text.count(line) for text in self._logs(f"rasa-{i + 1}"))
                for i in range(len(self.rasa_ports))]

    def _logs(self, name: str) -> list[str]:
        return [p.read_text(errors="replace") for p in self.log_dir.glob(f"{name}.log*")]

    def tracker_events(self, session: str, type_name: str | None = None) -> list[dict]:
        """The conversation's events in Rasa's tracker store, in order (of one type only
        when `type_name` is given)."""
        query, values = "SELECT data FROM events WHERE sender_id = %s", [session]
        if type_name:
            query, values = query + " AND type_name = %s", [session, type_name]
        with self.postgres.connect("rasa") as db:
            rows = db.execute(query + " ORDER BY id", values).fetchall()
        return [json.loads(data) for (data,) in rows]

    def tracker_user_turns(self, session: str) -> list[str]:
        """The person's messages in Rasa's tracker store, in order."""
        return [event["text"] for event in self.tracker_events(session, "user")]

    def stored_user_turns(self, session: str) -> list[str]:
        """The person's messages in the gateway's database, in order."""
        with self.postgres.connect("bagou") as db:
            rows = db.execute("SELECT text FROM chat_messages WHERE session_id = %s AND "
                              "sender = 'user' ORDER BY id", (session,)).fetchall()
        return [text for (text,) in rows]


@pytest.fixture(scope="module")
def topology(trained_model, services, tmp_path_factory):
    postgres, redis = services
    postgres.create_database("rasa")
    postgres.create_database("bagou")
    first_port = free_port_range(2)
    with start_bagou(
        trained_model, tmp_path_factory.mktemp("topology"),
        BAGOU_RASA_INSTANCES="2", BAGOU_RASA_PORT=str(first_port),
        BAGOU_RASA_TRACKER_URL=postgres.url("rasa"), BAGOU_RASA_LOCK_URL=redis.url,
        BAGOU_DATABASE_URL=postgres.url("bagou", "postgresql+psycopg"),
        # Rasa's debug log says which process took the lock of each message.
        LOG_LEVEL="DEBUG",
    ) as bagou:
        yield Topology(bagou, postgres, redis, [first_port, first_port + 1])


def simple_version_of(topic: str) -> str:
    variations = yaml.safe_load((PROJECT_ROOT / "faq" / f"{topic}.yml").read_text())[
        "responses"][f"utter_faq/{topic}"]
    return next(v["text"] for v in variations if v.get("condition"))


def chat(topology: Topology, text: str, session: str | None, topic: str) -> dict:
    answer = topology.bagou.chat(text, session)
    assert answer.status_code == 200, answer.text
    assert (text, answer.json()["topic"]) == (text, topic)
    return answer.json()


LEA, LEA_PHONE = "lea.martin@example.org", "06 12 34 56 78"


def lea_sees_her_badges(topology: Topology) -> str:
    """Léa, signed in by the site, asks for her badges (the badge action reads her
    e-mail from the turn's metadata) and sees them; the conversation's id."""
    import jwt

    from tests.helpers.processes import TEST_SITE, TEST_SITE_SECRET

    token = jwt.encode({"iss": TEST_SITE, "email": LEA, "name": "Léa Martin",
                        "exp": int(time.time()) + 600}, TEST_SITE_SECRET, algorithm="HS256")
    first = topology.bagou.chat("montre moi mes badges", site_token=token)
    assert first.status_code == 200 and first.json()["topic"] == "mes_badges", first.text
    assert first.json()["replies"][0]["text"] == "Vous avez 4 badges."
    return first.json()["session_id"]


@pytest.mark.stack
def test_health_reports_both_rasa_processes(topology):
    health = topology.health()
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["rasa_instances"] == {
        f"http://127.0.0.1:{port}": True for port in topology.rasa_ports}


@pytest.mark.stack
def test_a_conversation_served_by_both_processes_keeps_its_context(topology):
    turns = [("comment je partage mon badge ?", "partager_badge"),
             ("et sur linkedin ?", "partager_linkedin"),
             ("j'ai pas compris", "plus_simple"),
             ("et pour mon cv", "partager_cv")]
    session, answers = None, []
    for text, topic in turns:
        answers.append(chat(topology, text, session, topic))
        session = answers[-1]["session_id"]
    # « j'ai pas compris » gets the simpler version of the answer just before.
    assert answers[2]["replies"][0]["text"] == simple_version_of("partager_linkedin")

    assert all(topology.served(session))  # each process handled some turns
    assert sum(topology.served(session)) == len(turns)
    assert topology.tracker_user_turns(session) == [text for text, _ in turns]
    assert topology.stored_user_turns(session) == [text for text, _ in turns]


@pytest.mark.stack
def test_rasas_tracker_store_keeps_no_learners_email_phone_or_name(topology):
    """Léa, signed in by the site, sees her badges (the action reads her e-mail from the
    turn's metadata) and types her phone and address: Rasa's tracker store in PostgreSQL
    has them masked, as the gateway's database has (rasa_ext/tracker_store.py)."""
    email, phone = LEA, LEA_PHONE
    session = lea_sees_her_badges(topology)
    typed = f"je m'appelle Léa Martin, mon numéro est {phone} et mon adresse {email}"
    assert topology.bagou.chat(typed, session).status_code == 200
    again = topology.bagou.chat("mes badges", session).json()  # still identified
    assert again["replies"][0]["text"] == "Vous avez 4 badges."

    rows = topology.tracker_events(session)
    stored = json.dumps(rows, ensure_ascii=False)  # the rows escape accents
    assert rows and "[e-mail masqué]" in stored and "[téléphone masqué]" in stored
    for clear in (email, phone, "Léa", "Martin"):
        assert clear not in stored, clear
    # Rasa got neutral values for the phone and address and not her name (bot/privacy.py
    # mask_for_rasa); its store masks what it writes; the gateway keeps its own masks.
    assert topology.tracker_user_turns(session)[1] == (
        "je m'appelle , mon numéro est [téléphone masqué] et mon adresse [e-mail masqué]")
    assert topology.stored_user_turns(session)[1] == (
        "je m'appelle [nom masqué], mon numéro est [téléphone masqué] et mon adresse "
        "[e-mail masqué]")


# The OBF sandbox's tables stand for OBF's own database (its demo learners' addresses are
# what OBF keeps); they are not Bagou's stores.
OBF_SANDBOX_TABLES = ("sandbox_",)


def postgres_text(topology: Topology, database: str) -> str:
    """Every row of every table of a database, as text."""
    with topology.postgres.connect(database) as db:
        tables = [t for (t,) in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        rows = [str(row) for table in tables if not table.startswith(OBF_SANDBOX_TABLES)
                for (row,) in db.execute(f'SELECT CAST(t AS text) FROM "{table}" t')]
    assert tables and rows
    return "\n".join(rows)


def redis_text(topology: Topology) -> str:
    """Every key of Redis with its value, as text."""
    import redis

    client = redis.Redis.from_url(topology.redis.url)
    read = {"string": client.get, "hash": client.hgetall, "set": client.smembers,
            "list": lambda k: client.lrange(k, 0, -1), "zset": lambda k: client.zrange(k, 0, -1)}
    dumped = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        dumped.append(f"{key!r} {kind} {read[kind](key) if kind in read else ''!r}")
    return "\n".join(dumped)


def logs_text(topology: Topology) -> str:
    """Every file that Bagou wrote next to its logs (each part's log, `bagou run`'s own
    output, the generated endpoints file) and PostgreSQL's server log."""
    files = [p for p in topology.bagou.output.parent.rglob("*") if p.is_file()]
    files.append(topology.postgres.log)
    assert any(p.name == "rasa-1.log" for p in files) and any(p.name == "actions.log"
                                                               for p in files)
    return "\n".join(p.read_text(errors="replace") for p in files)


@pytest.mark.stack
def test_no_store_nor_log_keeps_the_learners_address_or_phone(topology):
    """Issue 24: after Léa, signed in by the site, looked at her badges and typed her
    phone and address, neither is in clear anywhere: Rasa's tracker store and the
    gateway's database (PostgreSQL), Redis, any log of any part. Her e-mail reached the
    badge action sealed (she saw her badges), never in clear."""
    email, phone = LEA, LEA_PHONE
    session = lea_sees_her_badges(topology)
    in_redis = [redis_text(topology)]  # Rasa's locks live a few seconds: read after each turn
    for typed in (f"mon numéro est le {phone}", f"écrivez-moi à {email} svp",
                  f"mon tel {phone.replace(' ', '')} et mon mail {email.upper()}"):
        assert topology.bagou.chat(typed, session).status_code == 200
        in_redis.append(redis_text(topology))
    # Still identified (« mes badges » alone would be read as a follow-up of the e-mail
    # topic that « mon mail » took the turn before to).
    again = topology.bagou.chat("montre moi mes badges", session).json()
    assert again["replies"][0]["text"] == "Vous avez 4 badges."
    time.sleep(1)  # the last log lines

    identities = [event["metadata"]["identity"]
                  for event in topology.tracker_events(session, "user")]
    assert identities and all(set(i) == {"kind", "source", "ref"} for i in identities)
    places = {"Rasa's tracker store": postgres_text(topology, "rasa"),
              "the gateway's database": postgres_text(topology, "bagou"),
              "Redis": "\n".join([*in_redis, redis_text(topology)]),
              "the logs": logs_text(topology)}
    assert session in places["Rasa's tracker store"] and session in places["the gateway's database"]
    clear = [email, email.replace("@", "%40"), phone, phone.replace(" ", "")]
    for place, content in places.items():
        for value in clear:
            assert value.lower() not in content.lower(), f"{value} in {place}"


@pytest.mark.stack
@pytest.mark.parametrize("index, stop", [(0, signal.SIGTERM), (1, signal.SIGKILL)],
                         ids=["sigterm", "sigkill"])
def test_stopping_a_rasa_process_loses_no_message(topology, index, stop):
    topology.bagou.wait_healthy()  # both processes up (`bagou run` restarts a stopped one)
    port = topology.rasa_ports[index]
    session = chat(topology, "C'est quoi un open badge ?", None, "badge_definition")["session_id"]

    rasa = topology.rasa_process(port)
    rasa.send_signal(stop)
    rasa.wait(60)
    health = topology.health()
    assert health.status_code == 200  # Bagou still answers
    assert health.json()["status"] == "partial"
    assert health.json()["rasa_instances"][f"http://127.0.0.1:{port}"] is False

    # Each message in turn is first offered to the stopped process: none is lost.
    after = [("j'ai pas compris", "plus_simple"),
             ("comment je partage mon badge ?", "partager_badge"),
             ("et sur linkedin ?", "partager_linkedin"),
             ("merci !", "merci")]
    answers = [chat(topology, text, session, topic) for text, topic in after]
    assert answers[0]["replies"][0]["text"] == simple_version_of("badge_definition")

    sent = ["C'est quoi un open badge ?", *(text for text, _ in after)]
    assert topology.tracker_user_turns(session) == sent  # each turn once
    assert topology.stored_user_turns(session) == sent
    history = httpx.get(f"{topology.bagou.url}/api/chat/{session}/history", timeout=10).json()
    assert [m["text"] for m in history["messages"] if m["sender"] == "user"] == sent
    senders = [m["sender"] for m in history["messages"]]
    assert all(senders[i + 1:i + 2] == ["bot"] for i, s in enumerate(senders) if s == "user")


@pytest.mark.stack
def test_a_rasa_killed_while_holding_a_conversations_lock_blocks_it_only_briefly(topology):
    """A Rasa process dies in the middle of a turn, holding the conversation's lock in
    Redis: the person reads the FALC apology for that turn, sends the message again and
    gets the answer from the other process within a bounded time (the lock lifetime that
    `bagou run` sets, shorter than the gateway's timeout; with Rasa's default of 60 s
    every resend got the apology for a minute), with the conversation's context."""
    topology.bagou.wait_healthy()  # both processes up
    topology.warm_up()
    first = "comment je partage mon badge ?"
    session = chat(topology, first, None, "partager_badge")["session_id"]
    before = topology.served(session)

    # « j'ai pas compris » runs a custom action: with the action server paused, the
    # Rasa process that takes the turn holds the lock until we kill it.
    with topology.actions_paused(), ThreadPoolExecutor(1) as pool:
        lost = pool.submit(topology.bagou.chat, "j'ai pas compris", session)
        deadline = time.monotonic() + 30
        while topology.served(session) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        holders = [i for i, (a, b) in enumerate(zip(before, topology.served(session)))
                   if b > a]
        assert len(holders) == 1, "no Rasa process took the turn"
        rasa = topology.rasa_process(topology.rasa_ports[holders[0]])
        rasa.kill()
        rasa.wait(60)
        lost = lost.result()
    assert lost.status_code == 503, lost.text
    assert (lost.json()["error"], lost.json()["message"]) == (
        "assistant_indisponible", text("assistant_indisponible"))

    # The person sends it again, as soon as the apology shows, until it is answered.
    # (A resend whose Rasa ticket was issued less than Rasa's 1-s polling after the lost
    # one can miss its turn: its own ticket expires in the same poll as the dead one, and
    # Rasa then waits for ever; the gateway gives up, the apology shows again, and the
    # next resend is answered.)
    resent, deadline = [], time.monotonic() + 20
    while not resent or (resent[-1].status_code != 200 and time.monotonic() < deadline):
        resent.append(topology.bagou.chat("j'ai pas compris", session))
    assert resent[-1].status_code == 200, [r.status_code for r in resent]
    assert all(r.status_code == 503 and r.json()["error"] == "assistant_indisponible"
               for r in resent[:-1])
    # The context is kept: the simpler version of the answer before.
    assert resent[-1].json()["replies"][0]["text"] == simple_version_of("partager_badge")
    # The lost turn left nothing in Rasa's tracker; the answered one is there once.
    assert topology.tracker_user_turns(session) == [first, "j'ai pas compris"]
    history = httpx.get(f"{topology.bagou.url}/api/chat/{session}/history", timeout=10).json()
    assert [m["sender"] for m in history["messages"]][-2:] == ["user", "bot"]


@pytest.mark.stack
def test_no_password_is_written_to_a_log_or_a_file(topology):
    secrets = [topology.postgres.password, topology.redis.password]
    files = [*topology.log_dir.iterdir(), topology.bagou.output]
    assert any(f.name == "rasa-endpoints.yml" for f in files)
    for file in files:
        content = file.read_text(errors="replace")
        assert not [s for s in secrets if s in content], file.name


def test_a_database_outage_gets_a_falc_answer_and_the_gateway_recovers_alone(services,
                                                                               monkeypatch):
    """PostgreSQL stops under the gateway: the person reads a short FALC message (503,
    nothing half-stored); when it comes back, the same gateway answers again, with no
    restart, and what was stored before is still there."""
    postgres, _ = services
    settings = gateway_settings(postgres, "outage", monkeypatch)
    with TestClient(create_app(settings)) as client:
        first = client.post("/api/chat", json={"text": "C'est quoi un badge ?"}).json()
        session = first["session_id"]
        postgres.stop()
        try:
            down = client.post("/api/chat", json={"text": "Et ensuite ?", "session_id": session})
            assert down.status_code == 503 and down.json()["error"] == "base_indisponible"
            assert down.json()["message"] == text("base_indisponible")
            assert down.headers["retry-after"] == "30"
            thumb = client.post("/api/feedback", json={
                "session_id": session, "message_id": first["replies"][0]["id"], "value": "up"})
            assert thumb.status_code == 503  # refused visibly: the widget can say so
            assert client.get("/health").json()["database"] is False
        finally:
            postgres.start()
        again = client.post("/api/chat", json={"text": "Et ensuite ?", "session_id": session})
        assert again.status_code == 200, again.text
        history = client.get(f"/api/chat/{session}/history").json()
        assert [m["text"] for m in history["messages"] if m["sender"] == "user"] == [
            "C'est quoi un badge ?", "Et ensuite ?"]


def test_a_look_up_during_a_database_outage_shows_no_badges_and_the_console_recovers(
        services, monkeypatch):
    """An adviser's consented look-up while PostgreSQL stops: the audit line cannot be
    written, so the badges are not shown and the adviser reads a FALC page (never the
    API's JSON nor a stack trace). When PostgreSQL is back, the same gateway and the
    same sign-in work again, and each look-up that showed badges has its audit line."""
    import bot.console.badges as console_routes
    from tests.helpers.console import KEY, T, csrf_of, first_line, look_up, sign_in

    postgres, _ = services
    for name in ("OBF_BASE_URL", "OBF_CLIENT_ID", "OBF_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)  # the gateway's own OBF sandbox
    settings = gateway_settings(postgres, "console", monkeypatch, secret_key=KEY,
                                obf_sandbox=True)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    with make_sessionmaker(engine).begin() as s:
        accounts.create_user(s, "conseil", "Camille", "adviser", "un mot de passe assez long")
    engine.dispose()

    reads = []
    real_look_up = console_routes.look_up

    async def look_up_then(obf, email):
        result = await real_look_up(obf, email)
        reads.append(email)
        if outage_after_read:
            postgres.stop()  # the outage starts after the OBF read, before the audit line
        return result

    monkeypatch.setattr(console_routes, "look_up", look_up_then)
    outage_after_read = False
    badge = "Point Info Badge"  # one of Léa's badges in the sandbox

    def audit_lines() -> list[tuple]:
        with postgres.connect("console") as db:
            return db.execute("SELECT user_login, consent, outcome, badge_count "
                              "FROM console_audit ORDER BY id").fetchall()

    def is_falc_page(response, key: str) -> bool:
        return (response.headers["content-type"].startswith("text/html")
                and first_line(key) in response.text and "Traceback" not in response.text)

    with TestClient(create_app(settings), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        assert sign_in(client, "conseil").status_code == 303
        before = look_up(client, "lea.martin@example.org")
        assert before.status_code == 200 and badge in before.text
        assert audit_lines() == [("conseil", True, "ok", 4)]

        outage_after_read = True
        try:
            during = look_up(client, "lea.martin@example.org")
            assert during.status_code == 503, during.text
            assert is_falc_page(during, "journal_indisponible")
            assert badge not in during.text and T["titre_badges"] not in during.text
            assert during.headers["retry-after"] == "30"
            assert "Camille" in during.text  # still the adviser's page, the form kept
            assert 'value="lea.martin@example.org"' in during.text
            assert len(reads) == 2

            # Still down: the console cannot read its sessions; every page says so in
            # FALC, and no badge is read.
            for page in (client.get("/conseiller/badges"), client.get("/conseiller"),
                         look_up_again(client, csrf_of(during))):
                assert page.status_code == 503, page.text
                assert is_falc_page(page, "base_indisponible")
            assert len(reads) == 2
        finally:
            outage_after_read = False
            if not _postgres_answers(postgres):
                postgres.start()

        # The same gateway, the same sign-in: no restart, no new sign-in.
        assert client.get("/conseiller/badges").status_code == 200
        after = look_up(client, "lea.martin@example.org")
        assert after.status_code == 200 and badge in after.text
    # The look-up that showed nothing wrote nothing; each one that showed badges did.
    assert audit_lines() == [("conseil", True, "ok", 4), ("conseil", True, "ok", 4)]


def look_up_again(client, csrf: str) -> httpx.Response:
    """The adviser clicks « Voir les badges » again on the page they have."""
    return client.post("/conseiller/badges", data={
        "csrf": csrf, "email": "lea.martin@example.org", "accord": "oui"})


def _postgres_answers(postgres: Postgres) -> bool:
    try:
        postgres.connect().close()
        return True
    except Exception:
        return False
