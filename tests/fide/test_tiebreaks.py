"""Tie-breaks: FIDE's published exercise exactly, Article 16 case by case, and gacrux as an oracle on generated events."""
from __future__ import annotations

import dataclasses
import json
from datetime import date
from fractions import Fraction

import pytest

from chessweb.fide.crosstable import Crosstable, TieBreakEdition, TournamentType
from chessweb.fide.simulation import Mishaps, simulate_round_robin, simulate_swiss
from chessweb.fide.tiebreaks import (
    TieBreak,
    TieBreakCalculator,
    TieBreakError,
    default_tiebreaks,
    parse_tiebreaks,
)

from .support import DATA, as_fraction, event, gacrux_tiebreaks, random_pairer, reference_crosstable

F = Fraction


# ------------------------------------------------------------------------------------------ FIDE's exercise

EXPECTED = json.loads((DATA / "fide-tec-tiebreak-exercise-2024.expected.json").read_text())


def exercise(edition: TieBreakEdition) -> TieBreakCalculator:
    table = reference_crosstable("fide-tec-tiebreak-exercise-2024.trf")
    return TieBreakCalculator(dataclasses.replace(table, edition=edition))


@pytest.mark.parametrize("key, tiebreak", [("BH", TieBreak.BH), ("BH_C1", TieBreak.BH_C1), ("SB", TieBreak.SB)])
def test_fide_exercise_published_values_exactly(key, tiebreak):
    calculator = exercise(TieBreakEdition.C07_2024)
    assert calculator.rounds == EXPECTED["round"]
    got = {number: calculator.value(tiebreak, int(number)) for number in EXPECTED[key]}
    assert got == {number: F(str(value)) for number, value in EXPECTED[key].items()}


def test_fide_exercise_adjusted_scores_for_opponents():
    calculator = exercise(TieBreakEdition.C07_2024)
    expected = EXPECTED["adjusted_score_for_opponents_BH"]
    assert {n: calculator.adjusted_score(int(n)) for n in expected} == {n: F(str(v)) for n, v in expected.items()}


def test_fide_exercise_buchholz_without_adjustment_differs_only_by_the_forfeit():
    """The exercise also lists plain sums of the scheduled opponents' scores; only player 11 (a forfeit win
    against player 9) has an unplayed round among them, and there Article 16 counts the dummy instead."""
    table = reference_crosstable("fide-tec-tiebreak-exercise-2024.trf")
    calculator = exercise(TieBreakEdition.C07_2024)
    for number, value in EXPECTED["BH_no_unplayed_adjustment"].items():
        entries = [table.entry(int(number), r) for r in range(1, 6)]
        assert sum(table.points(e.opponent) for e in entries if e.opponent) == F(str(value))
        unplayed = [e for e in entries if not e.is_played]
        assert calculator.value(TieBreak.BH, int(number)) == F(str(value)) + sum(
            calculator.points(int(number)) - table.points(e.opponent) for e in unplayed)
    assert [e.round for e in (table.entry(11, r) for r in range(1, 6)) if not e.is_played] == [4]


@pytest.mark.parametrize("number, tiebreak, value_2024, value_2026, why", [
    (11, TieBreak.BH, F(27, 2), F(25, 2), "forfeit win: dummy capped at player 9's adjusted score 1.5"),
    (4, TieBreak.BH, F(15), F(14), "half-point bye: dummy capped at 0.5 x 5 rounds = 2.5"),
    (4, TieBreak.SB, F(39, 4), F(37, 4), "the same dummy scores half of 2.5 instead of half of 3.5"),
    (6, TieBreak.BH, F(12), F(23, 2), "pairing-allocated bye: 3 capped at 2.5"),
    (6, TieBreak.SB, F(13, 2), F(6), "a bye is a win over the dummy: 2.5 instead of 3"),
    (12, TieBreak.BH, F(23, 2), F(23, 2), "own score 2 is below every cap"),
    (9, TieBreak.BH, F(9), F(9), "own score 1.5 is below every cap"),
])
def test_2026_edition_caps_the_dummy(number, tiebreak, value_2024, value_2026, why):
    assert exercise(TieBreakEdition.C07_2024).value(tiebreak, number) == value_2024, why
    assert exercise(TieBreakEdition.C07_2026).value(tiebreak, number) == value_2026, why


# ------------------------------------------------------------------------------------------ Article 16

