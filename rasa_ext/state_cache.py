"""The states of a conversation, computed once for the two rule look-ups of a message.

After each message Rasa 3.6's RulePolicy looks for a rule twice, with the message's text
and then with its intent, and each look-up computes the states of the whole
conversation from the same tracker (replaying it), then replaces the last user state's
text or intent: about a sixth of Rasa's CPU a turn for the three look-ups of a turn
(docs/performance.md). The last states computed are kept with the tracker, its number
of events and its last event (the objects themselves, so that no other tracker can
pass for it) and the arguments; a look-up on the same unchanged tracker with the same
arguments gets a copy of them. Copies to
the second level: the policy changes the last state's user part in place. Installed by
rasa_ext/patches.py.
"""

from typing import Any, List, Optional, Tuple

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer

_original = TrackerFeaturizer._create_states
_last: Optional[Tuple[Tuple[Tuple[Any, ...], Tuple[Any, ...]], List[dict]]] = None


def _copy(states: List[dict]) -> List[dict]:
    return [{part: dict(value) if isinstance(value, dict) else value
             for part, value in state.items()} for state in states]


def _create_states(tracker: Any, domain: Any, omit_unset_slots: bool = False,
                   ignore_rule_only_turns: bool = False,
                   rule_only_data: Optional[dict] = None) -> List[dict]:
    global _last
    events = tracker.events
    # The objects themselves, and the values (the policy makes its rule-only data anew
    # at each look-up).
    same = (tracker, events[-1] if events else None, domain)
    values = (len(events), omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    if (_last is not None and all(a is b for a, b in zip(_last[0][0], same))
            and _last[0][1] == values):
        return _copy(_last[1])
    states = _original(tracker, domain, omit_unset_slots=omit_unset_slots,
                       ignore_rule_only_turns=ignore_rule_only_turns,
                       rule_only_data=rule_only_data)
    _last = ((same, values), _copy(states))
    return states


def install() -> None:
    TrackerFeaturizer._create_states = staticmethod(_create_states)  # type: ignore[method-assign]
