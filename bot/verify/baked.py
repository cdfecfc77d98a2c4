"""The badge inside a "baked" image: a PNG chunk or an SVG element.

PNG (Open Badges 2.0 baking, 3.0 `docformat`): an `iTXt` chunk with the keyword
`openbadges` (2.0) or `openbadgecredential` (3.0) holds the assertion JSON, a JWS or a
hosted URL; very old badges put a URL in a `tEXt` chunk `openbadges`. The chunk walk is
a few lines of the PNG format, written here rather than decoding the image with an
imaging library: nothing of the picture is needed, and no pixel decoder sees the upload.

SVG: `<openbadges:assertion verify="…">` (2.0, namespace http://openbadges.org) or
`<openbadges:credential>` (3.0, https://purl.imsglobal.org/ob/v3p0), with the JSON in
the element's text (CDATA) and, for signed or hosted badges, a JWS or URL in `verify`.
It is parsed with defusedxml: no DTD, no entities, so no XXE nor "billion laughs".
"""

import struct
import zlib

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORDS = (b"openbadges", b"openbadgecredential")
# Namespaces of the baking specs; other spellings seen in the wild end the same way.
SVG_ELEMENTS = ("assertion", "credential")
MAX_TEXT = 1_000_000  # a compressed iTXt may not unpack to more than this


class BakedError(Exception):
    """The image is broken or holds no badge; `code` is the reason for the answer."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def from_png(data: bytes) -> str:
    """The text of the badge chunk of a PNG (JSON, JWS or URL)."""
    if not data.startswith(PNG_SIGNATURE):
        raise BakedError("format_inconnu")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        if len(body) != length:
            raise BakedError("image_abimee")
        if kind == b"iTXt":
            found = _itxt(body)
            if found is not None:
                return found
        elif kind == b"tEXt":
            keyword, _, text = body.partition(b"\x00")
            if keyword in PNG_KEYWORDS and text:
                return text.decode("latin-1")
        elif kind == b"IEND":
            break
        position += 12 + length
    raise BakedError("image_sans_badge")


def _itxt(body: bytes) -> str | None:
    keyword, _, rest = body.partition(b"\x00")
    if keyword not in PNG_KEYWORDS or len(rest) < 2:
        return None
    compressed, method = rest[0], rest[1]
    rest = rest[2:]
    _language, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if compressed:
        if method != 0:
            raise BakedError("image_abimee")
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, MAX_TEXT + 1)
        except zlib.error as error:
            raise BakedError("image_abimee") from error
        if len(text) > MAX_TEXT:
            raise BakedError("fichier_trop_gros")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BakedError("image_abimee") from error


def from_svg(data: bytes) -> str:
    """The badge of an SVG: the `verify` attribute (JWS or URL) or the JSON text."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                      forbid_external=True)
    except (DefusedXmlException, ElementTree.ParseError, ValueError) as error:
        raise BakedError("image_abimee") from error
    if _local(root.tag) != "svg":
        raise BakedError("format_inconnu")
    for element in root.iter():
        namespace, name = _split(element.tag)
        if name in SVG_ELEMENTS and namespace and ("openbadges" in namespace
                                                   or "imsglobal" in namespace):
            verify = (element.get("verify") or "").strip()
            if verify:
                return verify
            text = (element.text or "").strip()
            if text:
                return text
    raise BakedError("image_sans_badge")


def _split(tag) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _local(tag) -> str:
    return _split(tag)[1]
