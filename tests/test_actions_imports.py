"""The action server depends on libraries, not on the gateway: importing the actions
loads neither FastAPI, SQLAlchemy nor Alembic (it did once, for three constants)."""

import subprocess
import sys

from bot.settings import PROJECT_ROOT

HEAVY = ("fastapi", "sqlalchemy", "alembic")
# Every module of the package, as rasa-sdk loads them (`--actions actions`).
IMPORT_ALL = """
import importlib, pkgutil, sys
import actions
for module in pkgutil.walk_packages(actions.__path__, "actions."):
    importlib.import_module(module.name)
print(" ".join(name for name in {heavy!r} if name in sys.modules))
"""


def test_importing_the_actions_loads_neither_fastapi_nor_sqlalchemy():
    # In a new interpreter of the same environment (.venv/bin/python under pytest):
    # this process has long imported the gateway.
    check = ("import actions, sys; "
             "assert 'fastapi' not in sys.modules and 'sqlalchemy' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", check], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_no_action_module_loads_the_gateways_libraries():
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL.format(heavy=HEAVY)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
