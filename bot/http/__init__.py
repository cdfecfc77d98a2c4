"""Pure ASGI middlewares, in Starlette's own style (their order is set in bot/app.py).

- security_headers.py: the headers of every answer, by route kind (API, widget, console, LTI);
- header_limit.py:     too many or too large headers are refused first (431);
- body_limit.py:       requests too big are refused before they are read (413);
- rate_limit.py:       per session and per client address, before any parsing (429).

Beside them, forms.py: the one reader of url-encoded forms (console, LTI, the sandbox's
token requests), Starlette's request.form() after a size limit.
"""
