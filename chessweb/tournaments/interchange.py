"""FIDE TRF-16 export and import, and the PGN of a tournament's games (both via chessweb.fide)."""
from __future__ import annotations

from datetime import date

from ..extensions import db
from ..fide import pgn
from ..fide.crosstable import Colour, Crosstable, ResultCode
from ..fide.text import control_character
from ..fide.trf import TrfError, read_trf, write_trf
from ..models import (ByeRequest, Game, Registration, RegistrationStatus, Round, RoundStatus, Tournament,
                      TournamentStatus, utcnow)
from . import crosstable as tables
from . import queries, tiebreaks
from .service import ServiceError

MAX_TRF_PLAYERS = 2000


def export_trf(tournament_id: int) -> str:
    """The published rounds as TRF-16; for the next round, requested byes and withdrawn players are marked."""
    tournament = queries.load_tournament(tournament_id)
    table = tables.build(tournament)
    next_round = table.paired_rounds + 1
    markers: dict[int, ResultCode] = {}  # withdrawn players are marked by write_trf itself
    if next_round <= table.planned_rounds:
        markers = {r.pairing_number: ResultCode.HALF_POINT_BYE if b.half_point else ResultCode.ZERO_POINT_BYE
                   for r in tournament.registrations if r.pairing_number and r.status == RegistrationStatus.ACTIVE
                   for b in r.bye_requests if b.round_number == next_round}
    return write_trf(table, not_paired_next=markers)


def export_pgn(tournament_id: int) -> str:
    """Every game of the published rounds that is played or being played (byes and forfeits are no games)."""
    tournament = queries.load_tournament(tournament_id)
    by_id = {r.id: r for r in tournament.registrations}
    records = []
    for round_ in queries.public_rounds(tournament):
        for game in round_.games:
            if game.black_id is None:
                continue
            white_code = tables.GAME_CODES[game.result][0]
            if game.result.is_final and not white_code.is_played:
                continue
            white, black = by_id[game.white_id], by_id[game.black_id]
            records.append(pgn.GameRecord(
                event=tournament.name, site=tournament.venue or "?",
                date=round_.started_at.date() if round_.started_at else tournament.start_date,
                round=round_.number, board=game.board, white=white.name, black=black.name,
                result=pgn.pgn_result(white_code), white_elo=white.rating, black_elo=black.rating,
                moves=_movetext(game.pgn)))
    return pgn.export_pgn(records)


def _movetext(stored: str) -> str:
    """The main line of a relayed game, when it starts from the initial position (FEN games export no moves)."""
    if not stored.strip() or "[FEN " in stored:
        return ""
    return " ".join(pgn.parse_relayed_pgn(stored).san_moves)


def import_trf(data: bytes | str, organizer_id: int, *, is_public: bool = True) -> int:
    """Create a finished or running tournament from a TRF-16 file; a bad file creates nothing."""
    try:
        table = read_trf(data)
    except TrfError as error:
        raise ServiceError(f"The TRF file cannot be read: {error}.", "trf") from None
    if len(table.players) > MAX_TRF_PLAYERS:
        raise ServiceError(f"The file has {len(table.players)} players; at most {MAX_TRF_PLAYERS} can be imported.",
                           "trf")
    if control_character(table.name):
        raise ServiceError("The tournament name (012) contains a control character.", "trf")
    fmt = tables.FORMAT[table.kind]
    paired = table.paired_rounds
    tournament = Tournament(
        name=(table.name or "Imported tournament")[:120], format=fmt, planned_rounds=table.planned_rounds,
        start_date=table.start_date or date.today(), tiebreaks=",".join(tiebreaks.default_for(fmt)),
        top_seed_colour=table.top_seed_colour.value, is_public=is_public, organizer_id=organizer_id,
        status=TournamentStatus.ACTIVE if paired else TournamentStatus.UPCOMING)
    try:
        _fill(tournament, table)
        db.session.add(tournament)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return tournament.id


def _fill(tournament: Tournament, table: Crosstable) -> None:
    """Registrations, rounds and games of `table` on a new tournament."""
    registrations: dict[int, Registration] = {}
    for player in table.players:
        if len(player.name) > 64:
            raise ServiceError(f"Player {player.number}'s name is longer than 64 characters.", "trf")
        if control_character(player.name):
            raise ServiceError(f"Player {player.number}'s name contains a control character.", "trf")
        registration = Registration(pairing_number=player.number, name=player.name, rating=player.rating,
                                    fide_id=str(player.fide_id) if player.fide_id else None,
                                    federation=player.federation[:3] or None, title=player.title[:3] or None)
        registrations[player.number] = registration
        tournament.registrations.append(registration)
    paired = table.paired_rounds
    for number in range(1, paired + 1):
        round_ = Round(number=number, status=RoundStatus.PUBLISHED, started_at=utcnow())
        tournament.rounds.append(round_)
        for board, game in enumerate(_games(table, number, registrations), start=1):
            game.board = board
            round_.games.append(game)
        if all(g.result.is_final for g in round_.games):
            round_.status = RoundStatus.COMPLETED
            round_.completed_at = utcnow()
    for player in table.players:  # entries ahead of the pairing: requested byes, and "not paired" = withdrawn
        entry_of = registrations[player.number]
        for entry in table.entries.get(player.number, ()):
            if entry.round <= paired or entry.opponent is not None:
                continue
            if entry.result in (ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE):
                entry_of.bye_requests.append(
                    ByeRequest(round_number=entry.round, half_point=entry.result is ResultCode.HALF_POINT_BYE))
            elif entry.result is ResultCode.FORFEIT_LOSS and entry_of.status != RegistrationStatus.WITHDRAWN:
                entry_of.status = RegistrationStatus.WITHDRAWN
                entry_of.withdrawn_from_round = entry.round
    if paired and paired == table.planned_rounds and all(r.status == RoundStatus.COMPLETED for r in tournament.rounds):
        tournament.status = TournamentStatus.COMPLETED


def _games(table: Crosstable, number: int, registrations: dict[int, Registration]) -> list[Game]:
    """The round's boards (ordered by the better pairing number) and its byes; absent players get nothing."""
    boards: list[tuple[int, Game]] = []
    byes: list[tuple[int, Game]] = []
    for player in table.numbers:
        entry = table.recorded(player, number)
        if entry is None:
            continue
        if entry.opponent is None:
            if entry.result in tables.BYE_RESULTS:
                byes.append((player, Game(white=registrations[player], result=tables.BYE_RESULTS[entry.result])))
            continue
        other = table.entry(entry.opponent, number)
        is_white = entry.colour is Colour.WHITE or (entry.colour is None and player < entry.opponent)
        if not is_white:
            continue
        try:
            result = tables.game_result_for(entry.result, other.result)
        except ValueError as error:
            raise ServiceError(f"Round {number}, players {player} and {entry.opponent}: {error}.", "trf") from None
        boards.append((min(player, entry.opponent), Game(white=registrations[player],
                                                         black=registrations[entry.opponent], result=result)))
    return [g for _, g in sorted(boards, key=lambda b: b[0])] + [g for _, g in sorted(byes, key=lambda b: b[0])]
