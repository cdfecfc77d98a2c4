"""The adviser console (/conseiller) without Rasa: accounts and sign-in security, roles,
the badge look-up (consent, audit), the dashboard and its CSV, pseudonymised storage and
the purge. Rasa is replaced by canned answers; the OBF sandbox is the gateway's own."""

import html
import re
from datetime import timedelta
from urllib.parse import quote, unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.chat.topics import all_topics
from bot.console import accounts, audit
from bot.console.insights import group_similar
from bot.console.pseudonym import learner_ref
from bot.console.purge import purge
from bot.db.models import (ChatFeedback, ChatMessage, ChatSession, ConsoleAudit,
                        ConsoleSession, utcnow)
from tests.helpers.console import (KEY, PASSWORD, T, SmtpServer, browser, console_settings,
                                   csrf_of, first_line, look_up, sign_in, summary_of,
                                   with_accounts)



@pytest.fixture
def settings(tmp_path, monkeypatch):
    return console_settings(tmp_path, monkeypatch)


@pytest.fixture
def db(settings):
    with with_accounts(settings) as sessions:
        yield sessions


def client_for(settings):
    return browser(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def app_client(settings, db, monkeypatch):
    async def rasa(_self, _sender, text, _metadata):
        if "blabla" in text:
            return [{"text": "Je n'ai pas compris.", "topic": "incompris"}]
        return [{"text": "Un **badge** montre une compétence.", "utter_action": "utter_faq/badge_definition"}]

    monkeypatch.setattr(RasaClient, "send", rasa)
    with client_for(settings) as client:
        yield client


# --- accounts and sign-in -------------------------------------------------------------

def test_sign_in_sets_a_secure_httponly_samesite_cookie_and_opens_the_console(app_client):
    response = sign_in(app_client, "Conseil")
    assert response.status_code == 303 and response.headers["location"] == "/conseiller"
    cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("bagou_conseiller=")][0]
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/conseiller"):
        assert flag.lower() in cookie.lower()
    home = app_client.get("/conseiller")
    assert home.status_code == 200 and "Conseil" in home.text
    assert "script-src 'self'" in home.headers["content-security-policy"]


def test_the_password_is_stored_as_an_argon2id_hash(db):
    with db() as s:
        user = s.scalar(select(accounts.ConsoleUser).where(accounts.ConsoleUser.login == "conseil"))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_a_wrong_password_is_refused_with_a_falc_message(app_client):
    response = sign_in(app_client, "conseil", "mauvais mot de passe")
    assert response.status_code == 401
    assert first_line("connexion_refusee") in response.text
    assert app_client.get("/conseiller", follow_redirects=False).status_code == 303


def test_an_account_is_locked_after_5_failures_even_for_the_right_password(app_client):
    for _ in range(accounts.ACCOUNT_MAX_FAILURES):
        assert sign_in(app_client, "conseil", "mauvais").status_code == 401
    locked = sign_in(app_client, "conseil")
    assert locked.status_code == 429 and first_line("connexion_bloquee") in locked.text
    # Another account from the same address still signs in.
    assert sign_in(app_client, "redac").status_code == 303


def test_an_address_is_locked_after_20_failures_on_any_logins(app_client):
    for i in range(accounts.ADDRESS_MAX_FAILURES):
        sign_in(app_client, f"inconnu{i}", "mauvais")
    assert sign_in(app_client, "redac").status_code == 429


def test_the_lock_ends_after_15_minutes(db):
    with db.begin() as s:
        then = utcnow() - timedelta(minutes=16)
        for _ in range(5):
            accounts.sign_in(s, b"k", "conseil", "faux", "1.2.3.4", now=then)
        assert accounts.sign_in(s, b"k", "conseil", PASSWORD, "1.2.3.4").user is not None


