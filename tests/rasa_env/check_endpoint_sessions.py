"""Run with Rasa's Python (tests/test_rasa_patches.py): Rasa's EndpointConfig.request
with our patch (rasa_ext/endpoint_sessions.py) against a small local server. Prints one
JSON line: the answers, the connections the server saw, and whether a call made after
the server was restarted (the kept connection closed under it) was answered."""

import asyncio
import json

from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from rasa_ext import endpoint_sessions


async def main() -> dict:
    endpoint_sessions.install()
    connections: set = set()

    async def webhook(request: web.Request) -> web.Response:
        connections.add(request.transport.get_extra_info("peername"))
        body = await request.json()
        if body.get("fail"):
            return web.json_response({"error": "no"}, status=400)
        return web.json_response({"echo": body, "token": request.headers.get("X-T")})

    async def serve(port: int = 0) -> tuple[web.AppRunner, int]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    runner, port = await serve()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-T": "secret"})
    answers = [await endpoint.request(json={"n": n}) for n in range(5)]
    try:
        await endpoint.request(json={"fail": True})
        refused = None
    except ClientResponseError as error:
        refused = error.status
    kept = len(connections)
    await runner.cleanup()  # the server restarts: the kept connection is closed under us
    runner, _ = await serve(port)
    after = await endpoint.request(json={"n": "after"})
    await runner.cleanup()
    return {"answers": answers, "refused": refused, "connections": kept, "after": after}


print(json.dumps(asyncio.run(main())))
