"""chessweb.fide.blossom is NetworkX's max_weight_matching step for step: the same matching on every graph.

Where several matchings are optimal, NetworkX's answer depends on the order it visits nodes, edges and
blossoms, and gacrux's pairings depend on that answer. So each case asserts the very same set as NetworkX 3.6,
and the same iteration order of that set (the pairs added in the same order), on random graphs full of ties.
"""
from __future__ import annotations

import random

import networkx
import pytest

from chessweb.fide.blossom import max_weight_matching
from chessweb.fide.matching import min_weight_matching


def random_graph(rng: random.Random, index: int) -> networkx.Graph:
    """Up to 60 nodes in any order (some isolated), densities 0..1, weights of four kinds by `index`: tiny
    (many ties), 700-bit (gacrux-sized), a few repeated 700-bit values, and small ones with negatives."""
    size = rng.randint(0, 60)
    nodes = rng.sample(range(1000), size)
    graph = networkx.Graph()
    if rng.random() < 0.5:
        graph.add_nodes_from(nodes)
    density = rng.random()
    pool = [rng.getrandbits(700) for _ in range(4)]
    kind = index % 4
    for a in range(size):
        for b in range(a + 1, size):
            if rng.random() >= density:
                continue
            weight = (rng.randint(0, 3) if kind == 0 else rng.getrandbits(700) if kind == 1
                      else rng.choice(pool) if kind == 2 else rng.randint(-5, 20))
            u, v = (nodes[a], nodes[b]) if rng.random() < 0.5 else (nodes[b], nodes[a])
            graph.add_edge(u, v, weight=weight)
    return graph


@pytest.mark.parametrize("seed", range(4))
def test_max_weight_matching_is_networkx_pair_for_pair(seed: int):
    rng = random.Random(seed)
    for index in range(150):
        graph = random_graph(rng, index)
        if index % 10 == 3 and len(graph):
            graph.add_edge(next(iter(graph)), next(iter(graph)), weight=3)  # a self-loop, which both ignore
        for maxcardinality in (True, False):
            ours = max_weight_matching(graph, maxcardinality=maxcardinality)
            theirs = networkx.max_weight_matching(graph, maxcardinality=maxcardinality)
            assert ours == theirs, (seed, index, maxcardinality)
            assert list(ours) == list(theirs), (seed, index, maxcardinality)


@pytest.mark.parametrize("seed", range(4))
def test_min_weight_matching_is_networkx_pair_for_pair(seed: int):
    """What gacrux calls: the maximum-cardinality matching of least weight, on the inverted-weight graph."""
    rng = random.Random(1000 + seed)
    for index in range(150):
        graph = random_graph(rng, index)
        ours, theirs = min_weight_matching(graph), networkx.min_weight_matching(graph)
        assert ours == theirs, (seed, index)
        assert list(ours) == list(theirs), (seed, index)


def test_unweighted_edges_weigh_one_and_floats_are_halved_as_networkx_does():
    rng = random.Random(7)
    for _ in range(100):
        graph = networkx.gnp_random_graph(rng.randint(1, 30), rng.random(), seed=rng.randrange(10**6))
        for u, v in graph.edges:
            if rng.random() < 0.5:
                graph[u][v]["weight"] = rng.choice([0.5, 1.25, 2.0, 3.75])
        for maxcardinality in (True, False):
            assert (list(max_weight_matching(graph, maxcardinality))
                    == list(networkx.max_weight_matching(graph, maxcardinality)))


def test_directed_and_multigraphs_are_refused_as_networkx_refuses_them():
    with pytest.raises(networkx.NetworkXNotImplemented):
        max_weight_matching(networkx.DiGraph([(1, 2)]))
    with pytest.raises(networkx.NetworkXNotImplemented):
        max_weight_matching(networkx.MultiGraph([(1, 2)]))
