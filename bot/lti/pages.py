"""The HTML pages of the LTI tool: Bagou full page, and the FALC pages of refusals.

No inline script or style: the security headers (bot/http/security_headers.py, kind `lti`)
give the same strict Content-Security-Policy as the demo site, with `frame-ancestors`
that lets the registered platforms (Moodle) show the page in their frame.
"""

from html import escape

from starlette.responses import HTMLResponse

from bot.texts import text


def _paragraphs(message: str) -> str:
    return "\n".join(f"<p>{escape(line)}</p>" for line in message.splitlines() if line.strip())


def _page(title: str, body: str, status: int, data: str = "") -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/lti/lti.css">
</head>
<body{data}>
{body}
</body>
</html>
"""
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def refusal_page(code: str, status: int, new_window_url: str | None = None) -> HTMLResponse:
    body = f"""<main class="lti-message">
<h1>{escape(text("lti_titre_refus"))}</h1>
{_paragraphs(text(code))}
"""
    if new_window_url:
        body += (f'<p><a class="lti-button" href="{escape(new_window_url)}" target="_blank" '
                 f'rel="noopener">{escape(text("lti_nouvelle_fenetre"))}</a></p>\n')
    body += "</main>"
    return _page(text("lti_titre_refus"), body, status, f' data-error="{escape(code)}"')


def chat_page(session_id: str, course: str | None, new_window_url: str | None,
              cookies_blocked: bool, back_url: str | None = None) -> HTMLResponse:
    """Bagou opened on the whole page, in the session bound to the launched person;
    « Retour au cours » when Moodle gave its return address."""
    notes = []
    if course:
        notes.append(f'<p class="lti-course">{escape(course)}</p>')
    if back_url:
        notes.append(f'<p class="lti-back"><a href="{escape(back_url)}" target="_top">'
                     f'{escape(text("lti_retour_cours"))}</a></p>')
    if new_window_url:
        hint = text("lti_cookies_bloques" if cookies_blocked else "lti_ouvrir_ailleurs")
        notes.append(f'<p class="lti-hint">{escape(" ".join(hint.splitlines()))} '
                     f'<a href="{escape(new_window_url)}" target="_blank" rel="noopener">'
                     f'{escape(text("lti_nouvelle_fenetre"))}</a></p>')
    body = f"""<header class="lti-bar">
{chr(10).join(notes)}
</header>
<bagou-chat session="{escape(session_id)}" layout="page"></bagou-chat>
<script src="/widget/bagou.js" defer></script>"""
    return _page(text("lti_titre_page"), body, 200,
                 ' class="lti-page"' + (' data-cookies="blocked"' if cookies_blocked else ""))


def deep_link_choice_page(choice: str, starts) -> HTMLResponse:
    """The teacher chooses where the learners start (deep linking, bot/lti/deep_linking.py)."""
    options = "\n".join(
        f'<p><label><input type="radio" name="depart" value="{escape(s.value)}"'
        f'{" checked" if i == 0 else ""}> {escape(s.label)}</label></p>'
        for i, s in enumerate(starts))
    body = f"""<main class="lti-message">
<h1>{escape(text("lti_choix_titre"))}</h1>
{_paragraphs(text("lti_choix_explication"))}
<form method="post" action="/lti/lien">
<input type="hidden" name="choix" value="{escape(choice)}">
<fieldset>
<legend>{escape(text("lti_choix_question"))}</legend>
{options}
</fieldset>
<p><button class="lti-button" type="submit">{escape(text("lti_choix_bouton"))}</button></p>
</form>
</main>"""
    return _page(text("lti_choix_titre"), body, 200, ' data-page="choix"')


def deep_link_return_page(return_url: str, token: str) -> HTMLResponse:
    """The signed answer, posted to Moodle at once by /lti/lti.js (or by the button
    when scripts are off)."""
    body = f"""<main class="lti-message">
{_paragraphs(text("lti_choix_envoi"))}
<form method="post" action="{escape(return_url)}" data-auto>
<input type="hidden" name="JWT" value="{escape(token)}">
<p><button class="lti-button" type="submit">{escape(text("lti_choix_retour"))}</button></p>
</form>
</main>
<script src="/lti/lti.js" defer></script>"""
    return _page(text("lti_choix_titre"), body, 200, ' data-page="retour"')


def message_page(code: str, status: int = 200, close: bool = False,
                 data: str = "") -> HTMLResponse:
    """A page that says one thing (dynamic registration); `close` adds the button that
    tells Moodle the registration window can close."""
    body = f"""<main class="lti-message">
<h1>{escape(text("lti_titre_page"))}</h1>
{_paragraphs(text(code))}
"""
    if close:
        body += (f'<p><button class="lti-button" type="button" data-lti-close>'
                 f'{escape(text("lti_inscription_fermer"))}</button></p>\n'
                 '<script src="/lti/lti.js" defer></script>\n')
    body += "</main>"
    return _page(text("lti_titre_page"), body, status, f' data-message="{escape(code)}"{data}')


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
