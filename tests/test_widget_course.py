"""One step of the course (issue 22, item 5) in the widget, in Debian's Chromium (headless,
Playwright), against the gateway alone: uvicorn with create_app and a temporary
database, Rasa replaced by the real course action played in-process (as in
tests/test_course_gateway.py), so the texts and buttons are the real ones and no trained
model is needed. tests/test_stack.py plays the course with the real model.

What a person notices: « Je veux apprendre sur les badges » starts the course with
« Étape 1 sur 6 »; every course button is reached and pressed with the keyboard only
(Tab, Shift+Tab, Enter), has the role button and its visible words as its name; after a
button the focus is on the person's own message and one Tab reaches the next
« La suite »; a right and a wrong answer each give their own words; « Faire une pause »
is always in view, in a row of its own; no « Utile » under the course, only under a FAQ
answer asked in the middle; the progress line is text that a screen reader reads.
axe-core checks WCAG 2.2 A and AA.
"""

import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from bot.chat.course_content import course
from bot.settings import PROJECT_ROOT
from tests.helpers.browser import CHROMIUM, chromium, gateway as running_gateway, watch_errors
from tests.helpers.course import CourseRasa

TEXTS = yaml.safe_load((PROJECT_ROOT / "texts" / "widget.yml").read_text(encoding="utf-8"))
LABELS, MESSAGES = TEXTS["labels"], TEXTS["messages"]
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
COURSE = course()
FIRST = COURSE.step(COURSE.etapes[0])
ARTEFACTS = PROJECT_ROOT / "var" / "artefacts"
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


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    # « … apprendre … » starts the course; a FAQ question in the middle is followed by
    # « On reprend ? »; a course is many clicks: no rate limit.
    fake = CourseRasa(starts=lambda message: "apprendre" in message.lower(),
                      resume_after_faq=True)
    with running_gateway(tmp_path_factory.mktemp("gw"), fake.in_place_of_rasa(),
                         rate_limit_session="", rate_limit_address="") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", device_scale_factor=1)
    page = context.new_page()
    page.errors = watch_errors(page)
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
    """The element that has the focus: its role (tag), its accessible name (text), its
    class, and whether it is in the last answer."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return {tag: '', name: '', cls: '', last: false};
        const answers = el.getRootNode().querySelectorAll ? el.getRootNode().querySelectorAll('.message.bot') : [];
        return {tag: el.tagName.toLowerCase(),
                name: (el.getAttribute('aria-label') || el.textContent || '').trim(),
                cls: el.className || '',
                last: answers.length > 0 && answers[answers.length - 1].contains(el)};
    }""")


def tab_to(page, name: str, key: str = "Tab", limit: int = 20) -> int:
    """Presses Tab (or Shift+Tab) until the button `name` of the last answer has the
    focus; how many presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        now = focused(page)
        if now["tag"] == "button" and now["name"] == name and now["last"]:
            return presses
    raise AssertionError(f"« {name} » not reached with {key} (focus on {focused(page)})")


def on_my_message(page, title: str) -> None:
    """The focus is on the person's own last message, which says what was pressed."""
    now = focused(page)
    assert "message user" in now["cls"] and now["name"].endswith(title), now
    mine = log(page).locator(".message.user").last
    expect(mine).to_have_attribute("tabindex", "-1")  # reached by the script, not by Tab


def press(page, name: str) -> int:
    """To the button `name` of the last answer with the keyboard, then Enter; waits for
    the answer of the turn. From the field (after a typed message) that is Shift+Tab;
    after a button the focus is on the person's own message, just above the answer, and
    it is Tab. Returns how many presses it took to reach the button."""
    before = log(page).locator(".message.bot").count()
    after_button = "message user" in focused(page)["cls"]
    presses = tab_to(page, name, "Tab" if after_button else "Shift+Tab")
    with page.expect_response("**/api/chat"):
        page.keyboard.press("Enter")
    on_my_message(page, name)  # at once, before the answer comes
    expect(log(page).locator(".message.bot")).not_to_have_count(before)
    expect(page.get_by_role("status")).to_have_text("")  # « L'assistant écrit » is gone
    on_my_message(page, name)  # the answer did not move the focus
    return presses


