"""The platforms Bagou knows, kept on `app.state.lti.registry`.

Two sources, merged into one pylti1p3 configuration:
- the JSON file of BAGOU_LTI_CONFIG (the manual way, docs/moodle.md § 3), read again
  when its modification time changes: no restart;
- the registrations made by Moodle itself (dynamic registration,
  bot/lti/registrations.py), kept in the `lti_registrations` table. Only approved ones
  are let in; pending ones are known, so that their launches get « waiting for approval »
  instead of « unknown Moodle ».

Each entry names the OBF organisations its learners may see (`organisations`,
bot/lti/organisations.py); one that names none is let in, without badge look-ups, and
said at warning level when the registrations are read.

`tool_config()` is called in a worker thread (it may read the file and the database);
`origins()` is called by the security headers on the event loop and only reads what the
last `tool_config()` found.
"""

import logging
import threading
from collections.abc import Callable

from bot.lti.adapter import LaunchRefused
from bot.lti.config import (LtiConfigError, ToolConfig, build_tool_config, platform_origins,
                            read_registrations)
from bot.lti.organisations import organisations_of
from bot.settings import Settings

log = logging.getLogger(__name__)

# What the database gives: a stamp that changes with any registration, the approved
# entries per issuer (pylti1p3's format) and the pending client ids per issuer.
DbSource = Callable[[], tuple[object, dict[str, list[dict]], dict[str, set[str]]]]


class LtiRegistry:
    def __init__(self, settings: Settings, database: DbSource | None = None):
        self._settings = settings
        self._database = database
        self._lock = threading.Lock()
        self._stamp: object = None
        self._conf: ToolConfig | None = None
        self._origins: list[str] | None = None

    def tool_config(self) -> ToolConfig:
        """The current configuration; LaunchRefused (« not linked to Moodle ») when there
        is no usable registration."""
        path = self._settings.lti_config
        mtime = None
        if path is not None:
            try:
                mtime = path.stat().st_mtime
            except OSError as error:
                log.error("LTI registrations unreadable: %s", error)
                raise LaunchRefused("lti_non_configure", 503, str(error)) from error
        db_stamp, db_entries, pending = self._database() if self._database else (None, {}, {})
        stamp = (mtime, db_stamp)
        with self._lock:
            if self._conf is not None and stamp == self._stamp:
                return self._conf
            try:
                data = read_registrations(path) if path is not None else {}
                for iss, entries in db_entries.items():
                    known = {str(e.get("client_id")) for e in data.get(iss, [])}
                    data.setdefault(iss, []).extend(
                        e for e in entries if str(e.get("client_id")) not in known)
                if not data and not pending and not db_stamp:  # (refused ones count)
                    raise LaunchRefused("lti_non_configure", 503,
                                        "BAGOU_LTI_CONFIG is not set and no Moodle is registered")
                conf = build_tool_config(data, path.parent if path else None,
                                         self._settings.lti_key_dir, pending)
            except LtiConfigError as error:
                log.error("%s", error)
                raise LaunchRefused("lti_non_configure", 503, str(error)) from error
            for iss, entries in data.items():
                for entry in entries:
                    if not organisations_of(entry):
                        log.warning("LTI registration of %s (client %s) names no OBF "
                                    "organisation: its learners get no badge look-up "
                                    "(docs/moodle.md)", iss, entry.get("client_id"))
            self._conf, self._stamp = conf, stamp
            self._origins = platform_origins(None, [*conf.issuers, *pending])
            return conf

    def origins(self) -> list[str]:
        """The web origins of the known platforms (`frame-ancestors` of the LTI pages)."""
        if self._origins is None:  # before the first login: the file alone, as it is
            return platform_origins(self._settings.lti_config)
        return self._origins
