"""One step of the course (issue 22, item 5) in the widget, in Debian's Chromium (headless,
Playwright), against the gateway alone: uvicorn with create_app and a temporary
database, Rasa replaced by the real course action played in-process (as in
tests/test_course_gateway.py), so the texts and buttons are the real ones and no trained
model is needed. tests/test_stack.py plays the course with the real model.

What a person notices: « Je veux apprendre sur les badges » starts the course with
« Étape 1 sur 6 »; every course button is reached and pressed with the keyboard only
(Tab, Shift+Tab, Enter), has the role button and its visible words as its name; a right
and a wrong answer each give their own words; « Faire une pause » pauses; the progress
line is text that a screen reader reads. axe-core checks WCAG 2.2 A and AA.
"""

import json
import threading
import time

import httpx
import pytest
import uvicorn
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.formation import ActionAutoformationModule
from actions.formation_content import course
from bot.chat.rasa_client import RasaClient
from bot.app import create_app
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT, Settings
from tests.helpers.browser import CHROMIUM

TEXTS = yaml.safe_load((PROJECT_ROOT / "widget" / "texts.yml").read_text(encoding="utf-8"))
LABELS, MESSAGES = TEXTS["labels"], TEXTS["messages"]
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
COURSE = course()
FIRST = COURSE.step(COURSE.etapes[0])
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE = {"width": 360, "height": 740}

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]
expect.set_options(timeout=20_000)


def wording(name: str, **values) -> str:
    return DOMAIN["responses"][name][0]["text"].format(**values)


NEXT = wording("utter_bouton_la_suite")
BACK = wording("utter_formation_bouton_retour")
SKIP = wording("utter_formation_bouton_passer")
PAUSE = wording("utter_formation_bouton_pause")
RESUME = wording("utter_formation_bouton_reprendre")
STOP = wording("utter_formation_bouton_arreter")
PROGRESS_1 = wording("utter_formation_etape", numero=1, total=6, titre=FIRST.titre)


class CourseRasa:
    """Rasa for the course: the real action for « … apprendre … » and the course
    buttons, the slots kept per conversation; a FAQ answer for anything else."""

    def __init__(self):
        self.slots: dict[str, dict] = {}

    async def send(self, sender: str, message: str, metadata: dict) -> list[dict]:
        if not (message.startswith("/autoformation_module") or "apprendre" in message.lower()):
            return [{"text": "Un Open Badge est une image numérique.",
                     "utter_action": "utter_faq/badge_definition"}]
        entities = []
        if "{" in message:
            gesture = json.loads("{" + message.split("{", 1)[1])["formation"]
            entities = [{"entity": "formation", "value": gesture}]
        slots = self.slots.setdefault(sender, {})
        tracker = Tracker.from_dict({
            "sender_id": sender, "slots": slots, "events": [],
            "latest_message": {"text": message, "entities": entities, "metadata": metadata,
                               "intent": {"name": "autoformation_module", "confidence": 1}}})
        dispatcher = CollectingDispatcher()
        for event in await ActionAutoformationModule().run(dispatcher, tracker, DOMAIN):
            slots[event["name"]] = event["value"]
        return [{"text": m["text"], "topic": m.get("topic"), "buttons": m.get("buttons")}
                if m.get("text") else {"custom": m["custom"]} for m in dispatcher.messages]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    fake = CourseRasa()
    saved = RasaClient.send

    async def send(_self, sender, message, metadata):
        return await fake.send(sender, message, metadata)

    RasaClient.send = send
    port = free_port()
    settings = Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('gw') / 'bagou.db'}",
                        port=port, rasa_port=free_port(), actions_port=free_port(),
                        rasa_token="t", rasa_timeout=2,
                        rate_limit_session="", rate_limit_address="")  # a course is many clicks
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/widget/texts.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield url
    server.should_exit = True
    thread.join(10)
    RasaClient.send = saved


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", device_scale_factor=1)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    assert not page.errors, page.errors
    context.close()


def log(page):
    return page.get_by_role("log", name=LABELS["conversation"])


