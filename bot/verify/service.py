"""From what a person gave (a link, a pasted badge, an uploaded image) to a verdict.

One deadline for the whole check: whatever each server does (a slow chain of
documents, redirects, a body that drips in), a check ends within twice
BAGOU_VERIFY_TIMEOUT (`FetchPolicy.timeout`). Each fetch gets its own timeout and never
more than what is left; past the deadline the answer says the sites are too slow.

Nothing that a badge holds may end a check with an error of the gateway: what the
verifiers do not expect is logged and said « je ne peux pas vérifier ce badge »
(reason `erreur_verification`); the tests make sure that no input of theirs gets there.
"""

import asyncio
import logging
import re
import time
from typing import cast

import httpx

from bot.verify import ob2, ob3
from bot.verify.baked import BakedError, from_png, from_svg
from bot.privacy import normal_email
from bot.verify.common import Context, check_limits, jws_parts, parse_json
from bot.verify.fetch import FetchPolicy
from bot.verify.inputs import DOCUMENT, JWS, URL, Candidate, InputError, from_text, sniff
from bot.verify.result import NOT_A_BADGE, REVOKED, UNVERIFIABLE, Verdict, VerifyFailure

log = logging.getLogger(__name__)

# OBF's public assertion page; its JSON is the same address with .json.
OBF_ASSERTION_PAGE = re.compile(r"^(https?://[^/]+/v1/assertion/[A-Za-z0-9_-]+)(?:\.html)?/?(?:\?.*)?$")
# <link rel="alternate" type="application/ld+json" href="…"> in a badge's HTML page. The
# tags are cut out with str.find, then read with small patterns: one pattern over the
# whole page backtracks from every « <link » (over a minute on 100,000 signs).
LINK_TYPE_JSON = re.compile(r"\btype\s*=\s*[\"']application/(?:ld\+)?json[\"']", re.IGNORECASE)
HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
MAX_TAG = 2000
# Room left under the deadline for writing the answer and the turn.
ANSWER_MARGIN = 0.05


def check_budget(policy: FetchPolicy) -> float:
    """Seconds that a whole check may take: twice the timeout of one address."""
    return policy.timeout * 2


class Verifier:
    def __init__(self, policy: FetchPolicy):
        self.policy = policy

    async def verify(self, candidate: Candidate, email: str | None = None) -> Verdict:
        started = time.monotonic()
        budget = check_budget(self.policy) * (1 - ANSWER_MARGIN)
        ctx = Context(self.policy, email=normal_email(email) if email else None,
                      deadline=started + budget)
        try:
            verdict = await asyncio.wait_for(_dispatch(ctx, candidate, depth=0), budget)
        except VerifyFailure as failure:
            verdict = Verdict(status=failure.status, reason=failure.reason,
                              notes=[failure.detail])
        except InputError as error:
            verdict = Verdict(status=NOT_A_BADGE, reason=error.code)
        except asyncio.TimeoutError:
            verdict = Verdict(status=UNVERIFIABLE, reason="verification_trop_longue",
                              notes=[f"over {budget:.1f} s"])
        except Exception as error:  # noqa: BLE001 - no badge may become an error 500
            log.exception("badge check failed unexpectedly (%s)", type(error).__name__)
            verdict = Verdict(status=UNVERIFIABLE, reason="erreur_verification",
                              notes=[type(error).__name__])
        log.info("badge check: %s/%s (%s, %s fetches, %.2f s) %s", verdict.status,
                 verdict.reason, candidate.source, ctx.fetches, time.monotonic() - started,
                 "; ".join(verdict.notes))
        return verdict


async def _dispatch(ctx: Context, candidate: Candidate, depth: int) -> Verdict:
    if candidate.kind == URL:
        return await _from_url(ctx, str(candidate.value), depth)
    if candidate.kind == JWS:
        return await _from_jws(ctx, str(candidate.value))
    if candidate.kind == DOCUMENT:
        return await _from_document(ctx, candidate.value)
    # An input already refused (an image without a badge, an unknown format): its reason.
    raise VerifyFailure(NOT_A_BADGE, str(candidate.value or "format_inconnu"))


