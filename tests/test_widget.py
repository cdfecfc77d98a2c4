"""The chat widget in a real browser (Debian's Chromium, headless, driven by Playwright),
on the real product: trained Rasa model, action server and gateway.

Each test does what a person does: it finds things by their role and name (the
launcher, the log, the labelled input, « Envoyer »), reads what appears, uses the
keyboard. Screenshots go to var/artefacts/ for a person to look at.
"""

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from bot.errors import error_body
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT
from bot.texts import text
from tests.helpers.browser import CHROMIUM
from tests.helpers.processes import TEST_SITE, TEST_SITE_SECRET, start_bagou

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ARTEFACTS = PROJECT_ROOT / "var" / "artefacts"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
TEXTS = yaml.safe_load((PROJECT_ROOT / "texts" / "widget.yml").read_text(encoding="utf-8"))
LABELS, MESSAGES = TEXTS["labels"], TEXTS["messages"]
DESKTOP = {"width": 1280, "height": 800}

expect.set_options(timeout=20_000)


# --- fixtures ---------------------------------------------------------------------

def learner_token() -> str:
    """What the host site signs for Léa Martin, a learner of the OBF sandbox."""
    claims = {"iss": TEST_SITE, "email": "lea.martin@example.org", "name": "Léa Martin",
              "exp": int(time.time()) + 600}
    return jwt.encode(claims, TEST_SITE_SECRET, algorithm="HS256")


class HostSite:
    """Another web site, on another local port, that embeds the widget as documented:
    one script tag from Bagou, one element, and a strict Content-Security-Policy."""

    def __init__(self, bagou_url: str, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bagou_url = bagou_url

    def page(self, path: str) -> bytes:
        # /connecte: the page of a learner signed in on the site, which passes her
        # identity to Bagou as a token signed with the site's secret.
        token = f' site-token="{learner_token()}"' if path == "/connecte" else ""
        return f"""<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mission locale de test</title>
<script src="{self.bagou_url}/widget/bagou.js" defer></script></head>
<body><main><h1>Mission locale de test</h1>
<p>Cette page vient d'un autre site. Elle montre Bagou en bas à gauche.</p></main>
<bagou-chat chat-title="L'assistant de la mission locale" color="#7a2e8e" position="left"{token}></bagou-chat>
</body></html>""".encode()

    def csp(self) -> str:
        # The policy that widget/README.md asks of a host site.
        return (f"default-src 'self'; script-src 'self' {self.bagou_url}; "
                f"connect-src 'self' {self.bagou_url}; style-src 'self'; img-src 'self' data: {self.bagou_url}; "
                "object-src 'none'; base-uri 'none'")

    def __enter__(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = site.page(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", site.csp())
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sites(trained_model, tmp_path_factory):
    """Bagou, a site that it allows (BAGOU_ALLOWED_ORIGINS) and one that it does not."""
    allowed_port = free_port()
    work = tmp_path_factory.mktemp("bagou-widget")
    with start_bagou(trained_model, work,
                     BAGOU_ALLOWED_ORIGINS=f"http://127.0.0.1:{allowed_port}") as bagou:
        with HostSite(bagou.url, allowed_port) as allowed, HostSite(bagou.url) as refused:
            yield bagou, allowed, refused, work / "bagou.db"


@pytest.fixture(scope="module")
def bagou(sites):
    return sites[0]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/browser.sh (apt-get install chromium).")
    with sync_playwright() as playwright:
        # Debian's Chromium: Playwright's own browser download cannot work here.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


class Watch:
    """What the page reports that a person would never want: script errors, alert
    boxes, Content-Security-Policy violations."""

    def __init__(self, page):
        self.errors, self.dialogs, self.console = [], [], []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

        def dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)

    def csp_violations(self):
        return [m for m in self.console if "Content Security Policy" in m]


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.watch = Watch(page)
    yield page
    assert not page.watch.errors, page.watch.errors
    assert not page.watch.dialogs, page.watch.dialogs
    assert not page.watch.csp_violations(), page.watch.csp_violations()


# --- what a person does -----------------------------------------------------------

def launcher(page):
    return page.get_by_role("button", name=LABELS["lanceur"], exact=True)


def log(page):
    return page.get_by_role("log", name=LABELS["conversation"])


def question_field(page):
    return page.get_by_role("textbox", name=LABELS["question"])


def send_button(page):
    return page.get_by_role("button", name=LABELS["envoyer"], exact=True)


def bot_messages(page):
    return log(page).locator(".message.bot")


def open_menu(page):
    """« Menu » of the window: Recommencer, « Mon badge est-il vrai ? », Réglages …"""
    menu = page.get_by_role("button", name=LABELS["menu"], exact=True)
    if menu.get_attribute("aria-expanded") != "true":
        menu.click()


def open_widget(page, url):
    page.goto(url)
    launcher(page).click()
    expect(question_field(page)).to_be_focused()


def wait_for_answer(page, before: int):
    """Waits until the assistant has answered (new messages, « L'assistant écrit » gone)."""
    expect(bot_messages(page)).not_to_have_count(before)
    expect(page.get_by_role("status")).not_to_contain_text(LABELS["ecrit"])


def ask(page, question: str) -> dict:
    """Types a question, presses « Envoyer », returns what the gateway answered."""
    before = bot_messages(page).count()
    question_field(page).fill(question)
    with page.expect_response("**/api/chat") as response:
        send_button(page).click()
    wait_for_answer(page, before)
    return response.value.json()


def widget_js(page, body: str, arg=None):
    """Runs `body` with `root`, the widget's shadow root (for what no role shows)."""
    return page.evaluate(f"(arg) => {{ const root = document.querySelector('bagou-chat').shadowRoot; {body} }}", arg)


def record_status(page):
    """Keeps every text that the status line shows, however briefly."""
    widget_js(page, """window.__status = [];
        const status = root.querySelector('[role=status]');
        new MutationObserver(() => window.__status.push(status.textContent))
            .observe(status, {childList: true, subtree: true, characterData: true});""")


def focused(page) -> dict:
    """The element that has the focus, inside the widget or not: its role and name."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return {};
        const label = el.id && el.getRootNode().querySelector(`label[for="${el.id}"]`);
        return {tag: el.tagName.toLowerCase(), role: el.getAttribute('role'),
                name: (el.getAttribute('aria-label') || (label && label.textContent) || el.textContent || '').trim(),
                cls: el.className};
    }""")


def screenshot(page, name: str):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name))


