"""OBF-style errors: a status code and a small `{"error": ...}` body.

The gateway's own error handlers answer in FALC French for the chat API. The sandbox
speaks to programs, like OBF, so its routes use `SandboxRoute`, which turns sandbox
errors and invalid parameters into OBF-shaped answers before those handlers see them.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute


class SandboxError(Exception):
    def __init__(self, status: int, error: str, message: str = "",
                 headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status, self.error, self.message, self.headers = status, error, message, headers

    def response(self) -> JSONResponse:
        body = {"error": self.error}
        if self.message:
            body["message"] = self.message
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def not_found(what: str) -> SandboxError:
    return SandboxError(404, "not_found", f"{what} not found")


def forbidden() -> SandboxError:
    # OBF answers 403 to a missing, unknown or expired token; clients get a new token
    # and try again once.
    return SandboxError(403, "invalid_token", "a valid Bearer token for this client is needed")


def _describe(error: RequestValidationError) -> str:
    """`limit: Input should be less than or equal to 1000`, without echoing the input
    (it may be an e-mail address)."""
    parts = []
    for item in error.errors():
        name = item.get("loc", ("?",))[-1]
        parts.append(f"{name}: {item.get('msg', 'invalid value')}")
    return "; ".join(parts)


class SandboxRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SandboxError as error:
                return error.response()
            except RequestValidationError as error:
                # OBF answers 400 for an erroneous or missing parameter.
                return SandboxError(400, "invalid_parameter", _describe(error)).response()

        return handle
