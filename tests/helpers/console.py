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