def course_buttons(page) -> list[str]:
    """The visible words of the question buttons under the last answer (in view or not)."""
    return [t.strip() for t in last_bot(page).locator(".choice").all_inner_texts()]


def course_controls(page) -> list[str]:
    """The course's own controls under the last answer, in their row « La formation »."""
    row = last_bot(page).get_by_role("group", name=LABELS["formation"])
    return [t.strip() for t in row.get_by_role("button").all_inner_texts()]


def no_thumbs_in_the_course(page) -> None:
    for name in (LABELS["utile"], LABELS["pas_utile"]):
        expect(log(page).get_by_role("button", name=name, exact=True)).to_have_count(0)


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

    # The course's buttons: role button, named by their visible words, in a group;
    # « Faire une pause » in a row of its own, « La formation », always in view.
    assert course_buttons(page) == [NEXT, SKIP]
    assert course_controls(page) == [PAUSE]
    group = lesson.get_by_role("group", name=LABELS["questions"])
    for title in (NEXT, SKIP):
        expect(group.get_by_role("button", name=title, exact=True)).to_have_accessible_name(title)
    controls = lesson.get_by_role("group", name=LABELS["formation"])
    expect(controls.get_by_role("button", name=PAUSE, exact=True)).to_be_visible()
    expect(lesson.get_by_role("button", name=LABELS["autres_choix"])).to_have_count(0)
    no_thumbs_in_the_course(page)
    assert axe_violations(page) == []

    # « La suite » with Shift+Tab from the field, then Enter; after that the focus is
    # on « Vous : La suite » and one Tab reaches the next « La suite ».
    for index in range(1, len(FIRST.messages)):
        presses = press(page, NEXT)
        assert index == 1 or presses == 1, presses
        expect(last_bot(page).locator(".text")).to_contain_text(FIRST.messages[index].split("\n")[-1])
        assert last_bot(page).locator(".text").inner_text().split("\n") == [
            PROGRESS_1, *FIRST.messages[index].split("\n")]
        assert course_buttons(page) == [NEXT, BACK, SKIP]
        assert course_controls(page) == [PAUSE]
    no_thumbs_in_the_course(page)

    # « Revenir en arrière » shows the message before.
    assert press(page, BACK) == 2
    assert FIRST.messages[-2].split("\n")[0] in last_bot(page).inner_text()
    press(page, NEXT)

    # The first question: its 3 answers are buttons with their words, and « Faire une
    # pause » is still in view, in its row below them (nothing behind « Autres choix »).
    assert press(page, NEXT) == 1
    question = FIRST.questions[0]
    text = last_bot(page).locator(".text").inner_text().split("\n")
    assert text == [PROGRESS_1, question.question]
    answers = [a.texte for a in question.reponses]
    assert course_buttons(page) == answers and len(answers) == 3
    assert course_controls(page) == [PAUSE]
    group = last_bot(page).get_by_role("group", name=LABELS["questions"])
    for title in answers:
        expect(group.get_by_role("button", name=title, exact=True)).to_be_visible()
    expect(last_bot(page).get_by_role("button", name=LABELS["autres_choix"])).to_have_count(0)
    pause = last_bot(page).get_by_role("group", name=LABELS["formation"]).get_by_role("button", name=PAUSE)
    expect(pause).to_be_visible()
    # It does not look like an answer: square corners, a rule above, below the answers.
    shapes = last_bot(page).evaluate("""m => {
        const answer = m.querySelector('.choice'), pause = m.querySelector('.control');
        const row = m.querySelector('.controls'), last = [...m.querySelectorAll('.choice')].pop();
        return {answer: getComputedStyle(answer).borderTopLeftRadius, pause: getComputedStyle(pause).borderTopLeftRadius,
                rule: getComputedStyle(row).borderTopStyle,
                below: row.getBoundingClientRect().top >= last.getBoundingClientRect().bottom};
    }""")
    assert shapes["answer"] != shapes["pause"] and shapes["rule"] == "solid" and shapes["below"], shapes
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "widget-course-question-360x740.png"))
    assert axe_violations(page) == []

    # A wrong answer: the kind explanation, « Essayez encore une fois », the question again.
    wrong = next(a.texte for a in question.reponses if not a.juste)
    press(page, wrong)
    said = log(page).locator(".message.bot").nth(-2).locator(".text").inner_text()
    assert said.split("\n")[0] == wording("utter_formation_faux")
    assert question.explication.split("\n")[0] in said
    assert wording("utter_formation_essayer") in said
    expect(last_bot(page).locator(".text")).to_have_text(question.question)  # asked again
    assert course_buttons(page) == answers
    assert course_controls(page) == [PAUSE]
    expect(log(page).locator(".message.user").last.locator(".text")).to_have_text(wrong)  # what was pressed

    # The right answer: « Bravo, c'est la bonne réponse. », then the next question; two
    # messages, so « Écouter » of the first comes before the answers (2 Tabs at most).
    assert press(page, question.reponses[question.right].texte) == question.right + 2
    feedback = log(page).locator(".message.bot").nth(-2)
    expect(feedback.locator(".text")).to_have_text(wording("utter_formation_juste"))
    second = FIRST.questions[1]
    expect(last_bot(page).locator(".text")).to_contain_text(second.question)
    no_thumbs_in_the_course(page)

    # « Faire une pause » with the keyboard: right after the answers.
    presses = press(page, PAUSE)
    assert presses == len(second.reponses) + 2, presses
    expect(last_bot(page).locator(".text")).to_contain_text(
        wording("utter_formation_pause", numero=1, total=6).split("\n")[0])
    assert course_buttons(page) == [RESUME]
    assert course_controls(page) == [STOP]
    assert axe_violations(page) == []

    # « Reprendre la formation »: the same question again.
    assert press(page, RESUME) == 1
    expect(last_bot(page).locator(".text")).to_contain_text(second.question)
    expect(last_bot(page).locator(".text")).to_contain_text(PROGRESS_1)


