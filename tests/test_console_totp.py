"""The console's second factor (« double vérification », TOTP) end to end, as a browser
uses it over HTTP (httpx through Starlette's TestClient): turning it on with the phone
app's key, recovery codes, the code asked at sign-in, replays and guesses refused, an
admin who requires it for every adviser or removes it from an account, the audit lines.
The phone app is pyotp with the key that the page shows."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.console import accounts, totp
from bot.console.comptes import account_ref
from bot.db.models import ConsoleAudit, ConsoleRecoveryCode, ConsoleSession, ConsoleUser
from tests.helpers.console import KEY, T, console_settings, csrf_of, sign_in, with_accounts
from tests.helpers.console import browser as console_browser

CODE_PAGE = "/conseiller/connexion/code"
PAGE = "/conseiller/double-verification"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return console_settings(tmp_path, monkeypatch, contact_name="La Passerelle")


@pytest.fixture
def db(settings):
    with with_accounts(settings) as sessions:
        yield sessions


@pytest.fixture
def app(settings, db, monkeypatch):
    async def rasa(_self, _sender, _text, _metadata):
        return [{"text": "Un badge montre une compétence.", "utter_action": "utter_faq/badge_definition"}]

    monkeypatch.setattr(RasaClient, "send", rasa)
    return create_app(settings)


def browser(app):
    return console_browser(app, raise_server_exceptions=False)


@pytest.fixture
def client(app):
    with browser(app) as client:
        yield client


def plain(html: str) -> str:
    return html.replace("&#39;", "'")


def shows(key: str, response) -> bool:
    """The page says the first line of this text (texts/console.yml)."""
    return T[key].splitlines()[0] in plain(response.text)


def turn_on(client, login="conseil"):
    """Signs in and turns the second factor on with the phone app; returns the app (a
    pyotp.TOTP of the key the page shows) and the recovery codes."""
    assert sign_in(client, login).status_code == 303
    page = client.get(PAGE)
    assert page.status_code == 200 and T["activer_double"] in plain(page.text)
    setup = client.post(f"{PAGE}/activer", data={"csrf": csrf_of(page)})
    assert setup.status_code == 200
    assert '<svg role="img"' in setup.text and T["qr_double"] in plain(setup.text)
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', setup.text).group(1)
    phone = pyotp.TOTP(key.replace(" ", ""))
    wrong = client.post(f"{PAGE}/confirmer", data={"csrf": csrf_of(setup), "code": "000000"})
    assert wrong.status_code == 422 and shows("code_refuse", wrong)
    done = client.post(f"{PAGE}/confirmer", data={"csrf": csrf_of(setup), "code": phone.now()})
    assert done.status_code == 200 and shows("double_activee", done)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    assert len(codes) == totp.RECOVERY_COUNT and len(set(codes)) == totp.RECOVERY_COUNT
    return phone, codes


def next_code(phone: pyotp.TOTP) -> str:
    """The code of the next 30 s step: the one of this step was used already (the
    server accepts one step of drift, never a code twice)."""
    return phone.at(time.time() + totp.STEP_SECONDS)


def sign_in_with_code(client, code, login="conseil"):
    first = sign_in(client, login)
    assert first.status_code == 303 and first.headers["location"] == CODE_PAGE
    page = client.get(CODE_PAGE)
    assert page.status_code == 200
    return client.post(CODE_PAGE, data={"csrf": csrf_of(page), "code": code},
                       follow_redirects=False)


def audit_actions(db) -> list[tuple[str, str]]:
    with db() as s:
        return [(line.user_login, line.action) for line in s.scalars(
            select(ConsoleAudit).order_by(ConsoleAudit.id))]


def test_an_adviser_turns_it_on_and_then_signs_in_with_the_code_of_the_phone(app, client, db):
    phone, codes = turn_on(client)
    with db() as s:
        user = s.scalar(select(ConsoleUser).where(ConsoleUser.login == "conseil"))
        hashes = [row.code_hash for row in s.scalars(select(ConsoleRecoveryCode))]
    # Kept sealed and hashed: neither the key nor a recovery code is in the database.
    assert phone.secret not in user.totp_secret and user.totp_secret.startswith("v1:")
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert audit_actions(db) == [("conseil", "totp_enable")]

    with browser(app) as other:  # another browser: the password is not enough any more
        first = sign_in(other, "conseil")
        assert first.status_code == 303 and first.headers["location"] == CODE_PAGE
        assert "bagou_conseiller" not in other.cookies
        assert other.get("/conseiller", follow_redirects=False).headers["location"].startswith(
            "/conseiller/connexion")
        page = other.get(CODE_PAGE)
        assert shows("code_intro", page)
        assert 'autocomplete="one-time-code"' in page.text
        wrong = other.post(CODE_PAGE, data={"csrf": csrf_of(page), "code": "123456"})
        assert wrong.status_code == 401 and shows("code_refuse", wrong)
        right = other.post(CODE_PAGE, data={"csrf": csrf_of(wrong), "code": next_code(phone)},
                           follow_redirects=False)
        assert right.status_code == 303 and right.headers["location"] == "/conseiller"
        assert other.get("/conseiller").status_code == 200
    # The same code a second time (seen over a shoulder) opens nothing.
    with browser(app) as thief:
        assert sign_in_with_code(thief, next_code(phone)).status_code == 401


def test_a_recovery_code_works_once_and_is_audited(app, client, db):
    _phone, codes = turn_on(client)
    with browser(app) as other:
        assert sign_in_with_code(other, codes[3].upper()).status_code == 303
    with browser(app) as other:
        assert sign_in_with_code(other, codes[3]).status_code == 401
    assert ("conseil", "totp_recovery_used") in audit_actions(db)
    page = client.get(PAGE)
    assert T["double_en_marche"].format(nombre=9).splitlines()[1] in plain(page.text)


def test_guessing_codes_locks_the_account_like_wrong_passwords(app, client, db):
    phone, _codes = turn_on(client)
    with browser(app) as guesser:
        assert sign_in(guesser, "conseil").headers["location"] == CODE_PAGE
        page = guesser.get(CODE_PAGE)
        for guess in range(accounts.ACCOUNT_MAX_FAILURES):
            page = guesser.post(CODE_PAGE, data={"csrf": csrf_of(page), "code": f"{guess:06d}"})
            assert page.status_code == 401
        locked = guesser.post(CODE_PAGE, data={"csrf": csrf_of(page), "code": next_code(phone)})
        assert locked.status_code == 429 and shows("connexion_bloquee", locked)
        # Locked for the password too, as after 5 wrong passwords.
        assert sign_in(guesser, "conseil").status_code == 429


def test_the_code_step_needs_its_form_token_and_a_cookie_that_was_not_forged(app, client, db):
    phone, _codes = turn_on(client)
    with browser(app) as other:
        sign_in(other, "conseil")
        page = other.get(CODE_PAGE)
        no_token = other.post(CODE_PAGE, data={"code": next_code(phone)})
        assert no_token.status_code == 403 and shows("formulaire_expire", no_token)
        elsewhere = other.post(CODE_PAGE, data={"csrf": csrf_of(page), "code": next_code(phone)},
                               headers={"origin": "https://evil.example"})
        assert elsewhere.status_code == 403
        # A pending cookie made up for another account (the admin's) is refused.
        with db() as s:
            chef = s.scalar(select(ConsoleUser).where(ConsoleUser.login == "chef"))
        pending = other.cookies.get("bagou_code")
        forged = f"{chef.id}." + pending.split(".", 1)[1]
        other.cookies.set("bagou_code", forged, domain="testserver.local", path="/conseiller/connexion")
        assert other.get(CODE_PAGE, follow_redirects=False).headers["location"].endswith(
            "motif=expiree")
    with browser(app) as nobody:  # no password before: no code page
        response = nobody.get(CODE_PAGE, follow_redirects=False)
        assert response.status_code == 303 and "motif=expiree" in response.headers["location"]
    # The forms of one's own page are checked like the others.
    assert client.post(f"{PAGE}/arreter", data={"code": next_code(phone)}).status_code == 403


def test_new_recovery_codes_and_turning_it_off_need_a_code(app, client, db):
    phone, codes = turn_on(client)
    page = client.get(PAGE)
    wrong = client.post(f"{PAGE}/codes", data={"csrf": csrf_of(page), "code": "999999"})
    assert wrong.status_code == 422
    renewed = client.post(f"{PAGE}/codes", data={"csrf": csrf_of(page), "code": codes[0]})
    assert renewed.status_code == 200 and shows("double_nouveaux_codes", renewed)
    fresh = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", renewed.text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    with browser(app) as other:  # the old codes stopped working
        assert sign_in_with_code(other, codes[1]).status_code == 401
    off = client.post(f"{PAGE}/arreter", data={"csrf": csrf_of(page), "code": next_code(phone)})
    assert off.status_code == 200 and shows("double_arretee", off)
    with browser(app) as other:  # the password alone again
        assert sign_in(other, "conseil").headers["location"] == "/conseiller"
    assert [a for _, a in audit_actions(db)] == ["totp_enable", "totp_codes", "totp_disable"]


def test_an_admin_requires_it_for_every_adviser_who_sets_it_up_before_anything_else(app, client, db):
    assert sign_in(client, "chef").status_code == 303
    accounts_page = client.get("/conseiller/comptes")
    assert shows("double_pas_exigee_etat", accounts_page)
    required = client.post("/conseiller/comptes/double-verification",
                           data={"csrf": csrf_of(accounts_page), "exige": "oui"})
    assert required.status_code == 200 and shows("double_exigee", required)
    # The admin, an adviser too, is sent to set it up at the next page.
    home = client.get("/conseiller", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == PAGE

    with browser(app) as adviser:
        assert sign_in(adviser, "conseil").status_code == 303
        for path in ("/conseiller", "/conseiller/badges", "/conseiller/entretien"):
            response = adviser.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"] == PAGE, path
        page = adviser.get(PAGE)
        assert shows("double_a_faire", page)
        # A look-up is refused before the second factor (no audit line, nothing read).
        refused = adviser.post("/conseiller/badges", data={
            "csrf": csrf_of(page), "email": "lea.martin@example.org", "accord": "oui"},
            follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"] == PAGE
        phone, _codes = turn_on_signed_in(adviser)
        assert adviser.get("/conseiller").status_code == 200
        # Required: it cannot be turned off.
        page = adviser.get(PAGE)
        assert shows("double_obligatoire", page)
        kept = adviser.post(f"{PAGE}/arreter", data={"csrf": csrf_of(page), "code": next_code(phone)})
        assert kept.status_code == 409
    with browser(app) as editor:  # editors read no learner's badges: not required
        assert sign_in(editor, "redac").status_code == 303
        assert editor.get("/conseiller/tableau").status_code == 200
    actions = audit_actions(db)
    assert ("chef", "totp_required_on") in actions and ("conseil", "totp_enable") in actions
    with db() as s:
        line = s.scalar(select(ConsoleAudit).where(ConsoleAudit.action == "totp_required_on"))
        assert line.learner_ref == totp.POLICY_SUBJECT


def turn_on_signed_in(client):
    page = client.get(PAGE)
    setup = client.post(f"{PAGE}/activer", data={"csrf": csrf_of(page)})
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', setup.text).group(1)
    phone = pyotp.TOTP(key.replace(" ", ""))
    done = client.post(f"{PAGE}/confirmer", data={"csrf": csrf_of(setup), "code": phone.now()})
    assert done.status_code == 200
    return phone, re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", done.text)


def test_an_admin_removes_the_second_factor_of_a_lost_phone_and_it_shows_in_the_trail(app, client, db):
    turn_on(client)
    with db() as s:
        adviser = s.scalar(select(ConsoleUser).where(ConsoleUser.login == "conseil"))
    with browser(app) as admin:
        sign_in(admin, "chef")
        page = admin.get("/conseiller/comptes")
        assert f"{T['retirer_double']} : conseil" in plain(page.text)
        removed = admin.post(f"/conseiller/comptes/{adviser.id}/double-verification",
                             data={"csrf": csrf_of(page)})
        assert removed.status_code == 200 and shows("double_retiree", removed)
        # The adviser's sessions ended; the password alone opens the console again.
        assert client.get("/conseiller", follow_redirects=False).status_code == 303
        assert sign_in(client, "conseil").headers["location"] == "/conseiller"
        trail = plain(admin.get("/conseiller/journal").text)
        assert T["journal_action_totp_enable"] in trail and T["journal_action_totp_reset"] in trail
        assert admin.post("/conseiller/comptes/99999/double-verification",
                          data={"csrf": csrf_of(page)}).status_code == 404
    with db() as s:
        assert s.scalars(select(ConsoleRecoveryCode)).all() == []
        line = s.scalar(select(ConsoleAudit).where(ConsoleAudit.action == "totp_reset"))
        assert (line.user_login, line.learner_ref) == ("chef", account_ref(KEY.encode(), "conseil"))


def test_a_sealed_secret_opens_only_with_the_server_key_and_for_its_account():
    sealed = totp.seal(b"key one", 7, "JBSWY3DPEHPK3PXP")
    assert totp.unseal(b"key one", 7, sealed) == "JBSWY3DPEHPK3PXP"
    for key, user_id in ((b"key two", 7), (b"key one", 8)):
        with pytest.raises(totp.SecretUnreadable):
            totp.unseal(key, user_id, sealed)


def test_a_code_is_accepted_one_step_early_or_late_and_never_twice():
    secret = pyotp.random_base32()
    phone, now = pyotp.TOTP(secret), 1_800_000_000.0
    step = int(now // 30)
    assert totp.matching_step(secret, phone.at(now - 30), None, now) == step - 1
    assert totp.matching_step(secret, phone.at(now + 30), None, now) == step + 1
    assert totp.matching_step(secret, phone.at(now - 60), None, now) is None
    assert totp.matching_step(secret, phone.at(now), step, now) is None  # used already
    assert totp.matching_step(secret, " " + phone.at(now)[:3] + " " + phone.at(now)[3:], None, now) == step


def test_the_sessions_opened_before_it_was_turned_on_end(app, client, db):
    with browser(app) as older:
        assert sign_in(older, "conseil").status_code == 303
        turn_on(client)
        assert older.get("/conseiller", follow_redirects=False).status_code == 303
    with db() as s:
        assert len(s.scalars(select(ConsoleSession)).all()) == 1


def test_bagou_user_totp_off_removes_it_from_the_command_line(app, client, db, settings, monkeypatch):
    from bot.ops.cli import main
    turn_on(client)
    monkeypatch.setenv("BAGOU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BAGOU_SECRET_KEY", KEY)
    assert main(["user", "totp-off", "Conseil"]) == 0
    assert main(["user", "totp-off", "personne"]) == 1
    with browser(app) as other:  # the password alone again
        assert sign_in(other, "conseil").headers["location"] == "/conseiller"
    assert audit_actions(db)[-1] == ("bagou", "totp_reset")