def test_a_sign_in_without_csrf_or_from_another_site_is_refused(app_client):
    page = app_client.get("/conseiller/connexion")
    no_token = app_client.post("/conseiller/connexion", data={
        "identifiant": "conseil", "mot_de_passe": PASSWORD}, follow_redirects=False)
    assert no_token.status_code == 403 and first_line("formulaire_expire") in no_token.text
    other_site = app_client.post("/conseiller/connexion", data={
        "csrf": csrf_of(page), "identifiant": "conseil", "mot_de_passe": PASSWORD},
        headers={"origin": "https://evil.example"}, follow_redirects=False)
    assert other_site.status_code == 403


def test_forms_of_a_signed_in_adviser_need_the_csrf_token(app_client, db):
    sign_in(app_client, "conseil")
    refused = app_client.post("/conseiller/badges", data={
        "email": "lea.martin@example.org", "accord": "oui", "csrf": "faux"})
    assert refused.status_code == 403 and first_line("formulaire_expire") in refused.text
    assert app_client.post("/conseiller/deconnexion", data={}).status_code == 403
    with db() as s:
        assert s.scalars(select(ConsoleAudit)).all() == []


def test_bad_form_bodies_get_a_falc_message(app_client):
    sign_in(app_client, "conseil")
    response = app_client.post("/conseiller/badges", content=b"{}",
                               headers={"content-type": "application/json"})
    assert response.status_code == 422 and first_line("formulaire_incomplet") in response.text
    empty = app_client.post("/conseiller/connexion", data={"csrf": "x"})
    assert empty.status_code in (403, 422)
    page = app_client.get("/conseiller/badges")
    big = app_client.post("/conseiller/badges", data={"csrf": csrf_of(page), "email": "x" * 20_000})
    assert big.status_code == 413 and first_line("formulaire_trop_gros") in big.text


def test_sign_out_ends_the_session_on_the_server(app_client, db):
    sign_in(app_client, "conseil")
    token = app_client.cookies.get("bagou_conseiller")
    home = app_client.get("/conseiller")
    out = app_client.post("/conseiller/deconnexion", data={"csrf": csrf_of(home)},
                          follow_redirects=False)
    assert out.status_code == 303 and "motif=deconnecte" in out.headers["location"]
    with db() as s:
        assert s.scalars(select(ConsoleSession)).all() == []
    # The old cookie, replayed, opens nothing: back to the sign-in page with a message.
    app_client.cookies.set("bagou_conseiller", token, domain="testserver.local", path="/conseiller")
    again = app_client.get("/conseiller", cookies={"bagou_conseiller": token}, follow_redirects=False)
    assert again.status_code == 303 and "motif=expiree" in again.headers["location"]
    page = app_client.get(again.headers["location"])
    assert first_line("connexion_expiree") in page.text


def test_an_idle_session_expires(app_client, db):
    sign_in(app_client, "conseil")
    with db.begin() as s:
        for row in s.scalars(select(ConsoleSession)):
            row.last_seen_at = utcnow() - timedelta(hours=2)
    response = app_client.get("/conseiller", follow_redirects=False)
    assert response.status_code == 303 and "motif=expiree" in response.headers["location"]


# --- roles ----------------------------------------------------------------------------

ADVISER_PAGES = ["/conseiller/entretien", "/conseiller/badges", "/conseiller/montrer"]
EDITOR_PAGES = ["/conseiller/tableau", "/conseiller/tableau/sujets.csv",
                "/conseiller/tableau/incompris.csv", "/conseiller/tableau/pas-utiles.csv"]


@pytest.mark.parametrize("login,allowed,refused", [
    ("conseil", ADVISER_PAGES, EDITOR_PAGES),
    ("redac", EDITOR_PAGES, ADVISER_PAGES),
    ("chef", ADVISER_PAGES + EDITOR_PAGES, []),
])
def test_each_role_reaches_its_pages_only(app_client, login, allowed, refused):
    sign_in(app_client, login)
    for path in allowed:
        assert app_client.get(path).status_code == 200, path
    for path in refused:
        response = app_client.get(path)
        assert response.status_code == 403, path
        assert first_line("interdit") in response.text


