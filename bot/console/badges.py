"""A learner's badges for an adviser: the look-up (consent, audit line) and the
learner's summary (bot/console/summary.py), printed, saved as PDF or sent by e-mail."""

import logging
import re
import smtplib
from typing import cast

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from bot.console import audit
from bot.console.deps import BASE, Adviser, CheckedForm, Console, ConsoleDep, SignedIn
from bot.console.learners import Lookup, look_up
from bot.console.pages import DATABASE_DOWN, RETRY_AFTER, ConsoleRoute, render
from bot.console.pseudonym import learner_ref
from bot.console.summary import (Smtp, clean_first_name, email_message, make_summary, send,
                                 structure_contact)
from bot.db.models import ConsoleUser, utcnow
from bot.privacy import normal_email

log = logging.getLogger(__name__)
router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
SUMMARY_EMAIL = audit.SUMMARY_EMAIL  # the audit action of a summary sent by e-mail
# The audit outcome of a look-up refused before any read (texts/console.yml key → outcome).
REFUSED = {"adresse_invalide": "refused_address", "accord_manquant": "refused_consent"}


def public_base(c: Console, request: Request) -> str:
    """The gateway's address as the person's browser sees it: BAGOU_PUBLIC_URL, else
    the address of this request (never an internal name: the links must open)."""
    return (c.settings.public_url or str(request.base_url)).rstrip("/")


def smtp_of(c: Console) -> Smtp | None:
    try:
        return Smtp.from_settings(c.settings.smtp_url, c.settings.smtp_from)
    except ValueError as error:
        log.warning("Console: e-mail is off: %s", error)
        return None


def page(c: Console, who: SignedIn, status: int = 200, *, message_key: str | None = None,
         email: str = "", first_name: str = "", result: Lookup | None = None,
         headers: dict | None = None, error: bool = True, base: str = ""):
    """The look-up page; `base` (public_base) is where the summary's QR codes lead."""
    summary = None
    if result is not None and not result.error:
        summary = make_summary(result, first_name, who.user.name, utcnow().date(),
                               structure_contact(c.settings), base)
    return render("badges.html", status, headers=headers, user=who.user, csrf=who.csrf,
                  message_key=message_key, error=error, email=email,
                  first_name=clean_first_name(first_name), result=result, summary=summary,
                  can_send=smtp_of(c) is not None)


def write_audit(c: Console, user_id: int, ref: str, consent: bool, outcome: str,
                count: int | None, action: str = audit.BADGES_LOOKUP) -> None:
    with c.db.begin() as s:
        audit.write(s, s.get(ConsoleUser, user_id), ref, consent, outcome, count, action)


@router.get("/badges")
async def badges_form(who: Adviser, c: ConsoleDep):
    return page(c, who)


async def read_badges(request: Request, c: Console, who: SignedIn, email: str,
                      action: str = audit.BADGES_LOOKUP) -> tuple[Lookup | None, str | None]:
    """(the look-up, None), or (None, the texts/console.yml key of why the badges are not shown).
    The audit line comes after the read (it says what came of it) and before the page:
    when it cannot be written, the badges are not shown."""
    async with c.directory(public_base(c, request)) as obf:
        result = await look_up(obf, email)
    try:
        await run_in_threadpool(write_audit, c, who.user.id, learner_ref(c.key, email), True,
                                result.outcome, None if result.error else len(result.badges),
                                action)
    except DATABASE_DOWN as error:
        log.warning("Console: audit line not written, badges not shown: %s",
                    type(error).__name__)
        return None, "journal_indisponible"
    return result, None


@router.post("/badges")
async def badges(request: Request, who: Adviser, form: CheckedForm, c: ConsoleDep):
    email = normal_email(form.get("email", ""))[:320]
    first_name = form.get("prenom", "")
    # A refused look-up writes its audit line too (the learner can ask about it); the
    # consent is checked here, on the server: the page's checkbox is not enough.
    refused = ("adresse_invalide" if not EMAIL.match(email) else
               "accord_manquant" if form.get("accord") != "oui" else None)
    if refused:
        await run_in_threadpool(write_audit, c, who.user.id, learner_ref(c.key, email),
                                refused != "accord_manquant", REFUSED[refused], None)
        return page(c, who, 422, message_key=refused, email=email, first_name=first_name)
    found, refusal = await read_badges(request, c, who, email)
    if refusal:
        return page(c, who, 503, headers=RETRY_AFTER, message_key=refusal, email=email,
                    first_name=first_name)
    result = cast(Lookup, found)  # no refusal: a look-up
    return page(c, who, 503 if result.error else 200, email=email, first_name=first_name,
                message_key="badges_indisponibles" if result.error else None, result=result,
                base=public_base(c, request))


@router.post("/badges/envoyer")
async def send_summary(request: Request, who: Adviser, form: CheckedForm, c: ConsoleDep):
    """The summary by e-mail, to the address whose badges it shows (never another one),
    when the learner agrees. The badges are read again (a new audit line); the message
    is built, sent and forgotten."""
    email = normal_email(form.get("email", ""))[:320]
    first_name = form.get("prenom", "")
    smtp = smtp_of(c)
    if not EMAIL.match(email):
        return page(c, who, 422, message_key="adresse_invalide", email=email,
                    first_name=first_name)
    if smtp is None:
        return page(c, who, 409, message_key="envoi_impossible", email=email,
                    first_name=first_name)
    if form.get("accord_envoi") != "oui":
        return page(c, who, 422, message_key="envoi_accord_manquant", email=email,
                    first_name=first_name)
    found, refusal = await read_badges(request, c, who, email, SUMMARY_EMAIL)
    result = cast(Lookup, found)  # read only when there is no refusal
    if refusal or result.error:
        return page(c, who, 503, headers=RETRY_AFTER, email=email, first_name=first_name,
                    message_key=refusal or "badges_indisponibles")
    summary = make_summary(result, first_name, who.user.name, utcnow().date(),
                           structure_contact(c.settings), public_base(c, request))
    try:
        await run_in_threadpool(send, smtp, email_message(summary, email, smtp.sender))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Console: summary not sent: %s", type(error).__name__)
        return page(c, who, 503, headers=RETRY_AFTER, message_key="envoi_echec", email=email,
                    first_name=first_name, result=result, base=public_base(c, request))
    return page(c, who, message_key="envoi_fait", error=False, email=email,
                first_name=first_name, result=result, base=public_base(c, request))
