"""FIDE tie-breaks (Handbook C.07) with unplayed rounds handled as Article 16 says, 2024 and 2026 editions.

Article 16 in short (the 2024 text, applied from 1 April 2024; the 1 March 2026 text adds the caps):

* VUR (voluntary unplayed round): a half- or zero-point bye, a forfeit loss, every round after a withdrawal.
* As somebody's opponent (16.3) a player counts with the points awarded, except requested byes (rounds without
  an opponent) that are followed only by VURs, or are in the last round: those count as draws. That is the
  "adjusted score" used in Buchholz and Sonneborn-Berger.
* For the player's own tie-breaks (16.4) every unplayed round is a game against a dummy whose score is the
  player's own score, with the points awarded as the result. From 2026 the dummy's score is capped: for a
  forfeit at the scheduled opponent's adjusted score, otherwise at half a point per round.
* Cut-1/Cut-2/Median-1 cut VUR contributions first when cutting the least significant values (16.5).

Round robins (pre-determined pairings) follow the FIDE TEC's reference engine, gacrux: a forfeit counts as a
game against the scheduled opponent, a free round of an odd field is left out, and nothing is adjusted.

Internally points are integers (half points, quarter points for Sonneborn-Berger) so that nothing is rounded;
values come out as `Fraction` (points-like) or `int` (counts, ARO).

Checked against gacrux 1.11.65 (the TEC's engine) on generated events: every value and rank agrees, with two
deliberate differences. (1) Direct Encounter in a round robin that is not finished: gacrux treats the tied
players as if all had met; we apply DE only when they all have met or a lead cannot be overtaken, as C.07
Art. 6 says. (2) ARO with unrated opponents: gacrux drops ARO for everyone unless a rating for unrated players
is given; we leave unrated opponents out (or use `unrated_rating` when the tournament sets one).
"""
from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from fractions import Fraction

from .crosstable import Colour, Crosstable, ResultCode, RoundEntry, TieBreakEdition, TournamentType


class TieBreakError(ValueError):
    """Tie-breaks cannot be computed as asked; the message says why."""


class TieBreak(str, Enum):
    """The tie-breaks we compute, by their C.07 names."""

    BH = "BH"  # Buchholz
    BH_C1 = "BH-C1"  # Buchholz Cut-1
    BH_C2 = "BH-C2"  # Buchholz Cut-2
    BH_M1 = "BH-M1"  # Buchholz Median-1
    SB = "SB"  # Sonneborn-Berger
    DE = "DE"  # Direct Encounter
    WIN = "WIN"  # rounds won, played or not
    WON = "WON"  # games won over the board
    BPG = "BPG"  # games played with black
    BWG = "BWG"  # games won with black
    PS = "PS"  # progressive score
    ARO = "ARO"  # average rating of opponents

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    TieBreak.BH: "Buchholz", TieBreak.BH_C1: "Buchholz Cut-1", TieBreak.BH_C2: "Buchholz Cut-2",
    TieBreak.BH_M1: "Buchholz Median-1", TieBreak.SB: "Sonneborn-Berger", TieBreak.DE: "Direct encounter",
    TieBreak.WIN: "Wins", TieBreak.WON: "Games won", TieBreak.BPG: "Games with black",
    TieBreak.BWG: "Wins with black", TieBreak.PS: "Progressive score",
    TieBreak.ARO: "Average rating of opponents",
}
_CUTS = {TieBreak.BH: (0, 0), TieBreak.BH_C1: (1, 0), TieBreak.BH_C2: (2, 0), TieBreak.BH_M1: (1, 1)}

TieBreakValue = Fraction | int | None

DEFAULT_TIEBREAKS: dict[TournamentType, tuple[TieBreak, ...]] = {
    TournamentType.SWISS: (TieBreak.BH_C1, TieBreak.BH, TieBreak.SB),
    TournamentType.ROUND_ROBIN: (TieBreak.DE, TieBreak.SB, TieBreak.WIN),
    TournamentType.DOUBLE_ROUND_ROBIN: (TieBreak.DE, TieBreak.SB, TieBreak.WIN),
}


def default_tiebreaks(kind: TournamentType) -> tuple[TieBreak, ...]:
    """The list a new tournament starts with; organizers may change it.

    C.07 (Art. 4.1) leaves the list to the organizer. We start from the lists commonly applied under C.07:
    for an individual Swiss Buchholz Cut-1, Buchholz, Sonneborn-Berger (opposition strength first; Cut-1
    first because it is the least sensitive to one weak or absent opponent); for a round robin Direct
    Encounter, Sonneborn-Berger, number of wins (Buchholz is meaningless there: everyone meets the same field).
    """
    return DEFAULT_TIEBREAKS[TournamentType(kind)]


