"""The gateway's HTTP API beside the chat turn: its OpenAPI document and the route modules
that are not the chat itself.

- widget.py:  the widget's files and texts, a conversation's history, feedback, the demo site;
- verify.py:  POST /api/verify and /api/verify/upload (a badge check as a chat turn);
- openapi.py: the OpenAPI document, with the middlewares' 413 and 429.

The routes answer with the contract of bot/schemas.py and bot/errors.py. /api/chat and
/health are still written in bot/app.py.
"""
