"""Whether the domain is empty, asked once per domain instead of at every message.

Rasa 3.6's processor asks `Domain.is_empty()` of its domain for every message it reads
(before checking the intent against the domain), and the answer compares the whole
domain's dictionary, every response included, with a new empty domain's: 3 % of Rasa's
CPU a turn (docs/performance.md). A loaded domain does not change, so the answer is
kept on the instance. Installed by rasa_ext/patches.py.
"""

from rasa.shared.core.domain import Domain

_original = Domain.is_empty
_ATTRIBUTE = "_bagou_is_empty"


def _is_empty(self: Domain) -> bool:
    known = self.__dict__.get(_ATTRIBUTE)
    if known is None:
        known = self.__dict__[_ATTRIBUTE] = _original(self)
    return known


def install() -> None:
    Domain.is_empty = _is_empty  # type: ignore[method-assign]
