"""The real product: trained Rasa model, action server (rasa-sdk 3.21) and gateway,
started by `bagou run`. Tests in this file run in order; the last one stops Bagou."""

import signal
import sqlite3
import time

import httpx
import jwt
import psutil
import pytest
import yaml

from bot.chat.rasa_client import TOKEN_HEADER, WEBHOOK_PATH
from bot.chat.topics import all_topics
from bot.settings import PROJECT_ROOT
from bot.texts import text
from tests.helpers.processes import TEST_SITE, TEST_SITE_SECRET

pytestmark = pytest.mark.stack


def children(bagou, needle: str) -> list[psutil.Process]:
    return [p for p in psutil.Process(bagou.process.pid).children(recursive=True)
            if needle in " ".join(p.cmdline())]


def test_three_turn_conversation(running_bagou):
    hello = running_bagou.chat("Bonjour")
    assert hello.status_code == 200
    session = hello.json()["session_id"]
    assert hello.json()["topic"] == "bonjour"
    assert "Bagou" in hello.json()["replies"][0]["text"]

    faq = running_bagou.chat("c koi un open badge ?", session)
    assert faq.status_code == 200
    assert faq.json()["session_id"] == session
    assert faq.json()["topic"] == "badge_definition"
    reply = faq.json()["replies"][0]
    assert "compétence" in reply["text"]
    assert 2 <= len(reply["buttons"]) <= 3

    thanks = running_bagou.chat("merci beaucoup", session)
    assert thanks.json()["topic"] == "merci"
    assert thanks.json()["session_id"] == session


def response_buttons() -> list[str]:
    files = [PROJECT_ROOT / "domain.yml", *sorted((PROJECT_ROOT / "faq").glob("*.yml"))]
    payloads = set()
    for file in files:
        for variations in (yaml.safe_load(file.read_text()).get("responses") or {}).values():
            for variation in variations:
                payloads.update(b["payload"] for b in variation.get("buttons", [])
                                if not b["payload"].startswith("https://"))
    return sorted(payloads)


@pytest.mark.parametrize("payload", response_buttons())
def test_every_button_leads_to_the_topic_it_names(running_bagou, payload):
    expected = {t.title: t.id for t in all_topics().values() if t.id != "incompris"}[payload]
    answer = running_bagou.chat(payload)
    assert answer.status_code == 200
    assert answer.json()["topic"] == expected


@pytest.mark.parametrize("message, topic", [
    ("Le badge de la cantine de mon fils ne marche plus", "hors_sujet"),
    ("Tu connais une bonne recette de crêpes ?", "hors_sujet"),
    ("comment je montre mon badge a un recruteur sur linkedin", "partager_linkedin"),
    ("jai recu un mail avec un badge dedans je fais quoi", "recevoir_badge"),
    ("ca coute combien pour avoir un badge", "badge_gratuit"),
    # A link in a question is not a badge to check: the FAQ answers it.
    ("Comment je partage mon badge sur https://www.linkedin.com ?", "partager_linkedin"),
])
def test_understands_messages_it_was_not_trained_on(running_bagou, message, topic):
    assert running_bagou.chat(message).json()["topic"] == topic


# Topic-level conversations, and the course in the chat (whose turns also say what a
# reply contains: `says`, or how the last reply starts: `last_says`).
CONVERSATIONS = [conversation for name in ("conversations.yml", "formation_conversations.yml")
                 for conversation in yaml.safe_load(
                     (PROJECT_ROOT / "tests" / name).read_text())["conversations"]]


def simple_version_of(topic: str) -> str:
    variations = yaml.safe_load((PROJECT_ROOT / "faq" / f"{topic}.yml").read_text())[
        "responses"][f"utter_faq/{topic}"]
    return next(v["text"] for v in variations if v.get("condition"))


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c["name"])
def test_conversation(running_bagou, conversation):
    session = None
    for turn in conversation["turns"]:
        answer = running_bagou.chat(turn["user"], session)
        assert answer.status_code == 200
        session = answer.json()["session_id"]
        assert (turn["user"], answer.json()["topic"]) == (turn["user"], turn["topic"])
        texts = [reply["text"] for reply in answer.json()["replies"]]
        if "simpler_than" in turn:
            assert texts[0] == simple_version_of(turn["simpler_than"])
        if "says" in turn:
            assert any(turn["says"] in text for text in texts), (turn["user"], texts)
        if "last_says" in turn:
            assert texts[-1].startswith(turn["last_says"]), (turn["user"], texts)


