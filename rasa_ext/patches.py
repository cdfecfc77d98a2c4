"""Bagou's patches of Rasa 3.6's core, installed by one explicit call.

Same behaviour, less CPU per message:
- RemoteAction._validate_action_result: the action server's answer is checked with a
  validator built once (action_validation.py), not a new one per answer;
- Event.resolve_by_type: the class of each event name is remembered (event_lookup.py);
- Domain.is_empty: answered once per domain, not at every message (domain_empty.py);
- the processor's deep copies for debug lines: skipped when those lines are dropped
  (debug_copies.py);
- the rule policy's states of a conversation: computed for its new events only
  (incremental_states.py);
- EndpointConfig.request: the calls to the action server on kept connections, not a new
  session and connection each (endpoint_sessions.py);
- the processor's graph runner: the components run in an order computed once, not
  scheduled by dask at each message and prediction (graph_runner.py).

Rasa 3.6 has no hook for such changes, so Bagou's channel (bagou_channel.BagouInput,
named in credentials.yml) calls `install()` when Rasa creates it, before the first
message; importing a module of rasa_ext changes nothing in Rasa.
"""

import logging

from rasa_ext import (action_validation, debug_copies, domain_empty, endpoint_sessions,
                      event_lookup, graph_runner, incremental_states)

logger = logging.getLogger(__name__)
_installed = False


def install() -> None:
    """Idempotent: patches Rasa once per process and says so in one log line."""
    global _installed
    if _installed:
        return
    action_validation.install()
    event_lookup.install()
    domain_empty.install()
    debug_copies.install()
    incremental_states.install()
    endpoint_sessions.install()
    graph_runner.install()
    _installed = True
    logger.info("Bagou's Rasa patches installed: RemoteAction._validate_action_result "
                "(one validator), Event.resolve_by_type (event classes by name), "
                "Domain.is_empty (once per domain), no deep copies for dropped debug "
                "lines, the conversation's states for its new events only, kept "
                "connections to the action server, the graph runner (components in order, "
                "without dask).")
