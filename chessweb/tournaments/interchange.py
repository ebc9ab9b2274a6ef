"""FIDE TRF export and import (TRF-16 and TRF-2026), and the PGN of a tournament's games (via chessweb.fide)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from ..extensions import db
from ..fide import pgn
from ..fide.crosstable import Colour, Crosstable, ResultCode, TournamentType
from ..fide.standings import standings
from ..fide.text import control_character, one_line
from ..fide.trf import MAX_PLAYERS, TrfError, TrfFile, TrfHeader, read_trf_file, write_trf
from ..models import (
    ByeRequest,
    Game,
    Registration,
    RegistrationStatus,
    Round,
    RoundStatus,
    Tournament,
    TournamentStatus,
    utcnow,
)
from . import crosstable as tables
from . import queries, tiebreaks
from .service import ServiceError
from .settings import MAX_SWISS_ROUNDS, record_tournament_created

MAX_TRF_PLAYERS = MAX_PLAYERS


@dataclass(frozen=True)
class ImportedTrf:
    """A tournament created from a TRF file, and what the organizer should be told about the file."""

    tournament_id: int
    warnings: tuple[str, ...] = ()


def export_trf(tournament_id: int) -> str:
    """The published rounds as TRF; for the next round, requested byes and withdrawn players are marked.

    The rank column is the standings page's rank (score, then the tournament's tie-breaks; ties share a rank),
    as TRF-2026 requires for rating reports."""
    tournament = queries.load_tournament(tournament_id)
    table = tables.build(tournament)
    next_round = table.paired_rounds + 1
    markers: dict[int, ResultCode] = {}  # withdrawn players are marked by write_trf itself
    if next_round <= table.planned_rounds:
        markers = {r.pairing_number: ResultCode(b.code)
                   for r in tournament.registrations if r.pairing_number and r.status == RegistrationStatus.ACTIVE
                   for b in r.bye_requests if b.round_number == next_round}
    ranks = None
    if table.completed_rounds:
        ranks = {row.number: row.rank for row in standings(table, tournament.tiebreak_list,
                                                           through_round=table.completed_rounds)}
    header = TrfHeader(city=tournament.venue, federation=tournament.federation or "", end_date=tournament.end_date,
                       time_control=tournament.time_control)
    return write_trf(table, not_paired_next=markers, ranks=ranks, header=header)


def export_pgn(tournament_id: int) -> str:
    """Every game of the published rounds that is played or being played (byes and forfeits are no games)."""
    tournament = queries.load_tournament(tournament_id)
    by_id = {r.id: r for r in tournament.registrations}
    records = [record for round_ in queries.public_rounds(tournament) for game in round_.games
               if (record := _game_record(tournament, round_, game, by_id)) is not None]
    return pgn.export_pgn(records)


def game_pgn(game_id: int) -> str:
    """One game's PGN as export_pgn writes it; "" for a bye, a forfeit or a game of a draft round."""
    game = db.session.get(Game, game_id)
    if game is None or game.round.status == RoundStatus.DRAFT:
        return ""
    tournament = game.round.tournament
    record = _game_record(tournament, game.round, game, {r.id: r for r in tournament.registrations})
    return pgn.export_pgn([record]) if record is not None else ""


def _game_record(tournament: Tournament, round_: Round, game: Game,
                 by_id: dict[int, Registration]) -> pgn.GameRecord | None:
    if game.black_id is None:
        return None
    white_code = tables.GAME_CODES[game.result][0]
    if game.result.is_final and not white_code.is_played:
        return None
    white, black = by_id[game.white_id], by_id[game.black_id]
    relayed = _relayed(game.pgn)
    return pgn.GameRecord(
        event=tournament.name, site=tournament.venue or "?",
        date=round_.started_at.date() if round_.started_at else tournament.start_date,
        round=round_.number, board=game.board, white=white.name, black=black.name,
        result=pgn.pgn_result(white_code), white_elo=white.rating, black_elo=black.rating,
        moves=" ".join(relayed.san_moves) if relayed else "",
        fen=relayed.starting_fen if relayed else None, variant=relayed.variant if relayed else None)


def _relayed(stored: str) -> pgn.RelayedGame | None:
    """A stored relay, read again; one stored under older, laxer checks exports without its moves."""
    if not stored.strip():
        return None
    try:
        return pgn.parse_relayed_pgn(stored)
    except pgn.PgnError:
        return None