def site_token(email="lea.martin@example.org", lifetime=600, secret=None):
    now = int(time.time())
    claims = {"iss": TEST_SITE, "email": email, "name": "Léa Martin", "exp": now + lifetime}
    return jwt.encode(claims, secret or TEST_SITE_SECRET, algorithm="HS256")


def all_text(answer: dict) -> str:
    return "\n".join(r["text"] + " " + " ".join(b["title"] for b in r["buttons"])
                     for r in answer["replies"])


LEA_BADGES = ["Point Info Badge", "Communiquer à l'oral", "Premiers secours citoyens",
              "Usages du numérique"]


def test_a_learner_signed_in_by_the_site_sees_her_badges_page_by_page(running_bagou):
    first = running_bagou.chat("montre moi mes badges", site_token=site_token())
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["topic"] == "mes_badges"
    texts = [r["text"] for r in answer["replies"]]
    assert texts[0] == "Vous avez 4 badges."
    assert "**Communiquer à l'oral**\nDonné par Lieux de la reconnaissance — démo le 12 mars 2025." in texts
    assert any("**Usages du numérique**" in t and "La structure a retiré ce badge." in t for t in texts)
    assert all(r["links"][0]["title"] == "Voir le badge" for r in answer["replies"][1:4])
    more = answer["replies"][-1]
    assert more["text"] == "Il reste 1 badge à voir."
    assert more["buttons"] == [{"title": "Voir plus", "payload": "/voir_plus_badges"}]

    # The session keeps the identity: the next turns need no token.
    second = running_bagou.chat(more["buttons"][0]["payload"], answer["session_id"]).json()
    assert second["topic"] == "mes_badges"
    assert "**Premiers secours citoyens**" in second["replies"][0]["text"]
    assert "Ce badge a pris fin le 14 mai 2024." in second["replies"][0]["text"]
    shown = all_text(answer) + all_text(second)
    assert all(name in shown for name in LEA_BADGES)

    follow = running_bagou.chat("et je peux viser quel badge apres ?", answer["session_id"]).json()
    assert follow["topic"] == "badges_suivants"
    suggested = all_text(follow)
    assert "**Conseil Badge**" in suggested and "**Accueillir le public**" in suggested
    assert "**Point Info Badge**" not in suggested  # already held


def test_a_learner_without_badges_is_told_so(running_bagou):
    answer = running_bagou.chat("Voir mes badges",
                                site_token=site_token("nour.benali@example.org")).json()
    assert answer["topic"] == "mes_badges"
    assert answer["replies"][0]["text"].startswith("Je ne trouve aucun badge pour vous.")


@pytest.mark.parametrize("message", [
    "montre moi mes badges",
    "mes badges lea.martin@example.org",
    "voici mon mail : lea.martin@example.org, je veux voir mes badges",
    "/mes_badges",
    "/voir_plus_badges",
    "Quels badges obtenir ensuite ? je suis lea.martin@example.org",
])
def test_an_anonymous_visitor_never_sees_anyones_badges(running_bagou, message):
    answer = running_bagou.chat(message)
    assert answer.status_code == 200
    shown = all_text(answer.json())
    assert not [name for name in LEA_BADGES if name in shown]
    assert "lea.martin" not in shown


@pytest.mark.parametrize("token, error", [
    (site_token(secret="un-secret-que-le-site-n-a-jamais-eu-0123456789"), "jeton_invalide"),
    (site_token(lifetime=-120), "jeton_expire"),
])
def test_a_forged_or_expired_site_token_is_refused_clearly(running_bagou, token, error):
    answer = running_bagou.chat("mes badges", site_token=token)
    assert answer.status_code == 401
    assert answer.json()["error"] == error
    assert answer.json()["message"] == text(error)


def test_parler_humain_gives_the_structure_contact_and_the_lieux(running_bagou):
    reply = running_bagou.chat("Parler à une personne").json()["replies"][0]
    assert "Espace badges de Caen" in reply["text"]
    assert "02 31 00 00 00" in reply["text"]
    assert "E-mail" not in reply["text"]  # not set: no empty line
    assert "lieu de la reconnaissance" in reply["text"]
    assert reply["links"] == [{"title": "Site de la structure", "url": "https://example.org/contact"}]
    assert reply["buttons"][0]["title"] == "C'est quoi un lieu de la reconnaissance ?"


