"""The console at /conseiller for advisers (interview helper, a learner's badges) and
content editors (what people ask, where Bagou fails them). See README « Console »."""

from bot.console.routes import make_router

__all__ = ["make_router"]