def axe_violations(page, context=None) -> list[str]:
    results = Axe().run(page, context=context,
                        options={"runOnly": {"type": "tag", "values": WCAG_A_AA}})
    return [f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]]


# --- the tests --------------------------------------------------------------------

def test_a_visitor_asks_clicks_a_button_and_finds_the_conversation_again(bagou, sites, page):
    database = sites[3]
    page.goto(bagou.url)
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    launcher(page).click()
    expect(page.get_by_role("dialog", name=LABELS["titre"])).to_be_visible()
    expect(question_field(page)).to_be_focused()
    expect(log(page)).to_contain_text(MESSAGES["accueil"].split("\n")[0])
    assert widget_js(page, "return root.querySelector('.bagou').lang") == "fr"

    record_status(page)
    answer = ask(page, "C'est quoi un open badge ?")
    assert answer["topic"] == "badge_definition"
    assert "L'assistant écrit" in " ".join(page.evaluate("window.__status"))
    expect(log(page).locator(".message.user").last).to_contain_text("C'est quoi un open badge ?")
    last = bot_messages(page).last
    expect(last).to_contain_text("compétence")
    buttons = answer["replies"][-1]["buttons"]
    assert buttons
    for button in buttons:
        expect(last.get_by_role("button", name=button["title"], exact=True)).to_be_visible()

    chosen = buttons[0]
    before = bot_messages(page).count()
    with page.expect_response("**/api/chat") as response:
        last.get_by_role("button", name=chosen["title"], exact=True).click()
    wait_for_answer(page, before)
    followed = response.value.json()
    expect(log(page).locator(".message.user").last).to_have_text(f"{LABELS['vous']}{chosen['title']}")
    # A button moves the focus to the person's own message (no keyboard popping up on a
    # phone); the answer's buttons come next in the Tab order.
    expect(log(page).locator(".message.user").last).to_be_focused()

    # A thumb up on the last answer: the gateway stores it with the topic.
    answer_box = bot_messages(page).last
    answer_box.get_by_role("button", name=LABELS["utile"], exact=True).click()
    expect(page.get_by_role("status")).to_have_text(MESSAGES["merci_avis"])
    expect(answer_box.get_by_role("button", name=LABELS["utile"], exact=True)).to_have_attribute("aria-pressed", "true")
    with sqlite3.connect(database) as db:
        stored = list(db.execute("SELECT value, topic FROM chat_feedback WHERE session_id = ?",
                                 (followed["session_id"],)))
    assert stored == [("up", followed["topic"])]
    screenshot(page, "widget-desktop.png")

    # A reload: the window opens again with the same conversation and the same thumb.
    page.reload()
    expect(log(page)).to_contain_text("C'est quoi un open badge ?")
    expect(log(page).locator(".message.user").last).to_have_text(f"{LABELS['vous']}{chosen['title']}")
    expect(bot_messages(page).last.get_by_role("button", name=LABELS["utile"], exact=True)).to_have_attribute(
        "aria-pressed", "true")
    expect(bot_messages(page).nth(1).get_by_role("button", name=buttons[-1]["title"], exact=True)).to_be_visible()

    # Another page of the site: still the same conversation, and it goes on.
    page.get_by_role("link", name="Nos ateliers").click()
    expect(page).to_have_url(f"{bagou.url}/ateliers")
    expect(log(page)).to_contain_text("C'est quoi un open badge ?")
    again = ask(page, "merci")
    assert again["session_id"] == answer["session_id"]