VAGUE = ["pourquoi", "bof", "peut-être", "ok", "d'accord", "oui", "truc"]


def test_when_unsure_it_offers_the_closest_topics(running_bagou):
    """Vague one-word messages: the engine is not sure of most of them, and then offers
    « Vous voulez parler de … ? » with the closest topics and « Parler à une personne »,
    never « Autre chose » (its answer says the question is off-topic)."""
    unsure = [a for a in (running_bagou.chat(m).json() for m in VAGUE) if a["topic"] == "incompris"]
    assert len(unsure) >= 2
    for answer in unsure:
        titles = [b["title"] for b in answer["replies"][0]["buttons"]]
        assert titles
        assert "Autre chose" not in titles
        if len(titles) > 1:  # the closest topics, then a person
            assert titles[-1] == all_topics()["parler_humain"].title
            assert set(titles[:-1]) <= {t.title for t in all_topics().values()}


def send_to_rasa(bagou, text_, metadata, token=None):
    return httpx.post(
        bagou.rasa_url + WEBHOOK_PATH,
        json={"sender": "test-metadata", "message": text_, "metadata": metadata},
        headers={TOKEN_HEADER: bagou.token if token is None else token},
        timeout=30,
    )


def test_custom_action_sees_who_is_talking(running_bagou):
    """Rasa 3.6.21 passes the metadata to an action served by rasa-sdk 3.21, and the
    action's response and buttons come back through the channel with their topic."""
    public = send_to_rasa(running_bagou, "Que sais-tu faire ?", {"identity": {"kind": "anonymous"}})
    adviser = send_to_rasa(running_bagou, "Que sais-tu faire ?", {"identity": {"kind": "adviser"}})
    public_reply, adviser_reply = public.json()[0], adviser.json()[0]
    assert public_reply["topic"] == adviser_reply["topic"] == "aide"
    assert "accompagnez" in adviser_reply["text"]
    assert "accompagnez" not in public_reply["text"]
    assert adviser_reply["buttons"]


def test_rasa_refuses_messages_without_the_gateway_token(running_bagou):
    forged = {"identity": {"kind": "adviser"}}
    assert send_to_rasa(running_bagou, "Bonjour", forged, token="").status_code == 401
    assert send_to_rasa(running_bagou, "Bonjour", forged, token="guess").status_code == 401


def test_rasa_http_api_is_off_and_engines_listen_on_loopback_only(running_bagou):
    assert httpx.get(running_bagou.rasa_url + "/status", timeout=5).status_code == 404
    for needle in ("rasa run", "actions.server"):
        (process,) = children(running_bagou, needle)
        listening = [c.laddr for c in process.net_connections("tcp") if c.status == "LISTEN"]
        assert listening and all(addr.ip == "127.0.0.1" for addr in listening)


def test_health_says_every_part_answers(running_bagou):
    health = httpx.get(running_bagou.url + "/health", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "rasa": True, "actions": True, "database": True,
                             "rasa_instances": {running_bagou.rasa_url: True}}


def test_personal_data_is_masked_before_storage(running_bagou):
    answer = running_bagou.chat("Bonjour, mon adresse est lea.martin@example.org")
    session = answer.json()["session_id"]
    database = running_bagou.output.parent / "bagou.db"
    with sqlite3.connect(database) as db:
        stored = [row[0] for row in db.execute(
            "SELECT text FROM chat_messages WHERE session_id = ? AND sender = 'user'", (session,))]
    assert stored == ["Bonjour, mon adresse est [e-mail masqué]"]


def test_rasa_down_gives_a_falc_apology_then_recovers(running_bagou):
    session = running_bagou.chat("Bonjour").json()["session_id"]
    (rasa,) = children(running_bagou, "rasa run")
    rasa.kill()
    rasa.wait(10)

    down = running_bagou.chat("Comment partager un badge ?", session)
    assert down.status_code == 503
    assert down.json()["replies"][0]["text"] == text("assistant_indisponible")
    assert down.json()["session_id"] == session
    health = httpx.get(running_bagou.url + "/health", timeout=10)
    assert health.status_code == 503 and health.json()["rasa"] is False

    running_bagou.wait_healthy()  # `bagou run` restarts Rasa; the gateway never stopped
    back = running_bagou.chat("Comment partager un badge ?", session)
    assert back.status_code == 200
    assert back.json()["topic"] == "partager_badge"


