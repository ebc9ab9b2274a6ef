"""Minimum-weight matching for gacrux's Dutch pairer: NetworkX's own algorithm, step for step, made faster.

gacrux pairs a hard score bracket with `networkx.min_weight_matching` (Galil's blossom algorithm, O(n³) in pure
Python). Its optimum is often not unique, and which optimal matching comes back depends on the exact order in
which the algorithm visits nodes and edges; so no other library can stand in without changing pairings. We run
NetworkX 3.6's own algorithm, vendored in `chessweb.fide.blossom` over node indexes and lists (same visit
order, same comparisons, same answer), on the very graph NetworkX would build.
"""
from __future__ import annotations

import types
from typing import Any

import networkx

from .blossom import adjacency_of_edges, blossom_mate, matching_set, max_weight_matching


def min_weight_matching(graph: networkx.Graph, weight: str = "weight") -> set[tuple[Any, Any]]:
    """`networkx.min_weight_matching(graph, weight)` of NetworkX 3.6: the same set of (u, v) pairs.

    As NetworkX does: each weight w (1 if missing) becomes (1 + the largest weight) - w on a new graph built from
    the edge list (nodes in order of first appearance, so isolated nodes drop out), and the maximum-weight
    matching among the maximum-cardinality ones (Galil's blossom algorithm, `chessweb.fide.blossom`) is
    returned, each pair oriented as NetworkX orients it. O(n³) time.
    """
    if len(graph.edges) == 0:
        return max_weight_matching(graph, maxcardinality=True, weight=weight)
    edges = list(graph.edges(data=weight, default=1))
    top = 1 + max(w for _, _, w in edges)
    nodes, adjacency = adjacency_of_edges([(u, v, top - w) for u, v, w in edges])
    return matching_set(nodes, blossom_mate(adjacency, maxcardinality=True))


class _NetworkxForGacrux(types.ModuleType):
    """What gacrux's Dutch pairer sees as `nx`: NetworkX, with `min_weight_matching` above."""

    min_weight_matching = staticmethod(min_weight_matching)

    def __getattr__(self, name: str) -> Any:
        return getattr(networkx, name)


def install_for_gacrux() -> None:
    """Point gacrux's Dutch pairer at our `min_weight_matching` (once; the same answers, sooner)."""
    import gacrux.pairingdutch

    if not isinstance(gacrux.pairingdutch.nx, _NetworkxForGacrux):
        gacrux.pairingdutch.nx = _NetworkxForGacrux("networkx")
