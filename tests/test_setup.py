"""The setup script: idempotent, and clear when Python 3.10 is missing."""

import subprocess

import pytest

from bot.settings import PROJECT_ROOT

SETUP = PROJECT_ROOT / "scripts" / "setup.sh"
# Both environments, .venv-rasa too (scripts/setup.sh makes them).
pytestmark = pytest.mark.rasa_env


def test_second_setup_does_nothing():
    stamps = [PROJECT_ROOT / ".venv-rasa" / ".bagou-lock", PROJECT_ROOT / ".venv" / ".bagou-lock"]
    before = [s.stat().st_mtime_ns for s in stamps]
    done = subprocess.run([str(SETUP)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""
    assert [s.stat().st_mtime_ns for s in stamps] == before


def test_missing_python_310_is_named_in_a_clear_message(tmp_path):
    # No pyenv, no uv, no python3.10 on this PATH and in this home.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([str(SETUP)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "Python 3.10 est introuvable" in done.stderr
    assert "pyenv install 3.10" in done.stderr
