"""What a person gives to check, turned into one thing to verify.

A person gives a link, pastes a credential (JSON or a compact JWS), or uploads a file
(a baked PNG or SVG, or a JSON file). The kind of an upload is read from its first
bytes, never from its name or declared type alone.
"""

import json
import re
from dataclasses import dataclass

from bot.verify.baked import PNG_SIGNATURE, BakedError, from_png, from_svg

URL = "url"
DOCUMENT = "json"
JWS = "jws"

# header.payload.signature, base64url without padding.
COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$")
LINK = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)
JWS_IN_TEXT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
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
        except ValueError as error:
            raise InputError("format_inconnu") from error
        if not isinstance(document, dict):
            raise InputError("format_inconnu")
        return Candidate(DOCUMENT, document, source)
    if COMPACT_JWS.match(text):
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


def find_in_message(message: str) -> Candidate | None:
    """A badge in a chat message: a JSON credential or assertion, a compact JWS, or a
    web link. None when the message has none (it then goes to Rasa as usual)."""
    stripped = message.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            document = json.loads(stripped)
        except ValueError:
            document = None
        if isinstance(document, dict) and ("@context" in document or "badge" in document):
            return Candidate(DOCUMENT, document, "texte")
    jws = JWS_IN_TEXT.search(message)
    if jws:
        return Candidate(JWS, jws.group(0), "texte")
    link = LINK.search(message)
    if link:
        return Candidate(URL, link.group(0).rstrip(".,;:!?)]}»"), "lien")
    return None
