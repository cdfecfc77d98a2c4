"""The API's one error shape (bot/errors.py), asserted in one place."""

from bot.texts import text


def assert_error_shape(response, status: int, key: str, **values) -> None:
    """An error answer: `status`, the code `key`, its FALC message from texts/gateway.yml
    (with `values` in it), the same message as the one reply, and no topic."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == key
    assert body["message"] == text(key, **values)
    assert body["replies"] == [{"text": body["message"], "buttons": []}]
    assert body["topic"] is None
