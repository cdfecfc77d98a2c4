"""The one template engine of the gateway's HTML pages (the console's, LTI's, the badge
check page's, the sandbox's): Jinja2, every value escaped, a missing value an error rather
than an empty text."""

import html
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


def _html_escape(value):
    """A text escaped by html.escape (« &#x27; », « &quot; ») rather than markupsafe
    (« &#39; », « &#34; »): the same safety, the spelling that the LTI pages and the
    badge check page have always had."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup(html.escape(value))
    return value


def environment(folder: Path, *, html_escape: bool = False) -> Environment:
    """The templates of one package (its `templates/` folder); `html_escape`: values
    escaped as html.escape writes it (above)."""
    env = Environment(loader=FileSystemLoader(folder),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    if html_escape:
        env.finalize = _html_escape
    return env