def last_bot(page):
    return log(page).locator(".message.bot").last


def field(page):
    return page.get_by_role("textbox", name=LABELS["question"])


def focused(page) -> dict:
    """The element that has the focus: its role (tag) and its accessible name (text)."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return {tag: '', name: ''};
        return {tag: el.tagName.toLowerCase(),
                name: (el.getAttribute('aria-label') || el.textContent || '').trim()};
    }""")


def tab_to(page, name: str, key: str = "Shift+Tab", limit: int = 20) -> int:
    """Presses Tab (or Shift+Tab) until the button `name` has the focus; how many presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        now = focused(page)
        if now["tag"] == "button" and now["name"] == name:
            return presses
    raise AssertionError(f"« {name} » not reached with {key} (focus on {focused(page)})")


def press(page, name: str) -> None:
    """From the field, back to the button `name` of the last answer, then Enter; waits
    for the answer of the turn."""
    before = log(page).locator(".message.bot").count()
    tab_to(page, name)
    with page.expect_response("**/api/chat"):
        page.keyboard.press("Enter")
    expect(log(page).locator(".message.bot")).not_to_have_count(before)
    expect(page.get_by_role("status")).to_have_text("")  # « L'assistant écrit » is gone


def course_buttons(page) -> list[str]:
    """The visible words of the question buttons under the last answer (in view or not)."""
    return [t.strip() for t in last_bot(page).locator(".choice").all_inner_texts()]


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_A_AA}})
    return [f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]]


def start_course(page, url):
    page.goto(url)
    page.get_by_role("button", name=LABELS["lanceur"], exact=True).click()
    expect(field(page)).to_be_focused()
    expect(log(page)).to_contain_text(MESSAGES["accueil"].split("\n")[0])
    # Typed and sent with the keyboard only.
    page.keyboard.type("Je veux apprendre sur les badges")
    with page.expect_response("**/api/chat"):
        page.keyboard.press("Enter")
    expect(last_bot(page)).to_contain_text(PROGRESS_1)
    expect(field(page)).to_be_focused()


def test_the_first_step_with_the_keyboard_only(gateway, page):
    start_course(page, gateway)
    welcome = log(page).locator(".message.bot").nth(-2)
    expect(welcome).to_contain_text(wording("utter_formation_accueil", total=6).split("\n")[0])

    # The progress line is the first line of the message, as text (no picture, not
    # hidden from screen readers), and the log says it.
    lesson = last_bot(page)
    lines = lesson.locator(".text").inner_text().split("\n")
    assert lines[0] == PROGRESS_1 == "Étape 1 sur 6 : Décrire un badge"
    assert lines[1:] == FIRST.messages[0].split("\n")
    expect(log(page)).to_contain_text("Étape 1 sur 6")
    assert PROGRESS_1 in log(page).aria_snapshot()

    # The course's buttons: role button, named by their visible words, in a group.
    assert course_buttons(page) == [NEXT, SKIP, PAUSE]
    group = lesson.get_by_role("group", name=LABELS["questions"])
    for title in (NEXT, SKIP, PAUSE):
        expect(group.get_by_role("button", name=title, exact=True)).to_have_accessible_name(title)
    assert axe_violations(page) == []

    # « La suite » with Shift+Tab from the field, then Enter: the lessons one by one.
    for index in range(1, len(FIRST.messages)):
        press(page, NEXT)
        expect(last_bot(page).locator(".text")).to_contain_text(FIRST.messages[index].split("\n")[-1])
        assert last_bot(page).locator(".text").inner_text().split("\n") == [
            PROGRESS_1, *FIRST.messages[index].split("\n")]
        assert course_buttons(page) == [NEXT, BACK, SKIP, PAUSE]
        expect(field(page)).to_be_focused()

    # « Revenir en arrière » shows the message before.
    press(page, BACK)
    assert FIRST.messages[-2].split("\n")[0] in last_bot(page).inner_text()
    press(page, NEXT)

    # The first question: its answers are buttons with their words; « Faire une pause »
    # waits behind « Autres choix » (3 buttons in view).
    press(page, NEXT)
    question = FIRST.questions[0]
    text = last_bot(page).locator(".text").inner_text().split("\n")
    assert text == [PROGRESS_1, question.question]
    answers = [a.texte for a in question.reponses]
    assert course_buttons(page) == [*answers, PAUSE]
    group = last_bot(page).get_by_role("group", name=LABELS["questions"])
    for title in answers:
        expect(group.get_by_role("button", name=title, exact=True)).to_be_visible()
    assert axe_violations(page) == []

    # A wrong answer: the kind explanation, « Essayez encore une fois », the question again.
    wrong = next(a.texte for a in question.reponses if not a.juste)
    press(page, wrong)
    said = log(page).locator(".message.bot").nth(-2).locator(".text").inner_text()
    assert said.split("\n")[0] == wording("utter_formation_faux")
    assert question.explication.split("\n")[0] in said
    assert wording("utter_formation_essayer") in said
    expect(last_bot(page).locator(".text")).to_have_text(question.question)  # asked again
    assert course_buttons(page) == [*answers, PAUSE]
    expect(log(page).locator(".message.user").last.locator(".text")).to_have_text(wrong)  # what was pressed

    # The right answer: « Bravo, c'est la bonne réponse. », then the next question.
    press(page, question.reponses[question.right].texte)
    feedback = log(page).locator(".message.bot").nth(-2)
    expect(feedback.locator(".text")).to_have_text(wording("utter_formation_juste"))
    second = FIRST.questions[1]
    expect(last_bot(page).locator(".text")).to_contain_text(second.question)

    # « Faire une pause » behind « Autres choix »: opened and pressed with the keyboard.
    tab_to(page, LABELS["autres_choix"])
    page.keyboard.press("Enter")
    toggle = last_bot(page).get_by_role("button", name=LABELS["autres_choix"])
    expect(toggle).to_have_attribute("aria-expanded", "true")
    pause = last_bot(page).get_by_role("button", name=PAUSE, exact=True)
    expect(pause).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == {"tag": "button", "name": PAUSE}
    with page.expect_response("**/api/chat"):
        page.keyboard.press("Enter")
    expect(last_bot(page).locator(".text")).to_contain_text(
        wording("utter_formation_pause", numero=1, total=6).split("\n")[0])
    assert course_buttons(page) == [RESUME, STOP]
    assert axe_violations(page) == []

    # « Reprendre la formation »: the same question again.
    press(page, RESUME)
    expect(last_bot(page).locator(".text")).to_contain_text(second.question)
    expect(last_bot(page).locator(".text")).to_contain_text(PROGRESS_1)


def test_a_second_wrong_answer_gives_the_right_one_and_the_step_ends(gateway, page):
    start_course(page, gateway)
    for _ in FIRST.messages:
        press(page, NEXT)
    for question in FIRST.questions:
        wrong = [a.texte for a in question.reponses if not a.juste]
        press(page, wrong[0])
        press(page, wrong[-1])
        right = question.reponses[question.right].texte
        expect(log(page).locator(".message.bot").filter(
            has_text=wording("utter_formation_bonne_reponse", reponse=right).split("\n")[0])
        ).to_have_count(1)
    # The end of the step: the « À vous » task and its page as a link, not a button.
    said = log(page).locator(".message.bot")
    end = wording("utter_formation_fin_etape", numero=1, total=6).split("\n")[0]
    expect(said.filter(has_text=end)).to_have_count(1)
    expect(last_bot(page)).to_contain_text(wording("utter_formation_a_vous").split("\n")[0])
    assert course_buttons(page) == [NEXT, PAUSE]
    link = last_bot(page).get_by_role("list", name=LABELS["liens"]).get_by_role("link")
    expect(link).to_have_attribute("href", FIRST.lien.url)
    assert axe_violations(page) == []
    # « La suite »: step 2.
    press(page, NEXT)
    expect(last_bot(page).locator(".text")).to_contain_text(
        wording("utter_formation_etape", numero=2, total=6, titre=COURSE.step(COURSE.etapes[1]).titre))
