"""The summary that the learner takes away from an interview: printed, saved as PDF by
the browser, or sent by e-mail when the learner agrees.

It is made from a look-up at the moment it is shown or sent, and kept nowhere: the
first name that the adviser types is only in the page (or the e-mail), never in the
database nor in a log line; the audit line of the look-up carries the pseudonym only.

- QR codes: segno (pure Python, no dependency), as inline SVG in the page and as PNG
  images of the e-mail (mail programs do not all show SVG).
- PDF: the browser's « Enregistrer au format PDF » of the print dialog gives the same A4
  page as the printer (console.css, @media print), so there is one layout to keep FALC,
  and the server needs no PDF renderer nor fonts (tests/test_console_browser.py makes
  the PDF with Chromium and checks that 4 badges fit on one A4 page).
- E-mail: BAGOU_SMTP_URL, smtp://[user:password@]host[:port] (STARTTLS whenever the
  server offers it) or smtps://… (TLS from the start); BAGOU_SMTP_FROM is the sender.
"""

import io
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import quote, unquote, urlsplit
from typing import cast

import segno
from markupsafe import Markup

from bot.api.check_page import PATH as CHECK_PAGE
from bot.console.learners import Lookup
from bot.console.pages import ENV, texts
from bot.obf.parcours import Suggestion
from bot.settings import Settings

log = logging.getLogger(__name__)
MAX_FIRST_NAME = 60
SMTP_TIMEOUT = 10


@dataclass(frozen=True)
class Contact:
    name: str = ""
    phone: str = ""
    email: str = ""
    url: str = ""

    def __bool__(self) -> bool:
        return any((self.name, self.phone, self.email, self.url))


def structure_contact(settings: Settings) -> Contact:
    """The structure's contact (BAGOU_CONTACT_*, the demo's while none is set), as the
    chat gives it."""
    found = settings.contact
    return Contact(found["contact_name"], found["contact_phone"], found["contact_email"],
                   found["contact_url"])


@dataclass
class Summary:
    first_name: str
    day: date
    adviser: str
    contact: Contact
    lookup: Lookup
    steps: list[str] = field(default_factory=list)  # texts/console.yml keys, each once
    # The gateway's public address: a badge's QR code and link lead to its check page
    # there (bot/api/check_page.py), a page a person reads, not the badge's JSON.
    check_base: str = ""

    def page_of(self, link: str) -> str:
        """Where a badge's QR code and link lead: Bagou's check page of its link."""
        if not self.check_base:
            return link
        return f"{self.check_base.rstrip('/')}{CHECK_PAGE}?lien={quote(link, safe='')}"

    @property
    def badges(self):
        return self.lookup.badges

    @property
    def next_badges(self) -> list[Suggestion]:
        return self.lookup.next_badges


def clean_first_name(raw: str) -> str:
    return " ".join(raw.split())[:MAX_FIRST_NAME]


def next_steps(lookup: Lookup) -> list[str]:
    """What to do next, written once for all the badges (not repeated for each one)."""
    states = {view.state for view in lookup.badges}
    steps = []
    if "valide" in states:
        steps += ["resume_etape_partager", "resume_etape_enrichir", "resume_etape_endosser"]
    if "expire" in states:
        steps.append("resume_etape_renouveler")
    if "retire" in states:
        steps.append("resume_etape_retire")
    if any(next_badge.apply_url for next_badge in lookup.next_badges):
        steps.append("resume_etape_demander")
    return steps


def make_summary(lookup: Lookup, first_name: str, adviser: str, day: date,
                 contact: Contact, check_base: str = "") -> Summary:
    return Summary(clean_first_name(first_name), day, adviser, contact, lookup,
                   next_steps(lookup), check_base)


def qr_svg(url: str, title: str) -> Markup:
    """The link as an inline SVG QR code (error correction M: still read on a creased
    sheet), with its name for screen readers."""
    svg = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True,
                                               svgclass="qr", lineclass=None, title=title)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=5, border=2)
    return buffer.getvalue()


ENV.globals.update(qr_svg=qr_svg)


# --- e-mail -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_settings(cls, url: str, sender: str) -> "Smtp | None":
        """None when BAGOU_SMTP_URL is empty; ValueError when it is not an SMTP URL."""
        if not url.strip():
            return None
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("BAGOU_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        tls = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if tls else 25), tls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None,
                   sender.strip() or f"bagou@{parts.hostname}")


def email_message(summary: Summary, to: str, sender: str) -> EmailMessage:
    """A plain-text and HTML message; the QR codes are PNG images inside it."""
    t = texts()
    images = {}  # url -> content id

    def cid(url: str) -> str:
        if url not in images:
            images[url] = make_msgid(domain="bagou")[1:-1]
        return images[url]

    values = dict(t=t, s=summary, cid=cid)
    message = EmailMessage()
    message["Subject"] = t["sujet_email"]
    message["From"] = sender
    message["To"] = to
    message.set_content(ENV.get_template("resume_email.txt").render(**values))
    message.add_alternative(ENV.get_template("resume_email.html").render(**values),
                            subtype="html")
    html_part = cast(list[EmailMessage], message.get_payload())[1]  # text, then HTML
    for url, content_id in images.items():
        html_part.add_related(qr_png(url), "image", "png", cid=f"<{content_id}>",
                              filename="code.png")
    return message


def send(smtp: Smtp, message: EmailMessage) -> None:
    """Sends the message, or raises OSError / smtplib.SMTPException. Nothing is kept."""
    context = ssl.create_default_context()
    if smtp.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT)
    with client:
        client.ehlo()
        if not smtp.tls and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(message)
