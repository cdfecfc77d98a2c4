"""What a person gives to check, turned into one thing to verify.

A person gives a link, pastes a credential (JSON or a compact JWS), or uploads a file
(a baked PNG or SVG, or a JSON file). The kind of an upload is read from its first
bytes, never from its name or declared type alone.
"""

import json
import re
from dataclasses import dataclass

from bot.texts import fold_accents
from bot.verify.baked import PNG_SIGNATURE, BakedError, from_png, from_svg

URL = "url"
DOCUMENT = "json"
JWS = "jws"

# header.payload.signature, base64url without padding.
COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$")
# A JWS cut short or with a part too many (its header, base64url JSON, starts with eyJ):
# checked as a JWS, so that the answer says its signature cannot be read.
BROKEN_JWS = re.compile(r"^eyJ[A-Za-z0-9_=-]*(?:\.[A-Za-z0-9_=+/-]*){0,4}$")
LINK = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)
# A compact JWS among the words of a message (its header, base64url JSON, starts with
# eyJ). Words are tried one by one with an anchored pattern: searching the whole text
# with an open pattern backtracks from every « eyJ » (14 s on 100,000 signs).
JWS_WORD = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
WORD_EDGES = "\"'«»()[]{}<>,;:!?."
UPLOAD_KINDS = ("png", "svg", "json")


@dataclass
class Candidate:
    kind: str  # URL, DOCUMENT or JWS
    value: object  # str for URL and JWS, dict for DOCUMENT
    source: str  # "lien", "texte", "png", "svg", "json": where it came from


class InputError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def from_text(text: str, source: str = "texte") -> Candidate:
    """A badge as text: a link, a JSON document or a compact JWS."""
    text = text.strip().lstrip("\ufeff")
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise InputError("format_inconnu") from error
        if not isinstance(document, dict):
            raise InputError("format_inconnu")
        return Candidate(DOCUMENT, document, source)
    if COMPACT_JWS.match(text) or BROKEN_JWS.match(text):
        return Candidate(JWS, text, source)
    if LINK.fullmatch(text):
        return Candidate(URL, text, source)
    raise InputError("format_inconnu")


def sniff(data: bytes) -> str | None:
    """The kind of an upload from its first bytes: png, svg, json, or None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def from_upload(data: bytes) -> Candidate:
    kind = sniff(data)
    if kind is None:
        raise InputError("format_inconnu")
    try:
        if kind == "png":
            return from_text(from_png(data), "png")
        if kind == "svg":
            return from_text(from_svg(data), "svg")
        return from_text(data.decode("utf-8-sig"), "json")
    except BakedError as error:
        raise InputError(error.code) from error
    except UnicodeDecodeError as error:
        raise InputError("format_inconnu") from error


# Words that people write around a link they give to be checked (« voici mon badge : »,
# « bonjour, le lien de mon badge, merci »), accents left out. A message made of a link
# and these words only is a badge link.
FILLER = set("""
voici voila ci la le les l un une mon ma mes ce cet cette badge badges open openbadge lien
liens url adresse de du d des c est j ai recu obtenu gagne tiens tenez regarde regardez
bonjour salut hello merci svp stp s il vous te plait et ici mien
""".split())
# Words that ask to check a badge: a message with a link and one of these is checked.
CHECK_WORDS = re.compile(
    r"\b(?:verifi\w*|verifie\w*|controle\w*|controler|authenti\w*|fiab\w*|vraie?s?|faux|"
    r"fausses?|valides?|valable\w*|legitime\w*|arnaque\w*|confiance|truque\w*|falsifi\w*|"
    r"check\w*|teste[rz]?)\b")


def asks_to_check(message: str, link: str) -> bool:
    """Whether a message with `link` in it gives that link to be checked: the message is
    the link (with a few words such as « voici mon badge »), or it asks to check a
    badge (« est-ce que ce badge est vrai ? »). « Comment je partage mon badge sur
    https://www.linkedin.com ? » is a question about LinkedIn, not a badge to check."""
    rest = fold_accents(message.replace(link, " "))
    if CHECK_WORDS.search(rest):
        return True
    return all(word in FILLER for word in re.findall(r"\w+", rest))


def find_in_message(message: str) -> Candidate | None:
    """A badge to check in a chat message: a JSON credential or assertion, a compact
    JWS, or a web link given to be checked (asks_to_check). None otherwise: the message
    then goes to Rasa as usual, link included."""
    stripped = message.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, dict) and ("@context" in document or "badge" in document):
            return Candidate(DOCUMENT, document, "texte")
    for word in message.split():
        word = word.strip(WORD_EDGES)
        if word.startswith("eyJ") and JWS_WORD.fullmatch(word):
            return Candidate(JWS, word, "texte")
    link = LINK.search(message)
    if link:
        url = link.group(0).rstrip(".,;:!?)]}»")
        if asks_to_check(message, link.group(0)):
            return Candidate(URL, url, "lien")
    return None
