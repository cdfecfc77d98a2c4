"""A size limit on request bodies, applied before anything reads or parses them.

Every route but the badge upload takes a small body: JSON messages (a question, or a
badge credential pasted in the chat, up to 100 000 signs), LTI forms (an id_token of a
few kilobytes), the console's forms. A larger body is refused with 413
`demande_trop_grosse` in the API's error shape: at once when its Content-Length says so,
else (chunked) as soon as the bytes received pass the limit, never buffered whole.
`POST /api/verify/upload` has its own limit (BAGOU_VERIFY_MAX_UPLOAD_BYTES), counted
while it streams in (bot/api/verify.py). Pages that a person reads may give their own
413 page instead (`pages`: a path prefix and its answer, e.g. the console's FALC page).
"""

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import error_response

# Paths that stream and limit their own bodies.
OWN_LIMIT = ("/api/verify/upload",)


# A refused body is still read (and thrown away) up to this size, so that the client
# gets the 413 rather than a connection reset while it is still sending.
DRAIN_BYTES = 8_000_000


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int,
                 pages: dict[str, Callable[[], ASGIApp]] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.pages = pages or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in OWN_LIMIT:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared <= self.max_bytes:
            # The server delivers no more than Content-Length: nothing else to count.
            await self.app(scope, receive, send)
            return
        if declared is None and scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # Too large, or chunked: read up to the limit, then hand the body on or refuse it.
        messages: list[Message] = []
        size, more = 0, True
        while more and size <= self.max_bytes:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
            messages.append(message)
        if size > self.max_bytes or (declared is not None and declared > self.max_bytes):
            while more and size <= DRAIN_BYTES:
                message = await receive()
                size += len(message.get("body", b""))
                more = message["type"] == "http.request" and message.get("more_body", False)
            path = str(scope.get("path", ""))
            page = next((answer for prefix, answer in self.pages.items()
                         if path == prefix or path.startswith(prefix + "/")), None)
            refusal = page() if page else error_response(413, "demande_trop_grosse")
            await refusal(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
