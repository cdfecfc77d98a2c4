"""The widget on a phone, for people who read little (issue 23), in Debian's Chromium
(headless, Playwright) against the gateway alone: uvicorn with create_app and a
temporary database, Rasa replaced by canned answers (RasaClient.send), so this test needs
no trained model. tests/test_widget.py uses the real product.

What a person notices: the room that the conversation gets on a 360 × 640 and a
360 × 740 screen (measured, printed, kept in var/artefacts/widget-phone.json with
screenshots), the one « Menu » button by keyboard and by touch, the pictograms with
their word beside them, the two kinds of buttons, and a first message that says the
truth. axe-core checks WCAG 2.2 A and AA.
"""

import json
import re
import httpx
import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from bot.settings import PROJECT_ROOT
from tests.helpers.browser import CHROMIUM, chromium, gateway as running_gateway, watch_errors

TEXTS = yaml.safe_load((PROJECT_ROOT / "texts" / "widget.yml").read_text(encoding="utf-8"))
LABELS, MESSAGES = TEXTS["labels"], TEXTS["messages"]
ARTEFACTS = PROJECT_ROOT / "var" / "artefacts"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONES = [{"width": 360, "height": 640}, {"width": 360, "height": 740}]
PRIVACY = "https://www.la-passerelle.example/vos-donnees"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]
expect.set_options(timeout=20_000)

# What Rasa's channel gives for a question about sharing: a FAQ answer with five
# follow-up questions (the widget shows three) and a link written as a button.
SHARE = [{
    "recipient_id": "x", "utter_action": "utter_faq/partager_badge",
    "text": "Ouvrez le badge dans Open Badge Passport.\nCopiez le lien du badge.",
    "buttons": [
        {"title": "Mettre un badge sur LinkedIn", "payload": "Mettre un badge sur LinkedIn"},
        {"title": "C'est quoi un badge ?", "payload": "C'est quoi un badge ?"},  # a topic's title
        {"title": "Partager un badge sur Facebook", "payload": "Partager un badge sur Facebook"},
        {"title": "Mettre un badge dans mon CV", "payload": "Mettre un badge dans mon CV"},
        {"title": "Où ranger mes badges ?", "payload": "Où ranger mes badges ?"},
        {"title": "Open Badge Passport", "payload": "https://openbadgepassport.com"},
    ],
}]
HELLO = [{"recipient_id": "x", "utter_action": "utter_bonjour", "text": "Bonjour.\nPosez votre question."}]


async def fake_rasa(_self, _sender, text, _metadata):
    return SHARE if "partag" in text.lower() else HELLO


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("gw"), fake_rasa, privacy_url=PRIVACY,
                         retention_days=90, contact_name="La Passerelle",
                         contact_phone="02 00 00 00 00") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def new_page(browser, viewport, touch=False):
    context = browser.new_context(viewport=viewport, locale="fr-FR", has_touch=touch,
                                  is_mobile=touch, device_scale_factor=1)
    page = context.new_page()
    page.errors = watch_errors(page)
    return page


@pytest.fixture(params=PHONES, ids=lambda v: f"{v['width']}x{v['height']}")
def phone(browser, request):
    page = new_page(browser, request.param)
    yield page
    assert not page.errors, page.errors
    page.context.close()


@pytest.fixture
def touch_phone(browser):
    page = new_page(browser, PHONES[0], touch=True)
    yield page
    assert not page.errors, page.errors
    page.context.close()


def launcher(page):
    return page.get_by_role("button", name=LABELS["lanceur"], exact=True)


def dialog(page):
    return page.get_by_role("dialog", name=LABELS["titre"])


def log(page):
    return page.get_by_role("log", name=LABELS["conversation"])


def menu_button(page):
    return dialog(page).get_by_role("button", name=LABELS["menu"], exact=True)


def open_widget(page, url):
    page.goto(url)
    launcher(page).click()
    expect(page.get_by_role("textbox", name=LABELS["question"])).to_be_focused()
    expect(log(page)).to_contain_text(MESSAGES["accueil"].split("\n")[0])


