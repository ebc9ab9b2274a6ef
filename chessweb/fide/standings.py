"""Standings: rank by points, then by the tournament's tie-breaks in order; ties that remain share a rank."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .crosstable import Crosstable
from .tiebreaks import TieBreak, TieBreakCalculator, TieBreakValue, default_tiebreaks, parse_tiebreaks


@dataclass(frozen=True)
class StandingRow:
    """One line of the standings table."""

    rank: int
    shared: bool  # True when the rank is shared with another player
    number: int  # pairing number
    points: Fraction
    tiebreaks: Mapping[str, TieBreakValue]  # tie-break name -> value, in the tournament's order
    movement: int | None = None  # places gained since the previous standings (negative: lost); None if new


def standings(crosstable: Crosstable, tiebreaks: Sequence[TieBreak | str] | None = None, *,
              through_round: int | None = None,
              previous: Sequence[StandingRow] | Mapping[int, int] | None = None,
              unrated_rating: int | None = None, provisional: bool = False) -> list[StandingRow]:
    """The standings after `through_round` (default: the last completed round), best first.

    `tiebreaks` defaults to `default_tiebreaks(crosstable.kind)`. `previous` (earlier rows, or number -> rank)
    fills each row's `movement`. `provisional`: games without a result yet are left out (see
    TieBreakCalculator), for the standings during a round. Direct Encounter is only shown for players it was
    applied to (a tie).
    """
    order = default_tiebreaks(crosstable.kind) if tiebreaks is None else parse_tiebreaks(tiebreaks)
    calculator = TieBreakCalculator(crosstable, through_round, unrated_rating=unrated_rating,
                                    provisional=provisional)
    numbers = crosstable.numbers
    values: dict[TieBreak, dict[int, TieBreakValue]] = {
        tb: ({n: None for n in numbers} if tb is TieBreak.DE else calculator.values(tb)) for tb in order}
    points = {n: calculator.points(n) for n in numbers}

    groups = _split(sorted(numbers, key=lambda n: (-points[n], n)), points)
    for tiebreak in order:
        refined: list[list[int]] = []
        for group in groups:
            if len(group) == 1:
                refined.append(group)
            elif tiebreak is TieBreak.DE:
                parts = calculator.direct_encounter(group)
                for place, part in enumerate(parts, start=1):
                    for n in part:
                        values[tiebreak][n] = place
                refined.extend(parts)
            else:
                key = values[tiebreak]
                refined.extend(_split(sorted(group, key=lambda n: (_descending(key[n]), n)), key))
        groups = refined

    previous_ranks = _previous_ranks(previous)
    rows: list[StandingRow] = []
    rank = 1
    for group in groups:
        for n in sorted(group):
            before = previous_ranks.get(n)
            rows.append(StandingRow(
                rank=rank, shared=len(group) > 1, number=n, points=points[n],
                tiebreaks={tb.value: values[tb][n] for tb in order},
                movement=None if before is None else before - rank))
        rank += len(group)
    return rows


def rank_movements(current: Sequence[StandingRow], previous: Sequence[StandingRow]) -> dict[int, int | None]:
    """Places gained by each player between two standings (None for players not in the previous ones)."""
    before = _previous_ranks(previous)
    return {row.number: (before[row.number] - row.rank if row.number in before else None) for row in current}


def format_value(value: TieBreakValue | Fraction) -> str:
    """A table cell: 3.5, 9.75, 12, or empty for no value."""
    if value is None:
        return ""
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):g}"  # halves and quarters are exact in binary
    return str(int(value))


def _split(ordered: list[int], key: Mapping[int, TieBreakValue | Fraction]) -> list[list[int]]:
    """Cut an ordered list wherever the key changes."""
    groups: list[list[int]] = []
    for n in ordered:
        if groups and key[groups[-1][0]] == key[n]:
            groups[-1].append(n)
        else:
            groups.append([n])
    return groups


def _descending(value: TieBreakValue) -> tuple[int, Fraction | int]:
    """Sort key: higher values first, no value last."""
    return (1, 0) if value is None else (0, -value)


def _previous_ranks(previous: Sequence[StandingRow] | Mapping[int, int] | None) -> dict[int, int]:
    if previous is None:
        return {}
    if isinstance(previous, Mapping):
        return dict(previous)
    return {row.number: row.rank for row in previous}
