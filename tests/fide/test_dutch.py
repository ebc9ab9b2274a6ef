"""Dutch pairings through our interface: bbpPairings regression cases, round 1, and whole generated events."""
from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from pathlib import Path

import networkx
import pytest

from chessweb.fide.crosstable import Colour, Crosstable, Player, ResultCode, TournamentType, bye_entry, game_entries
from chessweb.fide.dutch import GACRUX_VERSION, pair_next_round, round_to_pair
from chessweb.fide.matching import min_weight_matching
from chessweb.fide.pairing import Pairing, PairingError
from chessweb.fide.simulation import Mishaps, generate_players, play_next_round, play_round
from chessweb.fide.trf import read_trf, write_trf

from .make_dutch_events import EVENTS, FOLDER, file_name
from .support import DATA


def test_gacrux_is_the_pinned_version():
    from importlib.metadata import version
    assert version("gacrux") == GACRUX_VERSION


def expected_output(pairing: Pairing) -> str:
    """The pairing in bbpPairings' output format: count, then `white black`, the bye as `N 0`."""
    lines = [f"{b.white} {b.black}" for b in pairing.boards]
    if pairing.bye is not None:
        lines.append(f"{pairing.bye} 0")
    return "\n".join([str(len(lines))] + lines)


@pytest.mark.parametrize("case", ["bbp-dutch-2025-C5", "bbp-dutch-2025-C9", "bbp-issue-7"])
def test_bbp_regression_cases_are_reproduced(case):
    table = read_trf((DATA / f"{case}.input.trf").read_bytes())
    pairing = pair_next_round(table)
    assert expected_output(pairing) == (DATA / f"{case}.output.expected").read_text().strip()


@pytest.mark.parametrize("top", [Colour.WHITE, Colour.BLACK])
def test_round_one_of_forty_pairs_top_half_against_bottom_half(top):
    table = Crosstable(generate_players(40, random.Random(7)), {}, 9, top_seed_colour=top)
    pairing = pair_next_round(table)
    assert pairing.round == 1 and pairing.bye is None
    for board in pairing.boards:
        higher = board.number
        higher_colour = top if higher % 2 else top.opposite  # colours alternate down the boards
        expected = (higher, higher + 20) if higher_colour is Colour.WHITE else (higher + 20, higher)
        assert (board.white, board.black) == expected


def test_odd_field_gives_the_lowest_player_the_bye_and_respects_requested_byes():
    table = Crosstable(generate_players(9, random.Random(3)), {}, 5)
    pairing = pair_next_round(table, {4: "H", 6: ResultCode.ZERO_POINT_BYE, 2: "-"})
    assert pairing.bye is None and pairing.paired_players() == {1, 3, 5, 7, 8, 9}
    pairing = pair_next_round(table, [4, 6])
    assert pairing.bye == 9 and pairing.paired_players() == {1, 2, 3, 5, 7, 8, 9}


def colour_sequence(table: Crosstable, number: int) -> str:
    """Colours of the games the player actually played, in order (unplayed rounds do not count)."""
    return "".join(table.entry(number, r).colour.value for r in range(1, table.paired_rounds + 1)
                   if table.entry(number, r).is_played)


def check_round(before: Crosstable, after: Crosstable, pairing: Pairing, absent: dict[int, ResultCode]) -> None:
    """The absolute rules of C.04.1/C.04.3 for the round just paired."""
    round_no, last = pairing.round, pairing.round == before.planned_rounds
    active = {p.number for p in before.players if p.withdrawn_from is None or p.withdrawn_from > round_no}
    assert pairing.paired_players() == active - set(absent)
    assert [b.number for b in pairing.boards] == list(range(1, len(pairing.boards) + 1))
    played_before = {frozenset((n, e.opponent)) for n in before.numbers for e in before.entries.get(n, ())
                     if e.is_played}
    for board in pairing.boards:
        assert frozenset((board.white, board.black)) not in played_before  # no rematch of a played game
    if pairing.bye is not None:
        earlier = [before.entry(pairing.bye, r).result for r in range(1, round_no)]
        assert ResultCode.PAIRING_ALLOCATED_BYE not in earlier and ResultCode.FORFEIT_WIN not in earlier
    topscore = (round_no - 1) / 2  # more than half the maximum score before the last round
    for number in pairing.paired_players() - {pairing.bye}:
        colours = colour_sequence(after, number)
        if last and before.points(number) > topscore:
            continue  # topscorers in the last round may break the colour limits
        assert abs(colours.count("w") - colours.count("b")) <= 2, (number, colours)
        assert "www" not in colours and "bbb" not in colours, (number, colours)


