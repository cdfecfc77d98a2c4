"""The adviser console in Debian's Chromium (headless, Playwright), against the gateway
alone (uvicorn with create_app and a temporary SQLite database): no Rasa, no actions.
The chat turns of the interview page therefore get the FALC « assistant indisponible »
answer here; the answers themselves need the stack (marked below).

Signed in as each role, the pages are used as an adviser, an editor and an admin would;
axe-core finds no WCAG 2.2 A or AA violation; the Secure session cookie works on
http://127.0.0.1. The interview page is used at a laptop's size, at 200 % zoom, on half a
screen, on a tablet and at 320 px; the learner's summary is printed to an A4 PDF and
sent to a real SMTP server on loopback (aiosmtpd). Screenshots and the PDF are kept in
var/artefacts/ (ignored by git).
"""

import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from bot.console.pages import texts
from bot.texts import text as texts_of_gateway
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT
from tests.helpers.browser import CHROMIUM, chromium, wait_until_up, watch_errors
from tests.helpers.console import SmtpServer

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PASSWORD = "un mot de passe assez long"
T = texts()
ARTEFACTS = PROJECT_ROOT / "var" / "artefacts"
expect.set_options(timeout=15_000)
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server on loopback: the summary's e-mail arrives there."""
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, smtp):
    work = tmp_path_factory.mktemp("console")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBF_")}
    env.update(BAGOU_SMTP_URL=smtp.url, BAGOU_SMTP_FROM="bagou@structure.example")
    # The summary's QR codes lead to the check page, which reads the sandbox's badges
    # on this loopback address.
    env.update(BAGOU_VERIFY_ALLOW_LOOPBACK="true")
    env.update(BAGOU_DATABASE_URL=f"sqlite:///{work / 'bagou.db'}", BAGOU_PORT=str(port),
               BAGOU_RASA_PORT=str(free_port()), BAGOU_ACTIONS_PORT=str(free_port()),
               BAGOU_RASA_TOKEN="t", BAGOU_RASA_TIMEOUT="2",
               BAGOU_SECRET_KEY_FILE=str(work / "secret.key"))
    for login, role in (("conseil", "adviser"), ("redac", "editor"), ("chef", "admin")):
        subprocess.run([sys.executable, "-m", "bot.ops.cli", "user", "add", login, "--role", role,
                        "--name", login.title(), "--password-stdin"], input=PASSWORD + "\n",
                       text=True, env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    log = (work / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    if not wait_until_up(f"{url}/conseiller/connexion", timeout=60, interval=0.3):
        process.terminate()
        pytest.fail((work / "uvicorn.log").read_text())
    yield url
    process.terminate()
    process.wait(20)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/browser.sh (apt-get install chromium).")
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == []


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_A_AA}})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF made by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def wait_for_chat(page):
    """The interview chat is ready and open (a function, not an expression: the page's
    CSP forbids the eval that Playwright's polling of an expression needs)."""
    page.wait_for_function("""() => { const chat = document.querySelector('bagou-chat');
        return chat.ready === true && !chat.shadowRoot.querySelector('.panel').hidden; }""")


def sign_in(page, url, login):
    page.goto(f"{url}/conseiller")
    expect(page.get_by_role("heading", name=T["titre_connexion"])).to_be_visible()
    page.get_by_label(T["identifiant"]).fill(login)
    page.get_by_label(T["mot_de_passe"]).fill(PASSWORD)
    page.get_by_role("button", name=T["se_connecter"]).click()
    expect(page.get_by_role("button", name=T["se_deconnecter"])).to_be_visible()


def test_secure_httponly_cookie_works_on_127_0_0_1_and_sign_out_ends_it(gateway, page):
    page.goto(f"{gateway}/conseiller")
    assert axe_violations(page) == []
    page.get_by_label(T["identifiant"]).fill("conseil")
    page.get_by_label(T["mot_de_passe"]).fill("mauvais mot de passe")
    page.get_by_role("button", name=T["se_connecter"]).click()
    expect(page.get_by_role("alert")).to_contain_text(T["connexion_refusee"].splitlines()[0])
    sign_in(page, gateway, "conseil")
    cookie = [c for c in page.context.cookies() if c["name"] == "bagou_conseiller"][0]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # Chromium sent the Secure cookie back over http://127.0.0.1: the next page is open.
    page.goto(f"{gateway}/conseiller/badges")
    expect(page.get_by_role("heading", name=T["titre_recherche"], level=1)).to_be_visible()
    page.get_by_role("button", name=T["se_deconnecter"]).click()
    expect(page.get_by_text(T["deconnecte"])).to_be_visible()
    page.goto(f"{gateway}/conseiller/badges")
    expect(page.get_by_role("heading", name=T["titre_connexion"])).to_be_visible()