def test_the_whole_conversation_with_the_keyboard_only(bagou, page):
    page.goto(bagou.url)
    expect(launcher(page)).to_be_visible()
    for _ in range(40):  # Tab through the page until the launcher
        page.keyboard.press("Tab")
        if focused(page).get("name") == LABELS["lanceur"]:
            break
    assert focused(page)["name"] == LABELS["lanceur"]
    page.keyboard.press("Enter")
    expect(question_field(page)).to_be_focused()

    # Order of the window: header buttons, the log and its buttons, the field, Envoyer.
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if focused(page).get("name") == LABELS["menu"]:
            break
    order = []
    for _ in range(20):
        order.append(focused(page))
        if order[-1].get("tag") == "input":
            break
        page.keyboard.press("Tab")
    names = [f.get("name") if f.get("role") != "log" else "log" for f in order]
    suggestions = TEXTS["suggestions"]
    # The tools are folded in « Menu » (tests/test_widget_phone.py opens it by keyboard).
    assert names[:3] == [LABELS["menu"], LABELS["fermer"], "log"], names
    assert names[3:3 + len(suggestions)] == suggestions, names
    assert names[-1] == LABELS["question"], names
    page.keyboard.press("Tab")
    assert focused(page)["name"] == LABELS["envoyer"]
    page.keyboard.press("Shift+Tab")

    before = bot_messages(page).count()
    page.keyboard.type("comment obtenir un badge ?")
    page.keyboard.press("Enter")
    wait_for_answer(page, before)
    expect(question_field(page)).to_be_focused()

    # Back from the field to the answer's buttons, choose one with Enter.
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if "choice" in focused(page).get("cls", ""):
            break
    choice = focused(page)
    assert "choice" in choice["cls"], choice
    before = bot_messages(page).count()
    page.keyboard.press("Enter")
    wait_for_answer(page, before)
    expect(log(page).locator(".message.user").last).to_contain_text(choice["name"])
    # The focus is on the person's message that says what was chosen; one Tab further
    # is the new answer (its first button, or « Écouter »), not the old one.
    expect(log(page).locator(".message.user").last).to_be_focused()
    page.keyboard.press("Tab")
    assert widget_js(page, """const mine = [...root.querySelectorAll('.message.user')].pop();
        const now = root.activeElement;
        return Boolean(now && now.closest('.message.bot'))
            && Boolean(mine.compareDocumentPosition(now) & Node.DOCUMENT_POSITION_FOLLOWING);"""), focused(page)

    # Esc closes; the focus goes back to the launcher; Enter opens again, as it was.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(question_field(page)).to_be_focused()
    expect(log(page)).to_contain_text(choice["name"])


