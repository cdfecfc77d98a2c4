"""The one template engine of the gateway's HTML pages (the console's, LTI's): Jinja2,
every value escaped, a missing value an error rather than an empty text."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def environment(folder: Path) -> Environment:
    """The templates of one package (its `templates/` folder)."""
    return Environment(loader=FileSystemLoader(folder),
                       autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)
