"""The `bagou.obf` logger, which cannot print an e-mail address.

Learners are looked up by e-mail, so an address is always close to a log call.
Code logs `email_ref(email)` (a short hash: the same learner gives the same ref,
which is enough to follow a conversation in the logs). The filter below masks
any address that slips through anyway, in the message and in tracebacks.
Secrets and tokens are never passed to the logger at all.

httpx logs every request URL at INFO ("HTTP Request: GET …?email=jeanne%40…"),
URL-encoded so that an e-mail pattern does not even see it. The same filter is
therefore put on the `httpx` logger too, and it drops query strings.
"""

import hashlib
import logging
import re

from bot.privacy import mask_personal_data

log = logging.getLogger("bagou.obf")

QUERY_STRING = re.compile(r"(https?://[^\s?#\"']+)\?[^\s#\"']*")


def email_ref(email: str) -> str:
    return "learner:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:10]


def scrub(text: str) -> str:
    return mask_personal_data(QUERY_STRING.sub(r"\1?[…]", text))


class _Scrub(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so this is what gets printed.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


for _logger in (log, logging.getLogger("httpx")):
    if not any(isinstance(f, _Scrub) for f in _logger.filters):
        _logger.addFilter(_Scrub())
