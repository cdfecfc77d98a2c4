"""The one reader of url-encoded forms: the console's, the posts of LTI platforms, the
sandbox's OAuth2 token requests. Starlette's `request.form()` (python-multipart's
parser) parses them, after the body is read up to a limit of the caller's: a form too
big is refused while it streams in, never parsed whole.
"""

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

URLENCODED = "application/x-www-form-urlencoded"


class FormError(ValueError):
    """Not a url-encoded form, not UTF-8, or too many fields."""


class FormTooBig(FormError):
    """More bytes than the caller's limit."""


async def read_form(request: Request, max_bytes: int, max_fields: int = 50) -> dict[str, str]:
    """The fields (the last value of a repeated one); {} for an empty body."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise FormTooBig("form too big")
    if not body:
        return {}  # an empty form: its missing fields say what is wrong
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != URLENCODED:
        raise FormError("not a form")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormError("unreadable form") from error

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_fields=max_fields)
    except (MultiPartException, HTTPException) as error:  # too many fields
        raise FormError("unreadable form") from error
    return {name: value for name, value in form.items() if isinstance(value, str)}