def test_a_faq_question_in_the_middle_is_the_only_one_with_thumbs(gateway, page):
    start_course(page, gateway)
    press(page, NEXT)
    # A question typed in the middle of the course: the FAQ answer, then « On reprend ? »
    # with « Reprendre la formation » and, in its row, « Faire une pause ».
    before = log(page).locator(".message.bot").count()
    field(page).fill("C'est quoi un badge ?")
    with page.expect_response("**/api/chat") as response:
        page.keyboard.press("Enter")
    expect(log(page).locator(".message.bot")).to_have_count(before + 2)
    assert response.value.json()["topic"] == "badge_definition"
    expect(field(page)).to_be_focused()  # typed: the focus stays in the field
    answer, prompt = log(page).locator(".message.bot").nth(-2), last_bot(page)
    expect(answer.locator(".text")).to_have_text("Un Open Badge est une image numérique.")
    assert course_buttons(page) == [RESUME] and course_controls(page) == [PAUSE]
    # The thumbs judge the FAQ answer, not the course's prompt, and nothing else has them.
    expect(answer.get_by_role("button", name=LABELS["utile"], exact=True)).to_be_visible()
    expect(prompt.locator(".thumb")).to_have_count(0)
    expect(log(page).locator(".thumb")).to_have_count(2)
    assert axe_violations(page) == []
    # After a reload, from the history: the same.
    page.reload()
    expect(log(page).locator(".message.bot")).to_have_count(before + 2)
    expect(log(page).locator(".message.bot").nth(-2).locator(".thumb")).to_have_count(2)
    expect(log(page).locator(".thumb")).to_have_count(2)
    assert course_controls(page) == [PAUSE]


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
    assert course_buttons(page) == [NEXT] and course_controls(page) == [PAUSE]
    no_thumbs_in_the_course(page)
    link = last_bot(page).get_by_role("list", name=LABELS["liens"]).get_by_role("link")
    expect(link).to_have_attribute("href", FIRST.lien.url)
    assert axe_violations(page) == []
    # « La suite »: step 2.
    press(page, NEXT)
    expect(last_bot(page).locator(".text")).to_contain_text(
        wording("utter_formation_etape", numero=2, total=6, titre=COURSE.step(COURSE.etapes[1]).titre))
