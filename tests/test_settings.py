"""The settings' one convention (bot/settings.py): a field is named after its variable
without the prefix, a list setting is a list (comma-separated in its variable), OBF's
variables are one nested object."""

import pytest

from actions.config import ActionSettings
from bot.settings import Settings

OBF_VARIABLES = ("OBF_BASE_URL", "OBF_CLIENT_ID", "OBF_CLIENT_SECRET", "OBF_API_VERSION",
                 "OBF_TIMEOUT")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Only what a test sets: no OBF, no public address, no key from the environment."""
    for name in (*OBF_VARIABLES, "BAGOU_PUBLIC_URL", "BAGOU_HOST", "BAGOU_OBF_SANDBOX",
                 "BAGOU_SECRET_KEY", "BAGOU_SECRET_KEY_FILE", "BAGOU_ALLOWED_ORIGINS",
                 "BAGOU_RASA_URLS", "BAGOU_TRUSTED_PROXIES", "BAGOU_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_comma_separated_variables_are_lists(monkeypatch):
    monkeypatch.setenv("BAGOU_ALLOWED_ORIGINS", " https://a.example/ ,http://127.0.0.1:8080,, ")
    monkeypatch.setenv("BAGOU_RASA_URLS", "http://rasa-1:5005/, http://rasa-2:5005")
    monkeypatch.setenv("BAGOU_TRUSTED_PROXIES", "10.0.0.2, 172.18.0.0/16")
    settings = Settings(_env_file=None)
    assert settings.allowed_origins == ["https://a.example", "http://127.0.0.1:8080"]
    assert settings.rasa_urls == settings.rasa_base_urls == ["http://rasa-1:5005",
                                                             "http://rasa-2:5005"]
    assert settings.trusted_proxies == ["10.0.0.2", "172.18.0.0/16"]
    # Given in Python, a string or a list: the same lists.
    assert Settings(allowed_origins="https://b.example/", _env_file=None).allowed_origins == [
        "https://b.example"]
    assert Settings(trusted_proxies=["10.0.0.3 "], _env_file=None).trusted_proxies == ["10.0.0.3"]


def test_empty_lists_by_default():
    settings = Settings(_env_file=None)
    assert settings.allowed_origins == settings.rasa_urls == settings.trusted_proxies == []
    assert settings.rasa_base_urls == [f"http://127.0.0.1:{settings.rasa_port}"]


def test_fields_are_named_after_their_variables(monkeypatch):
    monkeypatch.setenv("BAGOU_PUBLIC_URL", "https://bagou.example.org")
    monkeypatch.setenv("BAGOU_ACTIONS_URL", "http://actions:5055/")
    settings = Settings(_env_file=None)
    assert settings.public_url == "https://bagou.example.org"
    assert settings.effective_public_url == "https://bagou.example.org/"
    assert settings.actions_url == "http://actions:5055/"
    assert settings.effective_actions_url == "http://actions:5055"
    plain = Settings(public_url="", actions_url="", _env_file=None)
    assert plain.effective_public_url == f"http://127.0.0.1:{plain.port}/"
    assert plain.effective_actions_url == f"http://127.0.0.1:{plain.actions_port}"


def test_obf_is_one_nested_object_read_from_the_obf_variables(monkeypatch):
    monkeypatch.setenv("OBF_BASE_URL", "https://openbadgefactory.com")
    monkeypatch.setenv("OBF_CLIENT_ID", "ORG1, ORG2")
    monkeypatch.setenv("OBF_CLIENT_SECRET", "secret-un,secret-deux")
    monkeypatch.setenv("OBF_API_VERSION", "v1")
    monkeypatch.setenv("OBF_TIMEOUT", "2.5")
    monkeypatch.setenv("BAGOU_POINT_INFO_BADGE_ID", "REALBADGE")
    for obf in (Settings(_env_file=None).obf, ActionSettings(_env_file=None).obf):
        assert obf.configured and obf.base_url == "https://openbadgefactory.com"
        assert obf.client_id == ["ORG1", "ORG2"]
        assert [s.get_secret_value() for s in obf.client_secret] == ["secret-un", "secret-deux"]
        assert (obf.api_version, obf.timeout, obf.point_info_badge_id) == ("v1", 2.5, "REALBADGE")
        assert [o.client_id for o in obf.organisations()] == ["ORG1", "ORG2"]
        assert "secret-un" not in repr(obf)


def test_without_obf_variables_the_sandbox():
    obf = Settings(_env_file=None).obf
    assert not obf.configured and obf.client_id == [] and obf.organisations() == []