def test_action_server_not_answering_gives_a_falc_apology_then_recovers(running_bagou):
    (server,) = children(running_bagou, "actions.server")
    processes = [server, *server.children(recursive=True)]
    for process in processes:
        process.suspend()  # hung, not dead: the request waits until the gateway's timeout
    try:
        hung = running_bagou.chat("Que sais-tu faire ?")
        assert hung.status_code == 503
        assert hung.json()["replies"][0]["text"] == text("assistant_indisponible")
    finally:
        for process in processes:
            process.resume()
    running_bagou.wait_healthy()
    assert running_bagou.chat("Que sais-tu faire ?").json()["topic"] == "aide"


def test_a_killed_action_server_is_restarted_and_the_chat_answers_again(running_bagou):
    """The action server is one process (actions/server.py): killed, `bagou run` sees
    it stop and restarts it; meanwhile the person reads the FALC apology."""
    (server,) = children(running_bagou, "actions.server")
    assert server.children() == []  # no Sanic worker under a parent that keeps the port
    server.kill()
    server.wait(10)

    def answered():
        try:
            answer = running_bagou.chat("Que sais-tu faire ?")
        except httpx.HTTPError:
            return False
        assert answer.status_code in (200, 503), answer.text
        if answer.status_code == 503:
            assert answer.json()["replies"][0]["text"] == text("assistant_indisponible")
        return answer.status_code == 200 and answer.json()["topic"] == "aide"

    deadline = time.monotonic() + 120
    while not answered():
        assert time.monotonic() < deadline, running_bagou.output.read_text()
        time.sleep(0.5)
    assert "actions s'est arrêté. Redémarrage 1 sur 3" in running_bagou.output.read_text()
    running_bagou.wait_healthy()


def test_a_frozen_gateway_is_restarted_and_the_chat_answers_again(running_bagou):
    """The gateway's process alive but silent (SIGSTOP): its port still accepts, nobody
    gets an answer. `bagou run` sees it by the gateway's liveness route and restarts it;
    the conversation goes on in the same session."""
    session = running_bagou.chat("Bonjour").json()["session_id"]
    (gateway,) = children(running_bagou, "uvicorn")
    assert httpx.get(running_bagou.url + "/health/live", timeout=5).json() == {"status": "ok"}
    gateway.suspend()
    try:
        with pytest.raises(httpx.TimeoutException):  # accepted by the kernel, not read
            httpx.post(running_bagou.url + "/api/chat", timeout=3,
                       json={"text": "Que sais-tu faire ?", "session_id": session})

        def answered():
            try:
                answer = running_bagou.chat("Que sais-tu faire ?", session)
            except httpx.HTTPError:
                return False
            return answer.status_code == 200 and answer.json()["topic"] == "aide"

        deadline = time.monotonic() + 120  # the bound: 10 s of silence, then a restart
        while not answered():
            assert time.monotonic() < deadline, running_bagou.output.read_text()
            time.sleep(0.5)
    finally:
        if gateway.is_running():
            gateway.resume()
    assert not gateway.is_running()  # the frozen process was ended, not left behind
    assert "gateway ne répond plus. Redémarrage 1 sur 3" in running_bagou.output.read_text()
    running_bagou.wait_healthy()