def ask(page, question):
    before = log(page).locator(".message.bot").count()
    page.get_by_role("textbox", name=LABELS["question"]).fill(question)
    with page.expect_response("**/api/chat") as response:
        page.get_by_role("button", name=LABELS["envoyer"], exact=True).click()
    expect(log(page).locator(".message.bot")).not_to_have_count(before)
    return response.value.json()


def focused(page) -> str:
    """The accessible name (its text) of the element that has the focus."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? (el.getAttribute('aria-label') || el.textContent || '').trim() : '';
    }""")


def box(page, selector):
    return page.evaluate("""(selector) => {
        const el = document.querySelector('bagou-chat').shadowRoot.querySelector(selector);
        const r = el.getBoundingClientRect();
        return {top: r.top, height: r.height, bottom: r.bottom, width: r.width};
    }""", selector)


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_A_AA}})
    return [f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]]


def keep(name, measured):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / "widget-phone.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[name] = measured
    path.write_text(json.dumps(kept, indent=2, ensure_ascii=False))
    print(name, measured)


# --- room for the conversation ----------------------------------------------------

def test_on_a_phone_the_header_is_one_line_and_the_conversation_gets_the_room(gateway, phone):
    open_widget(phone, gateway)
    viewport = phone.viewport_size
    panel, head, conversation = box(phone, ".panel"), box(phone, ".head"), box(phone, ".log")
    title = box(phone, ".title")
    share = conversation["height"] / viewport["height"]
    measured = {"viewport": f"{viewport['width']}x{viewport['height']}", "header_px": head["height"],
                "conversation_px": conversation["height"], "conversation_share": round(share, 3),
                "form_px": box(phone, ".ask")["height"]}
    keep(f"welcome {measured['viewport']}", measured)
    assert panel["height"] == viewport["height"] and panel["width"] == viewport["width"]
    # One line: the title, « Menu » and « Fermer » side by side, 44 px targets.
    assert head["height"] <= 64, measured
    assert title["height"] <= 30, measured
    for name in (LABELS["menu"], LABELS["fermer"]):
        target = dialog(phone).get_by_role("button", name=name, exact=True).bounding_box()
        assert target["y"] < head["bottom"] and target["height"] >= 44 and target["width"] >= 44
    assert share >= 0.6, measured
    # The theme buttons of the first message are in view without scrolling: the facts
    # (what Bagou keeps, who to call) come right below them, in the same message.
    themes = log(phone).get_by_role("group", name=LABELS["questions"]).first.get_by_role("button")
    expect(themes).to_have_count(len(TEXTS["suggestions"]))
    assert phone.evaluate("document.querySelector('bagou-chat').shadowRoot.querySelector('.log').scrollTop") == 0
    for index in range(themes.count()):
        button = themes.nth(index).bounding_box()
        assert conversation["top"] <= button["y"], (index, button, conversation)
        assert button["y"] + button["height"] <= conversation["bottom"], (index, button, conversation)
    measured["theme_buttons_in_view"] = themes.count()
    measured["room_below_last_theme_px"] = round(conversation["bottom"] - button["y"] - button["height"], 1)
    keep(f"welcome {measured['viewport']}", measured)
    # The tools are folded: none of them takes room until « Menu » is pressed.
    for name in (LABELS["recommencer"], LABELS["reglages"], LABELS["verifier_badge"]):
        expect(dialog(phone).get_by_role("button", name=name)).to_be_hidden()
    # No sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert phone.evaluate("document.querySelector('bagou-chat').shadowRoot.querySelector('.panel').scrollWidth") \
        <= viewport["width"]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTEFACTS / f"widget-phone-{measured['viewport']}-accueil.png"))

    ask(phone, "Comment partager mon badge ?")
    conversation = box(phone, ".log")
    keep(f"answer {measured['viewport']}", {"conversation_px": conversation["height"],
                                             "conversation_share": round(conversation["height"] / viewport["height"], 3)})
    assert conversation["height"] / viewport["height"] >= 0.6
    phone.screenshot(path=str(ARTEFACTS / f"widget-phone-{measured['viewport']}-reponse.png"))
    assert axe_violations(phone) == []


