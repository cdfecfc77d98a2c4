"""Limits on a request's head: its URL's length, its headers' total size and number.

uvicorn's default HTTP parser (httptools) has no limit on headers: 8 MB of headers got
a 200 (issue 24). Every legitimate request of Bagou has a few kilobytes of headers at
most: the console's session cookie, an LTI launch's cookies, a browser's usual headers
(a proxy adds a few hundred bytes). nginx refuses a header line over 8 kB by default
(large_client_header_buffers 4 8k), Apache a field over 8190 bytes and more than 100
fields. Over these limits the answer is 431 `entetes_trop_grosses` in the API's error
shape, before any other middleware or route sees the request.

Names and values are counted as the server handed them over (scope["headers"]), with
4 bytes per line for ": " and the line break.

The URL (path and query string, as sent) is limited to 8 kB: nginx answers 414 over
its 8 kB buffer, Apache over 8190 bytes (LimitRequestLine). Bagou's longest URLs are an
LTI login's (a few hundred bytes) and the console's filters. Over it, 414
`adresse_trop_longue`.

These limits apply to heads that are complete; bot/http/server_protocol.py cuts a head
that never ends, or that comes too slowly, before the application sees it.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.errors import error_response

MAX_HEADER_BYTES = 32_768
MAX_HEADER_COUNT = 100
MAX_URL_BYTES = 8192


class HeaderLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_HEADER_BYTES,
                 max_count: int = MAX_HEADER_COUNT):
        self.app = app
        self.max_bytes, self.max_count = max_bytes, max_count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if _url_bytes(scope) > MAX_URL_BYTES:
                await error_response(414, "adresse_trop_longue")(scope, receive, send)
                return
            if self._too_large(scope.get("headers") or ()):
                await error_response(431, "entetes_trop_grosses")(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _too_large(self, headers) -> bool:
        if len(headers) > self.max_count:
            return True
        size = 0
        for name, value in headers:
            size += len(name) + len(value) + 4
            if size > self.max_bytes:
                return True
        return False


def _url_bytes(scope: Scope) -> int:
    path = scope.get("raw_path") or scope.get("path", "").encode()
    return len(path) + len(scope.get("query_string") or b"")