@pytest.mark.parametrize("viewport", [DESKTOP, {"width": 320, "height": 640}], ids=["desktop", "320px"])
def test_axe_finds_no_wcag_a_or_aa_violation(bagou, browser, viewport):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(bagou.url)
        expect(launcher(page)).to_be_visible()
        assert axe_violations(page) == []  # the demo page with the launcher
        launcher(page).click()
        ask(page, "C'est quoi un open badge ?")
        open_menu(page)
        page.get_by_role("button", name=LABELS["reglages"]).click()
        expect(page.get_by_role("button", name=LABELS["texte_plus_grand"])).to_be_visible()
        assert axe_violations(page) == []  # open, with an answer, buttons and settings
        question_field(page).fill("x" * 1001)
        send_button(page).click()
        expect(page.get_by_text(text("texte_trop_long", max=1000).split("\n")[0])).to_be_visible()
        assert axe_violations(page) == []  # with an error on the field
    finally:
        context.close()


def test_markup_typed_or_returned_by_the_bot_shows_as_text(bagou, page):
    attack = "<img src=x onerror=alert(1)>"
    open_widget(page, bagou.url)
    ask(page, attack)
    expect(log(page).locator(".message.user").last).to_have_text(f"{LABELS['vous']}{attack}")

    # The bot's side: an answer full of markup, as if a content editor wrote it.
    fake = {"session_id": None, "topic": "incompris", "replies": [{
        "id": None,
        "text": f"Voici **du gras**.\n{attack}\n<script>alert(2)</script> www.example.org",
        "buttons": [{"title": "<b>bouton</b>", "payload": "<img src=y onerror=alert(3)>"}],
        "links": [{"title": "piège", "url": "javascript:alert(4)"},
                  {"title": "Open Badge Passport", "url": "https://openbadgepassport.com"}],
    }]}
    page.route("**/api/chat", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(fake)))
    before = bot_messages(page).count()
    question_field(page).fill("encore")
    send_button(page).click()
    wait_for_answer(page, before)
    answer = bot_messages(page).last
    expect(answer).to_contain_text(attack)
    expect(answer).to_contain_text("<script>alert(2)</script>")
    expect(answer.locator("strong")).to_have_text("du gras")
    expect(answer.get_by_role("button", name="<b>bouton</b>")).to_be_visible()
    expect(answer.get_by_role("link", name="piège")).to_have_count(0)  # javascript: is no link
    passport = answer.get_by_role("link", name="Open Badge Passport")
    expect(passport).to_have_attribute("href", "https://openbadgepassport.com/")
    expect(passport).to_have_attribute("target", "_blank")
    assert "noopener" in passport.get_attribute("rel")
    expect(answer.get_by_role("link", name="www.example.org")).to_have_attribute("rel", "noopener noreferrer")
    # No markup of the message or the answer made an element: the only pictures are
    # the widget's own theme pictograms, served by the gateway.
    assert widget_js(page, "return root.querySelectorAll('img:not(.picto), script, iframe, [onerror]').length") == 0
    assert widget_js(page, "return [...root.querySelectorAll('img.picto')].every("
                           "i => new URL(i.src).pathname.startsWith('/widget/pictogrammes/'))")
    answer.get_by_role("button", name="<b>bouton</b>").click()
    expect(log(page).locator(".message.user").last).to_have_text(f"{LABELS['vous']}<b>bouton</b>")
    page.wait_for_timeout(300)  # an alert() would have fired by now (the page fixture checks)


