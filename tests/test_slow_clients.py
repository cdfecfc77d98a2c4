"""Clients that send too slowly or too much, on real sockets, against a real gateway
process started as `bagou run` starts it (uvicorn with bot/http/server_protocol.py),
Rasa replaced by a small HTTP server on loopback that answers at once."""

import json
import os
import selectors
import socket
import statistics
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import psutil
import pytest

from bot.chat.rasa_client import WEBHOOK_PATH
from bot.ops.supervisor import NO_RATE_LIMITS, Stack, throwaway_settings
from bot.settings import PROJECT_ROOT
from bot.texts import text

ANSWER = [{"recipient_id": "x", "utter_action": "utter_faq/badge_definition",
           "text": "Un Open Badge est une image numérique."}]


class FakeRasa(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(ANSWER).encode() if self.path == WEBHOOK_PATH else b"[]"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


class Gateway:
    def __init__(self, url: str, process: subprocess.Popen, log):
        self.url, self.process, self.log = url, process, log
        self.host, self.port = "127.0.0.1", int(url.rsplit(":", 1)[1])

    def established(self) -> int:
        """Open client connections of the gateway process, on its port."""
        return sum(1 for c in psutil.Process(self.process.pid).net_connections("tcp")
                   if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == self.port)

    def chat(self, client: httpx.Client) -> float:
        started = time.monotonic()
        answer = client.post(self.url + "/api/chat", json={"text": "C'est quoi un badge ?"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["topic"] == "badge_definition"
        return time.monotonic() - started


# The gateway's deadlines for slow clients, shorter than the product's 10 s and 20 s
# (bot/http/server_protocol.py) so that the tests do not wait for them.
HEAD_TIMEOUT_S, BODY_TIMEOUT_S = 6.0, 8.0


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    work = tmp_path_factory.mktemp("slow-clients")
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    settings = throwaway_settings(work)
    command = Stack(settings).commands()["gateway"]
    env = dict(os.environ, **NO_RATE_LIMITS, BAGOU_PORT=str(settings.port),
               BAGOU_RASA_PORT=str(rasa.server_address[1]),
               BAGOU_ACTIONS_PORT=str(settings.actions_port),
               BAGOU_DATABASE_URL=settings.database_url, BAGOU_RASA_TOKEN="t",
               BAGOU_SECRET_KEY="test-secret-key", BAGOU_HEAD_TIMEOUT_S=str(HEAD_TIMEOUT_S),
               BAGOU_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S))
    log = work / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{settings.port}"
    try:
        for _ in range(600):  # start-up, schema creation
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(url + "/widget/bagou.js", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield Gateway(url, process, log)
    finally:
        process.terminate()
        process.wait(30)
        rasa.shutdown()


def read_answer(sock: socket.socket) -> tuple[int | None, dict, bytes]:
    """Status, JSON body (or {}) and raw bytes of what the server sent before closing."""
    raw = b""
    try:
        while chunk := sock.recv(65536):
            raw += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    if not raw:
        return None, {}, raw
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b"\r\n", 1)[0].split()[1])
    return status, (json.loads(body) if body.startswith(b"{") else {}), raw


def exchange(gateway: Gateway, request: bytes) -> tuple[int | None, dict, bytes]:
    with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before everything was sent
        return read_answer(sock)


def assert_refused(answer, status: int, code: str) -> None:
    got, body, raw = answer
    assert got == status, raw[:300]
    assert body["error"] == code and body["message"] == text(code)
    assert body["replies"] == [{"text": text(code), "buttons": []}]
    assert b"connection: close" in raw.lower()


class Tricklers:
    """Connections that each send `first`, then `then` one byte every `interval` s,
    until the server closes them; when and what each got is kept."""

    def __init__(self, gateway: Gateway, count: int, first: bytes, then: bytes,
                 interval: float = 0.5):
        self.first, self.then, self.interval = first, then, interval
        self.selector = selectors.DefaultSelector()
        self.sent = {}
        self.started = time.monotonic()
        for _ in range(count):
            sock = socket.create_connection((gateway.host, gateway.port), timeout=5)
            sock.sendall(first)
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, bytearray())
            self.sent[sock] = 0
        self.closed: list[tuple[float, bytes]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self, limit: float = 60) -> None:
        while self.sent and time.monotonic() - self.started < limit:
            for key, _ in self.selector.select(self.interval):
                sock, received = key.fileobj, key.data
                try:
                    chunk = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    received += chunk
                    continue
                self.closed.append((time.monotonic() - self.started, bytes(received)))
                self.selector.unregister(sock)
                del self.sent[sock]
                sock.close()
            for sock, done in list(self.sent.items()):  # one more byte each
                try:
                    sock.send(self.then[done % len(self.then):][:1])
                    self.sent[sock] = done + 1
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    pass

    def wait(self, timeout: float) -> None:
        self.thread.join(timeout)

    @property
    def open(self) -> int:
        return len(self.sent)


