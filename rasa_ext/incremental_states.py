"""The states of a conversation, computed for its new events only.

At every prediction Rasa 3.6's rule policy asks for the states of the whole conversation
(`Domain.states_for_tracker_history`): it replays every event from the start on a fresh
tracker and computes the state before each action, although the states before the last
prediction's actions have not changed, and after a message it asks twice for the same
tracker, with the message's text and then with its intent (about a tenth of Rasa's CPU
a turn, docs/performance.md). Each state depends only on the events applied before it:
so the states computed for a conversation are kept with the replayed tracker and the
list of applied events they come from, and a later call whose applied events begin with
the very same event objects replays only the events that came after (none, for the
second look-up). Anything else (another domain or arguments, an event undone or
reverted, a restart, a loop that changes which events apply) is computed from the
start, as Rasa does.

The kept states are given as copies (`copy_states`). With BAGOU_CHECK_STATES=1 in its
environment, a Rasa process also computes each answer Rasa's way and stops the turn on
a difference: every Rasa that the tests start does (tests/conftest.py). Installed by
rasa_ext/patches.py.
"""

import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa.shared.core.constants import PREVIOUS_ACTION, USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted

_original = Domain.states_for_tracker_history
KEPT = 1024  # conversations, most recent first
# Read once, when the patch is installed (tests/conftest.py sets it for every Rasa).
_check = False


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


@dataclass
class _Replay:
    domain: Any
    arguments: tuple
    applied: List[Any]  # the applied events replayed so far, in order
    tracker: Any  # the replayed tracker, after them
    states: List[dict]  # the states before each action among them
    last_ml_action: Optional[dict]
    turn_was_hidden: bool


_kept: "OrderedDict[Text, _Replay]" = OrderedDict()


def _state_of(domain: Domain, tr: Any, hide_rule_turn: bool, replay: _Replay,
              omit_unset_slots: bool, ignore_rule_only_turns: bool,
              rule_only_data: Optional[Dict[Text, Any]], states: List[dict]) -> None:
    """One step of Rasa's loop in `states_for_tracker_history` (Rasa 3.6.21), the loop
    variables kept on `replay`; appends the state to `states` unless the turn is hidden."""
    if ignore_rule_only_turns:
        if not replay.turn_was_hidden:
            replay.last_ml_action = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if replay.last_ml_action:
            state[PREVIOUS_ACTION] = replay.last_ml_action
    states.append(domain._clean_state(state))


def _continues(replay: _Replay, domain: Domain, arguments: tuple, applied: List[Any]) -> bool:
    done = replay.applied
    return (replay.domain is domain and replay.arguments == arguments
            and len(applied) >= len(done)
            and all(a is b for a, b in zip(applied, done)))


def states_for_tracker_history(self: Domain, tracker: Any, omit_unset_slots: bool = False,
                               ignore_rule_only_turns: bool = False,
                               rule_only_data: Optional[Dict[Text, Any]] = None
                               ) -> List[dict]:
    arguments = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    applied = tracker.applied_events()
    replay = _kept.get(tracker.sender_id)
    if replay is None or not _continues(replay, self, arguments, applied):
        replay = _Replay(self, arguments, [], tracker.init_copy(), [], None, False)
    for event in applied[len(replay.applied):]:
        if isinstance(event, ActionExecuted):
            _state_of(self, replay.tracker, event.hide_rule_turn, replay, omit_unset_slots,
                      ignore_rule_only_turns, rule_only_data, replay.states)
        replay.tracker.update(event)
    replay.applied = list(applied)
    _kept[tracker.sender_id] = replay
    _kept.move_to_end(tracker.sender_id)
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    # The state after the last event: computed each time, from copies of the variables.
    states = copy_states(replay.states)
    last = _Replay(self, arguments, [], None, [], replay.last_ml_action, replay.turn_was_hidden)
    _state_of(self, replay.tracker, False, last, omit_unset_slots, ignore_rule_only_turns,
              rule_only_data, states)
    if _check:
        expected = _original(self, tracker, omit_unset_slots=omit_unset_slots,
                             ignore_rule_only_turns=ignore_rule_only_turns,
                             rule_only_data=rule_only_data)
        if states != expected:
            raise AssertionError(f"incremental states differ for {tracker.sender_id}: "
                                 f"{states} != {expected}")
    return states


def install() -> None:
    global _check
    _check = os.environ.get("BAGOU_CHECK_STATES") == "1"
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