@pytest.mark.parametrize("seed", [11, 12])
def test_whole_forty_player_event_with_mishaps(seed, tmp_path: Path):
    rng = random.Random(seed)
    mishaps = Mishaps(forfeit=0.05, double_forfeit=0.01, half_point_bye=0.04, zero_point_bye=0.02, withdrawal=0.02)
    table = Crosstable(generate_players(40, rng), {}, 9, top_seed_colour=Colour.BLACK if seed % 2 else Colour.WHITE)
    seen: list[tuple[Pairing, dict[int, ResultCode]]] = []

    def pair(crosstable: Crosstable, absent: dict[int, ResultCode]) -> Pairing:
        seen.append((pair_next_round(crosstable, absent), absent))
        return seen[-1][0]

    for round_no in range(1, 10):
        after = play_next_round(table, round_no, rng, mishaps, pair)
        check_round(table, after, *seen[-1])
        table = after
    byes = [pairing.bye for pairing, _ in seen]
    assert any(byes) and any(p.withdrawn_from for p in table.players)  # the event had byes and withdrawals
    assert any(table.entry(n, r).result is ResultCode.FORFEIT_WIN for n in table.numbers for r in range(1, 10))
    # gacrux's own pairing checker replays every round from our TRF and must find the same pairings.
    trf = tmp_path / "event.trf"
    trf.write_text(write_trf(table), encoding="latin-1")
    checked = subprocess.run([sys.executable, "-m", "gacrux.pairingchecker", "-i", str(trf), "-c", "-dT"],
                             check=False, capture_output=True, text=True, timeout=300)
    assert checked.stdout.strip().endswith("Check: True"), checked.stdout + checked.stderr


def test_pairing_refuses_unfinished_rounds_and_bad_requests():
    players = tuple(Player(n, f"P{n}", 2000 - n) for n in range(1, 5))
    table = Crosstable(players, {**game_entries(1, 1, 3, "1"), **game_entries(1, 4, 2, "*")}, 3)
    with pytest.raises(PairingError, match=r"every result is in: players 2, 4"):
        pair_next_round(table)
    done = table.with_entries(game_entries(1, 4, 2, "="))
    assert round_to_pair(done) == 2
    with pytest.raises(PairingError, match="player 9"):
        pair_next_round(done, [9])
    with pytest.raises(PairingError, match="H, Z, F or -, not 'U'"):
        pair_next_round(done, {1: "U"})
    with pytest.raises(PairingError, match="'Q' is not a result code"):
        pair_next_round(done, {1: "Q"})
    with pytest.raises(PairingError, match="1 player"):
        pair_next_round(done, [1, 2, 3])
    with pytest.raises(PairingError, match="Berger"):
        pair_next_round(Crosstable(players, {}, 3, kind=TournamentType.ROUND_ROBIN))
    full = done
    for round_no in (2, 3):
        full = play_round(full, pair_next_round(full), random.Random(round_no))
    with pytest.raises(PairingError, match="all 3 rounds have been paired"):
        pair_next_round(full)


def test_byes_entered_ahead_and_withdrawals_are_not_paired():
    players = tuple(Player(n, f"P{n}", 2000 - n, withdrawn_from=2 if n == 6 else None) for n in range(1, 7))
    table = Crosstable(players, {**game_entries(1, 1, 4, "1"), **game_entries(1, 5, 2, "0"),
                                 **game_entries(1, 3, 6, "=")}, 4)
    ahead = table.with_entries({2: bye_entry(2, "H")})  # a half-point bye requested before the pairing
    pairing = pair_next_round(ahead)
    assert pairing.round == 2 and pairing.paired_players() == {1, 3, 4, 5}


def test_no_legal_pairing_is_reported_not_returned():
    """Three players who have all met, each with a pairing-allocated bye already: round 4 cannot be paired."""
    players = tuple(Player(n, f"P{n}", 2000 - n) for n in range(1, 4))
    table = Crosstable(players, {}, 4)
    for round_no, (white, black, bye) in enumerate([(1, 2, 3), (3, 1, 2), (2, 3, 1)], start=1):
        table = table.with_entries({**game_entries(round_no, white, black, "="), bye: bye_entry(round_no, "U")})
    with pytest.raises(PairingError, match="round 4 cannot be paired"):
        pair_next_round(table)


def test_a_late_entry_is_paired_with_zero_points_for_the_missed_rounds():
    rng = random.Random(5)
    table = Crosstable(generate_players(8, rng), {}, 5)
    for _ in range(2):
        table = play_round(table, pair_next_round(table), rng)
    late = Player(9, "Late, Entry", 1500)
    table = table.with_players([late])
    pairing = pair_next_round(table)
    assert pairing.round == 3 and 9 in pairing.paired_players()
    assert table.points(9) == 0 and table.entry(9, 1).result is ResultCode.FORFEIT_LOSS