# --- the menu -----------------------------------------------------------------------

def test_the_menu_with_the_keyboard_only(gateway, phone):
    open_widget(phone, gateway)
    menu = menu_button(phone)
    expect(menu).to_have_attribute("aria-expanded", "false")
    for _ in range(10):
        phone.keyboard.press("Shift+Tab")
        if focused(phone) == LABELS["menu"]:
            break
    assert focused(phone) == LABELS["menu"]
    phone.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    items = [LABELS["recommencer"], LABELS["verifier_badge"], LABELS["reglages"], LABELS["qui_a_fait"]]
    order = []
    for _ in items:
        phone.keyboard.press("Tab")
        order.append(focused(phone))
    assert order == items  # right after « Menu », before « Fermer »
    assert axe_violations(phone) == []
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTEFACTS / f"widget-phone-{phone.viewport_size['height']}-menu.png"))
    # Tab past the last item: « Fermer », and the menu folds (it hid the messages).
    phone.keyboard.press("Tab")
    assert focused(phone) == LABELS["fermer"]
    expect(menu).to_have_attribute("aria-expanded", "false")

    # Esc folds the menu and gives the focus back to « Menu »; a second Esc closes the window.
    menu.press("Enter")
    phone.keyboard.press("Tab")
    assert focused(phone) == LABELS["recommencer"]
    phone.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert focused(phone) == LABELS["menu"]
    expect(dialog(phone).get_by_role("button", name=LABELS["recommencer"])).to_be_hidden()
    phone.keyboard.press("Escape")
    expect(dialog(phone)).to_be_hidden()
    assert focused(phone) == LABELS["lanceur"]

    # « Réglages » in the menu: the text size, by keyboard.
    phone.keyboard.press("Enter")
    menu_button(phone).press("Enter")
    settings = dialog(phone).get_by_role("button", name=LABELS["reglages"])
    settings.press("Enter")
    bigger = dialog(phone).get_by_role("button", name=LABELS["texte_plus_grand"])
    expect(bigger).to_be_visible()
    bigger.press("Enter")
    expect(phone.get_by_role("status")).to_have_text(MESSAGES["taille_texte"])
    # « Recommencer » folds the menu and puts the focus in the field.
    dialog(phone).get_by_role("button", name=LABELS["recommencer"]).press("Enter")
    expect(menu_button(phone)).to_have_attribute("aria-expanded", "false")
    expect(phone.get_by_role("textbox", name=LABELS["question"])).to_be_focused()


def test_the_menu_by_touch_and_the_credits_of_the_pictograms(gateway, touch_phone):
    page = touch_phone
    open_widget(page, gateway)
    menu_button(page).tap()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "true")
    check = dialog(page).get_by_role("button", name=LABELS["verifier_badge"], exact=True)
    expect(check).to_be_visible()
    assert check.bounding_box()["height"] >= 44
    # A tap on the conversation folds the menu.
    log(page).tap(position={"x": 20, "y": 300})
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")

    menu_button(page).tap()
    dialog(page).get_by_role("button", name=LABELS["qui_a_fait"]).tap()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "false")
    credits = log(page).locator(".message.bot").last
    expect(credits).to_contain_text(MESSAGES["credits"].split("\n")[0])
    openmoji = credits.get_by_role("link", name=LABELS['site_openmoji'])
    expect(openmoji).to_have_attribute("href", "https://openmoji.org/")
    licence = credits.get_by_role("link", name=LABELS['licence_images'])
    expect(licence).to_have_attribute("href", "https://creativecommons.org/licenses/by-sa/4.0/")


