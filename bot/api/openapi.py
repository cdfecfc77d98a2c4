"""The OpenAPI document says every answer the gateway really gives (checked by
tests/test_fuzz.py with schemathesis).

The routes declare their own errors; what happens around them is added here, from
the same tables as the middlewares that do it:
- 422: every validation error has the API's error shape (bot/errors.py), not FastAPI's
  default `HTTPValidationError`;
- 413 `demande_trop_grosse` on routes that take a body (bot/http/body_limit.py);
- 429 `trop_de_messages` with `Retry-After` on the rate-limited routes (bot/http/rate_limit.py).
A route says its own errors with `responses=error_responses(400, 404, …)`.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bot.http.body_limit import OWN_LIMIT
from bot.http.rate_limit import HISTORY_PATH, LIMITED_POSTS
from bot.schemas import ErrorResponse

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=`: these statuses answer with the one error shape."""
    return {code: {"model": ErrorResponse} for code in codes}


def _error(description: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": ERROR_REF}}}
    if headers:
        response["headers"] = headers
    return response


TOO_LARGE = _error("The body is larger than BAGOU_MAX_BODY_BYTES (demande_trop_grosse).")
TOO_MANY = _error("Too many requests from this conversation or address (trop_de_messages).",
                  {"Retry-After": {"description": "Seconds to wait.",
                                   "schema": {"type": "integer"}}})


def document(schema: dict) -> dict:
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error("The request is incomplete or of the wrong "
                                          "type (demande_invalide, …).")
            if "requestBody" in operation and path not in OWN_LIMIT:
                responses.setdefault("413", TOO_LARGE)
            if (method == "post" and path in LIMITED_POSTS) or (
                    method == "get" and path == HISTORY_PATH):
                responses.setdefault("429", TOO_MANY)
    schemas = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document(get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way
