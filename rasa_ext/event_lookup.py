"""A faster lookup of Rasa's event classes by name, with the same answers.

Rasa 3.6 turns every stored event back into an object with `Event.resolve_by_type`,
which walks all the subclasses of `Event` (and asks `inspect.isabstract` of each) for
every event of every tracker it loads (its cost under load: docs/performance.md).
Event classes do not change once Rasa runs, so each name's class is remembered after
the first lookup; unknown names still go to Rasa's own method (its default and its
error). Installed by rasa_ext/patches.py, when Rasa creates our channel.
"""

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event

_original = Event.resolve_by_type
_known: Dict[Text, Type[Event]] = {}


def _resolve_by_type(type_name: Text,
                     default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _known.get(type_name)
    if found is None:
        found = _original(type_name, default)
        if found is not None and found is not default:
            _known[type_name] = found
    return found


def install() -> None:
    Event.resolve_by_type = staticmethod(_resolve_by_type)
