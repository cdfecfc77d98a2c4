"""Runs Rasa's graph of components in order, without dask's scheduler.

Rasa 3.6 runs its prediction graph through dask's synchronous scheduler for every
message it reads and every action it predicts: each run builds a dask graph, orders it
and schedules its tasks one by one, about a tenth of Rasa's CPU a turn on our small
graph (docs/performance.md). This runner orders the nodes of each set of targets once
and calls the same nodes in that order with the same inputs, as dask does: a need that
nothing provides is passed as its name (GraphNode logs it), an input named like a node
takes its place, a RuntimeError becomes Rasa's GraphRunError. Installed by
rasa_ext/patches.py: the processor then loads its model with this class.
"""

from graphlib import TopologicalSorter
from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

Step = Tuple[Text, GraphNode, Tuple[Text, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._orders: Dict[Tuple[Text, ...], Tuple[Step, ...]] = {}

    def _steps(self, targets: List[Text]) -> Tuple[Step, ...]:
        key = tuple(targets)
        steps = self._orders.get(key)
        if steps is None:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            graph = {name: [need for need in node.needs.values() if need in nodes]
                     for name, node in nodes.items()}
            steps = tuple((name, self._instantiated_nodes[name],
                           tuple(nodes[name].needs.values()))
                          for name in TopologicalSorter(graph).static_order())
            self._orders[key] = steps
        return steps

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        results: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that "
                    f"none of the input names passed to the `run` method are the same "
                    f"as node names in the graph schema.")
            results[name] = (name, value)
        try:
            for name, node, needs in self._steps(run_targets):
                if name not in results:
                    results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)


def install() -> None:
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