def test_a_tapped_button_does_not_open_the_phone_keyboard(gateway, touch_phone):
    """A theme button tapped on a phone: the answer comes, and the focus is on the
    person's own message, not in the field (whose focus opens the on-screen keyboard
    over half of the answer)."""
    page = touch_phone
    open_widget(page, gateway)
    page.get_by_role("textbox", name=LABELS["question"]).blur()
    before = log(page).locator(".message.bot").count()
    with page.expect_response("**/api/chat"):
        log(page).get_by_role("button", name=TEXTS["suggestions"][2]).tap()
    expect(log(page).locator(".message.bot")).not_to_have_count(before)
    expect(page.get_by_role("textbox", name=LABELS["question"])).not_to_be_focused()
    mine = log(page).locator(".message.user").last
    expect(mine).to_be_focused()
    expect(mine).to_contain_text(TEXTS["suggestions"][2])
    # The person's message and the start of the answer are both in view.
    conversation = box(page, ".log")
    for message in (mine, log(page).locator(".message.bot").last):
        top = message.bounding_box()["y"]
        assert conversation["top"] <= top < conversation["bottom"], (top, conversation)
    assert axe_violations(page) == []


# --- the first message ----------------------------------------------------------------

def test_the_first_message_says_the_truth(gateway, phone):
    open_widget(phone, gateway)
    welcome = log(phone).locator(".message.bot").first
    # Who speaks and what to do, the theme buttons, then what Bagou keeps and who to
    # call: one message, one line each, nothing folded away, read in that order.
    lines = welcome.locator(".text").all_inner_texts()
    assert [part.split("\n") for part in lines] == [[
        "Bonjour, je suis Bagou.",
        "Je suis un programme.",
        "Je réponds à vos questions sur les Open Badges.",
        "Choisissez un sujet ou écrivez votre question.",
    ], [
        "Je garde vos messages pendant 3 mois.",  # BAGOU_RETENTION_DAYS=90
        "Dans ces messages, je cache les adresses e-mail et les numéros de téléphone.",
        "Pour parler à une personne, appelez La Passerelle au 02 00 00 00 00.",
    ]]
    order = welcome.evaluate("""m => [...m.children].map((c) =>
        c.matches('.facts') ? 'facts' : c.matches('.text') ? 'text' : c.getAttribute('role') === 'group' ? 'questions'
        : c.matches('.links') ? 'links' : c.className)""")
    assert order[1:5] == ["text", "questions", "facts", "links"], order
    expect(welcome.locator(".facts")).to_be_visible()  # in the log, not behind a button
    privacy = welcome.get_by_role("link", name=LABELS['page_donnees'])
    expect(privacy).to_have_attribute("href", PRIVACY)
    expect(privacy).to_have_attribute("target", "_blank")
    # No thumbs under the first message: it answers nothing.
    expect(welcome.get_by_role("button", name=LABELS["utile"])).to_have_count(0)


# --- pictograms and the two kinds of buttons -------------------------------------------

