"""Fetching a link that a person gave, without letting it reach inside our network.

A link to a badge is chosen by whoever writes in the chat, so the gateway must not become
a way to read its own neighbours (server-side request forgery). For every hop:

- only http and https, on a host name or a public IP address;
- the name is resolved here, and every address it resolves to must be public (not
  private, loopback, link-local, shared, multicast, reserved or unspecified), IPv4
  mapped in IPv6 included;
- the connection goes to the address that was checked, not to a second resolution of
  the name (DNS rebinding): the URL carries the IP, the Host header and the TLS server
  name (SNI, and so the certificate check) carry the name;
- redirects are followed by hand, at most MAX_REDIRECTS, each new hop checked again;
- a short timeout for each hop (`timeout`), at most twice that for the whole fetch,
  and never more than what is left of the whole check (`budget`: a check has one
  deadline, bot/verify/service.py); a size limit counted while the body streams in (a
  lying or missing Content-Length changes nothing, a body that drips in slowly is cut
  by the deadline);
- no proxy from the environment, no cookies, no keep-alive between hops.

`allow_loopback` (BAGOU_VERIFY_ALLOW_LOOPBACK, off by default) lets tests serve badges
on 127.0.0.1; private ranges stay refused even then.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

MAX_REDIRECTS = 3
ACCEPT = ("application/ld+json, application/json;q=0.9, image/png;q=0.8, "
          "image/svg+xml;q=0.8, text/html;q=0.5, */*;q=0.1")
USER_AGENT = "Bagou-badge-check/1.0 (+Open Badges verification)"


class FetchError(Exception):
    """A link that could not be read. `code` says why, for the answer."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass
class Fetched:
    url: str  # the last URL, after redirects
    status: int
    content_type: str
    body: bytes

    def json(self):
        import json
        return json.loads(self.body.decode("utf-8-sig"))


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 5.0
    max_bytes: int = 1_000_000
    allow_loopback: bool = False


def address_allowed(ip: str, allow_loopback: bool = False) -> bool:
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            address = mapped
    if address.is_loopback:
        return allow_loopback
    # is_global is False for private, link-local, shared (100.64/10), reserved,
    # documentation and unspecified ranges; multicast is refused on its own.
    return address.is_global and not address.is_multicast


async def _resolve(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError("lien_introuvable", host) from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def _checked_address(url: httpx.URL, policy: FetchPolicy) -> str:
    if url.scheme not in ("http", "https") or not url.host:
        raise FetchError("lien_invalide", str(url))
    if url.userinfo:
        raise FetchError("lien_invalide", "credentials in URL")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await _resolve(url.host, port)
    if not addresses:
        raise FetchError("lien_introuvable", url.host)
    # Every address must be allowed: a name that resolves to one public and one
    # private address could be made to connect to the private one.
    refused = [a for a in addresses if not address_allowed(a, policy.allow_loopback)]
    if refused:
        raise FetchError("lien_interdit", f"{url.host} -> {refused[0]}")
    return addresses[0]


async def _one_hop(url: httpx.URL, policy: FetchPolicy,
                   timeout: float) -> tuple[httpx.Response, bytes]:
    ip = await _checked_address(url, policy)
    pinned = url.copy_with(host=ip)
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    headers = {"Host": host_header, "Accept": ACCEPT, "User-Agent": USER_AGENT}
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as client:
        request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
        response = await client.send(request, stream=True)
        try:
            body = bytearray()
            if response.status_code < 300 or response.status_code >= 400:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > policy.max_bytes:
                    raise FetchError("lien_trop_gros", declared)
                # Decoded bytes are counted: a small gzip body cannot swell past the limit.
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > policy.max_bytes:
                        raise FetchError("lien_trop_gros", str(len(body)))
            return response, bytes(body)
        finally:
            await response.aclose()


async def fetch(url: str, policy: FetchPolicy, budget: float | None = None) -> Fetched:
    """GET a link under the rules above, within `budget` seconds when given (what is
    left of the whole check). Raises FetchError."""
    total = policy.timeout * 2 if budget is None else min(policy.timeout * 2, budget)
    if total <= 0:
        raise FetchError("lien_lent", url)
    try:
        return await asyncio.wait_for(_fetch(url, policy, min(policy.timeout, total)),
                                      timeout=total)
    except asyncio.TimeoutError as error:
        raise FetchError("lien_lent", url) from error


async def _fetch(url: str, policy: FetchPolicy, timeout: float) -> Fetched:
    try:
        current = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError) as error:
        raise FetchError("lien_invalide", url) from error
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response, body = await _one_hop(current, policy, timeout)
        except httpx.TimeoutException as error:
            raise FetchError("lien_lent", str(current)) from error
        except httpx.InvalidURL as error:
            raise FetchError("lien_invalide", str(current)) from error
        except (httpx.HTTPError, OSError, ValueError, UnicodeError) as error:
            # OSError: refused, reset; ValueError, UnicodeError: a name that no resolver
            # or socket takes (a NUL, a label of over 63 signs …).
            raise FetchError("lien_injoignable", f"{current}: {type(error).__name__}") from error
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("location")
            if not location:
                raise FetchError("lien_injoignable", "redirect without Location")
            try:
                current = current.join(location)
            except (httpx.InvalidURL, ValueError, UnicodeError) as error:
                raise FetchError("lien_invalide", location) from error
            continue
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(str(current), response.status_code, content_type, body)
    raise FetchError("lien_trop_de_redirections", url)