def test_pages_need_a_sign_in(app_client):
    for path in ADVISER_PAGES + EDITOR_PAGES + ["/conseiller"]:
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/conseiller/connexion"), path


# --- interview helper -----------------------------------------------------------------

def test_the_interview_chat_is_bound_to_the_adviser(app_client, db):
    sign_in(app_client, "conseil")
    page = app_client.get("/conseiller/entretien")
    chat_id = re.search(r'<bagou-chat session="([0-9a-f-]{36})" layout="page">', page.text).group(1)
    with db() as s:
        chat = s.get(ChatSession, chat_id)
        assert (chat.identity_kind, chat.identity_email, chat.identity_source) == (
            "adviser", None, "console:conseil")
    for title in ("Comment décrire un badge ?", "C'est quoi un endossement ?"):
        assert title.replace("'", "&#39;") in page.text
    assert T["badge_point_info"] in page.text and T["badge_referent"] in page.text
    # A turn in that chat, then « Montrer à la personne » shows the answer in large print.
    answer = app_client.post("/api/chat", json={"text": "c'est quoi un badge", "session_id": chat_id})
    assert answer.status_code == 200
    shown = app_client.get("/conseiller/montrer")
    assert "Un badge montre une compétence." in shown.text and "**" not in shown.text
    # « Nouvel entretien »: a new conversation, bound the same way.
    app_client.post("/conseiller/entretien/nouveau", data={"csrf": csrf_of(page)})
    new_id = re.search(r'session="([0-9a-f-]{36})"', app_client.get("/conseiller/entretien").text).group(1)
    assert new_id != chat_id
    assert first_line("montrer_aucune") in app_client.get("/conseiller/montrer").text


# --- a learner's badges: consent and audit --------------------------------------------

def test_a_look_up_without_consent_is_refused_and_reads_nothing(app_client, db, monkeypatch):
    import bot.console.badges as routes
    called = []
    monkeypatch.setattr(routes, "look_up", lambda *a: called.append(a))
    sign_in(app_client, "conseil")
    response = look_up(app_client, "lea.martin@example.org", consent=False)
    assert response.status_code == 422 and first_line("accord_manquant") in response.text
    assert called == []
    # The refusal has its audit line (issue 20: the learner can ask about it).
    with db() as s:
        line = s.scalars(select(ConsoleAudit)).one()
    assert (line.consent, line.outcome, line.badge_count) == (False, "refused_consent", None)
    assert line.learner_ref == learner_ref(KEY.encode(), "lea.martin@example.org")


def test_a_look_up_shows_badges_next_steps_and_writes_a_pseudonymous_audit_line(app_client, db, caplog):
    sign_in(app_client, "conseil")
    response = look_up(app_client, "  Lea.Martin@Example.org ")
    assert response.status_code == 200, response.text
    assert "Point Info Badge" in response.text  # one of Léa's badges in the sandbox
    assert first_line("faire_partager") in response.text
    assert T["titre_suivants"] in response.text and T["titre_resume"] in response.text
    assert "Conseil Badge" in response.text  # the next step after Point Info Badge
    with db() as s:
        line = s.scalars(select(ConsoleAudit)).one()
    assert (line.user_login, line.consent, line.outcome) == ("conseil", True, "ok")
    assert line.learner_ref == learner_ref(KEY.encode(), "lea.martin@example.org")
    assert line.badge_count == 4
    assert "lea.martin" not in line.learner_ref
    assert "lea.martin@example.org" not in caplog.text


def test_an_invalid_address_is_refused_with_a_falc_message(app_client, db):
    sign_in(app_client, "conseil")
    response = look_up(app_client, "pas une adresse")
    assert response.status_code == 422 and first_line("adresse_invalide") in response.text
    with db() as s:
        assert [line.outcome for line in s.scalars(select(ConsoleAudit))] == ["refused_address"]


