"""`GET /verifier?lien=…`: the badge check as a page a person reads, where the QR codes of
the adviser's summary lead (issue 20): the same verdict as the chat, as HTML, stored
nowhere; and the summary's QR codes encode that page's address, not the badge's JSON."""

import html
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.console import accounts
from bot.console.summary import qr_svg
from bot.db.engine import make_engine, make_sessionmaker, upgrade_schema
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.texts import text
from bot.verify.answer import texts as verify_texts
from tests.helpers import badges
from tests.helpers.badges import BadgeServer
from tests.helpers.console import KEY, PASSWORD, T, look_up, sign_in, summary_of


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for name in ("OBF_BASE_URL", "OBF_CLIENT_ID", "OBF_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_port=free_port(),
                    actions_port=free_port(), rasa_token="t", rasa_timeout=2, secret_key=KEY,
                    obf_sandbox=True, verify_allow_loopback=True)


@pytest.fixture
def client(settings):
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    with make_sessionmaker(engine).begin() as s:
        accounts.create_user(s, "conseil", "Conseil", "adviser", PASSWORD)
    engine.dispose()
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def paragraphs(page: str) -> list[str]:
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", page)]


def test_a_badge_link_opens_as_a_page_with_the_verdict_of_the_chat(client):
    with BadgeServer() as server:
        url = badges.ob2_hosted(server)
        page = client.get("/verifier", params={"lien": url})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    said = paragraphs(page.text)
    assert verify_texts()["statuts"]["valid"].splitlines()[0] in said
    assert "Badge : Accueil du public." in said and "Donné par : Espace badges de Caen." in said
    assert f'href="{html.escape(url)}"' in page.text  # « Voir le badge »
    # A page of the gateway's own: its strict policy, no cache, nothing to frame it.
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"


def test_without_a_link_or_with_a_wrong_one_the_page_says_what_to_do(client):
    empty = client.get("/verifier")
    assert empty.status_code == 200
    assert paragraphs(empty.text) == text("verifier_page_sans_lien").splitlines()
    for wrong in ("javascript:alert(1)", "x" * 3000, "ftp://example.org/badge"):
        page = client.get("/verifier", params={"lien": wrong})
        assert page.status_code == 422, wrong
        assert paragraphs(page.text) == text("verifier_page_lien_invalide").splitlines()
        assert "<script" not in page.text


def test_the_summary_qr_codes_lead_to_the_check_page_of_each_badge(client):
    sign_in(client, "conseil")
    summary = summary_of(look_up(client, "lea.martin@example.org").text)
    shown = [html.unescape(link) for link in re.findall(
        r'<p class="screen-only"><a href="([^"]+)"', summary)]
    assert len(shown) >= 4
    for link in shown:
        assert link.startswith("https://testserver/verifier?lien=" + quote(
            "https://testserver/obf-sandbox/", safe=""))
        name = re.search(re.escape(html.escape(link)) + r'"[^>]*>[^:]+ : ([^<]+)</a>',
                         summary).group(1)
        # The QR code beside it is made from that same page address.
        assert str(qr_svg(link, f"{T['code_badge']} : {html.unescape(name)}")) in summary