def test_pictograms_help_the_text_and_questions_differ_from_pages(gateway, phone):
    open_widget(phone, gateway)
    # The theme buttons of the first message: a pictogram beside the words, alt="".
    suggestions = log(phone).get_by_role("group", name=LABELS["questions"]).first
    buttons = suggestions.get_by_role("button")
    expect(buttons).to_have_count(len(TEXTS["suggestions"]))
    for index, title in enumerate(TEXTS["suggestions"]):
        button = buttons.nth(index)
        expect(button).to_have_accessible_name(title)
        expect(button.locator("img")).to_have_attribute("alt", "")

    answer = ask(phone, "Comment partager mon badge ?")
    assert answer["topic"] == "partager_badge"
    assert answer["pictogram"] == {"id": "partager", "url": "widget/pictogrammes/partager.svg",
                                   "name": "Partager"}
    last = log(phone).locator(".message.bot").last
    theme = last.locator(".theme")
    expect(theme).to_have_text("Partager")  # the word is written beside the picture
    picture = theme.locator("img")
    expect(picture).to_have_attribute("alt", "")
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")  # the file is there
    served = httpx.get(f"{gateway}/widget/pictogrammes/partager.svg")
    assert served.status_code == 200 and served.headers["content-type"] == "image/svg+xml"

    # Three questions in view, in a group that says what they are; the page apart.
    questions = last.get_by_role("group", name=LABELS["questions"])
    expect(questions.locator(".choice:visible")).to_have_count(3)
    expect(questions.get_by_role("button").first).to_have_accessible_name("Mettre un badge sur LinkedIn")
    # A question that is a theme's (a topic's title) has the theme's pictogram, the
    # others a question mark; both are decoration beside the words.
    theme_question = questions.get_by_role("button", name="C'est quoi un badge ?")
    expect(theme_question.locator("img")).to_have_attribute("src", f"{gateway}/widget/pictogrammes/decouvrir.svg")
    expect(theme_question.locator("img")).to_have_attribute("alt", "")
    other = questions.get_by_role("button", name="Partager un badge sur Facebook")  # not a title
    expect(other.locator("img")).to_have_count(0)
    expect(other.locator("svg[aria-hidden=true]")).to_have_count(1)
    pages = last.get_by_role("list", name=LABELS["liens"])
    link = pages.get_by_role("link", name=re.compile(r"^Open Badge Passport ?, " + LABELS['nouvel_onglet'] + "$"))
    expect(link).to_have_attribute("href", "https://openbadgepassport.com/")
    expect(questions.get_by_role("link")).to_have_count(0)
    # They look different: a round-ended button against an underlined link.
    question_style = questions.get_by_role("button").first.evaluate(
        "b => [getComputedStyle(b).borderTopLeftRadius, getComputedStyle(b).textDecorationLine]")
    link_style = link.evaluate(
        "a => [getComputedStyle(a).borderTopLeftRadius, getComputedStyle(a).textDecorationLine]")
    assert question_style != link_style and link_style[1] == "underline"

    # The other two wait behind « Autres choix » (a disclosure): nothing is lost.
    others = questions.get_by_role("button", name=LABELS["autres_choix"])
    expect(others).to_have_attribute("aria-expanded", "false")
    expect(questions.get_by_role("button", name="Où ranger mes badges ?")).to_be_hidden()
    others.press("Enter")
    expect(others).to_have_attribute("aria-expanded", "true")
    expect(questions.get_by_role("button", name="Où ranger mes badges ?")).to_be_visible()
    expect(questions.locator(".choice:visible")).to_have_count(5)
    assert axe_violations(phone) == []

    # After a reload, the history gives the pictogram back.
    phone.reload()
    expect(log(phone).locator(".message.bot").last.locator(".theme")).to_have_text("Partager")


# --- other screens, zoom, narrow phones ----------------------------------------------

@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}],
                         ids=["390x844", "desktop"])
def test_other_screens_keep_the_room_and_the_menu(gateway, browser, viewport):
    page = new_page(browser, viewport)
    try:
        open_widget(page, gateway)
        ask(page, "Comment partager mon badge ?")
        head, conversation, panel = box(page, ".head"), box(page, ".log"), box(page, ".panel")
        name = f"{viewport['width']}x{viewport['height']}"
        keep(f"answer {name}", {"header_px": head["height"], "conversation_px": conversation["height"],
                                "conversation_share_of_window": round(conversation["height"] / panel["height"], 3),
                                "window_px": panel["height"]})
        # One line everywhere: the title, « Menu », « Fermer » side by side.
        title = box(page, ".title")
        assert head["height"] <= 64 and title["height"] <= 30, (head, title)
        assert_title_fits(page)
        # A phone gives the whole screen; a desktop a window, most of it for the conversation.
        assert conversation["height"] / panel["height"] >= 0.6
        menu_button(page).click()
        expect(dialog(page).get_by_role("button", name=LABELS["verifier_badge"])).to_be_visible()
        assert axe_violations(page) == []
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"widget-{name}-menu.png"))
        assert not page.errors, page.errors
    finally:
        page.context.close()