def test_audit_lines_cannot_be_changed_nor_deleted_by_the_app(db):
    with db.begin() as s:
        user = s.scalar(select(accounts.ConsoleUser))
        audit.write(s, user, "ref", True, "ok", 1)
    with pytest.raises(audit.AuditIsAppendOnly):
        with db.begin() as s:
            s.scalars(select(ConsoleAudit)).one().outcome = "changé"
    with pytest.raises(audit.AuditIsAppendOnly):
        with db.begin() as s:
            s.delete(s.scalars(select(ConsoleAudit)).one())


def test_the_badge_links_of_a_look_up_use_the_gateway_public_address(app_client, settings, db):
    sign_in(app_client, "conseil")
    page = look_up(app_client, "lea.martin@example.org").text
    links = [html.unescape(link) for link in re.findall(r'href="(https?://[^"]+)"', page)]
    assert links and "bagou.internal" not in page
    # A badge's link leads to its check page (a page a person reads), of the badge's
    # own link; « Demander ce badge » to the application form.
    check = "https://testserver/verifier?lien=" + quote("https://testserver/obf-sandbox/", safe="")
    assert all(link.startswith(("https://testserver/obf-sandbox/", check)) for link in links), links
    assert any(link.startswith(check) for link in links)
    # Behind a proxy: BAGOU_PUBLIC_URL, the address that the learner's browser opens.
    with client_for(settings.model_copy(update={"public_url": "https://badges.example.org/"})) as client:
        sign_in(client, "conseil")
        links = [html.unescape(link) for link in re.findall(
            r'href="(https?://[^"]+)"', look_up(client, "lea.martin@example.org").text)]
    proxied = "https://badges.example.org/verifier?lien=" + quote(
        "https://badges.example.org/obf-sandbox/", safe="")
    assert links and all(link.startswith(("https://badges.example.org/obf-sandbox/", proxied))
                         for link in links), links
    links = [unquote(link.split("lien=", 1)[1]) if "lien=" in link else link for link in links]
    # The links open: a badge's link and a « Demander ce badge » link answer.
    for link in (links[0], links[-1]):
        assert app_client.get(link.replace("https://badges.example.org", "")).status_code == 200


def look_up_for(client, email, first_name):
    form = client.get("/conseiller/badges")
    return client.post("/conseiller/badges", data={"csrf": csrf_of(form), "email": email,
                                                   "prenom": first_name, "accord": "oui"})


def stored_bytes(settings) -> bytes:
    path = settings.database_url.removeprefix("sqlite:///")
    return b"".join(open(p, "rb").read() for p in (path, path + "-wal")
                    if __import__("os").path.exists(p))


def test_the_summary_carries_what_the_learner_takes_away(app_client, settings, db, monkeypatch):
    monkeypatch.setattr(settings, "contact_name", "Espace badges de Caen")
    monkeypatch.setattr(settings, "contact_phone", "02 31 00 00 00")
    sign_in(app_client, "conseil")
    page = look_up_for(app_client, "lea.martin@example.org", "  Zoélie ")
    assert page.status_code == 200
    summary = summary_of(page.text)
    assert "Résumé pour Zoélie" in summary
    assert T["fait_le"] in summary and " 20" in summary  # « mardi 1er décembre 2026 »
    assert "Conseil" in summary  # the adviser's name
    assert "Espace badges de Caen" in summary and "02 31 00 00 00" in summary
    # Each badge: its name, its state, its end date (or none), its link as a QR code.
    assert summary.count('class="summary-badge') >= 4
    assert "Point Info Badge" in summary and T["badge_valide"] in summary
    assert T["fin_le"] in summary or T["sans_fin"] in summary
    assert summary.count('<svg role="img"') >= 4 and "<title>" in summary
    # The next badges with « Demander ce badge »; the next steps once, not per badge.
    assert T["demander_badge"] in summary
    for step in ("resume_etape_partager", "resume_etape_enrichir", "resume_etape_endosser"):
        assert summary.count(T[step].splitlines()[0].replace("'", "&#39;")) == 1, step
    assert first_line("faire_partager") not in summary
    # Without SMTP settings, the page says why the e-mail button is not there.
    assert first_line("envoi_impossible") in page.text and "/badges/envoyer" not in page.text
    # The first name is kept nowhere.
    assert "Zoélie".encode() not in stored_bytes(settings)


