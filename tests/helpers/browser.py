"""Debian's Chromium, driven headless by Playwright with `executable_path` (Playwright's
own browser download cannot work on this project's machines). The same path as
scripts/browser.sh: BAGOU_CHROMIUM, /usr/bin/chromium by default."""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("BAGOU_CHROMIUM") or "/usr/bin/chromium")
