"""Reading the project's YAML files (faq/, texts/, topics.yml, the sandbox's seed …).

libyaml's loader when PyYAML has it (the wheels do): the pure-Python one was a tenth
of the fast tests' CPU, most of it in the sandbox seed read at each start."""

from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The file's data, or {} for an empty file."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
