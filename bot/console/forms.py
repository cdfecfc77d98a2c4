"""Reading the console's forms (application/x-www-form-urlencoded) without
python-multipart: the forms are small, so the body is read whole, up to a limit."""

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_FORM_BYTES = 16 * 1024


class FormError(ValueError):
    pass


class FormTooBig(FormError):
    """More than MAX_FORM_BYTES: the console answers 413 with its FALC page."""


async def read_form(request: Request) -> dict[str, str]:
    """The fields (the last value of a repeated one). FormError: not a form, too big,
    or not UTF-8."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooBig("form too big")
    if not body:
        return {}  # an empty form: its missing fields (CSRF first) say what is wrong
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormError("not a form")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=50))
    except (UnicodeDecodeError, ValueError) as error:
        raise FormError("unreadable form") from error
