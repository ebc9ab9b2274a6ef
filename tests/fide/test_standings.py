"""Standings: the list applied in order, shared ranks, rank movement, cells; gacrux ranks as the oracle."""
from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import pytest

from chessweb.fide.crosstable import TieBreakEdition, TournamentType
from chessweb.fide.simulation import Mishaps, simulate_round_robin, simulate_swiss
from chessweb.fide.standings import StandingRow, format_value, rank_movements, standings
from chessweb.fide.tiebreaks import TieBreak, TieBreakError

from .support import event, gacrux_tiebreaks, random_pairer, reference_crosstable


def ranks(rows: list[StandingRow]) -> dict[int, int]:
    return {row.number: row.rank for row in rows}


def exercise(edition: TieBreakEdition = TieBreakEdition.C07_2024):
    return dataclasses.replace(reference_crosstable("fide-tec-tiebreak-exercise-2024.trf"), edition=edition)


def test_exercise_standings_with_the_default_swiss_list():
    rows = standings(exercise())
    assert [row.number for row in rows][:5] == [2, 3, 4, 1, 16]  # 4.0, then 3.5 by BH-C1 13 / 11.5 / 11 / 11
    one, sixteen = rows[3], rows[4]
    assert (one.tiebreaks["BH-C1"], one.tiebreaks["BH"], one.tiebreaks["SB"]) == (11, Fraction(25, 2), 8)
    assert (sixteen.tiebreaks["BH-C1"], sixteen.tiebreaks["BH"]) == (11, Fraction(25, 2))
    assert (one.rank, sixteen.rank) == (4, 5)  # Cut-1 and Buchholz tie; Sonneborn-Berger 8 beats 7.25
    assert list(one.tiebreaks) == ["BH-C1", "BH", "SB"]
    assert [row.rank for row in rows] == list(range(1, 17))


@pytest.mark.parametrize("order", [
    [TieBreak.BH_C1, TieBreak.BH, TieBreak.SB], [TieBreak.DE, TieBreak.BH_C1], [TieBreak.WIN, TieBreak.DE, TieBreak.SB],
    [TieBreak.PS, TieBreak.DE], [TieBreak.BH_M1, TieBreak.WON, TieBreak.ARO], [TieBreak.DE], [],
])
@pytest.mark.parametrize("edition", list(TieBreakEdition))
def test_exercise_ranks_agree_with_gacrux(order, edition):
    table = exercise(edition)
    start = date(2024, 3, 18) if edition is TieBreakEdition.C07_2024 else date(2026, 3, 18)
    _, theirs = gacrux_tiebreaks(dataclasses.replace(table, start_date=start, edition=None), order)
    assert ranks(standings(table, order)) == {n: rank for n, (rank, _) in theirs.items()}


@pytest.mark.parametrize("seed", range(8))
def test_ranks_agree_with_gacrux_on_generated_events(seed):
    order = [[TieBreak.BH_C1, TieBreak.BH, TieBreak.SB], [TieBreak.DE, TieBreak.WIN], [TieBreak.SB, TieBreak.DE]][seed % 3]
    table = simulate_swiss(16, 5, seed, mishaps=Mishaps(0.08, 0.02, 0.08, 0.04, 0.04), pair=random_pairer(seed),
                           start_date=date(2025, 5, 1) if seed % 2 else date(2026, 5, 1))
    _, theirs = gacrux_tiebreaks(table, order)
    assert ranks(standings(table, order)) == {n: rank for n, (rank, _) in theirs.items()}


@pytest.mark.parametrize("players, double", [(6, False), (7, False), (5, True), (6, True)])
def test_finished_round_robin_ranks_agree_with_gacrux(players, double):
    table = simulate_round_robin(players, 3 * players, double=double, mishaps=Mishaps(0.08, 0.02, 0, 0, 0))
    for order in ([TieBreak.DE, TieBreak.SB, TieBreak.WIN], [TieBreak.SB, TieBreak.DE]):
        _, theirs = gacrux_tiebreaks(table, order)
        assert ranks(standings(table, order)) == {n: rank for n, (rank, _) in theirs.items()}


def test_direct_encounter_waits_until_the_tied_players_have_met():
    """Round robin after two rounds: 1, 2, 3 and 5 are tied on 1 point and have not all met. C.07 Art. 6 applies
    DE only when all tied players have met or a lead cannot be overtaken, so they stay tied. gacrux 1.11.65
    assumes everyone in a round robin has met and splits them; here we follow the regulation."""
    table = event("1-6 0, 2-5 1, 3-4 1 / 6-4 =, 5-3 1, 1-2 1", 6, 5, kind=TournamentType.ROUND_ROBIN)
    rows = standings(table, [TieBreak.DE])
    assert ranks(rows) == {6: 1, 1: 2, 2: 2, 3: 2, 5: 2, 4: 6}
    assert {row.number: row.tiebreaks["DE"] for row in rows} == {6: None, 1: 1, 2: 1, 3: 1, 5: 1, 4: None}
    _, theirs = gacrux_tiebreaks(table, [TieBreak.DE])
    assert {n: rank for n, (rank, _) in theirs.items()} == {6: 1, 1: 2, 2: 3, 5: 4, 3: 5, 4: 6}


def test_remaining_ties_share_a_rank_and_the_next_rank_skips():
    table = event("1-2 =, 3-4 =", 4)
    rows = standings(table, [TieBreak.SB])
    assert [(r.rank, r.shared, r.number) for r in rows] == [(1, True, 1), (1, True, 2), (1, True, 3), (1, True, 4)]
    table = event("1-2 1, 3-4 = / 1-3 =, 2-4 =", 4)
    rows = standings(table, [])
    assert [(r.rank, r.shared, r.number, r.points) for r in rows] == [
        (1, False, 1, Fraction(3, 2)), (2, True, 3, 1), (2, True, 4, 1), (4, False, 2, Fraction(1, 2))]


def test_rank_movement_against_previous_standings():
    table = simulate_swiss(12, 4, 3, pair=random_pairer(3))
    before = standings(table, through_round=3)
    after = standings(table, previous=before)
    assert all(row.movement == ranks(before)[row.number] - row.rank for row in after)
    assert any(row.movement for row in after)
    assert rank_movements(after, before) == {row.number: row.movement for row in after}
    newcomer = standings(table, previous={1: 5})
    assert {row.number: row.movement for row in newcomer if row.movement is not None} == {1: 5 - ranks(after)[1]}
    assert [row.movement for row in standings(table)] == [None] * 12


def test_standings_default_to_the_last_completed_round_and_refuse_unfinished_ones():
    table = event("1-2 1, 3-4 1 / 1-3 *, 2-4 0", 4, 3)
    assert [row.points for row in standings(table)] == [1, 1, 0, 0]
    with pytest.raises(TieBreakError, match="not finished"):
        standings(table, through_round=2)
    with pytest.raises(TieBreakError, match="unknown tie-break"):
        standings(table, ["XYZ"])
    assert standings(table, through_round=0)[0].rank == 1 and all(row.shared for row in standings(table, [], through_round=0))


def test_round_robin_defaults_to_direct_encounter_first():
    rows = standings(simulate_round_robin(6, 1))
    assert list(rows[0].tiebreaks) == ["DE", "SB", "WIN"]


@pytest.mark.parametrize("value, text", [
    (Fraction(7, 2), "3.5"), (Fraction(39, 4), "9.75"), (Fraction(12), "12"), (Fraction(0), "0"), (3, "3"),
    (1834, "1834"), (None, ""), (Fraction(1, 4), "0.25"),
])
def test_format_value(value, text):
    assert format_value(value) == text
