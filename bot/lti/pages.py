"""The HTML pages of the LTI tool: Bagou full page, and the FALC pages of refusals.

No inline script or style: the security headers (bot/http/security_headers.py, kind `lti`)
give the same strict Content-Security-Policy as the demo site, with `frame-ancestors`
that lets the registered platforms (Moodle) show the page in their frame.
"""

from pathlib import Path

from starlette.responses import HTMLResponse

from bot.templates import environment
from bot.texts import text

# The LTI pages escape as they always did, with html.escape (« &#x27; », which Moodle's
# administrators and the tests have seen), not markupsafe's « &#39; »: the same safety.
ENV = environment(Path(__file__).with_name("templates"), html_escape=True)
ENV.globals["text"] = text
ENV.filters["lines"] = lambda message: [line for line in message.splitlines() if line.strip()]


def _page(template: str, status: int, title: str, body: dict[str, str],
          **values) -> HTMLResponse:
    """`body`: the attributes of <body> (what the tests and the styles look for)."""
    html = ENV.get_template(template).render(title=title, body=body, **values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def refusal_page(code: str, status: int, new_window_url: str | None = None) -> HTMLResponse:
    return _page("message.html", status, text("lti_titre_refus"), {"data-error": code},
                 message=text(code), new_window_url=new_window_url, close=False)


def chat_page(session_id: str, course: str | None, new_window_url: str | None,
              cookies_blocked: bool, back_url: str | None = None) -> HTMLResponse:
    """Bagou opened on the whole page, in the session bound to the launched person;
    « Retour au cours » when Moodle gave its return address."""
    body = {"class": "lti-page", **({"data-cookies": "blocked"} if cookies_blocked else {})}
    hint = text("lti_cookies_bloques" if cookies_blocked else "lti_ouvrir_ailleurs")
    return _page("chat.html", 200, text("lti_titre_page"), body, session_id=session_id,
                 course=course, back_url=back_url, new_window_url=new_window_url, hint=hint)


def deep_link_choice_page(choice: str, starts) -> HTMLResponse:
    """The teacher chooses where the learners start (deep linking, bot/lti/deep_linking.py)."""
    return _page("choice.html", 200, text("lti_choix_titre"), {"data-page": "choix"},
                 choice=choice, starts=list(starts))


def deep_link_return_page(return_url: str, token: str) -> HTMLResponse:
    """The signed answer, posted to Moodle at once by /lti/lti.js (or by the button
    when scripts are off)."""
    return _page("return.html", 200, text("lti_choix_titre"), {"data-page": "retour"},
                 return_url=return_url, token=token)


def message_page(code: str, status: int = 200, close: bool = False) -> HTMLResponse:
    """A page that says one thing (dynamic registration); `close` adds the button that
    tells Moodle the registration window can close."""
    return _page("message.html", status, text("lti_titre_page"), {"data-message": code},
                 message=text(code), new_window_url=None, close=close)


# No inline script anywhere (Content-Security-Policy): the two behaviours of the LTI
# pages. The deep-linking answer is posted to Moodle as soon as the page loads; the
# registration page tells Moodle it is over (1EdTech Dynamic Registration, « close »).
LTI_JS = """\
"use strict";
(function () {
  var form = document.querySelector("form[data-auto]");
  if (form) form.submit();
  var close = document.querySelector("[data-lti-close]");
  if (close) close.addEventListener("click", function () {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  });
})();
"""


LTI_CSS = """\
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif;
       font-size: 1.125rem; line-height: 1.5; color: #1a1a1a; background: #ffffff; }
.lti-message { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
.lti-message h1 { font-size: 1.5rem; }
.lti-button { display: inline-block; padding: .75rem 1rem; min-height: 44px;
              background: #1d4e89; color: #ffffff; border-radius: .5rem; }
.lti-bar { position: fixed; top: 0; left: 0; right: 0; z-index: 2147483002;
           padding: 0 1rem; background: #f2f5f9; font-size: 1rem; }
.lti-bar p { margin: .25rem 0; }
.lti-bar:empty { display: none; }
.lti-course { font-weight: bold; }
.lti-back { float: right; }
fieldset { border: 0; padding: 0; }
legend { font-weight: bold; margin-bottom: .5rem; }
label { display: block; padding: .25rem 0; min-height: 44px; }
.lti-page bagou-chat { --bagou-top: 4.5rem; }
a { color: #1d4e89; }
a:focus-visible { outline: 3px solid #1d4e89; outline-offset: 2px; }
"""
