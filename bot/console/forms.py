"""The console's forms: bot/http/forms.py's reader, with the console's limit."""

from starlette.requests import Request

from bot.http.forms import FormError, FormTooBig
from bot.http.forms import read_form as read_any_form

__all__ = ["MAX_FORM_BYTES", "FormError", "FormTooBig", "read_form"]

MAX_FORM_BYTES = 16 * 1024  # over it, the console answers 413 with its FALC page


async def read_form(request: Request) -> dict[str, str]:
    """The fields (the last value of a repeated one). FormError: not a form, too big,
    or not UTF-8."""
    return await read_any_form(request, MAX_FORM_BYTES)