def parse_tiebreaks(names: Sequence[str | TieBreak]) -> tuple[TieBreak, ...]:
    """Tie-break names ("BH-C1", ...) as TieBreaks; an unknown or repeated name raises TieBreakError."""
    result: list[TieBreak] = []
    for name in names:
        try:
            tiebreak = TieBreak(name.upper() if isinstance(name, str) else name)
        except ValueError:
            known = ", ".join(t.value for t in TieBreak)
            raise TieBreakError(f"unknown tie-break {name!r} (known: {known})") from None
        if tiebreak in result:
            raise TieBreakError(f"tie-break {tiebreak.value} is listed twice")
        result.append(tiebreak)
    return tuple(result)


class TieBreakCalculator:
    """Scores and tie-breaks of every player after `through_round` (default: the last completed round)."""

    def __init__(self, crosstable: Crosstable, through_round: int | None = None, *,
                 unrated_rating: int | None = None, provisional: bool = False) -> None:
        """`provisional`: games without a result yet are left out, as if not paired (the standings "if the
        games ended now" during a round); by default such a game raises TieBreakError."""
        rounds = crosstable.completed_rounds if through_round is None else through_round
        if not isinstance(rounds, int) or not 0 <= rounds <= crosstable.planned_rounds:
            raise TieBreakError(f"round {rounds!r} is not a round of this tournament "
                                f"(1..{crosstable.planned_rounds})")
        self.crosstable = crosstable
        self.rounds = rounds
        self.unrated_rating = unrated_rating
        self._round_robin = crosstable.kind.is_round_robin
        self._capped = crosstable.effective_edition is TieBreakEdition.C07_2026
        self._rows: dict[int, list[RoundEntry]] = {
            n: [e for e in (crosstable.entry(n, r) for r in range(1, rounds + 1))
                if not (provisional and e.is_pending)] for n in crosstable.numbers}
        pending = sorted(n for n, row in self._rows.items() if any(e.is_pending for e in row))
        if pending:
            raise TieBreakError(f"round {rounds} is not finished: players {', '.join(map(str, pending))} "
                                "have games without a result")
        self._half = {n: [e.result.half_points for e in row] for n, row in self._rows.items()}
        self._score = {n: sum(h) for n, h in self._half.items()}
        self._adjusted = {n: self._adjusted_half_points(n) for n in self._rows}
        self._contributions: dict[int, list[tuple[int, int, bool]]] = {}
        self._cut_order: dict[int, list[int]] = {}
        self._count_cache: dict[int, dict[TieBreak, int]] = {}

    # ------------------------------------------------------------------ scores

    def points(self, number: int) -> Fraction:
        return Fraction(self._score[number], 2)

    def adjusted_score(self, number: int) -> Fraction:
        """The score this player counts with as somebody's opponent (Art. 16.3)."""
        return Fraction(self._adjusted[number], 2)

    def _adjusted_half_points(self, number: int) -> int:
        row, half = self._rows[number], self._half[number]
        # Rounds after the last one that is not a VUR form the tail; its byes count as draws.
        last_not_vur = max((i for i, e in enumerate(row) if not e.result.is_voluntary_unplayed), default=-1)
        tail_value = 0 if self._round_robin else 1
        return sum(h if i <= last_not_vur or e.opponent is not None else tail_value
                   for i, (e, h) in enumerate(zip(row, half)))

    # ------------------------------------------------------------------ tie-breaks

    def value(self, tiebreak: TieBreak, number: int) -> TieBreakValue:
        """One player's value of one tie-break (Direct Encounter depends on the tie; see `direct_encounter`)."""
        tiebreak = TieBreak(tiebreak)
        if tiebreak in _CUTS:
            low, high = _CUTS[tiebreak]
            return Fraction(self._cut_sum(number, low, high), 2)
        if tiebreak is TieBreak.SB:
            return Fraction(sum(sb for _, sb, _ in self._opposition(number)), 4)
        if tiebreak is TieBreak.PS:
            running = total = 0
            for half in self._half[number]:
                running += half
                total += running
            return Fraction(total, 2)
        if tiebreak is TieBreak.ARO:
            return self._average_rating_of_opponents(number)
        if tiebreak is TieBreak.DE:
            raise TieBreakError("Direct Encounter is decided within a tie: use direct_encounter()")
        return self._counts(number)[tiebreak]

    def values(self, tiebreak: TieBreak) -> dict[int, TieBreakValue]:
        return {n: self.value(tiebreak, n) for n in self._rows}

    def rows(self, number: int) -> list[RoundEntry]:
        """The player's entries counted here, round by round (provisional: without the unfinished games)."""
        return list(self._rows[number])

    def counted_rounds(self, number: int) -> list[RoundEntry]:
        """The entries `_opposition` counts, in the same order (round robins leave the free round out)."""
        return [entry for entry in self._rows[number]
                if not (self._round_robin and entry.opponent is None)]

    def _opposition(self, number: int) -> list[tuple[int, int, bool]]:
        """Per counted round: (opponent's score in half points, SB contribution in quarter points, is VUR).

        A round without a real opponent (Art. 16.4) counts against a virtual opponent; `counted_rounds` gives
        the entries in the same order, for the breakdown a player can check (chessweb/fide/breakdown.py)."""
        cached = self._contributions.get(number)
        if cached is not None:
            return cached
        own = self._score[number]
        contributions = []
        for entry, half in zip(self._rows[number], self._half[number]):
            if entry.opponent is not None and (self._round_robin or entry.is_played):
                score, vur = self._adjusted[entry.opponent], False
            elif self._round_robin:
                continue  # the free round of an odd round robin is not a game
            else:
                score, vur = own, entry.result.is_voluntary_unplayed
                if self._capped:
                    cap = self._adjusted[entry.opponent] if entry.opponent is not None else self.rounds
                    score = min(score, cap)
            contributions.append((score, score * half, vur))
        self._contributions[number] = contributions
        return contributions

    def _cut_sum(self, number: int, low: int, high: int) -> int:
        """Buchholz without the `low` least significant values (VURs first) and the `high` most significant."""
        order = self._cut_order.get(number)
        if order is None:
            opposition = self._opposition(number)
            order = (sorted(score for score, _, vur in opposition if vur)
                     + sorted(score for score, _, vur in opposition if not vur))
            self._cut_order[number] = order
        kept = order[min(low, len(order)):]
        if high:
            kept = sorted(kept)[:max(0, len(kept) - high)]
        return sum(kept)

    def _counts(self, number: int) -> dict[TieBreak, int]:
        """WIN, WON, BPG and BWG in one pass over the player's rounds."""
        counts = self._count_cache.get(number)
        if counts is None:
            win = won = black_games = black_wins = 0
            for entry in self._rows[number]:
                result = entry.result
                win += result.half_points == 2
                if result.is_played:
                    won_game = result in _WON_GAME
                    won += won_game
                    if entry.colour is Colour.BLACK:
                        black_games += 1
                        black_wins += won_game
            counts = {TieBreak.WIN: win, TieBreak.WON: won, TieBreak.BPG: black_games, TieBreak.BWG: black_wins}
            self._count_cache[number] = counts
        return counts

    def _average_rating_of_opponents(self, number: int) -> int | None:
        ratings = []
        for entry in self._rows[number]:
            if entry.opponent is not None and entry.is_played:
                rating = self.crosstable.player(entry.opponent).rating
                rating = rating if rating is not None else self.unrated_rating
                if rating is not None:
                    ratings.append(rating)
        if not ratings:
            return None
        return (2 * sum(ratings) + len(ratings)) // (2 * len(ratings))  # rounded half up

    # ------------------------------------------------------------------ direct encounter

    def direct_encounter(self, group: Sequence[int]) -> list[list[int]]:
        """Split tied players by Direct Encounter (C.07 Art. 6): ordered subgroups, best first.

        Points scored against the other tied players count (the average when two met more than once). If not
        all of them have met, only a leader whose score the others cannot reach even by winning their missing
        games is separated. Whatever stays tied is split again by the games among its own members.
        """
        members = list(group)
        if len(members) < 2:
            return [members]
        scores, met = self._encounters(members)
        if all(len(met[p]) == len(members) - 1 for p in members):
            ordered = sorted(members, key=lambda p: -scores[p])
            subgroups: list[list[int]] = []
            for p in ordered:
                if subgroups and scores[subgroups[-1][0]] == scores[p]:
                    subgroups[-1].append(p)
                else:
                    subgroups.append([p])
            if len(subgroups) == 1:
                return [sorted(members)]
            return [part for sub in subgroups for part in self.direct_encounter(sub)]
        best = {p: scores[p] + (len(members) - 1 - len(met[p])) for p in members}
        remaining = sorted(members, key=lambda p: (-scores[p], -best[p], p))
        leaders: list[list[int]] = []
        while len(remaining) > 1 and scores[remaining[0]] > max(best[p] for p in remaining[1:]):
            leaders.append([remaining.pop(0)])
        if not leaders:
            return [sorted(members)]
        return leaders + self.direct_encounter(remaining)

    def _encounters(self, members: list[int]) -> tuple[dict[int, Fraction], dict[int, set[int]]]:
        inside = set(members)
        scores: dict[int, Fraction] = {}
        met: dict[int, set[int]] = {}
        for p in members:
            results: dict[int, list[int]] = {}
            for entry, half in zip(self._rows[p], self._half[p]):
                if entry.opponent in inside and (entry.is_played or self._round_robin):
                    results.setdefault(entry.opponent, []).append(half)
            scores[p] = sum((Fraction(sum(h), 2 * len(h)) for h in results.values()), Fraction(0))
            met[p] = set(results)
        return scores, met



_WON_GAME = frozenset({ResultCode.WIN, ResultCode.UNRATED_WIN})
