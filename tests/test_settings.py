"""The settings' one convention (bot/settings.py): a field is named after its variable
without the prefix, a list setting is a list (comma-separated in its variable), OBF's
variables are one nested object, and values unsafe outside local use stop the start."""

import pytest

from actions.config import ActionSettings
from bot.app import create_app
from bot.obf.settings import configured_organisations
from bot.ops import cli
from bot.settings import ObfSettings, Settings, UnsafeSettings

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
    # How the OBF_* variables are read and paired is tested with ObfSettings alone
    # (tests/test_obf_client.py); here: the gateway and the action server nest the same.
    monkeypatch.setenv("OBF_BASE_URL", "https://openbadgefactory.com")
    monkeypatch.setenv("OBF_CLIENT_ID", "ORG1, ORG2")
    monkeypatch.setenv("OBF_CLIENT_SECRET", "secret-un,secret-deux")
    monkeypatch.setenv("BAGOU_POINT_INFO_BADGE_ID", "REALBADGE")
    alone = ObfSettings(_env_file=None)
    assert alone.configured and alone.point_info_badge_id == "REALBADGE"
    for obf in (Settings(_env_file=None).obf, ActionSettings(_env_file=None).obf):
        assert obf == alone
        assert [o.client_id for o in configured_organisations(obf)] == ["ORG1", "ORG2"]


def test_without_obf_variables_the_sandbox():
    obf = Settings(_env_file=None).obf
    assert not obf.configured and obf.client_id == [] and configured_organisations(obf) == []


def test_the_defaults_of_make_run_are_accepted(tmp_path):
    # Loopback, the sandbox, SQLite, no key (the key file is made at first use).
    settings = Settings(secret_key_file=tmp_path / "secret.key", _env_file=None)
    assert settings.local_use and settings.obf_sandbox
    assert settings.unsafe_reasons() == []
    settings.check_safe()


@pytest.mark.parametrize("obf_base_url, values", [
    # A public https Bagou with a real OBF, and the sandbox off.
    ("https://openbadgefactory.com",
     {"public_url": "https://bagou.example.org", "obf_sandbox": False, "secret_key": "k" * 32}),
    # The sandbox on a public Bagou without a real OBF: a demo.
    ("", {"public_url": "https://demo.example.org", "secret_key": "k" * 32}),
    # The sandbox with a real OBF on this machine only (trying an account).
    ("https://openbadgefactory.com", {"public_url": "http://127.0.0.1:8000"}),
])
def test_safe_combinations_are_accepted(monkeypatch, tmp_path, obf_base_url, values):
    monkeypatch.setenv("OBF_BASE_URL", obf_base_url)
    settings = Settings(secret_key_file=tmp_path / "secret.key", _env_file=None, **values)
    assert settings.unsafe_reasons() == []


def test_the_demo_sandbox_next_to_a_real_obf_on_a_public_address_is_refused(monkeypatch):
    monkeypatch.setenv("OBF_BASE_URL", "https://openbadgefactory.com")
    settings = Settings(public_url="https://bagou.example.org", secret_key="k" * 32,
                        _env_file=None)
    with pytest.raises(UnsafeSettings, match="BAGOU_OBF_SANDBOX=false") as refused:
        settings.check_safe()
    assert "OBF_BASE_URL" in str(refused.value) and "BAGOU_PUBLIC_URL" in str(refused.value)


@pytest.mark.parametrize("where", [{"host": "0.0.0.0"}, {"host": "bagou.example.org"},
                                   {"public_url": "https://bagou.example.org"}])
def test_no_secret_key_outside_local_use_is_refused(tmp_path, where):
    key_file = tmp_path / "secret.key"
    settings = Settings(secret_key_file=key_file, obf_sandbox=False, _env_file=None, **where)
    assert not settings.local_use
    with pytest.raises(UnsafeSettings, match="BAGOU_SECRET_KEY") as refused:
        settings.check_safe()
    assert str(key_file) in str(refused.value)
    # An empty key file is no key either.
    key_file.write_text("\n")
    assert settings.unsafe_reasons()
    # A key given, or a key file made before (by an earlier start, or by the operator).
    assert Settings(secret_key="k" * 32, obf_sandbox=False, _env_file=None,
                    **where).unsafe_reasons() == []
    key_file.write_text("a" * 64)
    assert settings.unsafe_reasons() == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_are_local_use(tmp_path, host):
    settings = Settings(host=host, secret_key_file=tmp_path / "absent.key", _env_file=None)
    assert settings.local_use and settings.unsafe_reasons() == []


def test_bagou_run_and_the_gateway_stop_on_unsafe_values(monkeypatch, tmp_path, capsys):
    settings = Settings(host="0.0.0.0", secret_key_file=tmp_path / "secret.key",
                        database_url=f"sqlite:///{tmp_path / 'bagou.db'}", _env_file=None)
    monkeypatch.setattr(cli, "train", lambda _settings: pytest.fail("trained anyway"))
    assert cli.run(settings) == 1
    assert "BAGOU_SECRET_KEY" in capsys.readouterr().err
    with pytest.raises(UnsafeSettings, match="BAGOU_SECRET_KEY"):
        create_app(settings)
    assert not (tmp_path / "secret.key").exists()  # refused before any key is made