def test_an_adviser_interviews_looks_up_badges_with_consent_and_prints_the_summary(gateway, page, smtp):
    sign_in(page, gateway, "conseil")
    assert axe_violations(page) == []
    page.get_by_role("link", name=T["titre_entretien"]).first.click()
    for key in ("verbe_decrire", "verbe_recevoir", "verbe_partager", "verbe_enrichir",
                "verbe_endosser", "verbe_rechercher", "badge_point_info", "badge_conseil",
                "badge_referent"):
        expect(page.get_by_role("button", name=T[key], exact=True)).to_be_visible()
    chat = page.locator("bagou-chat")
    wait_for_chat(page)
    # The chat sits right of the quick questions, below the bar (wide layout).
    panel = page.evaluate("""() => {const p = document.querySelector('bagou-chat').shadowRoot
        .querySelector('.panel').getBoundingClientRect(); const s = document.querySelector('.side')
        .getBoundingClientRect(); return [p.left, s.right, p.width];}""")
    assert panel[0] >= panel[1] - 1 and panel[2] > 500
    # A quick button asks its question in the chat. Without Rasa the answer is the FALC
    # apology; with the stack (tests/test_widget.py's fixture) it is the FAQ answer.
    page.get_by_role("button", name=T["verbe_partager"], exact=True).click()
    expect(chat.get_by_role("log")).to_contain_text("Comment partager un badge ?")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "console-entretien.png"))
    page.get_by_role("link", name=T["montrer"]).click()
    expect(page.get_by_role("heading", name=T["titre_montrer"])).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name=T["titre_recherche"]).first.click()
    page.get_by_label(T["adresse_email"]).fill("lea.martin@example.org")
    # The checkbox is required in the page; the server refuses without it as well.
    page.evaluate("document.querySelector('#accord').removeAttribute('required')")
    page.get_by_role("button", name=T["chercher"]).click()
    expect(page.get_by_role("alert")).to_contain_text(T["accord_manquant"].splitlines()[0])
    page.get_by_label(T["prenom"]).fill("Léa")
    page.get_by_label(T["accord"]).check()
    page.get_by_role("button", name=T["chercher"]).click()
    expect(page.get_by_role("heading", name="Point Info Badge").first).to_be_visible()
    expect(page.get_by_role("heading", name=T["titre_suivants"])).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTEFACTS / "console-badges.png"), full_page=True)
    # Printed, the page is the learner's FALC summary only.
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name=T["titre_resume_de"].format(nom="Léa"))).to_be_visible()
    expect(page.get_by_role("heading", name=T["titre_aide"])).to_be_visible()
    expect(page.get_by_label(T["adresse_email"])).to_be_hidden()
    expect(page.get_by_role("button", name=T["se_deconnecter"])).to_be_hidden()
    # « Télécharger en PDF » is the print dialog's PDF: the same A4 page. Léa's 4 badges,
    # their QR codes, the next badges and the next steps fit on one page.
    pdf = page.pdf(path=str(ARTEFACTS / "console-resume.pdf"), format="A4",
                   prefer_css_page_size=True)
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 px per inch
    page.screenshot(path=str(ARTEFACTS / "console-resume-imprime.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert pdf_pages(pdf) == 1
    assert page.locator(".summary svg.qr").count() >= 4
    page.emulate_media(media="screen")
    expect(page.get_by_role("button", name=T["telecharger_pdf"])).to_be_visible()
    # Sent by e-mail, when the learner agrees, to the address whose badges it shows.
    sent_before = len(smtp.messages)
    page.get_by_label(T["accord_envoi"]).check()
    page.get_by_role("button", name=T["envoyer_resume"]).click()
    expect(page.get_by_role("alert")).to_contain_text(T["envoi_fait"].splitlines()[0])
    assert len(smtp.messages) == sent_before + 1
    assert smtp.messages[-1].rcpt_tos == ["lea.martin@example.org"]
    assert b"Bonjour L" in smtp.messages[-1].content
    # A badge's QR code (and the link beside it) opens a page that a person reads: the
    # badge checked by Bagou, not its JSON.
    check_page = page.locator(".summary .screen-only a").first.get_attribute("href")
    assert check_page.startswith(f"{gateway}/verifier?lien=")
    page.goto(check_page)
    expect(page.get_by_role("heading", name=texts_of_gateway("verifier_page_titre"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Badge : "))).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTEFACTS / "console-qr-verifier.png"), full_page=True)
    # An adviser cannot open the editors' dashboard.
    response = page.goto(f"{gateway}/conseiller/tableau")
    assert response.status == 403
    expect(page.get_by_text(T["interdit"].splitlines()[0])).to_be_visible()


def test_an_editor_reads_the_dashboard_and_downloads_a_list(gateway, page):
    for text in ("mon vélo est cassé", "mon velo est cassé"):
        httpx.post(f"{gateway}/api/chat", json={"text": text}, timeout=10)  # 503: no Rasa
    sign_in(page, gateway, "redac")
    page.get_by_role("link", name=T["titre_tableau"]).first.click()
    expect(page.get_by_role("heading", name=T["titre_par_sujet"])).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label(T["semaines"]).fill("4")
    page.get_by_role("button", name=T["afficher"]).click()
    expect(page).to_have_url(f"{gateway}/conseiller/tableau?semaines=4")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"{T['telecharger']} : {T['titre_par_sujet']}").click()
    assert download.value.suggested_filename == "bagou-sujets.csv"
    response = page.goto(f"{gateway}/conseiller/entretien")
    assert response.status == 403


def test_an_admin_reaches_both_and_the_pages_work_at_200_percent_zoom(gateway, browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 640, "height": 400},
                                  device_scale_factor=2)
    page = context.new_page()
    sign_in(page, gateway, "chef")
    for path, heading in (("/conseiller/tableau", T["titre_tableau"]),
                          ("/conseiller/badges", T["titre_recherche"])):
        page.goto(gateway + path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not overflow or path.endswith("tableau")  # the wide table scrolls in its region
    # Keyboard: the skip link comes first and the focus is visible.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    context.close()


# The interview page at the sizes of issue 20: a laptop, the same at 200 % zoom (the
# CSS viewport halves), half a laptop screen, a tablet held upright, a phone of 320 px.
SIZES = {"ordinateur": (1366, 768), "zoom-200": (683, 384), "demi-ecran": (683, 768),
         "tablette": (768, 1024), "telephone": (320, 640)}


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"] + 1
            and box["y"] + box["height"] <= size["height"] + 1)


@pytest.mark.parametrize("name", list(SIZES))
def test_the_interview_page_works_at_every_size(gateway, browser, name):
    width, height = SIZES[name]
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, gateway, "conseil")
    page.goto(f"{gateway}/conseiller/entretien")
    wait_for_chat(page)
    show = page.get_by_role("link", name=T["montrer"])
    new = page.get_by_role("button", name=T["nouvel_entretien"])
    if name == "ordinateur":  # on screen without scrolling
        assert in_view(page, show) and in_view(page, new)
    else:
        expect(show).to_be_visible()
        expect(new).to_be_visible()
    # Nothing wider than the screen (WCAG 1.4.10): no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # The chat can be reached and used: its field and « Envoyer » come on screen.
    chat = page.locator("bagou-chat")
    field = chat.get_by_label("Votre question")
    send = chat.get_by_role("button", name="Envoyer")
    field.scroll_into_view_if_needed()
    send.scroll_into_view_if_needed()
    assert in_view(page, field) and in_view(page, send), name
    field.fill("C'est quoi un badge ?")
    send.click()
    expect(chat.get_by_role("log")).to_contain_text("C'est quoi un badge ?")
    assert in_view(page, send), name
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"console-entretien-{name}.png"))
    page.evaluate("window.scrollTo(0, 0)")
    if name == "ordinateur":
        assert in_view(page, show) and in_view(page, new)
    # « Fermer » leaves the page usable: the button that opens the chat again is there.
    chat.get_by_role("button", name="Fermer").click()
    reopen = chat.get_by_role("button", name="Poser une question")
    reopen.scroll_into_view_if_needed()
    assert in_view(page, reopen), name
    if width < 672:  # the narrow layout: the closed chat leaves no screen of white
        assert chat.bounding_box()["height"] < 200
    page.screenshot(path=str(ARTEFACTS / f"console-entretien-{name}-ferme.png"))
    reopen.click()
    send.scroll_into_view_if_needed()
    assert in_view(page, send), name
    context.close()


