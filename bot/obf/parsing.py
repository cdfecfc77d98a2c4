"""Reading OBF answers (v1 and v2 shapes, see docs/obf-api.md §1.3–1.6).

Pure functions, no I/O. Anything that does not have the expected shape raises
ObfBadResponse; optional fields are read leniently, because OBF v2 is a public
beta whose field names still move (e.g. `language` → `languages` in 2025).
"""

import json
import re
from datetime import date, datetime, tzinfo
from html.parser import HTMLParser
from typing import Any

from bot.obf.errors import ObfBadResponse
from bot.obf.models import Badge, EarnableBadge
from bot.privacy import normal_email as _normal

# ---------------------------------------------------------------- JSON bodies


def decode_json(content: bytes) -> Any:
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ObfBadResponse(f"the answer is not JSON ({type(error).__name__})") from None


def decode_ldjson(content: bytes) -> list[dict]:
    """v1 lists are line-delimited JSON (one object per line, \\n or \\r\\n).

    Like obc's `iter_json`, a body that is one JSON document (an object or an
    array) is accepted too: single items come back that way.
    """
    try:
        text = content.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ObfBadResponse("the answer is not UTF-8 text") from None
    if not text:
        return []
    try:
        value = json.loads(text)
        items = value if isinstance(value, list) else [value]
    except ValueError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            raise ObfBadResponse("a line of the answer is not JSON") from None
    return [obj(item, "list item") for item in items]


def v2_page(body: Any) -> tuple[list[dict], int | None]:
    """A v2 list page: `{"result": [...], "total": N}` (`total` may be missing)."""
    if isinstance(body, list):  # tolerated: a bare array is a page without total
        return [obj(item, "list item") for item in body], None
    body = obj(body, "list page")
    result = body.get("result")
    if not isinstance(result, list):
        raise ObfBadResponse("a v2 list page has no `result` array")
    total = body.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
        raise ObfBadResponse("`total` of a v2 list page is not a number")
    return [obj(item, "list item") for item in result], total


# --------------------------------------------------------------- small fields


def obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ObfBadResponse(f"{what} is not a JSON object")
    return value


def ident(item: dict, key: str) -> str:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ObfBadResponse(f"`{key}` is missing or not a string")
    return value


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def opt_text(value: Any) -> str | None:
    return text(value) or None


def str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def to_date(value: Any, tz: tzinfo) -> date | None:
    """OBF times are unix seconds; 0/null mean "none". ISO strings are accepted
    too (a sandbox or a future API version may send them)."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        value = float(value)
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz).date()
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed.astimezone(tz).date() if parsed.tzinfo else parsed.date()
    except (ValueError, OverflowError, OSError):
        pass
    raise ObfBadResponse("a date field is neither unix seconds nor an ISO date")


EMAIL_IN_ANGLES = re.compile(r"<([^<>]+)>\s*$")


def normal_email(value: Any) -> str:
    """bot.privacy.normal_email, tolerant: v1 recipients may read
    "Jane Doe <jane@example.org>", and a missing value is an empty address."""
    if not isinstance(value, str):
        return ""
    match = EMAIL_IN_ANGLES.search(value)
    return _normal(match.group(1) if match else value)


class _TextOnly(HTMLParser):
    BREAKS = {"p", "br", "li", "div", "ul", "ol", "h1", "h2", "h3", "h4", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(value: Any) -> str:
    """v1 `criteria_html` (and some v2 criteria) are HTML; the chat shows text."""
    if not isinstance(value, str) or not value.strip():
        return ""
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------- badges


def lang_base(value: Any) -> str:
    """"fr", "fr_FR", "FR-fr" -> "fr"."""
    return text(value).lower().replace("_", "-").split("-")[0]


def needs_french_detail(item: dict) -> bool:
    """A v2 list item carries only its primary language's name; when French
    exists but is not primary, the French text is only in the badge detail."""
    languages = {lang_base(v) for v in str_list(item.get("languages") or item.get("language"))}
    return (not item.get("content") and "fr" in languages
            and lang_base(item.get("primary_language")) != "fr")


def pick_content(item: dict) -> dict:
    """v2 multilingual `content[]`: French first, then the primary language,
    then the first entry (docs/obf-api.md §1.4)."""
    contents = [c for c in item.get("content") or [] if isinstance(c, dict)]
    if not contents:
        return {}
    primary = lang_base(item.get("primary_language"))
    for wanted in ("fr", primary):
        for content in contents:
            if wanted and lang_base(content.get("language")) == wanted:
                return content
    return contents[0]


def badge_from_v2(item: dict, client_id: str) -> Badge:
    content = pick_content(item)
    return Badge(
        id=ident(item, "id"),
        name=text(content.get("name")) or text(item.get("name")),
        description=text(content.get("description")) or text(item.get("description")),
        image=opt_text(item.get("image")),
        criteria=html_to_text(content.get("criteria") or item.get("criteria")),
        criteria_url=opt_text(content.get("criteria_url") or item.get("criteria_url")),
        category=str_list(item.get("category")),
        tags=str_list(content.get("tag") or item.get("tag") or item.get("tags")),
        client_id=client_id,
    )


def badge_from_v1(item: dict, client_id: str) -> Badge:
    return Badge(
        id=ident(item, "id"),
        name=text(item.get("name")),
        description=text(item.get("description")),
        image=opt_text(item.get("image")),
        criteria=html_to_text(item.get("criteria_html")),
        criteria_url=opt_text(item.get("criteria_url")),
        category=str_list(item.get("category")),
        tags=str_list(item.get("tags")),
        client_id=client_id,
    )


def earnable_from(item: dict, client_id: str) -> EarnableBadge | None:
    """One earnable badge (fields as read by OBF's WordPress/Moodle plugins);
    None for drafts and hidden ones, which a visitor cannot apply for."""
    if flag(item.get("draft")) or ("visible" in item and not flag(item.get("visible"))):
        return None
    content = pick_content(item)
    return EarnableBadge(
        id=ident(item, "id"),
        badge_id=opt_text(item.get("badge_id")),
        name=text(content.get("name")) or text(item.get("name")),
        description=text(content.get("description")) or text(item.get("description")),
        url=opt_text(item.get("apply_url") or item.get("url")),
        approval_method=opt_text(item.get("approval_method")),
        client_id=client_id,
    )
