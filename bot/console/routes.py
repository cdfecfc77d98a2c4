"""The console's routes, under /conseiller, one module per page group:

| module | route | who | what |
|---|---|---|---|
| auth.py | GET  /conseiller | signed in | the tools of one's role |
| auth.py | GET, POST /conseiller/connexion | anybody | sign-in form (CSRF: double submit) |
| auth.py | POST /conseiller/deconnexion | signed in | sign-out |
| interview.py | GET  /conseiller/entretien | adviser, admin | the chat, wide, with quick buttons |
| interview.py | POST /conseiller/entretien/nouveau | adviser, admin | a new conversation |
| interview.py | GET  /conseiller/montrer | adviser, admin | the last answer in large print |
| badges.py | GET, POST /conseiller/badges | adviser, admin | a learner's badges (consent, audit) and the printable summary |
| dashboard.py | GET  /conseiller/tableau | editor, admin | dashboard |
| dashboard.py | GET  /conseiller/tableau/{list}.csv | editor, admin | its lists as CSV |
| badges.py | POST /conseiller/badges/envoyer | adviser, admin | the learner's summary by e-mail |
| journal.py | GET, POST /conseiller/journal | admin | the audit trail, filtered, and as CSV |
| comptes.py | GET /conseiller/comptes, POST …/nouveau, …/{id}/actif, …/{id}/mot-de-passe | admin | accounts |
| comptes.py | POST /conseiller/comptes/double-verification, …/{id}/double-verification | admin | require the second factor; remove it from an account |
| second_factor.py | GET, POST /conseiller/connexion/code | after the right password | the second factor's code (CSRF: double submit) |
| second_factor.py | GET /conseiller/double-verification, POST …/activer, …/confirmer, …/codes, …/arreter | signed in | one's own second factor |
| here | GET  /conseiller/{anything else} | anybody | the console's own FALC 404 page |
| here | GET  /conseiller/static/{name} | anybody | the pages' CSS and script |

Who may open a page and whether a form is checked are dependencies (deps.py); every
POST but the sign-in checks the session's CSRF token (synchronizer token) and, when the
browser sends one, the Origin header.
"""

from collections.abc import Callable

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.chat.identity import Identity
from bot.console import auth, badges, comptes, dashboard, interview, journal, second_factor
from bot.console.deps import BASE, Console, MessagePage, provider
from bot.console.learners import DirectoryFactory
from bot.console.pages import HERE, ConsoleRoute, render
from bot.settings import Settings

STATIC = {"console.css": "text/css; charset=utf-8",
          "console.js": "text/javascript; charset=utf-8"}
PAGE_GROUPS = (auth.router, interview.router, badges.router, dashboard.router, journal.router,
               comptes.router, second_factor.router)

static_router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)


@static_router.get("/static/{name}")
async def static(name: str):
    if name not in STATIC:  # the console's FALC page, not an empty body (issue 24)
        return render("message.html", 404, user=None, csrf=None,
                      message_key="page_introuvable", title_key="titre_console")
    body = await run_in_threadpool((HERE / "static" / name).read_bytes)
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})


@static_router.api_route("/{rest:path}", methods=["GET", "POST"])
async def not_found(rest: str):
    """Last: any other address under /conseiller gets a FALC page, not the API's JSON."""
    if rest == "":
        return RedirectResponse(BASE, status_code=307)
    raise MessagePage(404, "page_introuvable", title_key="titre_page_introuvable")


def make_router(db: sessionmaker, settings: Settings,
                start_session: Callable[[Identity], str],
                directory: DirectoryFactory) -> APIRouter:
    """The console of one app: the page groups' routers, with this app's services put
    on each request (deps.ConsoleDep). `start_session` is ChatService.start_session;
    `directory` makes the OBF directory of a look-up (learners.directory_factory)."""
    console = Console(db, settings, start_session, directory)
    router = APIRouter(include_in_schema=False, dependencies=[Depends(provider(console))])
    for group in PAGE_GROUPS:
        router.include_router(group)
    router.include_router(static_router)
    return router