def assert_title_fits(page):
    """The title that the header shows is whole (no « … »): the full one when it fits,
    else the short one; the dialog's name stays the full title."""
    shown = page.evaluate("""() => {
        const t = document.querySelector('bagou-chat').shadowRoot.querySelector('.title');
        return {text: t.innerText, scroll: t.scrollWidth, width: t.clientWidth};
    }""")
    assert shown["scroll"] <= shown["width"], shown
    assert shown["text"] in (LABELS["titre"], LABELS["bagou"]), shown
    expect(dialog(page)).to_have_accessible_name(LABELS["titre"])
    return shown["text"]


def test_the_title_keeps_one_line_and_is_never_cut(gateway, browser):
    page = new_page(browser, {"width": 1280, "height": 800})
    try:
        open_widget(page, gateway)
        # The default title does not fit beside « Menu » and « Fermer » in a 448 px
        # window: the header says « Bagou », on one line, as on a phone.
        assert assert_title_fits(page) == LABELS["bagou"]
        assert box(page, ".title")["height"] <= 30
        # A host's title that fits is shown whole, and the header stays one line.
        page.evaluate("document.querySelector('bagou-chat').setAttribute('chat-title', 'Aide sur les badges')")
        expect(page.get_by_role("dialog", name="Aide sur les badges").locator(".title")).to_have_text(
            "Aide sur les badges", use_inner_text=True)
        assert box(page, ".title")["height"] <= 30 and box(page, ".head")["height"] <= 64
        # The window narrows to a phone's: measured again, the short title comes back;
        # and the full one when the window is wide again.
        page.set_viewport_size({"width": 360, "height": 640})
        expect(page.locator("bagou-chat").locator(".title")).to_have_text(LABELS["bagou"], use_inner_text=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        expect(page.locator("bagou-chat").locator(".title")).to_have_text("Aide sur les badges", use_inner_text=True)
        assert not page.errors, page.errors
    finally:
        page.context.close()


def sideways(page) -> dict:
    """How far anything of the widget reaches past the right edge of the screen."""
    return page.evaluate("""() => {
        const root = document.querySelector('bagou-chat').shadowRoot;
        const panel = root.querySelector('.panel');
        const widest = Math.max(...[...root.querySelectorAll('.panel *')]
            .filter((el) => el.getClientRects().length).map((el) => el.getBoundingClientRect().right));
        return {page: document.documentElement.scrollWidth - innerWidth,
                panel: panel.scrollWidth - panel.clientWidth, widest: widest - innerWidth};
    }""")


# 320 px wide, and a 1280 × 800 screen zoomed to 200 % (640 × 400 CSS pixels).
@pytest.mark.parametrize("viewport", [{"width": 320, "height": 568}, {"width": 640, "height": 400}],
                         ids=["320x568", "zoom-200"])
def test_no_sideways_scrolling_at_320_px_and_200_percent_zoom(gateway, browser, viewport):
    page = new_page(browser, viewport)
    try:
        open_widget(page, gateway)
        assert max(sideways(page).values()) <= 0, sideways(page)
        ask(page, "Comment partager mon badge ?")
        assert max(sideways(page).values()) <= 0, sideways(page)
        menu_button(page).click()
        dialog(page).get_by_role("button", name=LABELS["reglages"]).click()
        expect(dialog(page).get_by_role("button", name=LABELS["texte_plus_grand"])).to_be_visible()
        assert max(sideways(page).values()) <= 0, sideways(page)
        # The field and « Envoyer » stay on the screen while the window scrolls.
        page.keyboard.press("Escape")
        for name in (LABELS["envoyer"],):
            target = dialog(page).get_by_role("button", name=name, exact=True).bounding_box()
            assert 0 <= target["y"] and target["y"] + target["height"] <= viewport["height"]
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"widget-{viewport['width']}x{viewport['height']}.png"))
        assert not page.errors, page.errors
    finally:
        page.context.close()