def test_an_adviser_asks_bagou_from_the_console_interview_page(running_bagou):
    """The console's interview page binds its chat to the signed-in adviser: the quick
    buttons get their FAQ answers from the real model, and « what can you do » is told
    to an adviser."""
    import os
    import re
    import subprocess
    import sys

    password = "un mot de passe assez long"
    env = dict(os.environ, BAGOU_DATABASE_URL=f"sqlite:///{running_bagou.output.parent / 'bagou.db'}")
    subprocess.run([sys.executable, "-m", "bot.ops.cli", "user", "add", "camille", "--role", "adviser",
                    "--name", "Camille", "--password-stdin"], input=password + "\n", text=True,
                   env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)

    def cookies_of(response, jar: dict) -> dict:
        for header in response.headers.get_list("set-cookie"):
            name, _, value = header.split(";")[0].partition("=")
            jar[name] = value
        return jar

    def cookie_header(jar: dict) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}

    # The session cookie is Secure: browsers send it to 127.0.0.1, httpx's jar does not,
    # so the cookies are carried by hand.
    url = running_bagou.url
    with httpx.Client(base_url=url, headers={"Origin": url}, timeout=30) as client:
        jar = cookies_of(page := client.get("/conseiller/connexion"), {})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        signed = client.post("/conseiller/connexion", headers=cookie_header(jar), data={
            "csrf": csrf, "identifiant": "camille", "mot_de_passe": password})
        assert signed.status_code in (302, 303), signed.text
        interview = client.get("/conseiller/entretien", headers=cookie_header(cookies_of(signed, jar)))
        assert interview.status_code == 200
        chat_id = re.search(r'<bagou-chat session="([^"]+)"', interview.text).group(1)
        quick = re.findall(r'data-question="([^"]+)"', interview.text)

    assert len(quick) == 9  # the six verbs and the three accompanier badges
    topics = [running_bagou.chat(q.replace("&#39;", "'"), session_id=chat_id).json()["topic"]
              for q in quick]
    assert topics[:6] == ["decrire_badge", "recevoir_badge", "partager_badge", "enrichir_badge",
                          "endossement_definition", "rechercher_badges"], topics
    assert set(topics[6:]) <= {"badges_accompagnateurs", "devenir_referent"}, topics
    help_answer = running_bagou.chat("Que sais-tu faire ?", session_id=chat_id).json()
    assert help_answer["topic"] == "aide"
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert help_answer["replies"][0]["text"] == domain["responses"]["utter_aide_conseiller"][0]["text"]


def test_a_signed_in_learner_pauses_the_course_resumes_it_elsewhere_and_gets_the_badge_once(
        running_bagou):
    """The real model and action server, the built-in OBF sandbox: the whole course of
    tests/formation_conversations.yml played by a learner signed in by the site, paused
    half way, resumed in a new conversation (another day, another device), then the
    Point Info Badge in « mes badges », once, however often she asks for it."""
    course = next(c for c in CONVERSATIONS if c["name"].startswith("une formation entière"))
    turns = course["turns"]
    token = site_token("camille.durand@example.org")
    half = next(i for i, t in enumerate(turns) if "Étape 3 sur 6" in t.get("says", ""))

    first = None
    for turn in turns[:half]:
        answer = running_bagou.chat(turn["user"], first, site_token=token if first is None else None)
        assert answer.status_code == 200, answer.text
        first = answer.json()["session_id"]
    paused = running_bagou.chat('/autoformation_module{"formation": "pause"}', first).json()
    assert "D'accord, on fait une pause." in all_text(paused)

    # A new conversation: the course starts again where she stopped, not at step 1.
    again = running_bagou.chat('/autoformation_module{"formation": "reprendre"}',
                               site_token=token).json()
    second = again["session_id"]
    assert second != first
    # Where she paused: the end of step 2 (its « À vous » task), « La suite » goes on.
    assert "Bravo, vous avez fini l'étape 2 sur 6." in all_text(again), all_text(again)
    for turn in turns[half:]:
        answer = running_bagou.chat(turn["user"], second)
        assert answer.status_code == 200, answer.text
        assert turn["says"] in all_text(answer.json()), (turn["user"], all_text(answer.json()))
    assert "Bravo, vous recevez le Point Info Badge." in all_text(answer.json())

    for ask in ("mon badge Point Info", "mon badge Point Info"):
        assert "Vous avez déjà le Point Info Badge." in all_text(
            running_bagou.chat(ask, second).json())
    badges = all_text(running_bagou.chat("montre moi mes badges", second).json())
    assert badges.count("**Point Info Badge**") == 1, badges


def test_sigterm_stops_all_three_processes(running_bagou):
    parts = psutil.Process(running_bagou.process.pid).children(recursive=True)
    assert len(parts) >= 3
    running_bagou.process.send_signal(signal.SIGTERM)
    assert running_bagou.process.wait(60) == 0
    gone, alive = psutil.wait_procs(parts, timeout=10)
    assert alive == []
    assert "Bagou est arrêté" in running_bagou.output.read_text()


