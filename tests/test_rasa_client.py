"""How the gateway sends a message over several Rasa instances (bot/chat/rasa_client.py),
against real local HTTP servers that stand for Rasa: one that answers, one whose port
refuses connections, one that closes the connection without answering, one that never
answers. A message that never reached an instance goes to another; one that may have
been handled is never sent twice."""

import asyncio
import json
import socket

import pytest

from bot.chat.rasa_client import TOKEN_HEADER, WEBHOOK_PATH, RasaClient, RasaUnavailable

REPLY = [{"text": "Bonjour !", "utter_action": "utter_bonjour"}]


def refused_url() -> str:
    """An address where nothing listens: the connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


class FakeRasa:
    """An HTTP/1.1 server on loopback that keeps connections open, records each request
    (path, token, body) and then answers, closes the connection, or stays silent."""

    def __init__(self, behaviour: str = "answer", reply: object = REPLY):
        self.behaviour = behaviour
        self.reply = reply
        self.requests: list[tuple[str, str, dict]] = []

    async def __aenter__(self) -> "FakeRasa":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_exc) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
                body = await reader.readexactly(length)
                token = {k.lower(): v for k, v in headers.items()}.get(TOKEN_HEADER.lower(), "")
                self.requests.append((lines[0].split()[1], token, json.loads(body or b"{}")))
                if self.behaviour == "close":
                    break
                if self.behaviour == "silent":
                    await asyncio.sleep(30)
                answer = json.dumps(self.reply).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def play(first: str, second: str = "answer", turns: int = 4):
    """`turns` messages through a client over two instances; the first behaves as
    `first` ("answer", "refuse", "close", "silent"). Returns the outcomes and the
    requests each instance received."""

    async def scenario():
        async with FakeRasa(first) as a, FakeRasa(second) as b:
            urls = [refused_url() if first == "refuse" else a.url, b.url]
            client = RasaClient(urls, "secret", timeout=0.5)
            outcomes = []
            for number in range(turns):
                try:
                    outcomes.append(await client.send("s", f"message {number}", {"k": 1}))
                except RasaUnavailable:
                    outcomes.append("unavailable")
            await client.aclose()
            return outcomes, a.requests, b.requests

    return asyncio.run(scenario())


def test_messages_take_turns_over_the_instances_on_kept_connections():
    outcomes, to_a, to_b = play("answer")
    assert outcomes == [REPLY] * 4
    assert [body["message"] for _, _, body in to_a] == ["message 0", "message 2"]
    assert [body["message"] for _, _, body in to_b] == ["message 1", "message 3"]
    path, token, body = to_a[0]
    assert (path, token) == (WEBHOOK_PATH, "secret")
    assert body == {"sender": "s", "message": "message 0", "metadata": {"k": 1}}


def test_a_message_that_never_reached_an_instance_goes_to_another():
    outcomes, _, to_b = play("refuse")
    assert outcomes == [REPLY] * 4  # nothing lost
    assert [body["message"] for _, _, body in to_b] == [f"message {n}" for n in range(4)]


@pytest.mark.parametrize("behaviour", ["close", "silent"])
def test_a_message_that_may_have_been_handled_is_never_sent_twice(behaviour):
    outcomes, to_a, to_b = play(behaviour)
    assert outcomes == ["unavailable", REPLY, "unavailable", REPLY]
    assert [body["message"] for _, _, body in to_a] == ["message 0", "message 2"]
    assert [body["message"] for _, _, body in to_b] == ["message 1", "message 3"]


def test_no_instance_reachable_is_unavailable():
    async def scenario():
        client = RasaClient([refused_url(), refused_url()], "t", timeout=0.5)
        try:
            with pytest.raises(RasaUnavailable, match="no Rasa instance can be reached"):
                await client.send("s", "Bonjour", {})
            assert await client.instances() == dict.fromkeys(client.base_urls, False)
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_an_answer_that_is_not_a_list_of_messages_is_unavailable():
    async def scenario():
        async with FakeRasa(reply={"text": "pas une liste"}) as rasa:
            client = RasaClient(rasa.url, "t", timeout=0.5)
            try:
                assert await client.instances() == {rasa.url: True}
                with pytest.raises(RasaUnavailable, match="other than a list"):
                    await client.send("s", "Bonjour", {})
            finally:
                await client.aclose()

    asyncio.run(scenario())