# --- a hostile host page ---------------------------------------------------------------

HOSTILE_CSS = """
html { font-size: 40px; }
* { font-style: italic !important; text-transform: uppercase !important;
    letter-spacing: 6px !important; line-height: 1 !important; font-family: serif !important;
    box-sizing: content-box !important; }
button, img, div, p, ul, li { margin: 30px !important; padding: 20px !important;
    border: 5px dotted red !important; width: 500px !important; display: block !important; }
[hidden] { display: block !important; }
img { width: 400px !important; height: 400px !important; }
section, header, form { position: static !important; }
"""


def test_the_widget_keeps_working_on_a_page_with_hostile_styles(gateway, phone):
    page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page hostile</title><style>{HOSTILE_CSS}</style>
<script src="/widget/bagou.js" defer></script></head>
<body><h1>Une page avec des styles bizarres</h1><bagou-chat></bagou-chat></body></html>"""
    phone.route(f"{gateway}/hostile", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=page))
    open_widget(phone, f"{gateway}/hostile")
    ask(phone, "Comment partager mon badge ?")
    style = log(phone).locator(".message.bot").last.locator(".text").evaluate("""el => {
        const s = getComputedStyle(el);
        return {style: s.fontStyle, transform: s.textTransform, spacing: s.letterSpacing,
                size: parseFloat(s.fontSize), line: parseFloat(s.lineHeight), family: s.fontFamily};
    }""")
    assert style["style"] == "normal" and style["transform"] == "none", style
    assert style["spacing"] == "normal" and style["size"] >= 18, style
    assert style["line"] == pytest.approx(1.5 * style["size"], abs=0.5), style
    assert "sans-serif" in style["family"], style
    viewport = phone.viewport_size
    head, conversation = box(phone, ".head"), box(phone, ".log")
    assert head["height"] <= 64 and conversation["height"] / viewport["height"] >= 0.6
    picture = log(phone).locator(".message.bot").last.locator(".theme img").bounding_box()
    assert picture["width"] == 32 and picture["height"] == 32
    # The page itself scrolls sideways (its own styles); the widget does not.
    reach = sideways(phone)
    assert reach["panel"] <= 0 and reach["widest"] <= 0, reach
    menu_button(phone).click()
    expect(dialog(phone).get_by_role("button", name=LABELS["recommencer"])).to_be_visible()
    phone.keyboard.press("Escape")
    expect(dialog(phone).get_by_role("button", name=LABELS["recommencer"])).to_be_hidden()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTEFACTS / f"widget-hostile-{viewport['width']}x{viewport['height']}.png"))


# --- the same thing in the same place -----------------------------------------------------

def test_the_same_buttons_stay_in_the_same_place_after_every_answer(gateway, phone):
    open_widget(phone, gateway)
    names = (LABELS["menu"], LABELS["fermer"], LABELS["envoyer"])

    def places():
        return [dialog(phone).get_by_role("button", name=n, exact=True).bounding_box() for n in names]

    before = places()
    rows = []
    for question in ("Comment partager mon badge ?", "bonjour", "et pour partager ?"):
        answer = ask(phone, question)
        assert places() == before, question
        last = log(phone).locator(".message.bot").last
        rows.append((answer["topic"], [b.strip() for b in last.locator(".actions button").all_inner_texts()]))
    # Under each answer its tools in the same order: « Écouter » first, then « Utile »
    # and « Pas utile » under the answers of the FAQ only (a greeting is not rated).
    faq = [LABELS["ecouter"], LABELS["utile"], LABELS["pas_utile"]]
    assert rows == [("partager_badge", faq), ("bonjour", [LABELS["ecouter"]]), ("partager_badge", faq)], rows
    # After a reload the history puts them back in the same places.
    phone.reload()
    expect(log(phone).locator(".message.bot")).to_have_count(4)
    assert [b.locator(".thumb").count() for b in log(phone).locator(".message.bot").all()] == [0, 2, 0, 2]