def test_gaps_in_the_pairing_numbers_do_not_change_the_pairing():
    """gacrux needs start numbers 1..N; a field numbered with gaps (a deleted entry) is paired in the same order."""
    rng = random.Random(8)
    dense = Crosstable(generate_players(10, rng), {}, 4)
    gappy_number = {n: n if n < 7 else n + 1 for n in dense.numbers}  # no player 7
    for round_no in range(1, 5):
        dense_pairing = pair_next_round(dense, {3: "H"} if round_no == 2 else ())
        gappy = Crosstable(tuple(dataclasses.replace(p, number=gappy_number[p.number]) for p in dense.players), {
            gappy_number[n]: tuple(dataclasses.replace(e, opponent=gappy_number.get(e.opponent)) for e in es)
            for n, es in dense.entries.items()}, 4)
        gappy_pairing = pair_next_round(gappy, {3: "H"} if round_no == 2 else ())
        assert [(gappy_number[b.white], gappy_number[b.black]) for b in dense_pairing.boards] == [
            (b.white, b.black) for b in gappy_pairing.boards]
        assert gappy_pairing.bye == (gappy_number[dense_pairing.bye] if dense_pairing.bye else None)
        dense = play_round(dense, dense_pairing, rng, not_paired={3: ResultCode.HALF_POINT_BYE} if round_no == 2
                           else None)


def not_paired_in(table: Crosstable, round_no: int) -> dict[int, ResultCode]:
    """Who sat round `round_no` out, and how (H, Z, F, or - for absent and withdrawn)."""
    return {n: table.entry(n, round_no).result for n in table.numbers
            if table.entry(n, round_no).opponent is None
            and table.entry(n, round_no).result is not ResultCode.PAIRING_ALLOCATED_BYE}


def played_pairing(table: Crosstable, round_no: int) -> tuple[set[tuple[int, int]], int | None]:
    """Round `round_no` as recorded: the (white, black) games, and the player with the pairing-allocated bye."""
    games = {(n, table.entry(n, round_no).opponent) for n in table.numbers
             if table.entry(n, round_no).opponent is not None and table.entry(n, round_no).colour is Colour.WHITE}
    byes = [n for n in table.numbers if table.entry(n, round_no).result is ResultCode.PAIRING_ALLOCATED_BYE]
    return games, (byes[0] if byes else None)


@pytest.mark.parametrize("event", [
    pytest.param(event, id=file_name(*event).removesuffix(".trf"),
                 marks=[pytest.mark.slow] if event[0] >= 300 else [])  # tens of CPU seconds with the checker
    for event in EVENTS])
def test_generated_events_are_paired_as_they_were_round_by_round(event, tmp_path: Path):
    """Every round of events paired before the matching changed (tests/fide/make_dutch_events.py) comes out
    the same, board for board and colour for colour, and gacrux's own checker agrees with each recorded round."""
    path = FOLDER / file_name(*event)
    table = read_trf(path.read_bytes())
    assert table.paired_rounds == event[2]
    for round_no in range(1, table.paired_rounds + 1):
        pairing = pair_next_round(table.through(round_no - 1), not_paired_in(table, round_no))
        games, bye = played_pairing(table, round_no)
        assert {(b.white, b.black) for b in pairing.boards} == games, f"round {round_no}"
        assert pairing.bye == bye, f"round {round_no}"
    checked = subprocess.run([sys.executable, "-m", "gacrux.pairingchecker", "-i", str(path), "-c", "-dT"],
                             check=False, capture_output=True, text=True, timeout=600)
    assert checked.stdout.strip().endswith("Check: True"), checked.stdout + checked.stderr


def random_graphs(count: int, seed: int) -> list[networkx.Graph]:
    """Small graphs full of equal weights (many optimal matchings) and a few with gacrux-sized weights."""
    rng = random.Random(seed)
    graphs = []
    for index in range(count):
        nodes = rng.sample(range(1, 200), rng.randint(2, 30))  # any node order, as gacrux's graphs have
        graph = networkx.Graph()
        huge = index % 5 == 0
        graph.add_weighted_edges_from((u, v, rng.getrandbits(700) if huge else rng.randint(0, 3))
                                      for i, u in enumerate(nodes) for v in nodes[i + 1:] if rng.random() < 0.6)
        graphs.append(graph)
    return graphs


def test_our_matching_is_networkx_matching_pair_for_pair():
    """The faster matching must return the very matching NetworkX returns, orientation included, also where
    several matchings are optimal: which one comes back decides pairings."""
    for graph in random_graphs(150, 13):
        assert min_weight_matching(graph) == networkx.min_weight_matching(graph)


def test_gacrux_pairs_with_our_matching():
    import gacrux.pairingdutch

    pair_next_round(Crosstable(generate_players(6, random.Random(1)), {}, 3))
    assert gacrux.pairingdutch.nx.min_weight_matching is min_weight_matching
    assert gacrux.pairingdutch.nx.Graph is networkx.Graph