async def _from_document(ctx: Context, document, url: str | None = None) -> Verdict:
    if not isinstance(document, dict):
        raise VerifyFailure(NOT_A_BADGE, "pas_un_badge")
    check_limits(document, "document")
    if ob3.looks_like_ob3(document):
        return await ob3.verify_document(ctx, document, url)
    if ob2.looks_like_ob2(document):
        return await ob2.verify_document(ctx, document, url)
    raise VerifyFailure(NOT_A_BADGE, "pas_un_badge")


async def _from_jws(ctx: Context, token: str) -> Verdict:
    _header, payload = jws_parts(token)
    if isinstance(payload.get("vc"), dict) or ob3.looks_like_ob3(payload):
        return await ob3.verify_jwt(ctx, token)
    if ob2.looks_like_ob2(payload):
        return await ob2.verify_jws(ctx, token)
    raise VerifyFailure(NOT_A_BADGE, "pas_un_badge")


async def _from_url(ctx: Context, url: str, depth: int) -> Verdict:
    if depth > 1:
        raise VerifyFailure(UNVERIFIABLE, "trop_de_liens", url)
    page = OBF_ASSERTION_PAGE.match(url)
    if page and not url.split("?")[0].endswith(".json"):
        url = page.group(1) + ".json"
    found = await ctx.get(url)
    if found.status == 410:
        raise VerifyFailure(REVOKED, "retire_410", url)
    if found.status >= 400:
        raise VerifyFailure(UNVERIFIABLE, "lien_injoignable", f"HTTP {found.status}")
    kind = sniff(found.body)
    if kind == "png" or kind == "svg":
        try:
            inner = from_png(found.body) if kind == "png" else from_svg(found.body)
            candidate = from_text(inner, kind)
        except (BakedError, InputError) as error:
            raise VerifyFailure(NOT_A_BADGE, error.code) from error
        return await _dispatch(ctx, candidate, depth + 1)
    if kind == "json":
        try:
            document = parse_json(found.body, url)
        except VerifyFailure as error:
            if error.reason == "document_trop_complexe":
                raise
            raise VerifyFailure(NOT_A_BADGE, "document_illisible", url) from error
        if ob2.says_revoked(document) and not ob3.looks_like_ob3(document) \
                and document.get("id") in (None, url, found.url):
            # A hosted assertion may answer only {"id", "revoked": true, "revocationReason"}.
            raise VerifyFailure(REVOKED, "retire", url)
        if ob2.looks_like_ob2(document) and not ob3.looks_like_ob3(document):
            # The hosted original at the assertion's own id is the one that counts (the
            # link may be a copy, or reach it through redirects).
            return await ob2.verify_document(ctx, document)
        return await _from_document(ctx, document, url)
    text = found.body[:100_000].decode("utf-8", "replace").strip()
    if text.count(".") == 2 and " " not in text:
        try:
            return await _from_jws(ctx, cast(str, from_text(text).value))  # a JWS
        except InputError:
            pass
    if "html" in found.content_type or text.lower().startswith(("<!doctype", "<html")):
        for href in json_links(text):
            try:
                target = str(httpx.URL(found.url).join(href))
            except (httpx.InvalidURL, ValueError, UnicodeError):
                continue
            return await _from_url(ctx, target, depth + 1)
        raise VerifyFailure(NOT_A_BADGE, "page_sans_badge", url)
    raise VerifyFailure(NOT_A_BADGE, "pas_un_badge", found.content_type)


def json_links(html: str) -> list[str]:
    """The addresses of the JSON versions that an HTML page links to, in linear time."""
    found: list[str] = []
    lower, start = html.lower(), 0
    while len(found) < 3:
        start = lower.find("<link", start)
        if start < 0:
            break
        end = lower.find(">", start, start + MAX_TAG)
        tag = html[start:end if end >= 0 else start + 5]
        start = end if end >= 0 else start + 5
        if LINK_TYPE_JSON.search(tag):
            href = HREF.search(tag)
            if href:
                found.append(href.group(1))
    return found
