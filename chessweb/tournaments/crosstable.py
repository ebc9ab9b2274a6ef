"""Database rows → `chessweb.fide` crosstable, and the result codes that connect the two."""
from __future__ import annotations

from collections.abc import Mapping

from ..fide.crosstable import (Colour, Crosstable, Player, ResultCode, RoundEntry, TieBreakEdition, TournamentType,
                               bye_entry, game_entries)
from ..models import Game, GameResult, Registration, RoundStatus, Tournament, TournamentFormat

KIND = {TournamentFormat.SWISS: TournamentType.SWISS, TournamentFormat.ROUND_ROBIN: TournamentType.ROUND_ROBIN,
        TournamentFormat.DOUBLE_ROUND_ROBIN: TournamentType.DOUBLE_ROUND_ROBIN}
FORMAT = {kind: fmt for fmt, kind in KIND.items()}

# A game's result as (white's code, black's code).
GAME_CODES: dict[GameResult, tuple[ResultCode, ResultCode]] = {
    GameResult.PENDING: (ResultCode.PENDING, ResultCode.PENDING),
    GameResult.WHITE_WIN: (ResultCode.WIN, ResultCode.LOSS),
    GameResult.BLACK_WIN: (ResultCode.LOSS, ResultCode.WIN),
    GameResult.DRAW: (ResultCode.DRAW, ResultCode.DRAW),
    GameResult.WHITE_WIN_FORFEIT: (ResultCode.FORFEIT_WIN, ResultCode.FORFEIT_LOSS),
    GameResult.BLACK_WIN_FORFEIT: (ResultCode.FORFEIT_LOSS, ResultCode.FORFEIT_WIN),
    GameResult.DOUBLE_FORFEIT: (ResultCode.FORFEIT_LOSS, ResultCode.FORFEIT_LOSS),
}
BYE_CODES: dict[GameResult, ResultCode] = {
    GameResult.BYE_PAIRING: ResultCode.PAIRING_ALLOCATED_BYE, GameResult.BYE_FULL: ResultCode.FULL_POINT_BYE,
    GameResult.BYE_HALF: ResultCode.HALF_POINT_BYE, GameResult.BYE_ZERO: ResultCode.ZERO_POINT_BYE,
}
BYE_RESULTS = {code: result for result, code in BYE_CODES.items()}
# Unrated games read from a TRF count like played ones.
_UNRATED = {ResultCode.UNRATED_WIN: ResultCode.WIN, ResultCode.UNRATED_DRAW: ResultCode.DRAW,
            ResultCode.UNRATED_LOSS: ResultCode.LOSS}


def game_result_for(white: ResultCode, black: ResultCode) -> GameResult:
    """The GameResult of a board whose players have these codes (inverse of GAME_CODES)."""
    pair = (_UNRATED.get(white, white), _UNRATED.get(black, black))
    for result, codes in GAME_CODES.items():
        if codes == pair:
            return result
    raise ValueError(f"results {white.value!r} and {black.value!r} do not make a game")


def player_of(registration: Registration, number: int | None = None) -> Player:
    """The registration as a crosstable player, numbered `number` (by default its own pairing number)."""
    number = registration.pairing_number if number is None else number
    assert number is not None
    return Player(number=number, name=registration.name, rating=registration.rating,
                  fide_id=int(registration.fide_id) if registration.fide_id else None,
                  federation=registration.federation or "", title=registration.title or "",
                  sex=registration.sex or "", birth_date=registration.birth_date, birth_year=registration.birth_year,
                  withdrawn_from=registration.withdrawn_from_round)


def game_entries_of(game: Game, round_number: int, numbers: Mapping[int, int]) -> dict[int, RoundEntry]:
    """The crosstable entries one board gives its players (`numbers`: registration id → pairing number)."""
    white = numbers[game.white_id]
    if game.black_id is None:
        return {white: bye_entry(round_number, BYE_CODES[game.result])}
    white_code, black_code = GAME_CODES[game.result]
    return game_entries(round_number, white, numbers[game.black_id], white_code, black_code)


def build(tournament: Tournament, numbers: Mapping[int, int] | None = None) -> Crosstable:
    """The tournament as chessweb.fide sees it: numbered players and every published round's boards.

    `numbers` (registration id → pairing number) stands in for the registrations' own numbers, e.g. the ones
    round 1 is about to give them."""
    if numbers is None:
        numbers = {r.id: r.pairing_number for r in tournament.registrations if r.pairing_number is not None}
    registrations = [r for r in tournament.registrations if r.id in numbers]
    entries: dict[int, list[RoundEntry]] = {}
    for round_ in tournament.rounds:
        if round_.status == RoundStatus.DRAFT:  # the organizer's alone, and not played yet
            continue
        for game in round_.games:
            for number, entry in game_entries_of(game, round_.number, numbers).items():
                entries.setdefault(number, []).append(entry)
    edition = TieBreakEdition(tournament.tiebreak_edition) if tournament.tiebreak_edition else None
    return Crosstable(players=tuple(player_of(r, numbers[r.id]) for r in registrations),
                      entries={n: tuple(e) for n, e in entries.items()},
                      planned_rounds=tournament.planned_rounds, start_date=tournament.start_date,
                      top_seed_colour=Colour(tournament.top_seed_colour), kind=KIND[tournament.format],
                      edition=edition, name=tournament.name)
