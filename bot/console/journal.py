"""The audit trail for admins: every look-up, refused or not, and every change of an
account, filtered by who, when, outcome or the learner (found by typing their address:
the trail keeps only the keyed pseudonym), and exported as CSV.

The filter form is a POST: a learner's address never goes into a URL (browser history,
access logs)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.console import insights
from bot.console.accounts import normalise_login
from bot.console.comptes import ACTIONS, account_ref
from bot.console.deps import BASE, Admin, CheckedForm, Console, ConsoleDep
from bot.console.pages import HEADERS, ConsoleRoute, render
from bot.console.pseudonym import learner_ref
from bot.db.models import ConsoleAudit, ConsoleUser
from bot.privacy import normal_email

router = APIRouter(prefix=BASE, include_in_schema=False, route_class=ConsoleRoute)
MAX_LINES = 500
# Outcomes by kind, for the filter (any other outcome is an OBF error kind).
SHOWN, REFUSED = ("ok", "partial"), ("refused_consent", "refused_address")
KINDS = ("tout", "montre", "refuse", "erreur")


@dataclass
class Filters:
    login: str = ""
    start: date | None = None
    end: date | None = None
    kind: str = "tout"
    email: str = ""

    @classmethod
    def from_form(cls, form: dict[str, str]) -> "Filters":
        return cls(login=normalise_login(form.get("qui", ""))[:100],
                   start=_day(form.get("du")), end=_day(form.get("au")),
                   kind=cast(str, form.get("resultat")) if form.get("resultat") in KINDS else "tout",
                   email=normal_email(form.get("adresse", ""))[:320])


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def lines(c: Console, filters: Filters) -> list[ConsoleAudit]:
    query = select(ConsoleAudit).order_by(ConsoleAudit.at.desc(), ConsoleAudit.id.desc())
    if filters.login:
        query = query.where(ConsoleAudit.user_login == filters.login)
    if filters.start:
        query = query.where(ConsoleAudit.at >= datetime.combine(filters.start, time()))
    if filters.end:
        query = query.where(ConsoleAudit.at < datetime.combine(filters.end + timedelta(days=1),
                                                               time()))
    if filters.kind == "montre":
        query = query.where(ConsoleAudit.outcome.in_(SHOWN))
    elif filters.kind == "refuse":
        query = query.where(ConsoleAudit.outcome.in_(REFUSED))
    elif filters.kind == "erreur":
        query = query.where(ConsoleAudit.outcome.not_in(SHOWN + REFUSED))
    if filters.email:
        query = query.where(ConsoleAudit.learner_ref == learner_ref(c.key, filters.email))
    with c.db() as s:
        return list(s.scalars(query.limit(MAX_LINES)))


def outcome_kind(outcome: str) -> str:
    return "montre" if outcome in SHOWN else "refuse" if outcome in REFUSED else "erreur"


def account_logins(c: Console) -> dict[str, str]:
    """The accounts' pseudonyms → their logins: a change of an account names it."""
    with c.db() as s:
        return {account_ref(c.key, login): login
                for login in s.scalars(select(ConsoleUser.login))}


def show(c: Console, who, filters: Filters, found: list[ConsoleAudit], status: int = 200):
    return render("journal.html", status, user=who.user, csrf=who.csrf, filters=filters,
                  lines=found, kinds=KINDS, kind_of=outcome_kind, max_lines=MAX_LINES,
                  account_actions=ACTIONS, logins=account_logins(c))


@router.get("/journal")
async def journal(who: Admin, c: ConsoleDep):
    filters = Filters()
    found = await run_in_threadpool(lines, c, filters)
    return await run_in_threadpool(show, c, who, filters, found)


@router.post("/journal")
async def journal_filtered(who: Admin, form: CheckedForm, c: ConsoleDep):
    filters = Filters.from_form(form)
    found = await run_in_threadpool(lines, c, filters)
    if form.get("format") != "csv":
        return await run_in_threadpool(show, c, who, filters, found)
    body = insights.to_csv(
        ["date", "compte", "role", "action", "personne", "accord", "resultat", "badges"],
        [[line.at.strftime("%Y-%m-%dT%H:%M:%S"), line.user_login, line.user_role, line.action,
          line.learner_ref, "oui" if line.consent else "non", line.outcome,
          "" if line.badge_count is None else line.badge_count] for line in found])
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        **HEADERS, "Content-Disposition": 'attachment; filename="bagou-journal.csv"'})
