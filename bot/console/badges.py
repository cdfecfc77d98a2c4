"""A learner's badges for an adviser: the look-up (consent, audit line) and the
learner's summary."""

import logging
import re

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from bot.console import audit
from bot.console.deps import BASE, Adviser, CheckedForm, Console, ConsoleDep
from bot.console.learners import look_up
from bot.console.pages import DATABASE_DOWN, RETRY_AFTER, ConsoleRoute, render
from bot.console.pseudonym import learner_ref, normalise_email
from bot.db.models import ConsoleUser

log = logging.getLogger(__name__)
router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def public_base(c: Console, request: Request) -> str:
    """The gateway's address as the person's browser sees it: BAGOU_PUBLIC_URL, else
    the address of this request (never an internal name: the links must open)."""
    return (c.settings.public_base_url or str(request.base_url)).rstrip("/")


def write_audit(c: Console, user_id: int, ref: str, consent: bool, outcome: str,
                count: int | None) -> None:
    with c.db.begin() as s:
        audit.write(s, s.get(ConsoleUser, user_id), ref, consent, outcome, count)


@router.get("/badges")
async def badges_form(who: Adviser):
    return render("badges.html", user=who.user, csrf=who.csrf, message_key=None,
                  email="", result=None)


@router.post("/badges")
async def badges(request: Request, who: Adviser, form: CheckedForm, c: ConsoleDep):
    email = normalise_email(form.get("email", ""))[:320]

    def again(status: int, message: str):
        return render("badges.html", status, user=who.user, csrf=who.csrf,
                      message_key=message, email=email, result=None)
    if not EMAIL.match(email):
        return again(422, "adresse_invalide")
    # Consent is checked here, on the server: the page's checkbox is not enough.
    if form.get("accord") != "oui":
        return again(422, "accord_manquant")
    async with c.directory(public_base(c, request)) as obf:
        result = await look_up(obf, email)
    # The audit line comes after the read (it says what came of it) and before the
    # page: when it cannot be written, the badges are not shown.
    try:
        await run_in_threadpool(write_audit, c, who.user.id, learner_ref(c.key, email), True,
                                result.outcome, None if result.error else len(result.badges))
    except DATABASE_DOWN as error:
        log.warning("Console: audit line not written, badges not shown: %s",
                    type(error).__name__)
        return render("badges.html", 503, headers=RETRY_AFTER, user=who.user, csrf=who.csrf,
                      message_key="journal_indisponible", email=email, result=None)
    status = 503 if result.error else 200
    return render("badges.html", status, user=who.user, csrf=who.csrf,
                  message_key="badges_indisponibles" if result.error else None,
                  email=email, result=result)