@pytest.mark.parametrize("spec, number, adjusted, why", [
    ("1-2 1 / 1-3 1, 2 Z / 2-3 =", 2, F(1, 2), "zero-point bye followed by a played game counts as awarded (0)"),
    ("1-2 1 / 1-3 1, 2 Z", 2, F(1, 2), "zero-point bye in the last round counts as a draw"),
    ("1-2 = / 1-3 1, 2 Z / 1-3 =, 2 -", 2, F(3, 2), "withdrawal tail: bye and absence both count as draws"),
    ("1-2 = / 1-3 1 / 2-3 0", 2, F(1, 2), "forfeit-free loss in the last round is just a loss"),
    ("1-2 = / 2-3 -, 1 U / 2-1 =, 3 U", 2, F(1), "forfeit loss followed by a played round: awarded"),
    ("1-2 = / 2-3 -", 2, F(1, 2), "forfeit loss in the last round is not a bye: awarded (0)"),
    ("1-2 = / 2 Z / 2-3 -", 2, F(1), "bye followed only by a forfeit loss counts as a draw, the forfeit as 0"),
    ("1-2 = / 1-3 1, 2 U", 2, F(3, 2), "pairing-allocated bye is not voluntary: awarded"),
    ("1-2 = / 2 H, 1-3 1 / 2 F, 1-3 0", 2, F(2), "half-point bye before a full-point bye: awarded"),
])
def test_adjusted_score_for_opponents(spec, number, adjusted, why):
    assert TieBreakCalculator(event(spec, 3)).adjusted_score(number) == adjusted, why


def test_round_robin_scores_are_not_adjusted():
    table = event("1-2 1, 3 - / 2-3 0, 1 - / 3-1 =, 2 -", 3, kind=TournamentType.ROUND_ROBIN)
    calculator = TieBreakCalculator(table)
    assert [calculator.adjusted_score(n) for n in (1, 2, 3)] == [calculator.points(n) for n in (1, 2, 3)]
    assert calculator.value(TieBreak.BH, 1) == calculator.points(2) + calculator.points(3)  # free round left out


FOUR_ROUNDS = "1-2 1, 3-4 =, 5 H / 1-3 0, 2-5 1, 4 Z / 5-1 =, 4-2 +, 3 U / 1 H, 2-3 =, 4-5 0"
# Scores: P1 2 (W, L, D, H), P2 1.5 (L, W, forfeit loss, D), P3 3 (D, W, U, D), P4 1.5 (D, Z, forfeit win, L),
# P5 2 (H, L, D, W). Nobody's byes are in a tail, so everyone counts as awarded for the others.


@pytest.mark.parametrize("edition, number, tiebreak, value, why", [
    (TieBreakEdition.C07_2024, 1, TieBreak.BH, F(3, 2) + F(3) + F(2) + F(2), "the half-point bye adds own 2"),
    (TieBreakEdition.C07_2024, 1, TieBreak.SB, F(3, 2) + F(0) + F(1) + F(1), "W x 1.5, D x 2, bye 2 x 1/2"),
    (TieBreakEdition.C07_2024, 1, TieBreak.BH_C1, F(3, 2) + F(3) + F(2), "the VUR is cut, not the lower 1.5"),
    (TieBreakEdition.C07_2024, 1, TieBreak.BH_M1, F(3, 2) + F(2), "cut the VUR and the highest (P3's 3)"),
    (TieBreakEdition.C07_2024, 1, TieBreak.BH_C2, F(3) + F(2), "the VUR, then the lowest game"),
    (TieBreakEdition.C07_2024, 4, TieBreak.BH, F(3) + F(3, 2) + F(3, 2) + F(2), "Z and + both add own 1.5"),
    (TieBreakEdition.C07_2026, 4, TieBreak.BH, F(3) + F(3, 2) + F(3, 2) + F(2), "1.5 is under both caps"),
    (TieBreakEdition.C07_2024, 4, TieBreak.SB, F(3, 2) + F(0) + F(3, 2) + F(0), "D x 3, Z nothing, + beats 1.5"),
    (TieBreakEdition.C07_2026, 5, TieBreak.BH, F(2) + F(3, 2) + F(2) + F(3, 2), "own 2 equals the cap 0.5 x 4"),
    (TieBreakEdition.C07_2024, 3, TieBreak.BH, F(3, 2) + F(2) + F(3) + F(3, 2), "U adds own score 3"),
    (TieBreakEdition.C07_2026, 3, TieBreak.BH, F(3, 2) + F(2) + F(2) + F(3, 2), "U capped at 0.5 x 4 rounds"),
    (TieBreakEdition.C07_2026, 3, TieBreak.SB, F(3, 4) + F(2) + F(2) + F(3, 4), "the capped dummy is beaten: 2"),
])
def test_own_unplayed_rounds_meet_a_dummy(edition, number, tiebreak, value, why):
    calculator = TieBreakCalculator(event(FOUR_ROUNDS, 5, edition=edition))
    assert calculator.value(tiebreak, number) == value, why


