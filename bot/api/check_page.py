"""`GET /verifier?lien=…`: a badge checked by Bagou (bot/verify), as a page that a person
reads. The QR codes and links of the adviser console's summary point here: a phone that
scans the code opens a FALC page (valid or not, who gave it, when), not the badge's JSON.

The page says what the chat says for the same link (bot/verify/answer.py), without the
chat: nothing is stored, no conversation is started. The link is checked with the same
fetch rules as in the chat (https, no private address, a size and time limit); the
route is in the chat API's per-address budget (bot/http/rate_limit.py).
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.templates import environment
from bot.texts import text
from bot.verify.answer import replies_for
from bot.verify.inputs import URL, Candidate
from bot.verify.service import Verifier

PATH = "/verifier"
MAX_LINK = 2000
STYLE = "/conseiller/static/console.css"
# Escaped as html.escape writes it, as this page always was (bot/templates.py).
PAGES = environment(Path(__file__).with_name("templates"), html_escape=True)


def page(status: int, paragraphs: list[list[str]],
         links: list[tuple[str, str]] | None = None) -> HTMLResponse:
    """A page of FALC paragraphs (each a list of lines) and links (title, address):
    templates/check.html."""
    document = PAGES.get_template("check.html").render(
        title=text("verifier_page_titre"), style=STYLE, paragraphs=paragraphs,
        links=links or [])
    return HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store"})


def lines_of(key: str) -> list[str]:
    return [line for line in text(key).splitlines() if line.strip()]


def make_router(verifier: Verifier) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(PATH)
    async def check(lien: str = "") -> HTMLResponse:
        link = lien.strip()
        if not link:
            return page(200, [lines_of("verifier_page_sans_lien")])
        if len(link) > MAX_LINK or not link.startswith(("https://", "http://")):
            return page(422, [lines_of("verifier_page_lien_invalide")])
        verdict = await verifier.verify(Candidate(URL, link, "lien"), None)
        replies = replies_for(verdict)
        return page(200, [[line for line in reply.text.replace("**", "").splitlines()
                           if line.strip()] for reply in replies],
                    [(found.title, found.url) for reply in replies for found in reply.links])

    return router
