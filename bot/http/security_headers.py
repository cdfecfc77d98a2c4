"""Security headers on every response of the gateway, chosen by the kind of route.

One place for the policies (docs/security.md explains each choice):

| kind | routes | Content-Security-Policy | framing |
|---|---|---|---|
| api | `/api/*`, `/health`, `/openapi.json`, `/obf-sandbox/*`, `/lti/jwks`, errors | `default-src 'none'; frame-ancestors 'none'` | nobody |
| site | the demo site `/`, `/ateliers`, the badge check page `/verifier` | strict: only its own files, nothing inline | nobody |
| console | `/conseiller*` | strict, badge pictures from https | nobody |
| lti | `/lti/*` pages (Bagou full page, `layout="page"`, refusals) | strict | the gateway, the Moodle hosts of BAGOU_LTI_CONFIG and the sites of BAGOU_ALLOWED_ORIGINS |
| asset | `/widget/*`, `/site/*`, `/lti/lti.css`, `/conseiller/static/*` | `default-src 'none'; frame-ancestors 'none'` | nobody (a script loaded by `<script src>` is not framed: host sites still load the widget) |
| docs | `/docs`, `/redoc` | FastAPI's pages need their CDN and one inline script | nobody |

Every response also gets `X-Content-Type-Options: nosniff`, a `Referrer-Policy`
(`same-origin` on HTML pages: the console's Origin check and the upload's need a real
Origin on same-origin POSTs, which browsers replace by `null` under `no-referrer`;
`no-referrer` elsewhere), a minimal `Permissions-Policy`, `X-Frame-Options: DENY` where
nobody may frame, `Cross-Origin-Opener-Policy: same-origin` on the top-level pages that
nobody frames, and `Strict-Transport-Security` when the request came over https.
The middleware sets these headers itself (replacing what a route set), so a route cannot
weaken them by mistake.
"""

import re
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages of the gateway load nothing but their own files: no inline script or style,
# so an injected <script> cannot run. Host sites that embed Bagou need the same list plus
# the gateway's address in script-src and connect-src (widget/README.md).
_PAGE = ["default-src 'self'", "script-src 'self'", "style-src 'self'",
         "img-src 'self' data:", "connect-src 'self'", "font-src 'self'",
         "object-src 'none'", "base-uri 'none'", "form-action 'self'"]
SITE_CSP = "; ".join([*_PAGE, "frame-ancestors 'none'"])
# Badge pictures on the console may come from OBF itself.
CONSOLE_CSP = "; ".join([p if not p.startswith("img-src") else "img-src 'self' data: https:"
                         for p in _PAGE] + ["frame-ancestors 'none'"])
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc as FastAPI serves them: files from jsDelivr, one inline script
# (the page's settings), ReDoc's fonts and its web worker.
DOCS_CSP = "; ".join([
    "default-src 'none'", "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
    "font-src https://fonts.gstatic.com", "img-src 'self' data: https:",
    "connect-src 'self'", "worker-src blob:", "base-uri 'none'", "form-action 'none'",
    "frame-ancestors 'none'",
])
# Nothing that Bagou uses; denied so that nothing injected can ask for it.
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000"


# An origin as CSP takes it; a value that could add a directive (spaces, « ; ») is left out.
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])"
                     r"(?::[0-9]{1,5})?")


def lti_csp(frame_ancestors: list[str]) -> str:
    allowed = ["'self'"]
    allowed += [o for o in frame_ancestors if _ORIGIN.fullmatch(o) and o not in allowed]
    # The registered platforms may also receive a form: the deep-linking answer is posted
    # to Moodle (bot/lti/deep_linking.py).
    page = [("form-action " + " ".join(allowed)) if d == "form-action 'self'" else d
            for d in _PAGE]
    return "; ".join([*page, "frame-ancestors " + " ".join(allowed)])


def route_kind(path: str) -> str:
    if path in ("/", "/ateliers", "/verifier"):
        return "site"
    if path.startswith(("/widget/", "/site/", "/conseiller/static/")) or path == "/lti/lti.css":
        return "asset"
    if path == "/conseiller" or path.startswith("/conseiller/"):
        return "console"
    if path.startswith("/lti/") and path != "/lti/jwks":
        return "lti"
    if path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        return "docs"
    return "api"


def headers_for(kind: str, frame_ancestors: list[str], https: bool) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Permissions-Policy": PERMISSIONS,
        "Referrer-Policy": "same-origin" if kind in ("site", "console", "lti") else "no-referrer",
        "Content-Security-Policy": {
            "site": SITE_CSP, "console": CONSOLE_CSP, "docs": DOCS_CSP,
            "lti": lti_csp(frame_ancestors),
        }.get(kind, API_CSP),
    }
    if kind != "lti":
        # frame-ancestors 'none' says it to current browsers; this, to old ones. The LTI
        # pages have a list of hosts, which X-Frame-Options cannot express.
        headers["X-Frame-Options"] = "DENY"
    if kind in ("site", "console", "docs"):
        # Top-level pages that nobody frames: no other window keeps a handle on them.
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


# An LTI route may add origins allowed to frame its answer: request.state.<this>.
FRAME_ANCESTORS_STATE = "frame_ancestors"


class SecurityHeadersMiddleware:
    """`frame_ancestors()` gives the origins that may frame the LTI pages (read at each
    LTI request, so that a new Moodle registration needs no restart)."""

    def __init__(self, app: ASGIApp, frame_ancestors: Callable[[], list[str]],
                 public_https: bool = False):
        self.app = app
        self.frame_ancestors = frame_ancestors
        self.public_https = public_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = route_kind(scope.get("path", ""))
        https = self.public_https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Read when the answer starts: what the route did counts (a Moodle just
                # registered; the registration page names, in request.state, the Moodle
                # that opens it in its frame, bot/lti/routes.py).
                ancestors = []
                if kind == "lti":
                    extra = (scope.get("state") or {}).get(FRAME_ANCESTORS_STATE) or []
                    ancestors = [*self.frame_ancestors(), *extra]
                chosen = headers_for(kind, ancestors, https)
                headers = MutableHeaders(scope=message)
                for name, value in chosen.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