def test_another_site_embeds_the_widget_only_when_it_is_allowed(sites, browser):
    bagou, allowed, refused, _ = sites
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto(allowed.url)
        expect(launcher(page)).to_be_visible()
        # Attributes of the host page: colour (with readable text), title, position.
        background = launcher(page).evaluate("el => getComputedStyle(el).backgroundColor")
        assert background == "rgb(122, 46, 142)"
        assert launcher(page).bounding_box()["x"] < DESKTOP["width"] / 2
        launcher(page).click()
        expect(page.get_by_role("dialog", name="L'assistant de la mission locale")).to_be_visible()
        answer = ask(page, "C'est quoi un open badge ?")
        assert answer["topic"] == "badge_definition"
        expect(bot_messages(page).last).to_contain_text("compétence")
        page.reload()
        expect(log(page)).to_contain_text("C'est quoi un open badge ?")
        assert axe_violations(page, context="bagou-chat") == []
        assert not watch.errors and not watch.csp_violations(), watch.console

        # A site that is not in BAGOU_ALLOWED_ORIGINS gets no widget at all.
        other = context.new_page()
        other_watch = Watch(other)
        other.goto(refused.url)
        expect(other.get_by_role("heading", name="Mission locale de test")).to_be_visible()
        other.wait_for_timeout(1500)
        expect(launcher(other)).to_have_count(0)
        assert any("BAGOU_ALLOWED_ORIGINS" in m for m in other_watch.console), other_watch.console
    finally:
        context.close()


def test_a_learner_signed_in_on_the_host_site_sees_her_badges(sites, context, page):
    _bagou, allowed, _refused, _database = sites
    open_widget(page, f"{allowed.url}/connecte")
    with page.expect_request("**/api/chat") as request:
        answer = ask(page, "Voir mes badges")
    assert request.value.post_data_json["site_token"]  # the widget passes it on
    assert answer["topic"] == "mes_badges"
    expect(log(page)).to_contain_text("Vous avez 4 badges.")
    expect(log(page).locator("strong", has_text="Communiquer à l'oral")).to_be_visible()
    expect(log(page).get_by_role("link", name="Voir le badge")).to_have_count(3)
    more = bot_messages(page).last.get_by_role("button", name="Voir plus", exact=True)
    before = bot_messages(page).count()
    more.click()  # its payload is « /voir_plus_badges »: the person sees « Voir plus »
    wait_for_answer(page, before)
    expect(log(page).locator(".message.user").last).to_have_text(f"{LABELS['vous']}Voir plus")
    expect(log(page)).to_contain_text("Premiers secours citoyens")  # the 4th badge
    page.reload()
    expect(log(page).locator(".message.user").last).to_have_text(f"{LABELS['vous']}Voir plus")
    expect(log(page)).not_to_contain_text("/voir_plus_badges")