def import_trf(data: bytes | str, organizer_id: int, *, is_public: bool = True,
               planned_rounds: int | None = None) -> ImportedTrf:
    """Create a finished or running tournament from a TRF file; a bad file creates nothing (ServiceError, 400).

    `planned_rounds` is the organizer's answer to "how many rounds?": it wins over the file's `XXR`/`142`, and is
    required when the file has neither (a file that does not say is never taken as finished).

    Two phases, so that the write lock is held as briefly as possible (on SQLite every other writer, the gevent
    worker's included, waits for it): first the file is read, checked and turned into rows in memory, with no
    statement sent (every refusal happens here); then one transaction inserts them in bulk (a few statements per
    table, `_write`) and commits. A failure there rolls the whole transaction back: never half a tournament."""
    try:
        file = read_trf_file(data)
    except TrfError as error:
        raise ServiceError(f"The TRF file cannot be read: {error}.", "trf") from None
    _check_names(file.crosstable)
    file = _with_rounds(file, planned_rounds)
    table = file.crosstable
    fmt = tables.FORMAT[table.kind]
    header = file.header
    rows = _rows(table)
    tournament = Tournament(
        name=(table.name or "Imported tournament")[:120], format=fmt, planned_rounds=table.planned_rounds,
        start_date=table.start_date or date.today(), tiebreaks=",".join(tiebreaks.default_for(fmt)),
        top_seed_colour=table.top_seed_colour.value, is_public=is_public, organizer_id=organizer_id,
        venue=_informational(header.city, 120), time_control=_informational(header.time_control, 40),
        federation=header.federation or None, end_date=header.end_date, status=rows.status)
    try:
        _write(tournament, rows)
        record_tournament_created(tournament, organizer_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ImportedTrf(tournament.id, file.warnings)


def _check_names(table: Crosstable) -> None:
    """Names as the forms accept them: no control characters (a TRF name field holds at most 33 characters)."""
    if control_character(table.name):
        raise ServiceError("The tournament name (012) contains a control character.", "trf")
    for player in table.players:
        if control_character(player.name):
            raise ServiceError(f"Player {player.number}'s name contains a control character.", "trf")


def _with_rounds(file: TrfFile, planned_rounds: int | None) -> TrfFile:
    """The file with the organizer's number of rounds, checked as the settings form checks it."""
    table = file.crosstable
    if planned_rounds is None:
        if not file.rounds_stated:
            raise ServiceError("The file does not say how many rounds the tournament has (no XXR or 142 record): "
                               "enter the number of rounds.", "planned_rounds")
        return file
    if table.kind is TournamentType.SWISS and not 1 <= planned_rounds <= MAX_SWISS_ROUNDS:
        raise ServiceError(f"A Swiss needs between 1 and {MAX_SWISS_ROUNDS} rounds.", "planned_rounds")
    if planned_rounds < table.last_round:
        raise ServiceError(f"The file has entries for round {table.last_round}; plan at least {table.last_round} "
                           "rounds.", "planned_rounds")
    return replace(file, crosstable=replace(table, planned_rounds=planned_rounds), rounds_stated=True)


def _informational(text: str, limit: int) -> str:
    """A header value as a column holds it: control characters out, cut to the column's length."""
    return one_line(text)[:limit]


_REQUESTED_BYES = frozenset({ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE, ResultCode.FULL_POINT_BYE})


@dataclass(frozen=True)
class _ImportRows:
    """A tournament's rows, built in memory before anything is written; players are named by pairing number
    (`registrations[...]["pairing_number"]`, a game's "white"/"black", a bye request's "player") and rounds by
    number (a game's "round"), as the database ids do not exist yet."""

    status: TournamentStatus
    registrations: list[dict[str, Any]]
    rounds: list[dict[str, Any]]
    games: list[dict[str, Any]]
    bye_requests: list[dict[str, Any]]


def _rows(table: Crosstable) -> _ImportRows:
    """Registrations, rounds, games and requested byes of `table`, as column values (no database access).

    Raises ServiceError (400) for a round whose two entries of a game disagree."""
    registrations: dict[int, dict[str, Any]] = {}
    for player in table.players:
        registrations[player.number] = {
            "pairing_number": player.number, "name": player.name, "rating": player.rating,
            "fide_id": str(player.fide_id) if player.fide_id else None, "federation": player.federation[:3] or None,
            "title": player.title[:3] or None, "sex": player.sex or None, "birth_date": player.birth_date,
            "birth_year": player.birth_year, "status": RegistrationStatus.ACTIVE, "withdrawn_from_round": None}
    paired = table.paired_rounds
    rounds: list[dict[str, Any]] = []
    games: list[dict[str, Any]] = []
    for number in range(1, paired + 1):
        boards = _games(table, number)
        completed = all(g["result"].is_final for g in boards)
        rounds.append({"number": number, "status": RoundStatus.COMPLETED if completed else RoundStatus.PUBLISHED,
                       "started_at": utcnow(), "completed_at": utcnow() if completed else None})
        games += [{**game, "round": number, "board": board} for board, game in enumerate(boards, start=1)]
    bye_requests: list[dict[str, Any]] = []
    for player in table.players:  # entries ahead of the pairing: requested byes, and "not paired" = withdrawn
        entry_of = registrations[player.number]
        for entry in table.entries.get(player.number, ()):
            if entry.round <= paired or entry.opponent is not None:
                continue
            if entry.result in _REQUESTED_BYES:
                bye_requests.append({"player": player.number, "round_number": entry.round,
                                     "half_point": entry.result is ResultCode.HALF_POINT_BYE,
                                     "full_point": entry.result is ResultCode.FULL_POINT_BYE})
            elif entry.result is ResultCode.FORFEIT_LOSS and entry_of["status"] != RegistrationStatus.WITHDRAWN:
                entry_of["status"] = RegistrationStatus.WITHDRAWN
                entry_of["withdrawn_from_round"] = entry.round
    status = TournamentStatus.ACTIVE if paired else TournamentStatus.UPCOMING
    if paired and paired == table.planned_rounds and all(r["status"] == RoundStatus.COMPLETED for r in rounds):
        status = TournamentStatus.COMPLETED
    return _ImportRows(status, list(registrations.values()), rounds, games, bye_requests)


def _games(table: Crosstable, number: int) -> list[dict[str, Any]]:
    """The round's boards (ordered by the better pairing number) and its byes; absent players get nothing.
    Each is {"white", "black" (pairing numbers; black None for a bye), "result"}."""
    boards: list[tuple[int, dict[str, Any]]] = []
    byes: list[tuple[int, dict[str, Any]]] = []
    for player in table.numbers:
        entry = table.recorded(player, number)
        if entry is None:
            continue
        if entry.opponent is None:
            if entry.result in tables.BYE_RESULTS:
                byes.append((player, {"white": player, "black": None, "result": tables.BYE_RESULTS[entry.result]}))
            continue
        other = table.entry(entry.opponent, number)
        is_white = entry.colour is Colour.WHITE or (entry.colour is None and player < entry.opponent)
        if not is_white:
            continue
        try:
            result = tables.game_result_for(entry.result, other.result)
        except ValueError as error:
            raise ServiceError(f"Round {number}, players {player} and {entry.opponent}: {error}.", "trf") from None
        boards.append((min(player, entry.opponent), {"white": player, "black": entry.opponent, "result": result}))
    return [g for _, g in sorted(boards, key=lambda b: b[0])] + [g for _, g in sorted(byes, key=lambda b: b[0])]


def _write(tournament: Tournament, rows: _ImportRows) -> None:
    """Insert `tournament` and its `rows` in the session's transaction (not committed): the tournament row, then
    one bulk INSERT per table (executemany), reading back only the ids the next table refers to."""
    db.session.add(tournament)
    db.session.flush()  # the transaction's first write: from here on, SQLite's write lock is held
    tid = tournament.id
    _insert(Registration, [{**r, "tournament_id": tid, "user_id": None, "revision": 0, "created_at": utcnow()}
                           for r in rows.registrations])
    player_ids = dict(db.session.execute(select(Registration.pairing_number, Registration.id)
                                         .where(Registration.tournament_id == tid)).all())
    _insert(Round, [{**r, "tournament_id": tid} for r in rows.rounds])
    round_ids = dict(db.session.execute(select(Round.number, Round.id).where(Round.tournament_id == tid)).all())
    now = utcnow()
    # Every column with a default given here: SQLAlchemy then calls no default per row while the lock is held.
    _insert(Game, [{"round_id": round_ids[g["round"]], "board": g["board"], "white_id": player_ids[g["white"]],
                    "black_id": player_ids[g["black"]] if g["black"] is not None else None, "result": g["result"],
                    "disputed": False, "pgn": "", "revision": 0, "updated_at": now} for g in rows.games])
    _insert(ByeRequest, [{"registration_id": player_ids[b["player"]], "round_number": b["round_number"],
                          "half_point": b["half_point"], "full_point": b["full_point"]} for b in rows.bye_requests])


def _insert(model: type[db.Model], rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT of `rows` into `model`'s table (column defaults filled in); nothing for no rows
    (an INSERT with an empty parameter list would write one row of defaults)."""
    if rows:
        db.session.execute(insert(model.__table__), rows)