def test_forfeit_dummy_is_capped_at_the_opponents_adjusted_score_in_2026():
    spec = "1-2 1, 3-4 1 / 1-3 +, 2-4 1 / 1-4 1, 2-3 0"  # player 1 wins everything, one by forfeit over 3
    for edition, dummy in ((TieBreakEdition.C07_2024, F(3)), (TieBreakEdition.C07_2026, F(2))):
        calculator = TieBreakCalculator(event(spec, 4, edition=edition))
        assert calculator.adjusted_score(3) == 2
        assert calculator.value(TieBreak.BH, 1) == calculator.points(2) + calculator.points(4) + dummy


# ------------------------------------------------------------------------------------------ direct encounter

@pytest.mark.parametrize("spec, players, group, expected, why", [
    ("1-2 1, 3 U / 2-3 1, 1 U / 3-1 =, 2 U", 3, [1, 2, 3], [[1], [2], [3]], "all met: 1.5, 1, 0.5"),
    ("1-2 1, 3 U / 2-3 1, 1 U / 3-1 1, 2 U", 3, [1, 2, 3], [[1, 2, 3]], "all met, a cycle: still tied"),
    ("1-2 1, 3-4 1 / 1-3 0, 2-4 1 / 4-1 =, 2-3 1", 4, [1, 2, 3, 4], [[2], [3], [1], [4]],
     "2 and 3 tie on 2 among the four; 2 beat 3 in the game between them"),
    ("1-2 1, 3 U / 1-3 1, 2 U", 3, [1, 2, 3], [[1], [2, 3]],
     "not all met: 2 points cannot be reached by 2 or 3 (one missing game each), the rest stays tied"),
    ("1-2 1, 3 U / 2 U, 1 U", 3, [1, 2, 3], [[1, 2, 3]], "not all met: player 3 could still reach 2"),
    ("1-2 =, 3 U / 2-1 1, 3 U", 3, [1, 2], [[2], [1]], "met twice: the average decides"),
    ("1-2 +, 3 U / 2-3 =, 1 U", 3, [1, 2], [[1, 2]], "a forfeit is not an encounter in a Swiss"),
])
def test_direct_encounter(spec, players, group, expected, why):
    assert TieBreakCalculator(event(spec, players)).direct_encounter(group) == expected, why


def test_direct_encounter_counts_forfeits_in_a_round_robin():
    table = event("1-2 +, 3 - / 2-3 =, 1 - / 3-1 0, 2 -", 3, kind=TournamentType.ROUND_ROBIN)
    assert TieBreakCalculator(table).direct_encounter([1, 2]) == [[1], [2]]


# ------------------------------------------------------------------------------------------ the counts

def test_counts_progressive_score_and_average_rating():
    spec = "1-2 1, 3-4 W / 2-1 0, 3 F, 4 U / 3-1 +, 2-4 D / 1-4 L, 2 H, 3 Z"
    ratings = {1: 2001, 2: 1800, 3: 1701, 4: None}
    calculator = TieBreakCalculator(event(spec, 4, ratings=ratings), unrated_rating=None)
    assert [calculator.value(TieBreak.WIN, n) for n in (1, 2, 3, 4)] == [2, 0, 3, 2]  # +, U, F count; H not
    assert [calculator.value(TieBreak.WON, n) for n in (1, 2, 3, 4)] == [2, 0, 1, 1]  # W (unrated) counts
    assert [calculator.value(TieBreak.BPG, n) for n in (1, 2, 3, 4)] == [1, 1, 0, 3]  # forfeits are not games
    assert [calculator.value(TieBreak.BWG, n) for n in (1, 2, 3, 4)] == [1, 0, 0, 1]
    assert calculator.value(TieBreak.PS, 1) == F(1) + F(2) + F(2) + F(2)
    assert calculator.value(TieBreak.PS, 3) == F(1) + F(2) + F(3) + F(3)
    # Player 1 met 2 (1800) twice and 4 (unrated, left out): 1800. Player 2 met 1 twice: 2001.
    assert [calculator.value(TieBreak.ARO, n) for n in (1, 2)] == [1800, 2001]
    # Player 4 met 3 (1701), 2 (1800) and 1 (2001): 5502 / 3 = 1834. Player 3 met only 4, who is unrated.
    assert calculator.value(TieBreak.ARO, 4) == 1834
    assert calculator.value(TieBreak.ARO, 3) is None
    assert TieBreakCalculator(event(spec, 4, ratings=ratings), unrated_rating=1600).value(TieBreak.ARO, 3) == 1600


