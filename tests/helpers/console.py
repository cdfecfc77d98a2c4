"""The adviser console as a browser uses it: its CSRF token, signing in, a badge look-up."""

import re

from bot.console.pages import texts

PASSWORD = "un mot de passe assez long"
KEY = "cle-de-test-" + "x" * 32
T = texts()


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