def test_clear_messages_for_a_long_message_a_server_down_and_no_network(bagou, context, page):
    open_widget(page, bagou.url)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/api/chat") else None)

    # Too long: said next to the field, nothing is sent.
    question_field(page).fill("a" * 1001)
    send_button(page).click()
    error = page.get_by_text(text("texte_trop_long", max=1000).split("\n")[0])
    expect(error).to_be_visible()
    expect(question_field(page)).to_have_attribute("aria-invalid", "true")
    assert sent == []
    question_field(page).fill("a" * 1000)
    expect(error).to_be_hidden()

    # The server does not answer at all.
    page.route("**/api/chat", lambda route: route.abort())
    question_field(page).fill("bonjour")
    send_button(page).click()
    expect(bot_messages(page).last).to_contain_text(text("serveur_injoignable").split("\n")[0])
    expect(question_field(page)).to_have_value("bonjour")  # ready to send again
    page.unroute("**/api/chat")

    # The assistant is down: the gateway's own FALC message.
    page.route("**/api/chat", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps(error_body("assistant_indisponible", text("assistant_indisponible")))))
    ask(page, "bonjour")
    expect(bot_messages(page).last).to_contain_text(text("assistant_indisponible").split("\n")[0])
    page.unroute("**/api/chat")

    # No network: a notice, and a message that says what to do.
    context.set_offline(True)
    expect(page.get_by_text(MESSAGES["hors_ligne"].split("\n")[0]).first).to_be_visible()
    question_field(page).fill("bonjour")
    send_button(page).click()
    expect(bot_messages(page).last).to_contain_text(MESSAGES["hors_ligne"].split("\n")[0])
    expect(question_field(page)).to_have_value("bonjour")
    context.set_offline(False)
    expect(page.get_by_role("status")).to_have_text(MESSAGES["en_ligne"])
    ask(page, "bonjour")
    expect(bot_messages(page).last).to_contain_text("Bagou")


def stored_thumbs(database, message_id: int) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return list(db.execute("SELECT value, topic FROM chat_feedback WHERE message_id = ?",
                               (message_id,)))


def refuse_feedback(page, status: int, code: str, headers: dict | None = None) -> list:
    """The gateway refuses every thumb with its real error; returns the refused requests."""
    refused = []

    def handle(route):
        refused.append(route.request.post_data_json)
        route.fulfill(status=status, content_type="application/json", headers=headers or {},
                      body=json.dumps(error_body(code, text(code))))

    page.route("**/api/feedback", handle)
    return refused


def wait_until(page, condition, seconds: float = 10):
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def test_a_thumb_refused_during_an_outage_is_kept_and_sent_later(sites, page):
    bagou, database = sites[0], sites[3]
    stored_answers = []
    page.on("response", lambda r: stored_answers.append(r.url)
            if r.url.endswith("/api/feedback") and r.status == 200 else None)
    open_widget(page, bagou.url)
    answer = ask(page, "C'est quoi un open badge ?")
    message_id = answer["replies"][-1]["id"]
    useful = bot_messages(page).last.get_by_role("button", name=LABELS["utile"], exact=True)
    status = page.get_by_role("status")

    # The database is down: the gateway answers 503 base_indisponible, Retry-After 1.
    refused = refuse_feedback(page, 503, "base_indisponible", {"Retry-After": "1"})
    record_status(page)
    useful.click()
    expect(status).to_have_text(MESSAGES["avis_garde"].replace("\n", " "))
    expect(useful).to_have_attribute("aria-pressed", "true")  # the thumb stays pressed
    wait_until(page, lambda: len(refused) >= 2)  # tried again, without a click
    assert refused[-1] == {"session_id": answer["session_id"], "message_id": message_id, "value": "up"}
    expect(useful).to_have_attribute("aria-pressed", "true")
    assert stored_thumbs(database, message_id) == []
    assert text("serveur_injoignable").split("\n")[0] not in " ".join(page.evaluate("window.__status"))

    # The database is back: the thumb arrives by itself, once.
    page.unroute("**/api/feedback")
    expect(status).to_have_text(MESSAGES["merci_avis"])
    assert stored_thumbs(database, message_id) == [("up", answer["topic"])]
    page.wait_for_timeout(2500)  # longer than the next try would wait
    assert len(stored_answers) == 1, stored_answers
    expect(useful).to_have_attribute("aria-pressed", "true")

    # A reload while the thumb waits: the tab keeps it, still pressed, and sends it.
    refused = refuse_feedback(page, 503, "base_indisponible", {"Retry-After": "1"})
    not_useful = bot_messages(page).last.get_by_role("button", name=LABELS["pas_utile"], exact=True)
    not_useful.click()
    expect(status).to_have_text(MESSAGES["avis_garde"].replace("\n", " "))
    refused_before_reload = len(refused)
    page.reload()
    not_useful = bot_messages(page).last.get_by_role("button", name=LABELS["pas_utile"], exact=True)
    expect(not_useful).to_have_attribute("aria-pressed", "true")
    wait_until(page, lambda: len(refused) > refused_before_reload)  # the reloaded page tries
    assert stored_thumbs(database, message_id) == [("up", answer["topic"])]
    page.unroute("**/api/feedback")
    expect(status).to_have_text(MESSAGES["merci_avis"])
    assert stored_thumbs(database, message_id) == [("down", answer["topic"])]
    assert len(stored_answers) == 2, stored_answers
    page.reload()
    expect(bot_messages(page).last.get_by_role("button", name=LABELS["pas_utile"], exact=True)
           ).to_have_attribute("aria-pressed", "true")


