"""A verdict as Bagou says it: FALC texts from texts/verify.yml.

Two messages: first what the check proves, then what the badge says (its name, who gave
it, for what, to whom, when), each on its own line.

What a check proves, no more: the badge comes from the issuer's site (its host name is
said) or key, nobody changed it, and it is or is not valid today. It cannot prove that
the issuer deserves trust (anyone can make badges, under any name), so the answer never
says « ce badge est vrai » and asks the reader to look at who gave it.

To whom: a badge carries its recipient as an e-mail address, usually hashed with a salt.
Bagou says « Donné à : vous » only when the person is identified (Moodle, the host
site) and the badge's hash is of their address; it says the badge is for someone else
when the identified person's address does not match. It never tries to guess an
anonymous visitor's address, and never shows an address. A name is said only when the
badge itself shows it in the clear (an OB 3.0 `name` identifier or subject name): the
issuer chose to publish it, so Bagou repeats no more than anyone reading the badge sees.
"""

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast


from bot.privacy import EMAIL, EMAIL_MASK
from bot.texts import french_date, load_texts, printable
from bot.verify.result import EXPIRED, INVALID, NOT_A_BADGE, REVOKED, VALID, Verdict

TOPIC = "verifier_badge"
# What the badge says about itself is its issuer's text, not ours: kept short.
MAX_FIELD = 120


# The checker's own replies: the chat service turns them into the API's shapes
# (bot/schemas.py), so that this package imports nothing of the API.
@dataclass
class Button:
    title: str
    payload: str


@dataclass
class Link:
    title: str
    url: str


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


@lru_cache
def texts() -> dict:
    return load_texts("verify")


def _clean(value) -> str:
    """A text from a badge as it may be shown: printable (no control signs, no lone
    surrogates, which no database nor JSON encoder takes), and without any e-mail
    address (an answer never shows one, whoever wrote it in the badge)."""
    text = printable(unicodedata.normalize("NFKC", str(value)))
    return EMAIL.sub(EMAIL_MASK, text)


def _short(value: str | None) -> str | None:
    if not value:
        return None
    text = " ".join(_clean(value[:2000]).split())
    # Markup of the bot's own messages must not come from a badge.
    text = text.replace("**", "")
    first = text.split(". ")[0].rstrip(".")
    if len(first) > MAX_FIELD:
        first = first[:MAX_FIELD].rsplit(" ", 1)[0]
    return first or None


def _link(url: str | None) -> str | None:
    """A web address from a badge, offered only when it is clean and shows no e-mail."""
    if not isinstance(url, str) or len(url) > 2000 or not url.startswith(("https://", "http://")):
        return None
    if printable(url) != url or any(c.isspace() for c in url) or EMAIL.search(url) \
            or "@" in url.split("?")[0]:
        return None
    return url


def reason_text(code: str, **values: str) -> str:
    reasons = texts()["raisons"]
    return (reasons.get(code) or reasons["document_illisible"]).format(**values)


# What the proof of a valid (or expired) badge shows, by kind of proof.
ORIGINS = ("heberge_ok", "signature_site_ok", "preuve_ok")


def _first_text(verdict: Verdict) -> str:
    t = texts()
    status = t["statuts"][verdict.status]
    if verdict.status in (VALID, EXPIRED):
        origin = verdict.origin if verdict.origin in ORIGINS else "preuve_ok"
        site = _short(verdict.issuer_site)
        if origin != "preuve_ok" and not site:
            origin = "preuve_ok"
        return f"{reason_text(origin, site=site or '')}\n{status}"
    return f"{status}\n{reason_text(verdict.reason)}"


def replies_for(verdict: Verdict) -> list[Reply]:
    t = texts()
    replies = [Reply(text=_first_text(verdict))]

    lines = []
    d = t["details"]
    if verdict.status in (VALID, EXPIRED, REVOKED):
        badge, structure = _short(verdict.badge_name), _short(verdict.issuer_name)
        if badge:
            lines.append(d["badge"].format(badge=badge))
        if structure:
            lines.append(d["structure"].format(structure=structure))
        what = _short(verdict.criteria) or _short(verdict.description)
        if what:
            lines.append(d["pour"].format(pour=what))
        name = _short(verdict.recipient_public_name)
        if name and EMAIL_MASK in name:
            name = None  # a « name » that is an address: nothing to say about it
        if verdict.recipient_match is True:
            lines.append(d["a_vous"])
        elif verdict.recipient_match is False:
            lines.append(d["pas_a_vous"])
        elif name:
            lines.append(d["a_nom"].format(nom=name))
        if verdict.issued_on:
            lines.append(d["date"].format(date=french_date(verdict.issued_on, weekday=True)))
        if verdict.expires:
            lines.append(d["fin"].format(date=french_date(verdict.expires, weekday=True)))
    if verdict.status in (VALID, EXPIRED):
        lines.append(d["conseil"])

    links = []
    if verdict.status not in (INVALID, NOT_A_BADGE):
        for key, url in (("voir_badge", verdict.url), ("site_structure", verdict.issuer_url),
                         ("criteres", verdict.criteria_url)):
            if _link(url):
                links.append(Link(title=t["liens"][key], url=cast(str, url)))
    buttons = [Button(title=t["boutons"]["autre_badge"], payload=t["boutons"]["autre_badge"])]
    if lines:
        replies.append(Reply(text="\n".join(lines), links=links, buttons=buttons))
    else:
        replies[0].links, replies[0].buttons = links, buttons
    return replies


def history_text(source: str) -> str:
    """What the person's side of the conversation shows for an upload or pasted badge."""
    h = texts()["historique"]
    return {"png": h["image"], "svg": h["image"], "json": h["fichier"]}.get(source, h["texte"])

