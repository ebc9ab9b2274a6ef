"""Tie-break breakdowns and the performance rating (chessweb.fide.breakdown), pure."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from chessweb.fide.breakdown import breakdown, performance_rating, rating_difference
from chessweb.fide.crosstable import RoundEntry, TieBreakEdition
from chessweb.fide.tiebreaks import TieBreak, TieBreakCalculator
from chessweb.fide.trf import read_trf

EXERCISE = Path(__file__).resolve().parents[1] / "data" / "fide-tec-tiebreak-exercise-2024.trf"


@pytest.fixture(scope="module")
def calculator() -> TieBreakCalculator:
    import dataclasses
    table = read_trf(EXERCISE.read_text())
    return TieBreakCalculator(dataclasses.replace(table, edition=TieBreakEdition.C07_2024))


@pytest.mark.parametrize("tiebreak", [t for t in TieBreak if t not in (TieBreak.DE, TieBreak.ARO)])
def test_counted_parts_sum_to_the_value_for_every_player(calculator, tiebreak):
    for number in calculator.crosstable.numbers:
        result = breakdown(calculator, number, tiebreak)
        assert result.total == Fraction(calculator.value(tiebreak, number)), (tiebreak, number)


def test_player_nine_cuts_a_voluntary_unplayed_round_first(calculator):
    """Player 9: half-point bye (VUR) in round 3, forfeit win in round 4, pairing bye in round 5."""
    parts = breakdown(calculator, 9, TieBreak.BH_C1).parts
    cut = [p for p in parts if not p.counted]
    assert len(cut) == 1 and cut[0].round == 3 and "VUR first" in cut[0].note
    assert [p.round for p in parts if p.opponent is None] == [3, 4, 5]  # virtual opponents (Art. 16.4)


def test_performance_rating_follows_the_fide_table():
    assert rating_difference(Fraction(1), 1) == 800 and rating_difference(Fraction(0), 2) == -800
    assert rating_difference(Fraction(3, 2), 3) == 0 and rating_difference(Fraction(3), 4) == 193
    assert rating_difference(Fraction(1), 4) == -193
    entries = [RoundEntry(1, 2, "w", "1"), RoundEntry(2, 3, "b", "="), RoundEntry(3, None, None, "U"),
               RoundEntry(4, 4, "w", "0")]
    # Ra = (2000 + 2100 + 2201) / 3 = 2100.33 → 2100; p = 1.5 / 3 = 0.50 → dp 0. The bye does not count.
    assert performance_rating(entries, {2: 2000, 3: 2100, 4: 2201}) == 2100
    assert performance_rating([RoundEntry(1, 2, "w", "1")], {2: None}) is None
    with pytest.raises(ValueError):
        rating_difference(Fraction(0), 0)