def parse(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


# --- slow clients -----------------------------------------------------------------------

def test_50_clients_trickling_their_headers_are_cut_and_the_chat_stays_fast(gateway):
    idle = gateway.established()
    slow = Tricklers(gateway, 50, b"GET /widget/bagou.js HTTP/1.1\r\nHost: bagou\r\n",
                     b"X-Slow: a\r\n")
    silent = socket.create_connection((gateway.host, gateway.port), timeout=30)
    time.sleep(1)
    assert gateway.established() >= idle + 51  # all of them are held now
    # People chat meanwhile: each answer comes at once, the slow clients hold no worker.
    with httpx.Client(timeout=10) as client:
        times = [gateway.chat(client) for _ in range(30)]
    assert max(times) < 1.0, times
    assert slow.open == 50  # still trickling while the chat was answered

    slow.wait(HEAD_TIMEOUT_S + 10)
    assert slow.open == 0, f"{slow.open} slow clients still connected"
    for after, raw in slow.closed:  # cut at the deadline, with the FALC error
        assert HEAD_TIMEOUT_S - 1 <= after <= HEAD_TIMEOUT_S + 3, after
        status, body = parse(raw)
        assert (status, body["error"]) == (408, "delai_depasse")
        assert body["replies"] == [{"text": text("delai_depasse"), "buttons": []}]
    # A connection that never sent anything is closed too, without an answer.
    assert read_answer(silent) == (None, {}, b"")
    silent.close()
    time.sleep(0.5)
    assert gateway.established() <= idle
    with httpx.Client(timeout=10) as client:
        assert gateway.chat(client) < 1.0
    print(f"\nchat while 50 clients trickled: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms; slow clients cut after "
          f"{min(a for a, _ in slow.closed):.1f}–{max(a for a, _ in slow.closed):.1f} s")


def test_a_body_trickled_byte_by_byte_is_cut_and_a_slow_but_steady_one_is_not(gateway):
    head = (b"POST /api/chat HTTP/1.1\r\nHost: bagou\r\ncontent-type: application/json\r\n"
            b"content-length: 4000\r\n\r\n")
    slow = Tricklers(gateway, 10, head, b'{"text": "' + b"a" * 3000, interval=1.0)
    # A head sent in three parts over 1.5 s, and a body at 4 kB/s for 4 s: both answered.
    body = json.dumps({"text": "C'est quoi un badge ?"}).encode()
    with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:
        request = (b"POST /api/chat HTTP/1.1\r\nHost: bagou\r\nconnection: close\r\n"
                   b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body))
        for part in (request[:20], request[20:50], request[50:]):
            sock.sendall(part)
            time.sleep(0.5)
        sock.sendall(body)
        status, answer, _ = read_answer(sock)
    assert (status, answer["topic"]) == (200, "badge_definition")
    padded = json.dumps({"text": "C'est quoi un badge ?" + " " * 15_000}).encode()
    with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:
        sock.sendall(b"POST /api/chat HTTP/1.1\r\nHost: bagou\r\nconnection: close\r\n"
                     b"content-type: application/json\r\ncontent-length: %d\r\n\r\n"
                     % len(padded))
        for i in range(0, len(padded), 1000):
            sock.sendall(padded[i:i + 1000])
            time.sleep(0.25)
        status, answer, _ = read_answer(sock)
    assert (status, answer["topic"]) == (200, "badge_definition")

    slow.wait(BODY_TIMEOUT_S + 15)
    assert slow.open == 0, f"{slow.open} slow bodies still connected"
    for after, raw in slow.closed:
        assert BODY_TIMEOUT_S - 1 <= after <= BODY_TIMEOUT_S + 4, after
        status, answer = parse(raw)
        assert (status, answer["error"]) == (408, "delai_depasse")
    log = gateway.log.read_text(errors="replace")
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]


# --- heads too long -----------------------------------------------------------------------

def test_a_url_over_8_kb_gets_414_in_the_error_shape(gateway):
    get = "GET /widget/bagou.js?{} HTTP/1.1\r\nHost: bagou\r\nConnection: close\r\n\r\n"
    assert_refused(exchange(gateway, get.format("q=" + "a" * 9000).encode()),
                   414, "adresse_trop_longue")
    assert exchange(gateway, get.format("q=" + "a" * 4000).encode())[0] == 200
    # A request line that never ends is cut after about 40 kB, not buffered for ever.
    with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:
        sock.sendall(b"GET /" + b"a" * 60_000)
        assert_refused(read_answer(sock), 414, "adresse_trop_longue")


def test_a_header_that_never_ends_is_cut_early_with_431(gateway):
    # 100 kB of one header, still unfinished: answered at once, not buffered until it ends.
    with socket.create_connection((gateway.host, gateway.port), timeout=5) as sock:
        sock.sendall(b"GET /widget/bagou.js HTTP/1.1\r\nHost: bagou\r\nX-Big: " + b"a" * 100_000)
        assert_refused(read_answer(sock), 431, "entetes_trop_grosses")
    # Within the limits (a 20 kB cookie, 90 header lines) it is served.
    lines = "".join(f"X-Line-{i}: 1\r\n" for i in range(90))
    request = ("GET /widget/bagou.js HTTP/1.1\r\nHost: bagou\r\nConnection: close\r\n"
               f"Cookie: c={'x' * 20_000}\r\n{lines}\r\n")
    assert exchange(gateway, request.encode())[0] == 200


def test_a_malformed_request_gets_400_in_the_error_shape(gateway):
    assert_refused(exchange(gateway, b"GET / HTTP/1.1\r\nHost bagou\r\n\r\n"),
                   400, "demande_invalide")
    assert_refused(exchange(gateway, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
                   400, "demande_invalide")
