"""Limits on a request's headers: their total size and their number.

uvicorn's default HTTP parser (httptools) has no limit on headers: 8 MB of headers got
a 200 (issue 24). Every legitimate request of Bagou has a few kilobytes of headers at
most: the console's session cookie, an LTI launch's cookies, a browser's usual headers
(a proxy adds a few hundred bytes). nginx refuses a header line over 8 kB by default
(large_client_header_buffers 4 8k), Apache a field over 8190 bytes and more than 100
fields. Over these limits the answer is 431 `entetes_trop_grosses` in the API's error
shape, before any other middleware or route sees the request.

Names and values are counted as the server handed them over (scope["headers"]), with
4 bytes per line for ": " and the line break.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.errors import error_response

MAX_HEADER_BYTES = 32_768
MAX_HEADER_COUNT = 100


class HeaderLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_HEADER_BYTES,
                 max_count: int = MAX_HEADER_COUNT):
        self.app = app
        self.max_bytes, self.max_count = max_bytes, max_count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._too_large(scope.get("headers") or ()):
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
