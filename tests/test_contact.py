"""A real person is always reachable: the demo gives the demo site's contact, a
deployment gives its own, and neither is mixed with the other."""

from actions.config import ActionSettings as Settings
from actions.config import DEMO_CONTACT, PROJECT_ROOT


def test_the_demo_answers_with_the_phone_that_the_demo_page_shows(monkeypatch):
    for name in ("NAME", "PHONE", "EMAIL", "URL"):
        monkeypatch.delenv(f"BAGOU_CONTACT_{name}", raising=False)
    settings = Settings(_env_file=None)
    page = (PROJECT_ROOT / "bot" / "web" / "index.html").read_text(encoding="utf-8")
    assert settings.contact_phone == DEMO_CONTACT["contact_phone"]
    assert f">{settings.contact_phone}<" in page
    assert settings.contact_name in page


def test_a_deployment_contact_is_never_mixed_with_the_demo_one():
    settings = Settings(_env_file=None, contact_email="accueil@structure.example")
    assert settings.contact_phone == "" and settings.contact_name == ""


def test_a_deployment_can_turn_the_demo_contact_off():
    settings = Settings(_env_file=None, demo_contact=False)
    assert not any((settings.contact_name, settings.contact_phone,
                    settings.contact_email, settings.contact_url))


def test_deployment_files_turn_the_demo_contact_off():
    for path in ("deploy/k8s/config.env", "deploy/docker-compose.yml"):
        text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
        assert "BAGOU_DEMO_CONTACT" in text and "false" in text.split("BAGOU_DEMO_CONTACT")[1][:12]
