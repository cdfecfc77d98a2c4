"""HTTP to one OBF organisation: token, 403 retry, 429 back-off, error mapping.

Everything that can go wrong on the wire becomes an ObfError here; the caller
(bot/obf/client.py) only reads bodies.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx

from bot.obf import errors as e
from bot.obf.logs import log
from bot.obf.parsing import decode_json, decode_ldjson, obj
from bot.obf.settings import ObfOrganisation
from bot.obf.tokens import TokenStore

DEFAULT_TOKEN_LIFETIME = 300.0  # when OBF omits expires_in: short, to be safe


class ObfSession:
    def __init__(
        self,
        org: ObfOrganisation,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        tokens: TokenStore | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rate_limit_retries: int = 2,
        max_retry_after: float = 5.0,
    ):
        self.org = org
        self.timeout = timeout
        self._tokens = tokens or TokenStore.shared()
        self._token_key = (org.base_url.rstrip("/"), org.api_version, org.client_id)
        self._sleep = sleep
        self._retries = rate_limit_retries
        self._max_retry_after = max_retry_after
        # httpx joins a relative path to base_url's own path, so a prefix such as
        # http://127.0.0.1:8000/obf-sandbox is kept.
        self._http = httpx.AsyncClient(
            base_url=org.base_url.rstrip("/") + "/" + org.api_version,
            transport=transport, timeout=timeout, follow_redirects=True,
            headers={"Accept": "application/json", "User-Agent": "Bagou OBF client"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---------------------------------------------------------------- reading

    async def get_json(self, path: str, params: dict | None = None) -> Any:
        return decode_json((await self.request("GET", path, params=params)).content)

    async def get_ldjson(self, path: str, params: dict | None = None) -> list[dict]:
        return decode_ldjson((await self.request("GET", path, params=params)).content)

    # ------------------------------------------------------------ the request

    async def request(self, method: str, path: str, *, params: dict | None = None,
                      data: dict | None = None, json: Any = None,
                      auth: bool = True) -> httpx.Response:
        """A 2xx response, or an ObfError. `path` is below /v1 or /v2. `data` is sent
        form-encoded, `json` as a JSON body.

        Resending is safe only where OBF did not act: a 401/403 (refused before any
        work) and a 429 are tried again; a timeout or a dropped connection is not, since
        a POST may have been carried out (the issue caller checks before retrying)."""
        response: httpx.Response | None = None
        for attempt in (1, 2):
            headers = {}
            if auth:
                token = await self._tokens.get(self._token_key, self._new_token)
                headers["Authorization"] = f"Bearer {token}"
            response = await self._send_patiently(method, path, params, data, headers,
                                                  json=json)
            # OBF answers 403 to an expired token (401 is accepted too): one new
            # token, one more try, as OBF's own Moodle plugin and obc do.
            if auth and attempt == 1 and response.status_code in (401, 403):
                log.warning("OBF org %s refused the token on %s (HTTP %s): new token, "
                            "one retry", self.org.client_id, path, response.status_code)
                self._tokens.invalidate(self._token_key, token)
                continue
            break
        sent = cast(httpx.Response, response)  # the loop ran at least once
        self._raise_for_status(sent, path)
        return sent

    async def _new_token(self) -> tuple[str, float]:
        path = "/client/oauth2/token"
        # Form-encoded: what OBF documents and its Moodle plugin sends.
        form = {"grant_type": "client_credentials", "client_id": self.org.client_id,
                "client_secret": self.org.client_secret.get_secret_value()}
        # No 429 retry here: a second token request within 10 s would break OBF's
        # rule; the token store makes the next caller wait instead.
        response = await self._send_patiently("POST", path, None, form, {}, retries=0)
        if response.status_code in (400, 401, 403):
            raise e.ObfAuthError(f"OBF refused the client credentials (HTTP "
                                 f"{response.status_code})", client_id=self.org.client_id,
                                 status=response.status_code)
        self._raise_for_status(response, path)
        body = obj(decode_json(response.content), "the token answer")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            if body.get("error"):
                raise e.ObfAuthError("OBF refused the client credentials",
                                     client_id=self.org.client_id)
            raise e.ObfBadResponse("the token answer has no access_token",
                                   client_id=self.org.client_id)
        lifetime = body.get("expires_in")
        valid = isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool)
        seconds = cast(float, lifetime)  # a number when valid
        return token, float(seconds) if valid and seconds > 0 else DEFAULT_TOKEN_LIFETIME

    async def _send_patiently(self, method, path, params, data, headers,
                              retries: int | None = None, json: Any = None) -> httpx.Response:
        """Send; on 429 wait (Retry-After, capped) and try again, at most N times."""
        retries = self._retries if retries is None else retries
        attempt = 0
        while True:
            response = await self._send(method, path, params, data, headers, json)
            if response.status_code != 429:
                return response
            wait = self._retry_after(response, attempt)
            if attempt >= retries or wait > self._max_retry_after:
                # Waiting longer than a few seconds would leave the learner with a
                # silent chat: better say now that OBF is busy.
                raise e.ObfRateLimited(f"OBF is rate limiting {path} (HTTP 429)",
                                       retry_after=wait, client_id=self.org.client_id,
                                       status=429)
            attempt += 1
            log.warning("OBF org %s rate limited %s: waiting %.1f s (retry %d/%d)",
                        self.org.client_id, path, wait, attempt, retries)
            await self._sleep(wait)

    @staticmethod
    def _retry_after(response: httpx.Response, attempt: int) -> float:
        header = response.headers.get("Retry-After", "").strip()
        if header:
            try:
                return max(0.0, float(header))
            except ValueError:
                pass
            try:  # the other legal form: an HTTP date
                return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
            except (TypeError, ValueError, IndexError):
                pass
        return float(2 ** attempt)  # no (usable) header: 1 s, then 2 s

    async def _send(self, method, path, params, data, headers, json=None) -> httpx.Response:
        cid = self.org.client_id
        try:
            response = await self._http.request(
                method, path.lstrip("/"), params=params, data=data, json=json,
                headers=headers)
        except httpx.TimeoutException:
            raise e.ObfTimeout(f"no answer within {self.timeout:g} s on {path}",
                               client_id=cid) from None
        except (httpx.TooManyRedirects, httpx.DecodingError) as error:
            raise e.ObfBadResponse(f"unusable answer on {path} ({type(error).__name__})",
                                   client_id=cid) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            # Dropped cause (`from None`): it can hold the full URL, with the e-mail.
            raise e.ObfUnavailable(f"cannot reach OBF on {path} ({type(error).__name__}: "
                                   f"{str(error)[:200]})", client_id=cid) from None
        # The path only: the query string may carry the learner's e-mail.
        log.debug("OBF org %s %s %s -> HTTP %s", cid, method, path, response.status_code)
        return response

    def _raise_for_status(self, response: httpx.Response, path: str) -> None:
        status, cid = response.status_code, self.org.client_id
        if 200 <= status < 300:
            return
        kind = (e.ObfAuthError if status in (401, 403) else
                e.ObfNotFound if status == 404 else
                e.ObfRateLimited if status == 429 else
                e.ObfServerError if status >= 500 else e.ObfBadResponse)
        raise kind(f"HTTP {status} on {path}", client_id=cid, status=status)
