"""The adviser console as a browser uses it: a gateway with its console and accounts,
its CSRF token, signing in, a badge look-up."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from bot.console import accounts
from bot.console.pages import texts
from bot.db.engine import make_engine, make_sessionmaker, upgrade_schema
from bot.ops.supervisor import free_port
from bot.settings import Settings

PASSWORD = "un mot de passe assez long"
KEY = "cle-de-test-" + "x" * 32
T = texts()
# The console's accounts in most tests: (login, name, role); each one's password is PASSWORD.
STAFF = (("conseil", "Conseil", "adviser"), ("redac", "Redac", "editor"),
         ("chef", "Chef", "admin"))


def console_settings(tmp_path, monkeypatch, **values) -> Settings:
    """A gateway with its console and the OBF sandbox in-process (no OBF_* variable of
    the environment), Rasa and the actions on free ports where nothing answers."""
    for name in ("OBF_BASE_URL", "OBF_CLIENT_ID", "OBF_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_port=free_port(),
                    actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                    secret_key=KEY, obf_sandbox=True, **values)


@contextmanager
def with_accounts(settings: Settings, users=STAFF) -> Iterator[sessionmaker]:
    """The gateway's database, migrated, holding these console accounts; its sessions."""
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        for login, name, role in users:
            accounts.create_user(s, login, name, role, PASSWORD)
    try:
        yield sessions
    finally:
        engine.dispose()


def browser(app, **options) -> TestClient:
    """A client on https://testserver: the console's session cookie is Secure, as in a
    browser."""
    return TestClient(app, base_url="https://testserver", **options)


def csrf_of(response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def sign_in(client, login, password=PASSWORD, **headers):
    page = client.get("/conseiller/connexion")
    return client.post("/conseiller/connexion", data={
        "csrf": csrf_of(page), "identifiant": login, "mot_de_passe": password},
        follow_redirects=False, headers=headers)


def first_line(key: str) -> str:
    return T[key].splitlines()[0].replace("'", "&#39;")


def look_up(client, email, consent=True):
    form = client.get("/conseiller/badges")
    data = {"csrf": csrf_of(form), "email": email}
    if consent:
        data["accord"] = "oui"
    return client.post("/conseiller/badges", data=data)


def summary_of(html: str) -> str:
    """The learner's summary section of a look-up page."""
    start = html.index('<section class="summary"')
    return html[start:html.index("</section>", start)]


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd), that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        from bot.ops.supervisor import free_port
        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *_):
        self.controller.stop()
