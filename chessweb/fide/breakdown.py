"""How each tie-break of one player is made up, so the player can check it, and the performance rating.

Everything is computed by `TieBreakCalculator` (tiebreaks.py); this module only lays its parts out per round:
which opponent contributed what, which rounds count against a virtual opponent (C.07 Art. 16.4), and which
values a Cut-1/Cut-2/Median-1 leaves out (Art. 16.5: VUR contributions are cut first). The parts that are
`counted` always sum to the tie-break's value (for ARO: their average, rounded half up).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .crosstable import Colour, RoundEntry
from .tiebreaks import _CUTS, _WON_GAME, TieBreak, TieBreakCalculator, TieBreakValue


@dataclass(frozen=True)
class Part:
    """One round's contribution to a tie-break."""

    round: int
    opponent: int | None  # pairing number; None for a virtual opponent (Art. 16.4) or no opponent
    value: Fraction | int
    counted: bool = True  # False: cut (Buchholz Cut-1/Cut-2/Median-1), or not part of this tie-break
    note: str = ""  # why it counts as it does: "virtual opponent", "cut (VUR first)", "opponent's score 3 × ½"


@dataclass(frozen=True)
class Breakdown:
    """A tie-break's value and the parts it is made of."""

    code: str
    label: str
    value: TieBreakValue
    parts: tuple[Part, ...]
    how: str  # how the counted parts make the value, in words

    @property
    def total(self) -> Fraction:
        """The sum of the counted parts (equals `value` except for ARO, an average)."""
        return sum((Fraction(p.value) for p in self.parts if p.counted), Fraction(0))


def breakdown(calculator: TieBreakCalculator, number: int, tiebreak: TieBreak | str,
              value: TieBreakValue = None) -> Breakdown:
    """The parts of one player's tie-break. `value` is needed only for Direct Encounter (decided within a
    tie by `standings`); for the others it is computed here. Raises TieBreakError for an unknown code."""
    tiebreak = TieBreak(tiebreak)
    if tiebreak in _CUTS:
        return _buchholz(calculator, number, tiebreak)
    if tiebreak is TieBreak.SB:
        return _sonneborn_berger(calculator, number)
    if tiebreak is TieBreak.PS:
        running = Fraction(0)
        parts = []
        for entry in calculator.rows(number):
            running += Fraction(entry.result.half_points, 2)
            parts.append(Part(entry.round, entry.opponent, running, note="score after the round"))
        return Breakdown(tiebreak.value, tiebreak.label, calculator.value(tiebreak, number), tuple(parts),
                         "the sum of the running scores after each round")
    if tiebreak is TieBreak.ARO:
        parts = []
        for entry in calculator.rows(number):
            if entry.opponent is not None and entry.is_played:
                rating = calculator.crosstable.player(entry.opponent).rating
                rating = rating if rating is not None else calculator.unrated_rating
                parts.append(Part(entry.round, entry.opponent, rating or 0, counted=rating is not None,
                                  note="rating" if rating is not None else "unrated: left out"))
        return Breakdown(tiebreak.value, tiebreak.label, calculator.value(tiebreak, number), tuple(parts),
                         "the average of the ratings of the opponents met over the board, rounded half up")
    if tiebreak is TieBreak.DE:
        return Breakdown(tiebreak.value, tiebreak.label, value, (),
                         "the place within a tie decided by the games among the tied players (Art. 6); "
                         "empty when the player is not tied")
    return _count(calculator, number, tiebreak)


def breakdowns(calculator: TieBreakCalculator, number: int, values: dict[str, TieBreakValue]) -> list[Breakdown]:
    """`breakdown` of each tie-break in `values` (code → the value the standings show), in that order."""
    return [breakdown(calculator, number, code, value) for code, value in values.items()]


def _opposition_parts(calculator: TieBreakCalculator, number: int) -> list[tuple[RoundEntry, int, int, bool]]:
    """(entry, opponent's score in half points, SB in quarter points, is VUR) per counted round."""
    return [(entry, score, sb, vur) for entry, (score, sb, vur)
            in zip(calculator.counted_rounds(number), calculator._opposition(number))]


def _virtual(entry: RoundEntry) -> bool:
    """Art. 16.4: an unplayed round of a Swiss counts against a virtual opponent."""
    return entry.opponent is None or not entry.is_played


