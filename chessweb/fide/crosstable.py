"""The crosstable: players, their round-by-round entries and the tournament facts that pairing and tie-breaks need.

Results use the TRF-16 codes (plus `*` for a game not finished yet), so a database row maps one to one onto a
`RoundEntry`. A round that a player has no entry for counts as "not paired, zero points" (TRF `0000 - -`);
that is how rounds after a withdrawal or before a late entry look.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from fractions import Fraction


class CrosstableError(ValueError):
    """The crosstable is inconsistent; the message says which player and round (also kept as attributes)."""

    def __init__(self, message: str, player: int | None = None, round_no: int | None = None) -> None:
        super().__init__(message)
        self.player = player
        self.round = round_no


class Colour(str, Enum):
    """Piece colour as TRF writes it."""

    WHITE = "w"
    BLACK = "b"

    @property
    def opposite(self) -> Colour:
        return Colour.BLACK if self is Colour.WHITE else Colour.WHITE


class ResultCode(str, Enum):
    """TRF-16 result codes, seen from the player who owns the entry."""

    WIN = "1"
    LOSS = "0"
    DRAW = "="
    FORFEIT_WIN = "+"
    FORFEIT_LOSS = "-"  # without an opponent: absent, not paired (TRF "0000 - -")
    HALF_POINT_BYE = "H"
    ZERO_POINT_BYE = "Z"
    PAIRING_ALLOCATED_BYE = "U"
    FULL_POINT_BYE = "F"
    UNRATED_WIN = "W"  # played over the board, not rated (e.g. less than one move each)
    UNRATED_DRAW = "D"
    UNRATED_LOSS = "L"
    PENDING = "*"  # paired, result not known yet

    @property
    def half_points(self) -> int:
        """Points awarded, in half points (a win is 2)."""
        return _HALF_POINTS[self]

    @property
    def is_played(self) -> bool:
        """True for a game played over the board."""
        return self in _PLAYED

    @property
    def is_voluntary_unplayed(self) -> bool:
        """C.07 Art. 16.1 VUR: a requested bye, a forfeit loss, or a round absent (withdrawn)."""
        return self in _VUR


_HALF_POINTS = {
    ResultCode.WIN: 2, ResultCode.LOSS: 0, ResultCode.DRAW: 1,
    ResultCode.FORFEIT_WIN: 2, ResultCode.FORFEIT_LOSS: 0,
    ResultCode.HALF_POINT_BYE: 1, ResultCode.ZERO_POINT_BYE: 0,
    ResultCode.PAIRING_ALLOCATED_BYE: 2, ResultCode.FULL_POINT_BYE: 2,
    ResultCode.UNRATED_WIN: 2, ResultCode.UNRATED_DRAW: 1, ResultCode.UNRATED_LOSS: 0,
    ResultCode.PENDING: 0,
}
_PLAYED = frozenset({ResultCode.WIN, ResultCode.LOSS, ResultCode.DRAW,
                     ResultCode.UNRATED_WIN, ResultCode.UNRATED_DRAW, ResultCode.UNRATED_LOSS})
_VUR = frozenset({ResultCode.FORFEIT_LOSS, ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE})
# Codes that need an opponent, and codes that must not have one.
_WITH_OPPONENT = _PLAYED | {ResultCode.FORFEIT_WIN, ResultCode.FORFEIT_LOSS, ResultCode.PENDING}
_WITHOUT_OPPONENT = frozenset({ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE, ResultCode.PAIRING_ALLOCATED_BYE,
                               ResultCode.FULL_POINT_BYE, ResultCode.FORFEIT_LOSS})
# The opponent's code for each code; "-" against "-" is a double forfeit.
_RECIPROCAL = {
    ResultCode.WIN: ResultCode.LOSS, ResultCode.LOSS: ResultCode.WIN, ResultCode.DRAW: ResultCode.DRAW,
    ResultCode.FORFEIT_WIN: ResultCode.FORFEIT_LOSS, ResultCode.FORFEIT_LOSS: ResultCode.FORFEIT_WIN,
    ResultCode.UNRATED_WIN: ResultCode.UNRATED_LOSS, ResultCode.UNRATED_LOSS: ResultCode.UNRATED_WIN,
    ResultCode.UNRATED_DRAW: ResultCode.UNRATED_DRAW, ResultCode.PENDING: ResultCode.PENDING,
}
_ALLOWED_PAIRS = {(code, other) for code, other in _RECIPROCAL.items()} | {
    (ResultCode.FORFEIT_LOSS, ResultCode.FORFEIT_LOSS)}
_FORFEITS = frozenset({ResultCode.FORFEIT_WIN, ResultCode.FORFEIT_LOSS})


class TournamentType(str, Enum):
    """How the tournament is paired."""

    SWISS = "swiss"
    ROUND_ROBIN = "round_robin"
    DOUBLE_ROUND_ROBIN = "double_round_robin"

    @property
    def is_round_robin(self) -> bool:
        return self is not TournamentType.SWISS


EDITION_2026_FROM = date(2026, 3, 1)


class TieBreakEdition(str, Enum):
    """Edition of FIDE C.07 whose Article 16 (unplayed rounds) applies."""

    C07_2024 = "2024"  # in force for FIDE-rated events from 1 April 2024
    C07_2026 = "2026"  # from 1 March 2026: capped dummy opponent

    @classmethod
    def for_start_date(cls, start: date | None) -> TieBreakEdition:
        """The edition in force on `start`; an undated tournament gets the rules in force now (the newest)."""
        if start is None or start >= EDITION_2026_FROM:
            return cls.C07_2026
        return cls.C07_2024


@dataclass(frozen=True)
class Player:
    """A participant; `number` is the pairing (start) number used everywhere else."""

    number: int
    name: str
    rating: int | None = None
    fide_id: int | None = None
    federation: str = ""
    title: str = ""
    sex: str = ""  # "m", "w" or ""
    birth_date: date | None = None
    birth_year: int | None = None  # known without the full date (TRF "1978" or "1978/00/00"); else birth_date's
    withdrawn_from: int | None = None  # first round the player no longer takes part in

    def __post_init__(self) -> None:
        if not isinstance(self.number, int) or self.number < 1:
            raise CrosstableError(f"player number must be a positive integer, got {self.number!r}")
        if self.rating is not None and (not isinstance(self.rating, int) or self.rating < 0):
            raise CrosstableError(f"player {self.number}: rating must be a non-negative integer, got {self.rating!r}")
        if self.rating == 0:
            object.__setattr__(self, "rating", None)  # TRF writes an unrated player as 0 or blank
        if self.birth_date is not None and self.birth_year is None:
            object.__setattr__(self, "birth_year", self.birth_date.year)
        if self.withdrawn_from is not None and self.withdrawn_from < 1:
            raise CrosstableError(f"player {self.number}: withdrawn_from must be a round number >= 1")
        if self.sex not in ("", "m", "w"):
            raise CrosstableError(f"player {self.number}: sex must be 'm', 'w' or empty, got {self.sex!r}")


@dataclass(frozen=True)
class RoundEntry:
    """What one player did in one round."""

    round: int
    opponent: int | None
    colour: Colour | None
    result: ResultCode

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "result", ResultCode(self.result))
            if self.colour is not None:
                object.__setattr__(self, "colour", Colour(self.colour))
        except ValueError as error:
            raise CrosstableError(f"round {self.round}: {error}") from None
        if self.opponent == 0:
            object.__setattr__(self, "opponent", None)
        where = f"round {self.round}"
        if not isinstance(self.round, int) or self.round < 1:
            raise CrosstableError(f"round must be a positive integer, got {self.round!r}")
        if self.opponent is None:
            if self.result not in _WITHOUT_OPPONENT:
                raise CrosstableError(f"{where}: result {self.result.value!r} needs an opponent")
            if self.colour is not None:
                raise CrosstableError(f"{where}: an entry without an opponent has no colour")
        else:
            if self.result not in _WITH_OPPONENT:
                raise CrosstableError(f"{where}: result {self.result.value!r} cannot have an opponent")
            if self.colour is None and self.result not in _FORFEITS:
                raise CrosstableError(f"{where}: a game needs a colour")

    @property
    def is_played(self) -> bool:
        """Played over the board."""
        return self.result.is_played

    @property
    def is_pending(self) -> bool:
        return self.result is ResultCode.PENDING


def absent_entry(round_no: int) -> RoundEntry:
    """The entry of a player who was not paired in a round (TRF `0000 - -`)."""
    return RoundEntry(round_no, None, None, ResultCode.FORFEIT_LOSS)


def bye_entry(round_no: int, result: ResultCode | str) -> RoundEntry:
    """An entry without an opponent: H, Z, U, F or - (absent)."""
    return RoundEntry(round_no, None, None, ResultCode(result))


def game_entries(round_no: int, white: int, black: int, white_result: ResultCode | str,
                 black_result: ResultCode | str | None = None) -> dict[int, RoundEntry]:
    """Both players' entries for one board; the black result defaults to the reciprocal of the white one."""
    white_code = ResultCode(white_result)
    if black_result is None:
        if white_code not in _RECIPROCAL:
            raise CrosstableError(f"round {round_no}: {white_code.value!r} is not a game result")
        black_code = _RECIPROCAL[white_code]
    else:
        black_code = ResultCode(black_result)
    return {white: RoundEntry(round_no, black, Colour.WHITE, white_code),
            black: RoundEntry(round_no, white, Colour.BLACK, black_code)}


