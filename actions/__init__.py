"""Bagou's custom actions, served by rasa-sdk (`python -m rasa_sdk --actions actions`)."""

from bot import log_safety as _log_safety
from bot.obf import get_obf_settings as _get_obf_settings
from bot.settings import get_settings as _get_settings

# No secret and no e-mail address in any log line of the action server (rasa-sdk and
# Sanic log through the standard logging module).
_log_safety.install(_get_settings(), obf_settings=_get_obf_settings)
