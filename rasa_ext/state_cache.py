"""The states of a conversation, computed once for the two rule look-ups of a message.

After each message Rasa 3.6's RulePolicy looks for a rule twice, with the message's text
and then with its intent, and each look-up computes the states of the whole
conversation from the same tracker (replaying it), then replaces the last user state's
text or intent: about a sixth of Rasa's CPU a turn for the three look-ups of a turn
(docs/performance.md). The last states computed are kept with the tracker, its number
of events and its last event (the objects themselves, so that no other tracker can
pass for it) and the arguments; a look-up on the same unchanged tracker with the same
arguments gets a copy of them (`copy_states`: the featurizer changes the user parts in
place). Installed by
rasa_ext/patches.py.
"""

import os
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.shared.core.constants import USER

_original = TrackerFeaturizer._create_states
# Set by the tests: each answer is also computed Rasa's way, and a difference stops the
# turn (here and in incremental_states.py).
CHECK_VAR = "BAGOU_CHECK_STATES"
_last: Optional[Tuple[Tuple[Tuple[Any, ...], Tuple[Any, ...]], List[dict]]] = None


def copy_states(states: List[dict]) -> List[dict]:
    """Copies for a caller that changes them: Rasa's featurizer deletes the text or the
    intent of the states' user part in place (TrackerFeaturizer._choose_last_user_input,
    _remove_user_text_if_intent); nothing changes the other parts (the previous action,
    the slots, the active loop), which are shared. A user part that several states share
    (Rasa gives a hidden turn the user part of the state before it) stays shared."""
    made: Dict[int, dict] = {}

    def user(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if id(value) not in made:
            made[id(value)] = dict(value)
        return made[id(value)]

    return [{part: user(value) if part == USER else value for part, value in state.items()}
            for state in states]


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
        states = copy_states(_last[1])
        if os.environ.get(CHECK_VAR) == "1":
            expected = _original(tracker, domain, omit_unset_slots=omit_unset_slots,
                                 ignore_rule_only_turns=ignore_rule_only_turns,
                                 rule_only_data=rule_only_data)
            if states != expected:
                raise AssertionError(f"kept states differ: {states} != {expected}")
        return states
    states = _original(tracker, domain, omit_unset_slots=omit_unset_slots,
                       ignore_rule_only_turns=ignore_rule_only_turns,
                       rule_only_data=rule_only_data)
    _last = ((same, values), copy_states(states))
    return states


def install() -> None:
    TrackerFeaturizer._create_states = staticmethod(_create_states)  # type: ignore[method-assign]
