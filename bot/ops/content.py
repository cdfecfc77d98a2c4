"""The links and the sources of the content, for content editors.

- `bagou content links` lists every web address that a person can open from Bagou
  (link buttons of faq/ and domain.yml, the sites of lieux.yml) and every source of the
  FAQ files, for an editor to try by hand: tests cannot, there is no internet here.
- `bagou content check` reports FAQ files without a source, sources without a date, and
  sources last checked more than a year ago; it exits with 1 when there is one.

A FAQ file keeps its sources at its end:

    sources:
    - url: https://…
      title: "…"
      checked: 2026-12-01
    ask: "who to ask when a fact is in doubt"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import PROJECT_ROOT
from bot.yaml_files import read_yaml

MAX_SOURCE_AGE = dt.timedelta(days=365)


@dataclass(frozen=True)
class Link:
    origin: str  # file › key, as an editor finds it
    title: str
    url: str


@dataclass(frozen=True)
class Source:
    faq: str  # topic id
    url: str
    title: str
    checked: dt.date | None


def faq_files(root: Path = PROJECT_ROOT) -> list[Path]:
    return sorted((root / "faq").glob("*.yml"))


def well_formed(url: str) -> bool:
    """An https address with a real host name, and nothing a browser would have to guess."""
    if any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    labels = host.split(".")
    return parts.scheme == "https" and len(labels) >= 2 and all(labels) and not parts.username


def link_buttons(root: Path = PROJECT_ROOT) -> list[Link]:
    """Every button whose payload is a web address: it opens a page."""
    links = []
    for path in [root / "domain.yml", *faq_files(root)]:
        if not path.exists():
            continue
        for name, variations in (read_yaml(path).get("responses") or {}).items():
            for variation in variations or []:
                for button in variation.get("buttons") or []:
                    payload = str(button.get("payload", ""))
                    if "://" in payload or payload.startswith(("www.", "http")):
                        links.append(Link(f"{path.relative_to(root)} › {name}",
                                          str(button.get("title", "")), payload))
    places = root / "lieux.yml"
    if places.exists():
        for place in read_yaml(places).get("lieux") or []:
            if place.get("site"):
                links.append(Link(f"lieux.yml › {place.get('nom')}", "site", str(place["site"])))
    return links


def sources(root: Path = PROJECT_ROOT) -> list[Source]:
    found = []
    for path in faq_files(root):
        for entry in read_yaml(path).get("sources") or []:
            checked = entry.get("checked")
            if isinstance(checked, str):
                try:
                    checked = dt.date.fromisoformat(checked)
                except ValueError:
                    checked = None
            found.append(Source(path.stem, str(entry.get("url", "")), str(entry.get("title", "")),
                                checked if isinstance(checked, dt.date) else None))
    return found


def problems(root: Path = PROJECT_ROOT, today: dt.date | None = None) -> list[str]:
    """What an editor must look at, in French, one line each."""
    today = today or dt.date.today()
    by_faq: dict[str, list[Source]] = {}
    for source in sources(root):
        by_faq.setdefault(source.faq, []).append(source)
    lines = []
    for path in faq_files(root):
        topic = path.stem
        if not by_faq.get(topic):
            lines.append(f"faq/{topic}.yml : aucune source.")
        if not str(read_yaml(path).get("ask") or "").strip():
            lines.append(f"faq/{topic}.yml : personne à qui demander (« ask: ») manquante.")
        for source in by_faq.get(topic, []):
            if not well_formed(source.url):
                lines.append(f"faq/{topic}.yml : adresse de source invalide : {source.url}")
            if source.checked is None:
                lines.append(f"faq/{topic}.yml : source sans date de vérification : {source.url}")
            elif today - source.checked > MAX_SOURCE_AGE:
                lines.append(f"faq/{topic}.yml : source vérifiée le {source.checked.isoformat()}, "
                             f"il y a plus d'un an : {source.url}")
    for link in link_buttons(root):
        if not well_formed(link.url):
            lines.append(f"{link.origin} : lien invalide : {link.url}")
    return lines


def print_links(root: Path = PROJECT_ROOT) -> int:
    print("Liens que les personnes ouvrent depuis Bagou :")
    for link in link_buttons(root):
        print(f"  {link.url}\n    {link.origin} › « {link.title} »")
    print("\nSources des réponses (faq/) :")
    for source in sources(root):
        date = source.checked.isoformat() if source.checked else "sans date"
        print(f"  {source.url}\n    faq/{source.faq}.yml › « {source.title} » (vérifiée : {date})")
    print("\nOuvrez chaque adresse dans un navigateur. Une page ne s'ouvre pas ? "
          "Changez le lien dans le fichier indiqué.")
    return 0


def print_check(root: Path = PROJECT_ROOT, today: dt.date | None = None) -> int:
    lines = problems(root, today)
    for line in lines:
        print(line)
    if lines:
        print(f"\n{len(lines)} point(s) à revoir.")
        return 1
    print(f"Tout va bien : {len(faq_files(root))} réponses ont des sources vérifiées depuis moins d'un an.")
    return 0
