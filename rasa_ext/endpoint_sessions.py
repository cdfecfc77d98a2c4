"""Rasa's calls to the action server on kept connections.

Rasa 3.6's `EndpointConfig.request` opens a new aiohttp session for every call (a new
connection pool, a new TCP connection, closed after the answer): about a twentieth of
Rasa's CPU a turn went into making and closing them (docs/performance.md). Here each
endpoint keeps one session per event loop, with the same headers, authentication and
timeout as Rasa's, and the same request, answer and errors. A kept connection that the
server closed meanwhile (the action server restarted by `bagou run`) fails at once: the
call is sent once more, on a new connection (our actions only read and answer: running
one twice changes nothing). Installed by rasa_ext/patches.py.
"""

import asyncio
import os
import ssl
from typing import Any, Dict, Optional, Text, Tuple

import aiohttp
from aiohttp.client_exceptions import ContentTypeError
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

_sessions: Dict[Tuple[int, int], Tuple[EndpointConfig, aiohttp.ClientSession]] = {}


def _session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """This endpoint's session on the running loop (made by Rasa's own `session()`)."""
    key = (id(endpoint), id(asyncio.get_running_loop()))
    kept = _sessions.get(key)
    if kept is None or kept[0] is not endpoint or kept[1].closed:
        # The endpoint is kept with its session, so that its id is not reused.
        kept = _sessions[key] = (endpoint, endpoint.session())
    return kept[1]


async def request(self: EndpointConfig, method: Text = "post", subpath: Optional[Text] = None,
                  content_type: Optional[Text] = "application/json", compress: bool = False,
                  **kwargs: Any) -> Optional[Any]:
    """EndpointConfig.request of Rasa 3.6.21 on the endpoint's kept session."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, "
                f"'{os.path.abspath(self.cafile)}' does not exist.") from e
    params = self.combine_parameters(kwargs)
    for attempt in (1, 2):
        try:
            async with _session(self).request(method, url, headers=headers, params=params,
                                              compress=compress, ssl=sslcontext,
                                              **kwargs) as response:
                if response.status >= 400:
                    raise ClientResponseError(response.status, response.reason,
                                              await response.content.read())
                try:
                    return await response.json()
                except ContentTypeError:
                    return None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            if attempt == 2:
                raise
    return None  # not reached: the second attempt returns or raises


def install() -> None:
    EndpointConfig.request = request  # type: ignore[method-assign]
