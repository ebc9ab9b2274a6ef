"""NetworkX 3.6's `max_weight_matching` (Galil's blossom algorithm), step for step, over node indexes.

Vendored from networkx/algorithms/matching.py (NetworkX 3.6.1) and rewritten for speed, not changed in what it
computes: every loop visits nodes, neighbours and blossoms in the order NetworkX visits them (nodes in graph
order, neighbours in adjacency order, blossoms in the order they were made), every comparison is the same
strict or non-strict one, and the matching comes back as the same set of (u, v) pairs, built in the same order
and oriented the same way. Where the optimum is not unique NetworkX's answer depends on that path, and Swiss
pairings depend on the answer, so the path is what must not change. What changed is only the representation:

- nodes are indexes 0..n-1 and non-trivial blossoms indexes n..2n-1 (a freed index is reused; the order of
  blossoms is kept in the `blossomdual` dict, as NetworkX's dict keeps it), held in lists instead of dicts
  keyed by node; "no label" is 0 and "no node" is -1 instead of None and a NoNode class;
- each node's neighbours are a list of (neighbour, 2 * weight, edge key) built once, and an edge's slack is
  computed inline from it instead of by a `slack()` call that reads `G[v][w].get(weight)`; least-slack edges
  are kept as (v, w, 2 * weight) triples; the allowed edges are one set of edge keys;
- NetworkX's self-checks (`assert`s, the symmetric-mate check and `verifyOptimum`) are left out: they raise on a
  bug and never change the answer. tests/fide/test_matching.py compares this function with NetworkX's on many
  random graphs, including gacrux-sized weights and many ties.

NetworkX is distributed with the 3-clause BSD license:

   Copyright (c) 2004-2025, NetworkX Developers
   Aric Hagberg <hagberg@lanl.gov>
   Dan Schult <dschult@colgate.edu>
   Pieter Swart <swart@lanl.gov>
   All rights reserved.

   Redistribution and use in source and binary forms, with or without
   modification, are permitted provided that the following conditions are
   met:

     * Redistributions of source code must retain the above copyright
       notice, this list of conditions and the following disclaimer.

     * Redistributions in binary form must reproduce the above
       copyright notice, this list of conditions and the following
       disclaimer in the documentation and/or other materials provided
       with the distribution.

     * Neither the name of the NetworkX Developers nor the names of its
       contributors may be used to endorse or promote products derived
       from this software without specific prior written permission.

   THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
   "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
   LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
   A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
   OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
   SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
   LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
   DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
   THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
   (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
   OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

The algorithm is taken from "Efficient Algorithms for Finding Maximum Matching in Graphs" by Zvi Galil, ACM
Computing Surveys, 1986; the comments below are NetworkX's where they explain the algorithm.
"""
# ruff: noqa: C901, PLR0912, PLR0915, SLF001
from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import networkx


def max_weight_matching(graph: networkx.Graph, maxcardinality: bool = False,
                        weight: str = "weight") -> set[tuple[Any, Any]]:
    """`networkx.max_weight_matching(graph, maxcardinality, weight)` of NetworkX 3.6: the same set of pairs.

    `graph` is an undirected simple NetworkX graph; an edge without `weight` weighs 1. Returns a set of (u, v)
    node pairs, one per matched edge, oriented as NetworkX orients them. Raises NetworkXNotImplemented for a
    directed graph or a multigraph, as NetworkX does. O(n³) time.
    """
    if graph.is_directed():
        raise networkx.NetworkXNotImplemented("not implemented for directed type")
    if graph.is_multigraph():
        raise networkx.NetworkXNotImplemented("not implemented for multigraph type")
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = [{index[w]: data.get(weight, 1) for w, data in graph._adj[v].items()} for v in nodes]
    return matching_set(nodes, blossom_mate(adjacency, maxcardinality))


def adjacency_of_edges(edges: Sequence[tuple[Hashable, Hashable, Any]]) -> tuple[list[Hashable],
                                                                                  list[dict[int, Any]]]:
    """The nodes and index adjacency (neighbour index -> weight, in insertion order) of the graph NetworkX's
    `Graph.add_weighted_edges_from(edges)` builds: nodes in order of first appearance, each node's neighbours
    in the order its edges came, a repeated edge keeping its first place and taking its last weight."""
    index: dict[Hashable, int] = {}
    nodes: list[Hashable] = []
    adjacency: list[dict[int, Any]] = []
    for u, v, w in edges:
        iu = index.get(u)
        if iu is None:
            iu = index[u] = len(nodes)
            nodes.append(u)
            adjacency.append({})
        iv = index.get(v)
        if iv is None:
            iv = index[v] = len(nodes)
            nodes.append(v)
            adjacency.append({})
        adjacency[iu][iv] = w
        adjacency[iv][iu] = w
    return nodes, adjacency