@dataclass(frozen=True)
class Crosstable:
    """A tournament as pairing and tie-breaks see it; immutable, validated on construction.

    `entries` maps a player number to that player's entries (any iterable, or a single `RoundEntry`); it is
    stored as tuples sorted by round.
    """

    players: tuple[Player, ...]
    entries: Mapping[int, tuple[RoundEntry, ...]]
    planned_rounds: int
    start_date: date | None = None
    top_seed_colour: Colour = Colour.WHITE  # first-round colour of pairing number 1 (drawn by lot)
    kind: TournamentType = TournamentType.SWISS
    edition: TieBreakEdition | None = None  # None: by start date
    name: str = ""
    _by_player: dict[int, dict[int, RoundEntry]] = field(init=False, repr=False, compare=False)
    _players: dict[int, Player] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        players = tuple(sorted(self.players, key=lambda p: p.number))
        object.__setattr__(self, "players", players)
        object.__setattr__(self, "top_seed_colour", Colour(self.top_seed_colour))
        object.__setattr__(self, "kind", TournamentType(self.kind))
        if self.edition is not None:
            object.__setattr__(self, "edition", TieBreakEdition(self.edition))
        by_number = {p.number: p for p in players}
        if len(by_number) != len(players):
            raise CrosstableError("player numbers must be unique")
        if not isinstance(self.planned_rounds, int) or self.planned_rounds < 1:
            raise CrosstableError(f"planned_rounds must be a positive integer, got {self.planned_rounds!r}")
        by_player: dict[int, dict[int, RoundEntry]] = {}
        for number, player_entries in self.entries.items():
            if number not in by_number:
                raise CrosstableError(f"entries given for unknown player {number}", number)
            rounds: dict[int, RoundEntry] = {}
            for entry in ([player_entries] if isinstance(player_entries, RoundEntry) else player_entries):
                if entry.round in rounds:
                    raise CrosstableError(f"player {number}: two entries for round {entry.round}", number, entry.round)
                if entry.round > self.planned_rounds:
                    raise CrosstableError(f"player {number}: round {entry.round} is after the last planned round "
                                          f"{self.planned_rounds}", number, entry.round)
                rounds[entry.round] = entry
            by_player[number] = dict(sorted(rounds.items()))
        object.__setattr__(self, "entries", {n: tuple(r.values()) for n, r in sorted(by_player.items())})
        object.__setattr__(self, "_by_player", by_player)
        object.__setattr__(self, "_players", by_number)
        self._check_games()

    def _check_games(self) -> None:
        """Every game must be recorded the same way on both sides."""
        for number, rounds in self._by_player.items():
            for entry in rounds.values():
                if entry.opponent is None:
                    continue
                where = f"player {number}, round {entry.round}"
                at = (number, entry.round)
                if entry.opponent == number:
                    raise CrosstableError(f"{where}: paired against themselves", *at)
                if entry.opponent not in self._players:
                    raise CrosstableError(f"{where}: opponent {entry.opponent} is not a player", *at)
                other = self._by_player.get(entry.opponent, {}).get(entry.round)
                if other is None or other.opponent != number:
                    raise CrosstableError(f"{where}: opponent {entry.opponent} does not have this game", *at)
                expected_colour = entry.colour.opposite if entry.colour is not None else None
                if other.colour != expected_colour:
                    mine = entry.colour.value if entry.colour else "-"
                    theirs = other.colour.value if other.colour else "-"
                    raise CrosstableError(f"{where}: colours {mine!r} and {theirs!r} (opponent {entry.opponent}) "
                                          "do not fit together", *at)
                if (entry.result, other.result) not in _ALLOWED_PAIRS:
                    raise CrosstableError(f"{where}: results {entry.result.value!r} and {other.result.value!r} "
                                          f"(opponent {entry.opponent}) do not fit together", *at)

    # ------------------------------------------------------------------ lookups

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(p.number for p in self.players)

    def player(self, number: int) -> Player:
        try:
            return self._players[number]
        except KeyError:
            raise CrosstableError(f"no player {number}") from None

    def recorded(self, number: int, round_no: int) -> RoundEntry | None:
        """The entry recorded for this round, or None."""
        return self._by_player.get(number, {}).get(round_no)

    def entry(self, number: int, round_no: int) -> RoundEntry:
        """The effective entry: the recorded one, else "not paired, zero points"."""
        return self._by_player.get(number, {}).get(round_no) or absent_entry(round_no)

    @property
    def last_round(self) -> int:
        """Highest round with any entry (byes entered ahead of pairing count)."""
        return max((r for rounds in self._by_player.values() for r in rounds), default=0)

    @property
    def paired_rounds(self) -> int:
        """Highest round that has been paired: it holds a game or a pairing-allocated bye."""
        return max((e.round for rounds in self._by_player.values() for e in rounds.values()
                    if e.opponent is not None or e.result is ResultCode.PAIRING_ALLOCATED_BYE), default=0)

    @property
    def completed_rounds(self) -> int:
        """Highest paired round such that no game up to it is still pending."""
        first_pending = min((e.round for rounds in self._by_player.values() for e in rounds.values()
                             if e.is_pending), default=None)
        paired = self.paired_rounds
        return paired if first_pending is None else min(paired, first_pending - 1)

    @property
    def effective_edition(self) -> TieBreakEdition:
        return self.edition or TieBreakEdition.for_start_date(self.start_date)

    def points(self, number: int, through_round: int | None = None) -> Fraction:
        """Score after `through_round` (default: every recorded round)."""
        last = self.last_round if through_round is None else through_round
        half = sum(e.result.half_points for r, e in self._by_player.get(number, {}).items() if r <= last)
        return Fraction(half, 2)

    # ------------------------------------------------------------------ building

    def with_entries(self, new: Mapping[int, RoundEntry | Iterable[RoundEntry]]) -> Crosstable:
        """A copy with entries added (an entry replaces the player's entry for the same round)."""
        merged = {n: dict(rounds) for n, rounds in self._by_player.items()}
        for number, given in new.items():
            for entry in ([given] if isinstance(given, RoundEntry) else given):
                merged.setdefault(number, {})[entry.round] = entry
        return dataclasses.replace(self, entries={n: tuple(r.values()) for n, r in merged.items()})

    def through(self, round_no: int) -> Crosstable:
        """A copy holding only the entries of rounds 1..round_no (the tournament as it was then)."""
        return dataclasses.replace(self, entries={
            n: tuple(e for e in rounds.values() if e.round <= round_no) for n, rounds in self._by_player.items()})

    def with_players(self, players: Iterable[Player]) -> Crosstable:
        """A copy with these players replaced or added (matched by number)."""
        by_number = dict(self._players)
        by_number.update({p.number: p for p in players})
        return dataclasses.replace(self, players=tuple(by_number.values()))