def test_a_thumb_refused_for_good_goes_back_and_is_not_sent_again(sites, page):
    bagou, database = sites[0], sites[3]
    open_widget(page, bagou.url)
    answer = ask(page, "comment obtenir un badge ?")
    message_id = answer["replies"][-1]["id"]
    useful = bot_messages(page).last.get_by_role("button", name=LABELS["utile"], exact=True)

    # The gateway does not know this answer (its database was reset): 404, no retry.
    refused = refuse_feedback(page, 404, "message_inconnu")
    useful.click()
    expect(page.get_by_role("status")).to_have_text(text("message_inconnu").replace("\n", " "))
    expect(useful).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(1500)
    assert len(refused) == 1
    page.unroute("**/api/feedback")
    page.reload()  # nothing is kept: the thumb is not pressed and not sent
    expect(bot_messages(page).last.get_by_role("button", name=LABELS["utile"], exact=True)
           ).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(1000)
    assert stored_thumbs(database, message_id) == []


SPEECH_SPY = """
window.__spoken = []; window.__cancelled = 0;
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (u) => window.__spoken.push({text: u.text, lang: u.lang, rate: u.rate});
  window.speechSynthesis.cancel = () => { window.__cancelled += 1; };
}
"""


def test_listen_reads_a_message_in_french_only_when_asked(bagou, context, page):
    context.add_init_script(SPEECH_SPY)
    open_widget(page, bagou.url)
    answer = ask(page, "C'est quoi un open badge ?")
    assert page.evaluate("window.__spoken") == []  # never by itself
    open_menu(page)
    page.get_by_role("button", name=LABELS["reglages"]).click()
    page.get_by_label(LABELS["vitesse_voix"]).select_option(label=LABELS["vitesse_rapide"])
    page.keyboard.press("Escape")  # folds the menu, which drops over the messages
    bot_messages(page).last.get_by_role("button", name=LABELS["ecouter"]).click()
    spoken = page.evaluate("window.__spoken")
    # The answer, then the questions that it offers.
    read = "\n".join([answer["replies"][-1]["text"].replace("**", ""),
                      *[b["title"] for b in answer["replies"][-1]["buttons"]]])
    assert spoken == [{"text": read, "lang": "fr-FR", "rate": pytest.approx(1.3)}]
    stop = bot_messages(page).last.get_by_role("button", name=LABELS["arreter"])
    expect(stop).to_be_visible()
    cancelled = page.evaluate("window.__cancelled")
    stop.click()
    assert page.evaluate("window.__cancelled") > cancelled
    assert len(page.evaluate("window.__spoken")) == 1
    expect(bot_messages(page).last.get_by_role("button", name=LABELS["ecouter"])).to_be_visible()


def test_no_listen_button_without_speech_in_the_browser(bagou, context, page):
    context.add_init_script("delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;")
    open_widget(page, bagou.url)
    ask(page, "bonjour")
    open_menu(page)
    page.get_by_role("button", name=LABELS["reglages"]).click()
    expect(page.get_by_role("button", name=LABELS["ecouter"])).to_have_count(0)
    expect(page.get_by_label(LABELS["vitesse_voix"])).to_have_count(0)