def matching_set(nodes: Sequence[Hashable], mate: list[tuple[int, int]]) -> set[tuple[Any, Any]]:
    """NetworkX's `matching_dict_to_set` on the mate dict whose items are `mate` (index pairs, in the dict's
    order): the same pairs, added to the set in the same order."""
    edges: set[tuple[Any, Any]] = set()
    for u, v in mate:
        edge = (nodes[u], nodes[v])
        if (edge[1], edge[0]) in edges or edge in edges:
            continue
        edges.add(edge)
    return edges


def blossom_mate(adjacency: Sequence[dict[int, Any]], maxcardinality: bool) -> list[tuple[int, int]]:
    """The body of NetworkX's `max_weight_matching` on nodes 0..n-1 with `adjacency[v]` = {w: weight} in
    NetworkX's adjacency order. Returns NetworkX's final `mate` dict as its items: (v, mate of v), in the
    order the vertices were first matched."""
    n = len(adjacency)
    if n == 0:
        return []

    # Find the maximum edge weight (over G.edges(data=True), in its order: the first of equal maxima wins).
    maxweight: Any = 0
    allinteger = True
    for i in range(n):
        for j, wt in adjacency[i].items():
            if j < i:
                continue
            if i != j and wt > maxweight:
                maxweight = wt
            allinteger = allinteger and type(wt) is int

    # neighbours[v]: (w, 2 * weight of vw, key of the undirected edge vw), self-loops left out.
    neighbours = [[(w, 2 * wt, v * n + w if v < w else w * n + v) for w, wt in adjacency[v].items() if w != v]
                  for v in range(n)]

    # If v is a matched vertex, mate[v] is its partner vertex, else -1; matched_order: the mate dict's order.
    mate = [-1] * n
    matched_order: list[int] = []
    size = 2 * n
    # label[b] of a top-level blossom: 0 free, 1 S-blossom, 2 T-blossom (5: breadcrumb in scanBlossom).
    label = [0] * size
    no_labels = [0] * size
    # labeledge[b] = (v, w): the edge through which b obtained its label, or None.
    labeledge: list[Any] = [None] * size
    nothing: list[Any] = [None] * size
    # inblossom[v]: the top-level blossom to which vertex v belongs.
    inblossom = list(range(n))
    # blossomparent[b]: immediate parent (sub-)blossom of b, or -1 for a top-level blossom.
    blossomparent = [-1] * size
    # blossombase[b]: b's base vertex.
    blossombase = list(range(n)) + [-1] * n
    # bestedge[b]: least-slack edge, a triple (v, w, 2 * weight), or None.
    bestedge: list[Any] = [None] * size
    # bestslack[b]: the slack of bestedge[b] (kept while the duals stay put; recomputed after each dual update).
    bestslack: list[Any] = [None] * size
    # dualvar[v] = 2 * u(v).
    dualvar = [maxweight] * n
    # blossomdual[b] = z(b) of a live non-trivial blossom; the dict's order is the order blossoms were made.
    blossomdual: dict[int, Any] = {}
    childs: list[Any] = [None] * size
    bedges: list[Any] = [None] * size
    mybestedges: list[Any] = [None] * size
    unused_blossoms = list(range(size - 1, n - 1, -1))
    # Keys of the edges known to have zero slack.
    allowed: set[int] = set()
    # Queue of newly discovered S-vertices.
    queue: list[int] = []

    def leaves(b: int) -> list[int]:
        """The leaf vertices of blossom b, in NetworkX's `Blossom.leaves()` order."""
        out = []
        stack = [*childs[b]]
        while stack:
            t = stack.pop()
            if t >= n:
                stack.extend(childs[t])
            else:
                out.append(t)
        return out

    def assign_label(w: int, t: int, v: int) -> None:
        """Assign label t to the top-level blossom containing vertex w, coming through an edge from v (-1: none)."""
        while True:
            b = inblossom[w]
            label[w] = label[b] = t
            edge = (v, w) if v != -1 else None
            labeledge[w] = labeledge[b] = edge
            bestedge[w] = bestedge[b] = None
            if t == 1:
                # b became an S-vertex/blossom; add it(s vertices) to the queue.
                if b >= n:
                    queue.extend(leaves(b))
                else:
                    queue.append(b)
                return
            # b became a T-vertex/blossom; assign label S to its mate.
            base = blossombase[b]
            w, t, v = mate[base], 1, base

    def scan_blossom(v: int, w: int) -> int:
        """Trace back from v and w: the base of a new blossom, or -1 for an augmenting path."""
        path = []
        base = -1
        while v != -1:
            b = inblossom[v]
            if label[b] & 4:
                base = blossombase[b]
                break
            path.append(b)
            label[b] = 5
            edge = labeledge[b]
            if edge is None:
                v = -1
            else:
                v = edge[0]
                b = inblossom[v]
                v = labeledge[b][0]
            if w != -1:
                v, w = w, v
        for b in path:
            label[b] = 1
        return base

    def add_blossom(base: int, v: int, w: int) -> None:
        """Construct a new S-blossom with the given base, through S-vertices v and w."""
        bb = inblossom[base]
        bv = inblossom[v]
        bw = inblossom[w]
        b = unused_blossoms.pop()
        blossombase[b] = base
        blossomparent[b] = -1
        blossomparent[bb] = b
        childs[b] = path = []
        bedges[b] = edgs = [(v, w)]
        while bv != bb:
            blossomparent[bv] = b
            path.append(bv)
            edgs.append(labeledge[bv])
            v = labeledge[bv][0]
            bv = inblossom[v]
        path.append(bb)
        path.reverse()
        edgs.reverse()
        while bw != bb:
            blossomparent[bw] = b
            path.append(bw)
            edge = labeledge[bw]
            edgs.append((edge[1], edge[0]))
            w = edge[0]
            bw = inblossom[w]
        label[b] = 1
        labeledge[b] = labeledge[bb]
        blossomdual[b] = 0
        # Relabel vertices.
        for v in leaves(b):
            if label[inblossom[v]] == 2:
                queue.append(v)
            inblossom[v] = b
        # Compute mybestedges[b].
        bestedgeto: dict[int, Any] = {}
        for bv in path:
            if bv >= n:
                if mybestedges[bv] is not None:
                    nblist = mybestedges[bv]
                    mybestedges[bv] = None
                else:
                    nblist = [(v, w, w2) for v in leaves(bv) for w, w2, _ in neighbours[v]]
            else:
                nblist = [(bv, w, w2) for w, w2, _ in neighbours[bv]]
            for k in nblist:
                i, j, w2 = k
                if inblossom[j] == b:
                    i, j = j, i
                bj = inblossom[j]
                if bj != b and label[bj] == 1:
                    kslack = dualvar[i] + dualvar[j] - w2
                    best = bestedgeto.get(bj)
                    if best is None or kslack < best[1]:
                        bestedgeto[bj] = (k, kslack)
            bestedge[bv] = None
        found = list(bestedgeto.values())
        mybestedges[b] = [k for k, _ in found]
        mybestedge = None
        mybestslack = 0
        for k, kslack in found:
            if mybestedge is None or kslack < mybestslack:
                mybestedge = k
                mybestslack = kslack
        bestedge[b] = mybestedge
        bestslack[b] = mybestslack

    def allow(p: int, q: int) -> None:
        allowed.add(p * n + q if p < q else q * n + p)

    def expand_blossom(b: int, endstage: bool) -> None:
        """Expand the given top-level blossom (NetworkX's trampoline over generators, kept)."""

        def _recurse(b: int, endstage: bool) -> Any:
            for s in childs[b]:
                blossomparent[s] = -1
                if s >= n:
                    if endstage and blossomdual[s] == 0:
                        yield s
                    else:
                        for v in leaves(s):
                            inblossom[v] = s
                else:
                    inblossom[s] = s
            # If we expand a T-blossom during a stage, its sub-blossoms must be relabeled.
            if (not endstage) and label[b] == 2:
                bchilds = childs[b]
                bedgs = bedges[b]
                entrychild = inblossom[labeledge[b][1]]
                j = bchilds.index(entrychild)
                if j & 1:
                    j -= len(bchilds)
                    jstep = 1
                else:
                    jstep = -1
                v, w = labeledge[b]
                while j != 0:
                    if jstep == 1:
                        p, q = bedgs[j]
                    else:
                        q, p = bedgs[j - 1]
                    label[w] = 0
                    label[q] = 0
                    assign_label(w, 2, v)
                    allow(p, q)
                    j += jstep
                    if jstep == 1:
                        v, w = bedgs[j]
                    else:
                        w, v = bedgs[j - 1]
                    allow(v, w)
                    j += jstep
                bw = bchilds[j]
                label[w] = label[bw] = 2
                labeledge[w] = labeledge[bw] = (v, w)
                bestedge[bw] = None
                j += jstep
                while bchilds[j] != entrychild:
                    bv = bchilds[j]
                    if label[bv] == 1:
                        j += jstep
                        continue
                    if bv >= n:
                        for v in leaves(bv):
                            if label[v]:
                                break
                    else:
                        v = bv
                    if label[v]:
                        label[v] = 0
                        label[mate[blossombase[bv]]] = 0
                        assign_label(v, 2, labeledge[v][0])
                    j += jstep
            # Remove the expanded blossom entirely.
            label[b] = 0
            labeledge[b] = None
            bestedge[b] = None
            blossomparent[b] = -1
            blossombase[b] = -1
            del blossomdual[b]
            childs[b] = bedges[b] = mybestedges[b] = None
            unused_blossoms.append(b)

        stack = [_recurse(b, endstage)]
        while stack:
            top = stack[-1]
            for s in top:
                stack.append(_recurse(s, endstage))
                break
            else:
                stack.pop()

    def set_mate(x: int, y: int) -> None:
        if mate[x] == -1:
            matched_order.append(x)
        mate[x] = y

    def augment_blossom(b: int, v: int) -> None:
        """Swap matched/unmatched edges over an alternating path through blossom b between v and the base."""

        def _recurse(b: int, v: int) -> Any:
            t = v
            while blossomparent[t] != b:
                t = blossomparent[t]
            if t >= n:
                yield (t, v)
            bchilds = childs[b]
            i = j = bchilds.index(t)
            if i & 1:
                j -= len(bchilds)
                jstep = 1
            else:
                jstep = -1
            while j != 0:
                j += jstep
                t = childs[b][j]
                if jstep == 1:
                    w, x = bedges[b][j]
                else:
                    x, w = bedges[b][j - 1]
                if t >= n:
                    yield (t, w)
                j += jstep
                t = childs[b][j]
                if t >= n:
                    yield (t, x)
                set_mate(w, x)
                set_mate(x, w)
            childs[b] = childs[b][i:] + childs[b][:i]
            bedges[b] = bedges[b][i:] + bedges[b][:i]
            blossombase[b] = blossombase[childs[b][0]]

        stack = [_recurse(b, v)]
        while stack:
            top = stack[-1]
            for args in top:
                stack.append(_recurse(*args))
                break
            else:
                stack.pop()

    def augment_matching(v: int, w: int) -> None:
        """Swap matched/unmatched edges over an augmenting path through S-vertices v and w."""
        for s, j in ((v, w), (w, v)):
            while True:
                bs = inblossom[s]
                if bs >= n:
                    augment_blossom(bs, s)
                set_mate(s, j)
                if labeledge[bs] is None:
                    break
                t = labeledge[bs][0]
                bt = inblossom[t]
                s, j = labeledge[bt]
                if bt >= n:
                    augment_blossom(bt, j)
                set_mate(j, s)

    vertices = range(n)
    # Main loop: continue until no further improvement is possible. Each iteration is a "stage".
    while True:
        label[:] = no_labels
        labeledge[:] = nothing
        bestedge[:] = nothing
        for b in blossomdual:
            mybestedges[b] = None
        allowed.clear()
        queue.clear()

        # Label single blossoms/vertices with S and put them in the queue.
        for v in vertices:
            if mate[v] == -1 and label[inblossom[v]] == 0:
                assign_label(v, 1, -1)

        augmented = False
        while True:
            # Each iteration is a "substage": label until an augmenting path is found or none is left.
            while queue and not augmented:
                v = queue.pop()
                dv = dualvar[v]
                for w, w2, key in neighbours[v]:
                    bv = inblossom[v]
                    bw = inblossom[w]
                    if bv == bw:
                        continue  # this edge is internal to a blossom
                    if key in allowed:
                        allowable = True
                    else:
                        kslack = dv + dualvar[w] - w2
                        allowable = kslack <= 0
                        if allowable:
                            allowed.add(key)
                    if allowable:
                        lbw = label[bw]
                        if lbw == 0:
                            # (C1) w is a free vertex; label w with T and its mate with S (R12).
                            assign_label(w, 2, v)
                        elif lbw == 1:
                            # (C2) w is an S-vertex (not in the same blossom).
                            base = scan_blossom(v, w)
                            if base != -1:
                                add_blossom(base, v, w)
                            else:
                                augment_matching(v, w)
                                augmented = True
                                break
                        elif label[w] == 0:
                            # w is inside a T-blossom but not yet reached from outside it.
                            label[w] = 2
                            labeledge[w] = (v, w)
                    elif label[bw] == 1:
                        # The least-slack non-allowable edge to a different S-blossom.
                        if bestedge[bv] is None or kslack < bestslack[bv]:
                            bestedge[bv] = (v, w, w2)
                            bestslack[bv] = kslack
                    elif label[w] == 0:
                        # The least-slack edge that reaches a free (or unreached) vertex w.
                        if bestedge[w] is None or kslack < bestslack[w]:
                            bestedge[w] = (v, w, w2)
                            bestslack[w] = kslack

            if augmented:
                break

            # No augmenting path under these constraints: compute delta and reduce slack (all doubled).
            deltatype = -1
            delta: Any = None
            deltaedge: Any = None
            deltablossom = -1

            # delta1: the minimum value of any vertex dual.
            if not maxcardinality:
                deltatype = 1
                delta = min(dualvar)

            # delta2: the minimum slack on any edge between an S-vertex and a free vertex.
            for v in vertices:
                best = bestedge[v]
                if best is not None and label[inblossom[v]] == 0:
                    d = bestslack[v]
                    if deltatype == -1 or d < delta:
                        delta = d
                        deltatype = 2
                        deltaedge = best

            # delta3: half the minimum slack on any edge between a pair of S-blossoms
            # (NetworkX walks its blossomparent dict: the vertices, then the blossoms in the order made).
            for group in (vertices, blossomdual):
                for b in group:
                    best = bestedge[b]
                    if best is not None and blossomparent[b] == -1 and label[b] == 1:
                        kslack = bestslack[b]
                        d = kslack // 2 if allinteger else kslack / 2.0
                        if deltatype == -1 or d < delta:
                            delta = d
                            deltatype = 3
                            deltaedge = best

            # delta4: minimum z variable of any T-blossom.
            for b, z in blossomdual.items():
                if blossomparent[b] == -1 and label[b] == 2 and (deltatype == -1 or z < delta):
                    delta = z
                    deltatype = 4
                    deltablossom = b

            if deltatype == -1:
                # No further improvement possible; max-cardinality optimum reached.
                deltatype = 1
                delta = max(0, min(dualvar))

            # Update dual variables according to delta.
            for v in vertices:
                lv = label[inblossom[v]]
                if lv == 1:
                    dualvar[v] -= delta
                elif lv == 2:
                    dualvar[v] += delta
            for b in blossomdual:
                if blossomparent[b] == -1:
                    if label[b] == 1:
                        blossomdual[b] += delta
                    elif label[b] == 2:
                        blossomdual[b] -= delta
            # The duals moved: so did the slacks of the least-slack edges.
            for b in range(size):
                best = bestedge[b]
                if best is not None:
                    bestslack[b] = dualvar[best[0]] + dualvar[best[1]] - best[2]

            # Take action at the point where minimum delta occurred.
            if deltatype == 1:
                break
            if deltatype == 2 or deltatype == 3:
                v, w = deltaedge[0], deltaedge[1]
                allow(v, w)
                queue.append(v)
            else:
                expand_blossom(deltablossom, False)

        if not augmented:
            break

        # End of a stage; expand all S-blossoms which have zero dual.
        for b in list(blossomdual):
            if b not in blossomdual:
                continue
            if blossomparent[b] == -1 and label[b] == 1 and blossomdual[b] == 0:
                expand_blossom(b, True)

    return [(v, mate[v]) for v in matched_order]
