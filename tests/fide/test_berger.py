"""Berger tables: the published FIDE tables, gacrux's own tables and pairer, and the round-robin properties."""
from __future__ import annotations

import itertools
import random

import pytest
from gacrux import berger as gacrux_berger
from gacrux.pairingberger import pairing_berger

from chessweb.fide.berger import berger_round, berger_schedule, berger_table_round, round_robin_rounds, table_size
from chessweb.fide.crosstable import Crosstable, Player, TournamentType
from chessweb.fide.pairing import PairingError
from chessweb.fide.simulation import NO_MISHAPS, play_round
from chessweb.fide.trf import write_trf

from .support import gacrux_tournament

# Written out from the FIDE Handbook, C.05 Annex 1 (Berger tables), one line per round, white first.
FIDE_TABLES = {
    4: """1-4 2-3
          4-3 1-2
          2-4 3-1""",
    6: """1-6 2-5 3-4
          6-4 5-3 1-2
          2-6 3-1 4-5
          6-5 1-4 2-3
          3-6 4-2 5-1""",
    8: """1-8 2-7 3-6 4-5
          8-5 6-4 7-3 1-2
          2-8 3-1 4-7 5-6
          8-6 7-5 1-4 2-3
          3-8 4-2 5-1 6-7
          8-7 1-6 2-5 3-4
          4-8 5-3 6-2 7-1""",
    10: """1-10 2-9 3-8 4-7 5-6
           10-6 7-5 8-4 9-3 1-2
           2-10 3-1 4-9 5-8 6-7
           10-7 8-6 9-5 1-4 2-3
           3-10 4-2 5-1 6-9 7-8
           10-8 9-7 1-6 2-5 3-4
           4-10 5-3 6-2 7-1 8-9
           10-9 1-8 2-7 3-6 4-5
           5-10 6-4 7-3 8-2 9-1""",
}


@pytest.mark.parametrize("size", sorted(FIDE_TABLES))
def test_tables_match_the_published_fide_tables(size):
    published = [[tuple(map(int, pair.split("-"))) for pair in line.split()]
                 for line in FIDE_TABLES[size].splitlines()]
    assert [list(berger_table_round(size, r)) for r in range(1, size)] == published


@pytest.mark.parametrize("size", [4, 6, 8, 10, 12, 14, 16])
def test_tables_match_gacrux_tables(size):
    theirs = gacrux_berger.bergertables(size)["pairing"]
    for round_no in range(1, size):
        expected = tuple((theirs[round_no][b]["white"], theirs[round_no][b]["black"]) for b in range(1, size // 2 + 1))
        assert berger_table_round(size, round_no) == expected


@pytest.mark.parametrize("players", [3, 4, 5, 6, 9, 10])
@pytest.mark.parametrize("double", [False, True])
def test_rounds_match_gacrux_fide_round_robin_pairer(players, double):
    """gacrux's own round-robin pairer in FIDE mode (with the double round robin's swapped rounds)."""
    kind = TournamentType.DOUBLE_ROUND_ROBIN if double else TournamentType.ROUND_ROBIN
    table = Crosstable(tuple(Player(n, f"P{n}", 2100 - n) for n in range(1, players + 1)), {},
                       round_robin_rounds(players, double), kind=kind)
    rng = random.Random(players)
    for round_no in range(1, table.planned_rounds + 1):
        tournament = gacrux_tournament(write_trf(table))
        tournament["pairingSystem"] = ["berger", "fide"] + (["double"] if double else [])
        tournament["maxMeets"] = 2 if double else 1
        brackets = pairing_berger(tournament, round_no, {"experimental": [], "verbose": 0}).compute_pairing(False, 0)
        theirs = [(p["w"], p["b"]) for p in sorted((p for b in brackets if b for p in b["pairs"]),
                                                   key=lambda p: p["board"])]
        ours = berger_round(players, round_no, double)
        assert [(b.white, b.black) for b in ours.boards] == [pair for pair in theirs if pair[1]]
        assert ours.bye == next((w for w, b in theirs if not b), None)
        table = play_round(table, ours, rng, NO_MISHAPS)


@pytest.mark.parametrize("players", range(2, 17))
def test_single_round_robin_pairs_everyone_once_with_balanced_colours(players):
    schedule = berger_schedule(players)
    assert len(schedule) == round_robin_rounds(players) == table_size(players) - 1
    games = [(b.white, b.black) for pairing in schedule for b in pairing.boards]
    assert sorted(tuple(sorted(g)) for g in games) == list(itertools.combinations(range(1, players + 1), 2))
    for player in range(1, players + 1):
        whites = sum(1 for w, _ in games if w == player)
        blacks = sum(1 for _, b in games if b == player)
        assert abs(whites - blacks) <= 1
    byes = [pairing.bye for pairing in schedule]
    if players % 2:
        assert sorted(byes) == list(range(1, players + 1))  # each player sits out exactly once
    else:
        assert byes == [None] * len(schedule)
    for pairing in schedule:
        assert [b.number for b in pairing.boards] == list(range(1, players // 2 + 1))
        assert pairing.paired_players() == set(range(1, players + 1))


@pytest.mark.parametrize("players", range(3, 17))
def test_double_round_robin_reverses_colours_and_never_gives_three_in_a_row(players):
    schedule = berger_schedule(players, double=True)
    cycle = table_size(players) - 1
    games = [(b.white, b.black) for pairing in schedule for b in pairing.boards]
    assert sorted(games) == sorted(itertools.permutations(range(1, players + 1), 2))  # each colour once per pair
    first = {frozenset((b.white, b.black)) for p in schedule[:cycle] for b in p.boards}
    assert len(first) == len(games) // 2
    for player in range(1, players + 1):
        colours = "".join("w" if b.white == player else "b" for p in schedule for b in p.boards
                          if player in (b.white, b.black))
        assert "www" not in colours and "bbb" not in colours, (player, colours)
    # The last two rounds of the first cycle are swapped (C.05 Annex 1's recommendation).
    assert schedule[cycle - 1].boards == berger_round(players, cycle - 1).boards
    assert schedule[cycle - 2].boards == berger_round(players, cycle).boards


@pytest.mark.parametrize("call, message", [
    (lambda: berger_round(1, 1), "at least 2 players"),
    (lambda: berger_round(6, 0), "round 0 does not exist"),
    (lambda: berger_round(6, 6), "rounds 1..5"),
    (lambda: berger_round(5, 11, double=True), "rounds 1..10"),
    (lambda: berger_table_round(5, 1), "even size"),
])
def test_impossible_rounds_are_refused(call, message):
    with pytest.raises(PairingError, match=message):
        call()
