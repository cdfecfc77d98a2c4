"""uvicorn's HTTP protocol with deadlines for slow clients (issue 24).

uvicorn has no option for a client that sends its request slowly. Its only timer,
`--timeout-keep-alive`, runs between two requests and stops at the first byte of the
next one (`data_received` cancels it, in the httptools and h11 protocols alike); a
connection that sends nothing, or trickles its headers one byte at a time (slowloris),
stays open for ever, and so does one that trickles its body. Each such connection
costs an open file and its buffers; a few thousand exhaust the process's file limit
and the gateway stops accepting anyone. An ASGI middleware cannot help: it runs only
once the headers are complete. `--limit-concurrency` would make it worse (slow
clients fill it, and everyone else gets 503), and h11's
`--h11-max-incomplete-event-size` bounds the size of a head, not its time, and
answers a plain-text 400. So this is code, not configuration: a subclass of uvicorn's
httptools protocol (the one `bagou run` used, and the fastest), chosen with
`uvicorn --http bot.http.server_protocol:GatewayHttpProtocol`. It only adds timers and
a byte count to uvicorn's own parsing.

What it adds, per connection:
- **the head deadline**: a request's line and headers must be complete within
  10 s of the connection being opened or of the first byte of that request
  (Go servers commonly use 5 to 10 s for ReadHeaderTimeout; nginx's
  client_header_timeout is 60 s, Apache's mod_reqtimeout 20 to 40 s). A head is a few
  kilobytes, sent in one go by browsers, Moodle and proxies. When it runs out, a
  connection that sent part of a head gets 408 `delai_depasse` in the API's error shape
  and is closed; one that sent nothing is closed (a browser's unused pre-connection).
  Between requests on a kept-alive connection, uvicorn's keep-alive timer still counts.
- **the body rate**: a body must keep coming at BODY_MIN_RATE bytes a second after a
  grace (20 s; Apache's mod_reqtimeout default, body=20,MinRate=500): a
  2 MB badge image on a slow mobile line (1 Mbit/s, 16 s) passes, a body trickled a
  byte at a time is cut after about 20 s. The same 408, unless the answer has started.
- **a cap on the bytes of an unfinished head** (MAX_HEAD_BYTES): without it, httptools
  keeps buffering a head that never ends (8 MB of headers got a 200). Over it, 414
  `adresse_trop_longue` while the request line is still coming, else 431
  `entetes_trop_grosses`, and the connection is closed. A head within the gateway's
  exact limits (URL under 8 kB and headers under 32 kB: bot/http/header_limit.py,
  which gives the same answers for heads that are complete) is always under the cap.
- **the API's error shape for malformed requests**: uvicorn's own 400 is the plain text
  « Invalid HTTP request received. »; here it is 400 `demande_invalide` in JSON.

The two deadlines are settings (BAGOU_HEAD_TIMEOUT_S, BAGOU_BODY_TIMEOUT_S, read once a
process); the tests shorten them so as not to wait 30 s.

These answers are written by the protocol, outside the application (no security
headers middleware): they carry `X-Content-Type-Options: nosniff` and
`Cache-Control: no-store` themselves, and close the connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import lru_cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.errors import error_body
from bot.http.header_limit import MAX_HEADER_BYTES, MAX_URL_BYTES
from bot.settings import Settings
from bot.texts import text

BODY_MIN_RATE = 500  # bytes a second, after the body's grace
# The request line (method, URL, version) and every header line, with their line breaks.
MAX_HEAD_BYTES = MAX_URL_BYTES + MAX_HEADER_BYTES + 1024

REASONS = {400: b"Bad Request", 408: b"Request Timeout", 414: b"URI Too Long",
           431: b"Request Header Fields Too Large"}

log = logging.getLogger("uvicorn.error")


@lru_cache(maxsize=1)
def deadlines() -> tuple[float, float]:
    """(head, body grace) in seconds, from the settings of this process."""
    settings = Settings()
    return settings.head_timeout_s, settings.body_timeout_s


@lru_cache
def _answer_bytes(status: int, code: str) -> bytes:
    body = json.dumps(error_body(code, text(code)), ensure_ascii=False).encode()
    return b"".join([
        b"HTTP/1.1 %d %s\r\n" % (status, REASONS[status]),
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"x-content-type-options: nosniff\r\n",
        b"cache-control: no-store\r\n",
        b"connection: close\r\n\r\n",
        body,
    ])


class GatewayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the deadlines and the head cap above."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True  # the next bytes belong to a request's head
        self._head_bytes = 0
        self._in_request_line = True
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_started = 0.0
        self._body_bytes = 0

    # --- the head ---------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # refused already
        if self._reading_head:
            if self._head_timer is None:  # the first byte of a new request
                self._arm_head_timer()
            self._head_bytes += len(data)
        super().data_received(data)
        if (self._reading_head and self._head_bytes > MAX_HEAD_BYTES
                and not self.transport.is_closing()):
            if self._in_request_line:
                self._refuse(414, "adresse_trop_longue")
            else:
                self._refuse(431, "entetes_trop_grosses")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_request_line = True

    def on_header(self, name: bytes, value: bytes) -> None:
        self._in_request_line = False
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._cancel_head_timer()
        self._head_bytes = 0
        self._body_bytes = 0
        self._body_started = self.loop.time()
        self._arm_body_timer(deadlines()[1])
        super().on_headers_complete()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(deadlines()[0], self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._reading_head:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The next head came while this answer is being made: close after it.
            self.cycle.keep_alive = False
            return
        if self._head_bytes == 0:
            self.transport.close()  # nothing was asked
        else:
            self._refuse(408, "delai_depasse")

    # --- the body ---------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._cancel_body_timer()
        self._reading_head = True  # what comes next is the next request
        self._head_bytes = 0
        super().on_message_complete()

    def _arm_body_timer(self, delay: float) -> None:
        self._cancel_body_timer()
        self._body_timer = self.loop.call_later(delay, self._body_check)

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_check(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self._reading_head:
            return
        allowed = deadlines()[1] + self._body_bytes / BODY_MIN_RATE
        left = self._body_started + allowed - self.loop.time()
        if left > 0 or self.flow.read_paused:
            # On time, or the application has not read what came yet (uvicorn stops
            # reading then): not the client's delay.
            self._arm_body_timer(max(left, 1.0))
            return
        cycle = self.cycle
        if cycle is not None and cycle.response_started:
            self.transport.close()
            return
        if cycle is not None:  # the application's answer, if any, is not written
            cycle.disconnected = True
            cycle.message_event.set()
        self._refuse(408, "delai_depasse")

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    # --- answers written by the protocol ----------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request that httptools cannot parse."""
        self._refuse(400, "demande_invalide")

    def _refuse(self, status: int, code: str) -> None:
        log.info("Request refused before the application: %d %s", status, code)
        self._cancel_head_timer()
        self._cancel_body_timer()
        self._reading_head = False
        if not self.transport.is_closing():
            self.transport.write(_answer_bytes(status, code))
            self.transport.close()
