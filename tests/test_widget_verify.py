"""« Mon badge est-il vrai ? » (the badge check, in the menu) in the widget, in Debian's Chromium (headless, Playwright), against
the gateway alone (uvicorn with create_app, a temporary database): checking a badge
needs no Rasa, so this test needs no trained model."""

import pytest
import yaml
from playwright.sync_api import expect

from bot.settings import PROJECT_ROOT
from bot.verify.answer import texts
from tests.helpers import badges
from tests.helpers.badges import BadgeServer
from tests.helpers.browser import CHROMIUM, chromium, gateway as running_gateway

LABELS = yaml.safe_load((PROJECT_ROOT / "texts" / "widget.yml").read_text(encoding="utf-8"))["labels"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("gw"), verify_allow_loopback=True) as url:
        yield url


@pytest.fixture(scope="module")
def page(gateway):
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1280, "height": 800}, locale="fr-FR")


def test_a_baked_badge_chosen_with_the_keyboard_is_checked(gateway, page, tmp_path):
    with BadgeServer() as site:
        image = tmp_path / "badge.png"
        image.write_bytes(badges.png(badges.ob2_hosted(site)))
        page.goto(gateway + "/")
        page.get_by_role("button", name=LABELS["lanceur"]).click()
        # The check is in the window's menu, in plain words (« Mon badge est-il vrai ? »).
        page.get_by_role("button", name=LABELS["menu"], exact=True).press("Enter")
        button = page.get_by_role("button", name=LABELS["verifier_badge"])
        expect(button).to_be_visible()
        with page.expect_file_chooser() as chooser:
            button.press("Enter")  # the keyboard alone opens the file picker
        chooser.value.set_files(str(image))
        log = page.get_by_role("log")
        expect(log).to_contain_text(LABELS["image_badge"])
        # What the check proves: the site the badge comes from, unchanged, valid today;
        # then who gave it, and that the reader should look at who that is.
        expect(log).to_contain_text("Ce badge vient bien du site 127.0.0.1.")
        expect(log).to_contain_text(texts()["statuts"]["valid"].splitlines()[0])
        expect(log).to_contain_text("Donné par : Espace badges de Caen.")
        expect(log).to_contain_text(texts()["details"]["conseil"].splitlines()[0])
        expect(log).not_to_contain_text("est vrai")
        expect(page.get_by_role("link", name="Voir le badge")).to_be_visible()
        # After a reload, the conversation shows the check again, without the file.
        page.reload()
        expect(page.get_by_role("log")).to_contain_text("Donné par : Espace badges de Caen.")
        expect(page.get_by_role("log")).to_contain_text(LABELS["image_badge"])


def test_a_file_that_is_not_a_badge_gets_a_plain_answer(gateway, page, tmp_path):
    other = tmp_path / "photo.png"
    other.write_bytes(b"GIF89a\x01\x00\x01\x00")
    page.get_by_role("button", name=LABELS["menu"], exact=True).click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=LABELS["verifier_badge"]).click()
    chooser.value.set_files(str(other))
    expect(page.get_by_role("log")).to_contain_text(texts()["raisons"]["format_inconnu"])