def test_an_admin_reads_the_trail_and_manages_accounts(gateway, page):
    sign_in(page, gateway, "chef")
    page.get_by_role("link", name=T["titre_journal"]).first.click()
    expect(page.get_by_role("heading", name=T["titre_journal"], level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label(T["journal_adresse"]).fill("lea.martin@example.org")
    page.get_by_role("button", name=T["afficher"]).click()
    expect(page.get_by_role("heading", name=T["titre_journal"], level=1)).to_be_visible()
    assert "lea.martin@example.org" not in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name=T["telecharger_journal"]).click()
    assert download.value.suggested_filename == "bagou-journal.csv"
    page.get_by_role("link", name=T["titre_comptes"]).first.click()
    expect(page.get_by_role("heading", name=T["titre_comptes"], level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label(T["identifiant"]).fill("camille")
    page.get_by_label(T["nom_affiche"]).fill("Camille")
    page.get_by_label(T["role"]).select_option("adviser")
    page.get_by_label(T["mot_de_passe"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=T["creer_compte"]).click()
    expect(page.get_by_role("alert")).to_contain_text(T["compte_cree"].splitlines()[0])
    page.get_by_role("button", name=f"{T['desactiver']} : camille").click()
    expect(page.get_by_role("alert")).to_contain_text(T["compte_desactive"].splitlines()[0])
    assert axe_violations(page) == []
    response = page.goto(f"{gateway}/conseiller/pas-une-page")
    assert response.status == 404
    expect(page.get_by_text(T["page_introuvable"].splitlines()[0])).to_be_visible()


def test_the_second_factor_is_set_up_with_the_phone_app_and_asked_at_sign_in(gateway, browser):
    import pyotp

    admin = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    page = admin.new_page()
    sign_in(page, gateway, "chef")
    page.goto(f"{gateway}/conseiller/comptes")
    page.get_by_label(T["identifiant"]).fill("dominique")
    page.get_by_role("combobox", name=T["role"]).select_option("adviser")
    page.get_by_label(T["mot_de_passe"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=T["creer_compte"]).click()
    expect(page.get_by_role("alert")).to_contain_text(T["compte_cree"].splitlines()[0])
    admin.close()

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, gateway, "dominique")
    page.get_by_role("link", name=T["titre_double"]).click()
    expect(page.get_by_role("heading", name=T["titre_double"], level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name=T["activer_double"]).click()
    expect(page.get_by_role("img", name=T["qr_double"])).to_be_visible()
    assert axe_violations(page) == []
    phone = pyotp.TOTP(page.locator("code.secret").inner_text().replace(" ", ""))
    page.get_by_label(T["code_6_chiffres"]).fill(phone.now())
    page.get_by_role("button", name=T["valider_code"]).click()
    expect(page.get_by_role("alert")).to_contain_text(T["double_activee"].splitlines()[0])
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert axe_violations(page) == []
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "console-double-verification.png"), full_page=True)
    page.get_by_role("button", name=T["se_deconnecter"]).click()
    # The password, then the code of the phone (the next one: a code works once).
    page.get_by_label(T["identifiant"]).fill("dominique")
    page.get_by_label(T["mot_de_passe"]).fill(PASSWORD)
    page.get_by_role("button", name=T["se_connecter"]).click()
    expect(page.get_by_role("heading", name=T["titre_code"], level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label(T["code_verification"]).fill(phone.at(time.time() + 30))
    page.get_by_role("button", name=T["valider_code"]).click()
    expect(page.get_by_role("button", name=T["se_deconnecter"])).to_be_visible()
    context.close()
    assert errors == []