def message_style(page) -> dict:
    return bot_messages(page).last.locator(".text").evaluate("""el => {
        const s = getComputedStyle(el);
        return {size: parseFloat(s.fontSize), line: parseFloat(s.lineHeight), align: s.textAlign,
                style: s.fontStyle, family: s.fontFamily};
    }""")


def test_falc_typography_and_text_size(bagou, page):
    open_widget(page, bagou.url)
    ask(page, "C'est quoi un open badge ?")
    style = message_style(page)
    assert style["size"] >= 18 and style["line"] == pytest.approx(1.5 * style["size"], abs=0.5)
    assert style["align"] in ("left", "start") and style["style"] == "normal"
    assert "sans-serif" in style["family"]

    open_menu(page)
    page.get_by_role("button", name=LABELS["reglages"]).click()
    bigger = page.get_by_role("button", name=LABELS["texte_plus_grand"])
    smaller = page.get_by_role("button", name=LABELS["texte_plus_petit"])
    bigger.click()
    assert message_style(page)["size"] > style["size"]
    for _ in range(6):
        if smaller.get_attribute("aria-disabled") == "true":
            break
        smaller.click()
    assert message_style(page)["size"] == 18  # never below 18 px
    expect(smaller).to_have_attribute("aria-disabled", "true")
    expect(smaller).to_be_focused()  # a button at its limit keeps the focus
    bigger.click()
    bigger.click()
    size = message_style(page)["size"]
    page.reload()
    expect(bot_messages(page).last).to_be_visible()
    assert message_style(page)["size"] == size  # kept on the next pages


def test_restart_begins_a_new_conversation(bagou, page):
    open_widget(page, bagou.url)
    first = ask(page, "C'est quoi un open badge ?")
    open_menu(page)
    page.get_by_role("button", name=LABELS["recommencer"]).click()
    expect(page.get_by_role("status")).to_have_text(MESSAGES["nouvelle_conversation"])
    expect(log(page)).not_to_contain_text("C'est quoi un open badge ?")
    expect(bot_messages(page)).to_have_count(1)  # the welcome
    expect(question_field(page)).to_be_focused()
    second = ask(page, "bonjour")
    assert second["session_id"] != first["session_id"]
    page.reload()
    expect(log(page)).to_contain_text("bonjour")
    expect(log(page)).not_to_contain_text("C'est quoi un open badge ?")


def targets_too_small(page) -> list:
    """Controls of the widget smaller than 24 × 24 CSS pixels (links inside a sentence
    excepted, as WCAG 2.5.8 allows)."""
    return widget_js(page, """return [...root.querySelectorAll('button, input, select, .links a')]
        .filter(el => el.offsetParent !== null || el.classList.contains('launcher'))
        .map(el => ({name: el.textContent.trim() || el.id, box: el.getBoundingClientRect()}))
        .filter(t => t.box.width > 0 && (t.box.width < 24 || t.box.height < 24))
        .map(t => `${t.name} ${t.box.width}x${t.box.height}`);""")


def test_small_screen_and_200_percent_zoom(bagou, browser):
    for name, options in [
        ("widget-320.png", {"viewport": {"width": 320, "height": 640}}),
        # 200 % zoom of a 1280 × 800 screen: 640 × 400 CSS pixels, drawn twice as big.
        ("widget-zoom200.png", {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}),
    ]:
        context = browser.new_context(locale="fr-FR", **options)
        page = context.new_page()
        try:
            page.goto(bagou.url)
            assert targets_too_small(page) == []
            launcher(page).click()
            ask(page, "C'est quoi un open badge ?")
            width = options["viewport"]["width"]
            # Nothing wider than the screen: no sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert widget_js(page, "const p = root.querySelector('.panel'); return p.scrollWidth <= p.clientWidth")
            box = page.get_by_role("dialog").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            assert targets_too_small(page) == []
            send_button(page).scroll_into_view_if_needed()
            expect(send_button(page)).to_be_in_viewport()
            bot_messages(page).last.scroll_into_view_if_needed()
            screenshot(page, name)
        finally:
            context.close()
