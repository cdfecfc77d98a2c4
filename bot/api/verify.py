"""The gateway's routes to check a badge: `POST /api/verify` (a link or a credential, as
JSON) and `POST /api/verify/upload` (a file, as a multipart form). Both answer like
`POST /api/chat` (topic `verifier_badge`) and add the turn to the conversation.

An upload is read into memory while it streams in, and refused past the size limit
before it is all received; it is parsed here (python-multipart's streaming parser,
callbacks into memory) rather than with the framework's form parsing, which buffers the
whole body and spools files of over 1 MB to a temporary file on disk. Its kind comes
from its first bytes. Nothing of it is written anywhere; the conversation keeps only
« Une image de badge » on the person's side.

A multipart form, unlike JSON, is a request that any web page may send to another site
without asking CORS first. So the upload checks the `Origin` header itself: the
gateway's own pages and the sites of BAGOU_ALLOWED_ORIGINS only, as for the chat.
"""

from typing import cast

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from bot.api.openapi import error_responses
from bot.chat.service import ChatService
from bot.errors import ApiError
from bot.schemas import ChatResponse, Text
from bot.verify.answer import history_text
from bot.verify.inputs import DOCUMENT, URL, Candidate, InputError, from_text, from_upload, sniff

ERRORS = error_responses(400, 401, 403, 404, 413, 422)
# Room for the multipart framing and the small fields around the file.
FORM_OVERHEAD = 16_384
MAX_FIELD = 4096


class VerifyRequest(BaseModel):
    session_id: Text | None = Field(None, description="Conversation to add this turn to; "
                                   "empty to start one.")
    url: Text | None = Field(None, description="Link to a badge: an Open Badges 2.0 hosted "
                            "assertion, an OBF assertion page, an Open Badges 3.0 credential, "
                            "or a baked image.")
    credential: Text | dict | None = Field(None, description="A badge as JSON (assertion or "
                                          "credential) or a compact JWS.")
    site_token: Text | None = Field(None, description="As in /api/chat: identifies the learner.")


def make_router(chat: ChatService, max_upload: int, trusted_origins: list[str]) -> APIRouter:
    router = APIRouter(tags=["badges"])
    trusted = {o.rstrip("/") for o in trusted_origins if o}

    @router.post("/api/verify", response_model=ChatResponse, responses=ERRORS)
    async def verify(request: VerifyRequest) -> ChatResponse:
        """Check a badge given as a link or as JSON/JWS; the answer says who gave it, to
        whom when it can be said, when, and whether it is valid."""
        if bool(request.url) == bool(request.credential):
            raise ApiError(422, "demande_invalide", request.session_id)
        if request.url:
            url = request.url.strip()
            candidate = Candidate(URL, url, "lien")
            shown = url if len(url) <= 1000 else history_text("texte")
        elif isinstance(request.credential, dict):
            candidate, shown = Candidate(DOCUMENT, request.credential, "texte"), history_text("texte")
        else:
            try:
                candidate = from_text(cast(str, request.credential), "texte")
            except InputError:
                candidate = Candidate("inconnu", None, "texte")
            shown = history_text("texte")
        return await chat.verify_turn(candidate, request.session_id, request.site_token, shown)

    @router.post("/api/verify/upload", response_model=ChatResponse, responses=ERRORS,
                 openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                     "type": "object", "required": ["file"],
                     "properties": {"file": {"type": "string", "format": "binary"},
                                    "session_id": {"type": "string"},
                                    "site_token": {"type": "string"}}}}}}})
    async def upload(request: Request) -> ChatResponse:
        """Check a badge image (baked PNG or SVG) or a badge file (JSON), sent as the
        form field `file` (at most BAGOU_VERIFY_MAX_UPLOAD_BYTES); nothing is kept."""
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") not in trusted | {str(request.base_url).rstrip("/")}:
            raise ApiError(403, "site_non_autorise")
        fields, data = await _read_form(request, max_upload)
        session_id = fields.get("session_id") or None
        if data is None:
            raise ApiError(422, "demande_invalide", session_id)
        if len(data) > max_upload:
            raise ApiError(413, "fichier_trop_gros", session_id)
        kind = sniff(data)
        try:
            candidate = from_upload(data)
        except InputError as error:
            candidate = Candidate("inconnu", error.code, kind or "fichier")
        shown = history_text(kind or "json")
        return await chat.verify_turn(candidate, session_id, fields.get("site_token") or None,
                                      shown)

    return router


async def _read_form(request: Request, max_upload: int) -> tuple[dict[str, str], bytes | None]:
    """The small text fields and the one file of a multipart form, in memory."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(422, "demande_invalide")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_upload + FORM_OVERHEAD:
        raise ApiError(413, "fichier_trop_gros")

    parts: list[dict] = []
    header: dict = {"field": b"", "value": b""}

    def on_part_begin():
        parts.append({"headers": {}, "data": bytearray()})

    def on_header_field(data, start, end):
        header["field"] += data[start:end]

    def on_header_value(data, start, end):
        header["value"] += data[start:end]

    def on_header_end():
        parts[-1]["headers"][header["field"].decode("latin-1").lower()] = header["value"]
        header["field"], header["value"] = b"", b""

    def on_part_data(data, start, end):
        part = parts[-1]
        part["data"] += data[start:end]
        if len(part["data"]) > max_upload:
            raise ApiError(413, "fichier_trop_gros")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_part_data": on_part_data,
    })
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_upload + FORM_OVERHEAD:
                raise ApiError(413, "fichier_trop_gros")
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as error:
        raise ApiError(400, "demande_invalide") from error

    fields, data = {}, None
    for part in parts[:8]:
        _disposition, options = parse_options_header(part["headers"].get("content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file" and data is None:
            data = bytes(part["data"])
        elif name in ("session_id", "site_token") and len(part["data"]) <= MAX_FIELD:
            fields[name] = part["data"].decode("utf-8", "replace").strip()
    return fields, data
