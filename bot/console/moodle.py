"""Bagou in Moodle, for the administrators of Bagou (issue 21): a one-time registration
URL for a Moodle (dynamic registration, bot/lti/registrations.py), and the Moodle sites
that registered, to accept or refuse. No launch from a registered Moodle is accepted
before an administrator accepts it here.

| route | who | what |
|---|---|---|
| GET  /conseiller/moodle | admin | the registered Moodle sites, the button for a URL |
| POST /conseiller/moodle/lien | admin | a new one-time registration URL |
| POST /conseiller/moodle/decision | admin | accept (with its OBF organisations) or refuse a registration |

Accepting a Moodle sets the OBF organisations whose badges its learners may see
(bot/lti/organisations.py): those of OBF_CLIENT_ID, or the sandbox, ticked in the form
(`organisation_<n>` fields); accepting again changes them.
"""

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from bot.console.deps import BASE, Admin, CheckedForm, ConsoleDep, MessagePage
from bot.console.pages import ConsoleRoute, render
from bot.lti import registrations
from bot.lti.adapter import DbStorage
from bot.lti.organisations import choices
from bot.obf import ObfSettings
from bot.obf_sandbox.constants import SANDBOX_ORGANISATION
from bot.texts import all_texts

router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
DECISIONS = {"accepter": registrations.APPROVED, "refuser": registrations.REFUSED}


def lti_texts() -> dict[str, str]:
    """The page's own texts (texts/gateway.yml, `lti_console_*`: FALC-checked with the others)."""
    return {k.removeprefix("lti_console_"): v for k, v in all_texts().items()
            if k.startswith("lti_console_")}


def _page(who, c, request: Request, url: str | None = None, status: int = 200):
    rows = registrations.all_registrations(c.db)
    return render("moodle.html", status, user=who.user, csrf=who.csrf, m=lti_texts(),
                  registrations=rows, url=url, days=registrations.INVITATION_DAYS,
                  organisations=choices(c.settings.obf), sandbox=SANDBOX_ORGANISATION)


def ticked(form: dict[str, str], obf: ObfSettings) -> list[str]:
    """The organisations ticked in the form, among those Bagou reads (others ignored)."""
    known = choices(obf)
    values = {v for k, v in form.items() if k.startswith("organisation_")}
    return [name for name in known if name in values]


@router.get("/moodle")
async def moodle(request: Request, who: Admin, c: ConsoleDep):
    return await run_in_threadpool(_page, who, c, request)


@router.post("/moodle/lien")
async def new_link(request: Request, who: Admin, _form: CheckedForm, c: ConsoleDep):
    token = await run_in_threadpool(registrations.create_invitation, DbStorage(c.db),
                                    who.user.login)
    base = (c.settings.public_url or str(request.base_url)).rstrip("/")
    return await run_in_threadpool(_page, who, c, request, f"{base}/lti/inscription/{token}")


@router.post("/moodle/decision")
async def decision(request: Request, who: Admin, form: CheckedForm, c: ConsoleDep):
    status = DECISIONS.get(form.get("decision", ""))
    try:
        registration_id = int(form.get("id", ""))
    except ValueError:
        registration_id = 0
    if status is None or not await run_in_threadpool(
            registrations.decide, c.db, registration_id, status, who.user.login,
            ticked(form, c.settings.obf)):
        raise MessagePage(422, "formulaire_incomplet", who)
    return await run_in_threadpool(_page, who, c, request)
