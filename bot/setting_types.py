"""What the settings models share (bot/settings.py, bot/obf/settings.py, actions/config.py).

A list setting is a list in Python and a comma-separated string in its environment
variable (BAGOU_ALLOWED_ORIGINS=https://a.example,https://b.example): `CommaList` turns
off pydantic-settings' JSON decoding of the variable, and `comma_list` (a field
validator, mode="before") splits it. Only pydantic: the action server imports it.
"""

from typing import Annotated, Any

from pydantic import SecretStr
from pydantic_settings import NoDecode

CommaList = Annotated[list[str], NoDecode]
SecretCommaList = Annotated[list[SecretStr], NoDecode]


def comma_list(value: Any) -> Any:
    """"a, b,,c" → ["a", "b", "c"]: items stripped, empty ones left out. A list (given in
    Python) gets the same cleaning; a SecretStr is split as its value."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return value  # pydantic says what is wrong with it
    items = [item.get_secret_value() if isinstance(item, SecretStr) else item for item in value]
    items = [item.strip() if isinstance(item, str) else item for item in items]
    return [item for item in items if item not in ("", None)]