def _buchholz(calculator: TieBreakCalculator, number: int, tiebreak: TieBreak) -> Breakdown:
    low, high = _CUTS[tiebreak]
    rows = _opposition_parts(calculator, number)
    round_robin = calculator.crosstable.kind.is_round_robin
    # The order the calculator cuts in: VURs first, then the lowest; stable, so ties cut the earlier round.
    order = sorted(range(len(rows)), key=lambda i: (not rows[i][3], rows[i][1]))
    cut_low = set(order[:min(low, len(order))])
    kept = [i for i in order if i not in cut_low]
    cut_high = set(sorted(kept, key=lambda i: rows[i][1])[max(0, len(kept) - high):]) if high else set()
    parts = []
    for i, (entry, score, _sb, vur) in enumerate(rows):
        virtual = not round_robin and _virtual(entry)
        note = "virtual opponent (own score" + (", capped" if calculator._capped else "") + ")" if virtual \
            else "opponent's adjusted score"
        if i in cut_low:
            note += " · cut" + (" (VUR first)" if vur else " (lowest)")
        elif i in cut_high:
            note += " · cut (highest)"
        parts.append(Part(entry.round, None if virtual else entry.opponent, Fraction(score, 2),
                          counted=i not in cut_low and i not in cut_high, note=note))
    cuts = {TieBreak.BH: "", TieBreak.BH_C1: ", without the lowest", TieBreak.BH_C2: ", without the two lowest",
            TieBreak.BH_M1: ", without the lowest and the highest"}[tiebreak]
    return Breakdown(tiebreak.value, tiebreak.label, calculator.value(tiebreak, number), tuple(parts),
                     f"the sum of the opponents' scores{cuts} (C.07 Art. 16: unplayed rounds count against a "
                     "virtual opponent; voluntarily unplayed rounds are cut first)")


def _sonneborn_berger(calculator: TieBreakCalculator, number: int) -> Breakdown:
    round_robin = calculator.crosstable.kind.is_round_robin
    parts = []
    for entry, score, sb, _vur in _opposition_parts(calculator, number):
        virtual = not round_robin and _virtual(entry)
        result = _points_label(Fraction(entry.result.half_points, 2))
        who = "virtual opponent" if virtual else "opponent"
        parts.append(Part(entry.round, None if virtual else entry.opponent, Fraction(sb, 4),
                          note=f"{who}'s score {_points_label(Fraction(score, 2))} × {result}"))
    return Breakdown(TieBreak.SB.value, TieBreak.SB.label, calculator.value(TieBreak.SB, number), tuple(parts),
                     "the sum of each opponent's score times the points scored against them")


def _count(calculator: TieBreakCalculator, number: int, tiebreak: TieBreak) -> Breakdown:
    parts = []
    for entry in calculator.rows(number):
        result = entry.result
        if tiebreak is TieBreak.WIN:
            hit = result.half_points == 2
        elif not result.is_played:
            hit = False
        elif tiebreak is TieBreak.WON:
            hit = result in _WON_GAME
        elif tiebreak is TieBreak.BPG:
            hit = entry.colour is Colour.BLACK
        else:  # BWG
            hit = entry.colour is Colour.BLACK and result in _WON_GAME
        parts.append(Part(entry.round, entry.opponent, int(hit), counted=hit))
    how = {TieBreak.WIN: "rounds won, played or not", TieBreak.WON: "games won over the board",
           TieBreak.BPG: "games played with black", TieBreak.BWG: "games won with black"}[tiebreak]
    return Breakdown(tiebreak.value, tiebreak.label, calculator.value(tiebreak, number), tuple(parts),
                     f"the number of {how}")


def _points_label(value: Fraction) -> str:
    whole, half = divmod(value * 2, 2)
    text = str(int(whole)) if whole or not half else ""
    return text + ("½" if half else "") if text or half else "0"


# FIDE Rating Regulations (Handbook B.02), table 8.1(a): fractional score p (in hundredths, 50..100) → dp.
_DP = (0, 7, 14, 21, 29, 36, 43, 50, 57, 65, 72, 80, 87, 95, 102, 110, 117, 125, 133, 141, 149, 158, 166, 175,
       184, 193, 202, 211, 220, 230, 240, 251, 262, 273, 284, 296, 309, 322, 336, 351, 366, 383, 401, 422, 444,
       470, 501, 538, 589, 677, 800)


def rating_difference(score: Fraction, games: int) -> int:
    """dp for a score of `score` points in `games` games: FIDE B.02 table 8.1(a), p rounded to hundredths.

    Raises ValueError when there are no games."""
    if games <= 0:
        raise ValueError("a performance needs at least one game")
    hundredths = int((Fraction(score) * 100 / games) + Fraction(1, 2))  # rounded half up
    return _DP[hundredths - 50] if hundredths >= 50 else -_DP[50 - hundredths]


def performance_rating(entries: list[RoundEntry], ratings: dict[int, int | None]) -> int | None:
    """Rp = Ra + dp (FIDE B.02 Art. 8.1(a)) over the games played over the board against rated opponents.

    `ratings`: pairing number → rating. Ra is the opponents' average rating rounded half up. None when there
    is no such game (byes, forfeits and unrated opponents do not count)."""
    games = [(e, ratings.get(e.opponent)) for e in entries if e.opponent is not None and e.is_played]
    rated = [(e, r) for e, r in games if r is not None]
    if not rated:
        return None
    total = sum(r for _e, r in rated)
    average = (2 * total + len(rated)) // (2 * len(rated))
    score = sum((Fraction(e.result.half_points, 2) for e, _r in rated), Fraction(0))
    return average + rating_difference(score, len(rated))


__all__ = ["Breakdown", "Part", "breakdown", "breakdowns", "performance_rating", "rating_difference"]