def test_the_summary_is_sent_by_email_when_the_learner_agrees_and_nothing_is_kept(settings, db, monkeypatch):
    async def rasa(_self, _sender, _text, _metadata):
        return [{"text": "Bonjour."}]
    monkeypatch.setattr(RasaClient, "send", rasa)
    with SmtpServer() as smtp, client_for(settings.model_copy(update={
            "smtp_url": smtp.url, "smtp_from": "bagou@structure.example"})) as client:
        sign_in(client, "conseil")
        page = look_up_for(client, "Lea.Martin@example.org", "Zoélie")
        assert "/badges/envoyer" in page.text and first_line("envoi_impossible") not in page.text
        form = {"csrf": csrf_of(page), "email": "lea.martin@example.org", "prenom": "Zoélie"}
        refused = client.post("/conseiller/badges/envoyer", data=form)
        assert refused.status_code == 422 and first_line("envoi_accord_manquant") in refused.text
        assert smtp.messages == []
        sent = client.post("/conseiller/badges/envoyer", data={**form, "accord_envoi": "oui"})
        assert sent.status_code == 200 and first_line("envoi_fait") in sent.text
        assert len(smtp.messages) == 1
        envelope = smtp.messages[0]
        assert envelope.rcpt_tos == ["lea.martin@example.org"]
        assert envelope.mail_from == "bagou@structure.example"
        import email
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["Subject"] == T["sujet_email"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Bonjour Zoélie." in text and "Point Info Badge" in text
        assert "https://testserver/obf-sandbox/" in text and "bagou.internal" not in text
        images = [p for p in message.walk() if p.get_content_type() == "image/png"]
        assert len(images) >= 4 and html.count('src="cid:') == len(images)
        assert all(f'cid:{p["Content-ID"].strip("<>")}' in html for p in images)
    with db() as s:
        actions = [line.action for line in s.scalars(select(ConsoleAudit))]
    assert actions == ["badges_lookup", "summary_email"]
    assert "Zoélie".encode() not in stored_bytes(settings)


def test_without_smtp_settings_the_summary_is_not_sent(app_client):
    sign_in(app_client, "conseil")
    page = app_client.get("/conseiller/badges")
    response = app_client.post("/conseiller/badges/envoyer", data={
        "csrf": csrf_of(page), "email": "lea.martin@example.org", "accord_envoi": "oui"})
    assert response.status_code == 409 and first_line("envoi_impossible") in response.text


# --- stored conversations, dashboard, CSV ----------------------------------------------

def test_no_email_phone_or_name_in_stored_conversations(app_client, db):
    chat = app_client.post("/api/chat", json={
        "text": "Bonjour je m'appelle Léa Martin, lea.martin@example.org, 06 12 34 56 78"})
    assert chat.status_code == 200
    with db() as s:
        texts_stored = [m.text for m in s.scalars(select(ChatMessage))]
    joined = " ".join(texts_stored)
    for secret in ("lea.martin@example.org", "Léa", "Martin", "06 12 34 56 78"):
        assert secret not in joined
    assert "[nom masqué]" in joined and "[e-mail masqué]" in joined


def test_dashboard_counts_topics_groups_misunderstood_messages_and_lists_thumbs_down(app_client, db):
    for text in ("blabla mon vélo est cassé", "blabla mon velo est cassé !",
                 "blabla Mon vélo est cassé", "blabla la météo de demain", "c'est quoi un badge"):
        reply = app_client.post("/api/chat", json={"text": text}).json()
    app_client.post("/api/feedback", json={"session_id": reply["session_id"],
                                           "message_id": reply["replies"][0]["id"], "value": "down"})
    sign_in(app_client, "redac")
    page = app_client.get("/conseiller/tableau")
    assert page.status_code == 200
    # Topic titles, not ids (issue 20).
    assert all_topics()["badge_definition"].title.replace("'", "&#39;") in page.text
    assert T["sujet_incompris"] in page.text and ">badge_definition<" not in page.text
    failed = app_client.get("/conseiller/tableau/incompris.csv")
    assert failed.headers["content-type"].startswith("text/csv")
    rows = failed.text.lstrip("\ufeff").splitlines()
    assert rows[0] == "nombre;sujet;message;autres_formulations"
    assert rows[1].startswith("3;incompris;") and "vélo" in rows[1]
    assert rows[2].startswith("1;incompris;blabla la météo")
    down = app_client.get("/conseiller/tableau/pas-utiles.csv").text
    assert "c'est quoi un badge" in down and "Un **badge** montre" in down
    topics = app_client.get("/conseiller/tableau/sujets.csv").text
    assert "badge_definition" in topics and "incompris" in topics


def test_the_advisers_interview_questions_are_counted_apart_from_the_public(app_client, db):
    app_client.post("/api/chat", json={"text": "c'est quoi un badge"})
    sign_in(app_client, "chef")
    page = app_client.get("/conseiller/entretien")
    chat_id = re.search(r'session="([0-9a-f-]{36})"', page.text).group(1)
    for _ in range(3):
        app_client.post("/api/chat", json={"text": "c'est quoi un badge", "session_id": chat_id})
    rows = app_client.get("/conseiller/tableau/sujets.csv").text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("sujet;titre;")
    assert rows[1].startswith("badge_definition;") and rows[1].endswith(";1")
    board = app_client.get("/conseiller/tableau").text
    assert T["tableau_entretiens"].splitlines()[1].format(nombre=3) in board


def test_similar_messages_are_grouped_whatever_accents_case_and_word_order():
    groups = group_similar([("incompris", "mon vélo est cassé"), ("incompris", "Mon velo est cassé !"),
                            ("hors_sujet", "cassé est mon vélo"), ("hors_sujet", "quel temps demain")])
    assert [(g.count, g.text) for g in groups] == [(3, "mon vélo est cassé"), (1, "quel temps demain")]


def test_csv_cells_cannot_run_as_formulas():
    from bot.console.insights import to_csv
    assert "'=HYPERLINK" in to_csv(["a"], [["=HYPERLINK(\"x\")"]])


# --- purge ------------------------------------------------------------------------------

def test_the_purge_deletes_what_is_older_than_the_retention_time_and_nothing_else(db):
    now = utcnow()
    old, recent = now - timedelta(days=91), now - timedelta(days=89)
    with db.begin() as s:
        s.add_all([ChatSession(id="00000000-0000-0000-0000-000000000001", created_at=old,
                               last_active_at=old),
                   ChatSession(id="00000000-0000-0000-0000-000000000002", created_at=old,
                               last_active_at=recent)])
        s.flush()
        s.add_all([
            ChatMessage(id=1, session_id="00000000-0000-0000-0000-000000000001", sender="user",
                        text="vieux", created_at=old),
            ChatMessage(id=2, session_id="00000000-0000-0000-0000-000000000002", sender="user",
                        text="vieux aussi", created_at=old),
            ChatMessage(id=3, session_id="00000000-0000-0000-0000-000000000002", sender="bot",
                        text="récent", created_at=recent),
        ])
        s.flush()
        s.add(ChatFeedback(session_id="00000000-0000-0000-0000-000000000002", message_id=3,
                           value="down", created_at=recent))
    with db.begin() as s:
        done = purge(s, retention_days=90, audit_retention_days=365, now=now)
    assert (done.messages, done.conversations) == (2, 1)
    with db() as s:
        assert [m.text for m in s.scalars(select(ChatMessage))] == ["récent"]
        assert [c.id for c in s.scalars(select(ChatSession))] == ["00000000-0000-0000-0000-000000000002"]
        assert len(s.scalars(select(ChatFeedback)).all()) == 1


def test_bagou_user_add_and_purge_commands(tmp_path, monkeypatch, capsys):
    import io

    from bot.ops.cli import main
    monkeypatch.setenv("BAGOU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("BAGOU_SECRET_KEY", KEY)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "Alex", "--role", "editor", "--name", "Alex R", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("court\n"))
    assert main(["user", "add", "bob", "--role", "adviser", "--password-stdin"]) == 1
    assert main(["user", "list"]) == 0
    assert "alex\teditor\tactif\tAlex R" in capsys.readouterr().out
    assert main(["purge"]) == 0
    assert "messages: 0" in capsys.readouterr().out


# --- the audit trail and the accounts (admins) -------------------------------------------

def test_an_admin_reads_and_filters_the_trail_and_exports_it(app_client, db):
    sign_in(app_client, "conseil")
    look_up(app_client, "lea.martin@example.org")
    look_up(app_client, "lea.martin@example.org", consent=False)
    look_up(app_client, "autre.personne@example.org")
    assert app_client.get("/conseiller/journal").status_code == 403  # advisers: no
    app_client.cookies.clear()
    sign_in(app_client, "chef")
    page = app_client.get("/conseiller/journal")
    assert page.status_code == 200 and T["journal_action_badges_lookup"] in page.text
    assert "lea.martin" not in page.text  # the learner only as a pseudonym
    ref = learner_ref(KEY.encode(), "lea.martin@example.org")
    assert ref[:12] in page.text
    # Found by typing the address; refusals filtered; as CSV.
    found = app_client.post("/conseiller/journal", data={
        "csrf": csrf_of(page), "adresse": "Lea.Martin@example.org", "resultat": "refuse"})
    assert found.status_code == 200 and found.text.count(f"<code>{ref[:12]}</code>") == 1
    csv = app_client.post("/conseiller/journal", data={
        "csrf": csrf_of(page), "adresse": "lea.martin@example.org", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.lstrip("\ufeff").splitlines()
    assert rows[0] == "date;compte;role;action;personne;accord;resultat;badges"
    assert len(rows) == 3 and all(ref in row for row in rows[1:])
    assert {row.split(";")[6] for row in rows[1:]} == {"ok", "refused_consent"}
    by_login = app_client.post("/conseiller/journal", data={"csrf": csrf_of(page), "qui": "redac"})
    assert by_login.text.count("<code>") == 0


def test_an_admin_manages_accounts_without_a_shell_and_each_change_is_audited(app_client, db):
    sign_in(app_client, "conseil")
    assert app_client.get("/conseiller/comptes").status_code == 403
    app_client.cookies.clear()
    sign_in(app_client, "chef")
    page = app_client.get("/conseiller/comptes")
    csrf = csrf_of(page)
    short = app_client.post("/conseiller/comptes/nouveau", data={
        "csrf": csrf, "identifiant": "nouveau", "nom": "Nina", "role": "adviser",
        "mot_de_passe": "court"})
    assert short.status_code == 422 and first_line("compte_mot_de_passe_court") in short.text
    made = app_client.post("/conseiller/comptes/nouveau", data={
        "csrf": csrf, "identifiant": "Nouveau", "nom": "Nina", "role": "adviser",
        "mot_de_passe": PASSWORD})
    assert made.status_code == 200 and first_line("compte_cree") in made.text
    with db() as s:
        nina = s.scalar(select(accounts.ConsoleUser).where(accounts.ConsoleUser.login == "nouveau"))
        me = s.scalar(select(accounts.ConsoleUser).where(accounts.ConsoleUser.login == "chef"))
    # Nina signs in (another browser), then the admin disables her account: her session ends.
    with TestClient(app_client.app, base_url="https://testserver") as other:
        assert sign_in(other, "nouveau").status_code == 303
        off = app_client.post(f"/conseiller/comptes/{nina.id}/actif", data={"csrf": csrf, "actif": "non"})
        assert off.status_code == 200 and first_line("compte_desactive") in off.text
        assert other.get("/conseiller", follow_redirects=False).status_code == 303
        assert sign_in(other, "nouveau").status_code == 401
        on = app_client.post(f"/conseiller/comptes/{nina.id}/actif", data={"csrf": csrf, "actif": "oui"})
        assert on.status_code == 200
        new_password = "un autre mot de passe assez long"
        reset = app_client.post(f"/conseiller/comptes/{nina.id}/mot-de-passe", data={
            "csrf": csrf, "mot_de_passe": new_password})
        assert reset.status_code == 200 and first_line("compte_mot_de_passe_change") in reset.text
        assert sign_in(other, "nouveau").status_code == 401
        assert sign_in(other, "nouveau", new_password).status_code == 303
    # The admin cannot lock themselves out; a form without its token changes nothing.
    myself = app_client.post(f"/conseiller/comptes/{me.id}/actif", data={"csrf": csrf, "actif": "non"})
    assert myself.status_code == 422 and first_line("compte_soi_meme") in myself.text
    assert app_client.post(f"/conseiller/comptes/{nina.id}/actif", data={"actif": "non"}).status_code == 403
    for wrong in ("abc", "99999"):
        missing = app_client.post(f"/conseiller/comptes/{wrong}/actif", data={"csrf": csrf, "actif": "non"})
        assert missing.status_code == 404 and first_line("compte_inconnu") in missing.text
    with db() as s:
        actions = [(line.user_login, line.action) for line in s.scalars(select(ConsoleAudit))]
    assert actions == [("chef", "account_create"), ("chef", "account_disable"),
                       ("chef", "account_enable"), ("chef", "password_reset")]
    trail = app_client.get("/conseiller/journal").text
    assert T["journal_action_account_disable"] in trail and "nouveau" in trail


def test_unknown_console_pages_get_a_falc_404_page(app_client):
    for path in ("/conseiller/nimporte-quoi", "/conseiller/static/autre.js"):
        response = app_client.get(path)
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
        assert first_line("page_introuvable") in response.text


def test_a_learner_can_be_told_who_looked_at_their_badges(app_client, db):
    """The gateway's side of `qui_a_vu_mes_badges`: the look-ups of one learner's badges,
    by pseudonym, with the date and the structure, never an adviser's login."""
    sign_in(app_client, "conseil")
    look_up(app_client, "lea.martin@example.org")
    look_up(app_client, "lea.martin@example.org", consent=False)
    look_up(app_client, "autre.personne@example.org")
    with db() as s:
        seen = audit.viewings(s, learner_ref(KEY.encode(), "Lea.Martin@example.org"),
                              "La Passerelle")
    assert [(v.structure, v.shown) for v in seen] == [("La Passerelle", False),
                                                     ("La Passerelle", True)]
    assert seen[0].at >= seen[1].at
    assert all("conseil" not in repr(v) for v in seen)


def test_a_body_over_the_gateway_limit_gets_the_console_falc_413_page(app_client, settings):
    too_big = b"csrf=x&email=" + b"x" * (settings.max_body_bytes + 10)
    for path in ("/conseiller/connexion", "/conseiller/badges"):
        response = app_client.post(path, content=too_big,
                                   headers={"content-type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413, path
        assert response.headers["content-type"].startswith("text/html")
        assert first_line("formulaire_trop_gros") in response.text
    # The API keeps its JSON error.
    api = app_client.post("/api/chat", content=b"{" + b" " * (settings.max_body_bytes + 10) + b"}",
                          headers={"content-type": "application/json"})
    assert api.status_code == 413 and api.json()["error"] == "demande_trop_grosse"