@pytest.mark.parametrize("ratings, expected", [((2000, 2001), 2001), ((2000, 2002), 2001), ((2000, 2003), 2002)])
def test_average_rating_rounds_half_up(ratings, expected):
    table = event("1-2 =, 3 U / 1-3 =, 2 U", 3, ratings={1: 1500, 2: ratings[0], 3: ratings[1]})
    assert TieBreakCalculator(table).value(TieBreak.ARO, 1) == expected


# ------------------------------------------------------------------------------------------ errors and names

def test_refuses_rounds_that_are_unfinished_or_do_not_exist():
    table = event("1-2 1 / 1-2 *", 2, 3)
    assert TieBreakCalculator(table).rounds == 1  # default: the last completed round
    with pytest.raises(TieBreakError, match="round 2 is not finished: players 1, 2"):
        TieBreakCalculator(table, 2)
    with pytest.raises(TieBreakError, match="not a round"):
        TieBreakCalculator(table, 4)
    with pytest.raises(TieBreakError, match="within a tie"):
        TieBreakCalculator(table).value(TieBreak.DE, 1)


def test_tiebreak_names_are_parsed_and_defaults_follow_the_type():
    assert parse_tiebreaks(["bh-c1", "SB", TieBreak.DE]) == (TieBreak.BH_C1, TieBreak.SB, TieBreak.DE)
    with pytest.raises(TieBreakError, match="unknown tie-break 'KS'"):
        parse_tiebreaks(["KS"])
    with pytest.raises(TieBreakError, match="listed twice"):
        parse_tiebreaks(["SB", "sb"])
    assert default_tiebreaks(TournamentType.SWISS) == (TieBreak.BH_C1, TieBreak.BH, TieBreak.SB)
    assert default_tiebreaks(TournamentType.ROUND_ROBIN)[0] is TieBreak.DE
    assert all(t.label for t in TieBreak)


# ------------------------------------------------------------------------------------------ gacrux as oracle

VALUED = [t for t in TieBreak if t is not TieBreak.DE]


def assert_same_values(table: Crosstable) -> str:
    rules, theirs = gacrux_tiebreaks(table, VALUED)
    calculator = TieBreakCalculator(table)
    for number in table.numbers:
        ours = [calculator.points(number)] + [calculator.value(t, number) for t in VALUED]
        assert ours == [as_fraction(v) for v in theirs[number][1]], f"player {number} ({rules})"
    return rules


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("start, rules", [(date(2025, 10, 1), "2024-08-01"), (date(2026, 4, 1), "2026-03-01")])
def test_values_agree_with_gacrux_on_generated_swiss_events(seed, start, rules):
    table = simulate_swiss(24, 7, seed, mishaps=Mishaps(0.08, 0.02, 0.08, 0.04, 0.04), pair=random_pairer(seed),
                           start_date=start)
    assert assert_same_values(table) == rules


def test_values_agree_with_gacrux_on_a_dutch_paired_event():
    table = simulate_swiss(30, 7, 42, mishaps=Mishaps(0.05, 0.01, 0.05, 0.02, 0.03), start_date=date(2025, 1, 10))
    assert assert_same_values(table) == "2024-08-01"


@pytest.mark.parametrize("players, double", [(6, False), (7, False), (5, True), (8, True)])
def test_values_agree_with_gacrux_on_round_robins(players, double):
    assert_same_values(simulate_round_robin(players, players, double=double, mishaps=Mishaps(0.1, 0.03, 0, 0, 0)))


@pytest.mark.parametrize("seed", range(6, 46))
def test_values_agree_with_gacrux_on_many_more_events(seed):
    start = date(2025, 10, 1) if seed % 2 else date(2026, 4, 1)
    assert_same_values(simulate_swiss(20 + seed % 13, 5 + seed % 5, seed, pair=random_pairer(seed), start_date=start,
                                      mishaps=Mishaps(0.1, 0.03, 0.1, 0.05, 0.06), unrated_share=0.0))
