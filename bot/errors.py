"""One error shape for the whole API, with a French FALC message (texts/gateway.yml)."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.texts import text

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, session_id: str | None = None, **values):
        self.status, self.code, self.session_id = status, code, session_id
        self.message = text(code, **values)


def error_body(code: str, message: str, session_id: str | None = None) -> dict:
    return {
        "error": code,
        "message": message,
        "session_id": session_id,
        "replies": [{"text": message, "buttons": []}],
        "topic": None,
    }


def _respond(status: int, code: str, message: str, session_id: str | None = None):
    return JSONResponse(error_body(code, message, session_id), status_code=status)


def error_response(status: int, code: str, session_id: str | None = None,
                   headers: dict[str, str] | None = None, **values) -> JSONResponse:
    """An error answered outside the routes (the gateway's middlewares), same shape."""
    return JSONResponse(error_body(code, text(code, **values), session_id),
                        status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError):
        return _respond(error.status, error.code, error.message, error.session_id)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError):
        kinds = {e.get("type") for e in error.errors()}
        if "json_invalid" in kinds:
            return _respond(400, "json_invalide", text("json_invalide"))
        return _respond(422, "demande_invalide", text("demande_invalide"))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException):
        if error.status_code == 404:
            return _respond(404, "page_introuvable", text("page_introuvable"))
        return _respond(error.status_code, "demande_invalide", text("demande_invalide"))

    # The database cannot be reached (server down, network, too many connections): say
    # so in FALC with a 503, as when Rasa is down; nothing is half-written (each turn is
    # one transaction) and the pool's pre-ping reconnects by itself when it is back.
    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_down(_request: Request, error: Exception):
        log.warning("Database unavailable: %s", type(error).__name__)
        return error_response(503, "base_indisponible", headers={"Retry-After": "30"})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception):
        log.exception("Unexpected error: %s", type(error).__name__)
        return _respond(500, "erreur_interne", text("erreur_interne"))
