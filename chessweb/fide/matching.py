"""Minimum-weight matching for gacrux's Dutch pairer: NetworkX's own algorithm, without its view objects.

gacrux pairs a hard score bracket with `networkx.min_weight_matching` (Galil's blossom algorithm, O(n³) in pure
Python). Its optimum is often not unique, and which optimal matching comes back depends on the exact order in
which the algorithm visits nodes and edges; so no other library can stand in without changing pairings. What
we change is only how the graph is read: see `PlainAdjacencyGraph`.
"""
from __future__ import annotations

import types
from typing import Any

import networkx


class PlainAdjacencyGraph(networkx.Graph):
    """A NetworkX graph whose `G[v]` is the adjacency dict itself rather than a read-only view of it.

    `networkx.max_weight_matching` reads an edge's weight as `G[v][w].get(weight)` millions of times on a big
    bracket; on a plain `Graph` every such read builds two view objects. The dicts, their order and so every
    step of the algorithm are the same; nothing here writes through `G[v]`.
    """

    def __getitem__(self, node: Any) -> dict[Any, dict[str, Any]]:
        return self._adj[node]


def min_weight_matching(graph: networkx.Graph, weight: str = "weight") -> set[tuple[Any, Any]]:
    """`networkx.min_weight_matching` (NetworkX 3.6) computed on a `PlainAdjacencyGraph`: the same matching.

    As NetworkX does: each weight w becomes (1 + the largest weight) - w, and the maximum-weight matching among
    the maximum-cardinality ones (`networkx.max_weight_matching`, Galil's blossom algorithm) is returned as a set
    of (u, v) pairs, oriented as NetworkX orients them.
    """
    if len(graph.edges) == 0:
        return networkx.max_weight_matching(graph, maxcardinality=True, weight=weight)
    edges = graph.edges(data=weight, default=1)
    top = 1 + max(w for _, _, w in edges)
    inverted = PlainAdjacencyGraph()
    inverted.add_weighted_edges_from(((u, v, top - w) for u, v, w in edges), weight=weight)
    return networkx.max_weight_matching(inverted, maxcardinality=True, weight=weight)


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
