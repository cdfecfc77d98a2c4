"""No deep copies for debug log lines that are not written.

Rasa 3.6's processor deep-copies the events of every action, the prediction's events,
the slots and the parse for its debug log lines (`copy.deepcopy(...)` as arguments of
`structlogger.debug`, evaluated even when debug lines are dropped): about 4 % of Rasa's
CPU a turn (docs/performance.md). Every `copy.deepcopy` of rasa/core/processor.py is
such an argument (Rasa 3.6.21), so the processor's `copy` module is replaced by one
whose deepcopy gives the value itself unless the processor's debug lines are written.
Installed by rasa_ext/patches.py.
"""

import copy
import logging
from typing import Any

import rasa.core.processor


class _CopiesForDebugLines:
    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if rasa.core.processor.logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value, memo)
        return value


def install() -> None:
    rasa.core.processor.copy = _CopiesForDebugLines()  # type: ignore[assignment]
