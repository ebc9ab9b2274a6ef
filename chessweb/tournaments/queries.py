"""Read models: one function per live fragment, loading in a few queries everything its macro needs.

The full pages and the live publisher call the same functions, and each returns the macro's keyword
arguments, e.g. `fragments.standings(**queries.standings_context(7))`. The views are plain frozen
dataclasses, so a macro cannot lazily load anything, and nothing in them depends on who is looking.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..fide import pgn
from ..fide.standings import StandingRow, format_value, standings
from ..live.reads import shared_reads
from ..models import (Game, GameResult, Registration, RegistrationStatus, Round, RoundStatus, Tournament,
                      TournamentFormat, TournamentStatus)
from . import crosstable as tables
from . import schedule
from .tiebreaks import label as tiebreak_label


class NotFound(LookupError):
    """The tournament or game asked for does not exist."""


# --------------------------------------------------------------------------- view types

@dataclass(frozen=True)
class TournamentView:
    id: int
    name: str
    format: TournamentFormat
    status: TournamentStatus
    planned_rounds: int
    time_control: str
    venue: str
    start_date: date
    is_public: bool
    tiebreaks: tuple[str, ...]
    organizer_id: int
    revision: int
    updated_at: datetime
    time_zone: str = "UTC"  # IANA name; every time of the tournament is shown in it

    @property
    def is_round_robin(self) -> bool:
        return self.format != TournamentFormat.SWISS


@dataclass(frozen=True)
class PlayerView:
    id: int  # registration id
    number: int | None
    name: str
    title: str
    rating: int | None
    federation: str
    user_id: int | None
    withdrawn: bool
    withdrawn_from: int | None
    byes: tuple[tuple[int, str], ...] = ()  # (round, points: "1", "½" or "0") requested for later rounds
    revision: int = 0  # of the entry's last change; forms acting on the player carry it


@dataclass(frozen=True)
class GameView:
    id: int
    round: int
    board: int
    white: PlayerView
    black: PlayerView | None
    result: GameResult
    reported: GameResult | None
    disputed: bool
    has_moves: bool
    revision: int = 0  # of the last change to pairing, report or result; forms acting on the game carry it
    reported_by: int | None = None  # the account that reported `reported`

    @property
    def is_bye(self) -> bool:
        return self.black is None


@dataclass(frozen=True)
class RoundView:
    number: int
    status: RoundStatus
    games: tuple[GameView, ...]
    not_paired: tuple[PlayerView, ...]
    started_at: datetime | None
    completed_at: datetime | None
    scores: Mapping[int, Fraction] = field(default_factory=dict)  # pairing number → points before the round

    @property
    def finished_games(self) -> int:
        return sum(1 for g in self.games if g.result.is_final)

    @property
    def games_played(self) -> int:
        """The boards with two players: what "n of m results" counts (a bye is no game, and it is final from
        the pairing on), the same count as the provisional standings'."""
        return sum(1 for g in self.games if not g.is_bye)

    @property
    def results_in(self) -> int:
        return sum(1 for g in self.games if not g.is_bye and g.result.is_final)

    @property
    def revision(self) -> int:
        """The version of the round's pairing (rounds.draft_revision): the latest of its boards'."""
        return max((g.revision for g in self.games), default=0)


def tournament_view(t: Tournament) -> TournamentView:
    return TournamentView(id=t.id, name=t.name, format=t.format, status=t.status, planned_rounds=t.planned_rounds,
                          time_control=t.time_control, venue=t.venue, start_date=t.start_date, is_public=t.is_public,
                          tiebreaks=tuple(t.tiebreak_list), organizer_id=t.organizer_id, revision=t.revision,
                          updated_at=t.updated_at, time_zone=t.time_zone or "UTC")


def player_view(r: Registration) -> PlayerView:
    return PlayerView(id=r.id, number=r.pairing_number, name=r.name, title=r.title or "", rating=r.rating,
                      federation=r.federation or "", user_id=r.user_id,
                      withdrawn=r.status == RegistrationStatus.WITHDRAWN, withdrawn_from=r.withdrawn_from_round,
                      byes=tuple((b.round_number, b.points_label) for b in r.bye_requests), revision=r.revision)


def player_order(p: PlayerView) -> tuple:
    """Pairing number when given, else as the numbers would be given: rating desc, then name."""
    return (p.number is None, p.number or 0, -(p.rating or 0), p.name.casefold())


# --------------------------------------------------------------------------- loading

def load_tournament(tournament_id: int, *, with_rounds: bool = True) -> Tournament:
    """The tournament with its players and their byes (and rounds and games), in at most five queries.

    Each context below loads it, or takes it as `loaded` when a page shows several of them. Inside one database
    snapshot (`live.reads.one_snapshot`: a live batch or a connect's render) it is loaded once and shared by
    every fragment rendered there: the standings, the player pages, the arbiter's panels and the players'
    boxes of one result loaded it seven times."""
    shared = shared_reads()
    if shared is not None:
        known = shared.get(("tournament", tournament_id))
        if known is not None and (known[1] or not with_rounds):
            return known[0]
    options = [selectinload(Tournament.registrations).selectinload(Registration.bye_requests)]
    if with_rounds:
        options.append(selectinload(Tournament.rounds).selectinload(Round.games))
    # populate_existing: a session that has seen these rows before still gets the committed state.
    tournament = db.session.scalar(select(Tournament).where(Tournament.id == tournament_id).options(*options)
                                   .execution_options(populate_existing=True))
    if tournament is None:
        raise NotFound(f"tournament {tournament_id}")
    if shared is not None:
        shared[("tournament", tournament_id)] = (tournament, with_rounds)
    return tournament


def _players(tournament: Tournament) -> dict[int, PlayerView]:
    return {r.id: player_view(r) for r in tournament.registrations}


def _game_view(game: Game, round_number: int, players: dict[int, PlayerView]) -> GameView:
    return GameView(id=game.id, round=round_number, board=game.board, white=players[game.white_id],
                    black=players[game.black_id] if game.black_id is not None else None, result=game.result,
                    reported=game.reported_result, disputed=game.disputed, has_moves=bool(game.pgn),
                    revision=game.revision, reported_by=game.reported_by_id)


def round_view(round_: Round, players: dict[int, PlayerView], table: Any = None) -> RoundView:
    """The round's boards; with `table` (crosstable.build of the tournament) also each player's points before
    it, shown beside the names as chess-results does."""
    games = tuple(_game_view(g, round_.number, players) for g in round_.games)
    in_round = {g.white.id for g in games} | {g.black.id for g in games if g.black is not None}
    not_paired = tuple(sorted(
        (p for p in players.values() if p.number is not None and p.id not in in_round
         and not (p.withdrawn and p.withdrawn_from is not None and p.withdrawn_from <= round_.number)),
        key=player_order))
    scores = ({n: table.points(n, through_round=round_.number - 1) for n in table.numbers}
              if table is not None else {})
    return RoundView(number=round_.number, status=round_.status, games=games, not_paired=not_paired,
                     started_at=round_.started_at, completed_at=round_.completed_at, scores=scores)


def public_rounds(tournament: Tournament) -> list[Round]:
    """Rounds everyone may see: drafts are for the organizer only."""
    return [r for r in tournament.rounds if r.status != RoundStatus.DRAFT]


def current_round_number(tournament: Tournament) -> int | None:
    rounds = public_rounds(tournament)
    return rounds[-1].number if rounds else None


# --------------------------------------------------------------------------- fragment contexts

def header_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.header`: status, current round, player count."""
    tournament = loaded or load_tournament(tournament_id)
    active = sum(1 for r in tournament.registrations if r.status == RegistrationStatus.ACTIVE)
    return {"tournament": tournament_view(tournament), "current_round": current_round_number(tournament),
            "player_count": active, "next_start": scheduled_start(tournament)}


def scheduled_start(tournament: Tournament) -> schedule.RoundStart | None:
    """The planned start of the round being played or next to play (the last published round until it is
    complete, then the one after), or None when the schedule has no time for it. Independent of the clock, so
    the header fragment is the same for every viewer; the page counts down to it."""
    rounds = public_rounds(tournament)
    number = 1 if not rounds else rounds[-1].number + (rounds[-1].status == RoundStatus.COMPLETED)
    if number > tournament.planned_rounds:
        return None
    return schedule.round_start(tournament.round_schedule or "", tournament.time_zone or "UTC", number)


def registrations_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.registrations`: every player in pairing order."""
    tournament = loaded or load_tournament(tournament_id, with_rounds=False)
    players = sorted(_players(tournament).values(), key=player_order)
    return {"tournament": tournament_view(tournament), "players": players}


def scoreboard_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.scoreboard`: published rounds, the current one first."""
    tournament = loaded or load_tournament(tournament_id)
    players = _players(tournament)
    table = tables.build(tournament)
    rounds = [round_view(r, players, table) for r in reversed(public_rounds(tournament))]
    return {"tournament": tournament_view(tournament), "rounds": rounds}


def scoreboard_round_context(tournament_id: int, round_number: int) -> dict[str, Any]:
    """Arguments of `fragments.scoreboard_round` for one published round."""
    tournament = load_tournament(tournament_id)
    round_ = next((r for r in public_rounds(tournament) if r.number == round_number), None)
    if round_ is None:
        raise NotFound(f"round {round_number} of tournament {tournament_id}")
    return {"tournament": tournament_view(tournament),
            "round": round_view(round_, _players(tournament), tables.build(tournament))}


def organizer_round_context(tournament_id: int, round_number: int, *,
                            loaded: Tournament | None = None) -> dict[str, Any]:
    """The organizer's view of one round, drafts included (never pushed)."""
    tournament = loaded or load_tournament(tournament_id)
    round_ = next((r for r in tournament.rounds if r.number == round_number), None)
    if round_ is None:
        raise NotFound(f"round {round_number} of tournament {tournament_id}")
    return {"tournament": tournament_view(tournament), "round": round_view(round_, _players(tournament))}


@dataclass(frozen=True)
class StandingsRowView:
    rank: int
    shared: bool
    player: PlayerView
    points: Fraction
    tiebreaks: tuple[str, ...]
    change: int | None  # places gained since the previous standings; None when there are none
    live_points: Fraction | None  # with the finished games of the round being played


def standings_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.standings`: the standings after the last complete round, compared with the round
    before (round 1 is compared with the starting order), and live points while a round is being played."""
    tournament = loaded or load_tournament(tournament_id)
    table = tables.build(tournament)
    through = table.completed_rounds
    players = {p.number: p for p in _players(tournament).values() if p.number is not None}
    order = tournament.tiebreak_list
    rows: list[StandingsRowView] = []
    if not through and table.paired_rounds:
        # Round 1 in progress: the starting order, with the points of the games already finished.
        blank = tuple("" for _ in order)
        rows = [StandingsRowView(rank=i, shared=False, player=players[n], points=Fraction(0), tiebreaks=blank,
                                 change=None, live_points=table.points(n))
                for i, n in enumerate(sorted(table.numbers), start=1)]
    if through:
        previous: Any = ({n: n for n in table.numbers} if through == 1
                         else standings(table, order, through_round=through - 1))
        in_progress = table.paired_rounds > through
        for row in standings(table, order, through_round=through, previous=previous):
            rows.append(_standing_view(row, players[row.number],
                                       table.points(row.number) if in_progress else None))
    return {"tournament": tournament_view(tournament), "rows": rows,
            "tiebreaks": [(code, tiebreak_label(code)) for code in order], "through_round": through,
            "compared_with": (through - 1 if through > 1 else None), "updated_at": tournament.updated_at,
            "live": any(r.live_points is not None for r in rows)}


def provisional_standings_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.provisional_standings`: while a round is being played, the standings as they
    would be if its unfinished games were not there (results so far, tie-breaks included), with arrows that
    compare with the official standings after the last complete round. `round` is None between rounds."""
    tournament = loaded or load_tournament(tournament_id)
    table = tables.build(tournament)
    through, paired = table.completed_rounds, table.paired_rounds
    order = tournament.tiebreak_list
    rows: list[StandingsRowView] = []
    results = games = 0
    if paired > through:
        players = {p.number: p for p in _players(tournament).values() if p.number is not None}
        official: Any = (standings(table, order, through_round=through) if through
                         else {n: n for n in table.numbers})
        for row in standings(table, order, through_round=paired, previous=official, provisional=True):
            rows.append(_standing_view(row, players[row.number], None))
        round_ = next(r for r in tournament.rounds if r.number == paired)
        paired_games = [g for g in round_.games if g.black_id is not None]
        games, results = len(paired_games), sum(1 for g in paired_games if g.result.is_final)
    return {"tournament": tournament_view(tournament), "rows": rows,
            "tiebreaks": [(code, tiebreak_label(code)) for code in order],
            "round": paired if paired > through else None, "through_round": through,
            "results": results, "games": games}


def _standing_view(row: StandingRow, player: PlayerView, live: Fraction | None) -> StandingsRowView:
    return StandingsRowView(rank=row.rank, shared=row.shared, player=player, points=row.points,
                            tiebreaks=tuple(format_value(v) for v in row.tiebreaks.values()),
                            change=row.movement, live_points=live)


@dataclass(frozen=True)
class CrosstableRowView:
    player: PlayerView
    cells: tuple[str, ...]  # against each pairing number in turn; "■" against oneself
    points: Fraction


_CELL = {"1": "1", "0": "0", "=": "½", "+": "+", "-": "−", "W": "1", "D": "½", "L": "0", "*": "·"}


def crosstable_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.crosstable`: everyone against everyone, in pairing-number order."""
    tournament = loaded or load_tournament(tournament_id)
    table = tables.build(tournament)
    players = {p.number: p for p in _players(tournament).values() if p.number is not None}
    numbers = list(table.numbers)
    rows = []
    for number in numbers:
        against: dict[int, list[str]] = {}
        for entry in table.entries.get(number, ()):
            if entry.opponent is not None:
                against.setdefault(entry.opponent, []).append(_CELL[entry.result.value])
        cells = tuple("■" if other == number else " ".join(against.get(other, [])) for other in numbers)
        rows.append(CrosstableRowView(player=players[number], cells=cells, points=table.points(number)))
    return {"tournament": tournament_view(tournament), "rows": rows, "columns": numbers}


@dataclass(frozen=True)
class GameDetailView:
    id: int
    tournament_id: int
    tournament_name: str
    round: int
    board: int
    white: PlayerView
    black: PlayerView | None
    result: GameResult
    reported: GameResult | None
    disputed: bool
    moves: tuple[tuple[str, str | None], ...]  # (white's move, black's move) per move number
    board_svg: Markup
    published: bool
    revision: int = 0  # the game's own (see GameView): forms acting on it carry it
    reported_by: int | None = None
    tournament_revision: int = 0  # the tournament's, read with the game: the fragment's data-version


def game_context(game_id: int) -> dict[str, Any]:
    """Arguments of `fragments.game`: players, result, the position after the relayed moves, the move list."""
    game = db.session.scalar(select(Game).where(Game.id == game_id).options(
        joinedload(Game.round).joinedload(Round.tournament),
        joinedload(Game.white).selectinload(Registration.bye_requests),
        joinedload(Game.black).selectinload(Registration.bye_requests)))
    if game is None:
        raise NotFound(f"game {game_id}")
    fen, last_move, san = None, None, ()
    if game.pgn:
        relayed = pgn.parse_relayed_pgn(game.pgn)  # stored only after the same check passed
        fen, last_move, san = relayed.fen, relayed.last_move, relayed.san_moves
    svg = pgn.board_svg(fen, last_move) if fen else pgn.board_svg()
    first_black = bool(san) and _starts_with_black(game.pgn)
    moves = _move_pairs(san, first_black)
    return {"game": GameDetailView(
        id=game.id, tournament_id=game.round.tournament_id, tournament_name=game.round.tournament.name,
        round=game.round.number, board=game.board, white=player_view(game.white),
        black=player_view(game.black) if game.black is not None else None, result=game.result,
        reported=game.reported_result, disputed=game.disputed, moves=moves, board_svg=Markup(svg),
        published=game.round.status != RoundStatus.DRAFT, revision=game.revision, reported_by=game.reported_by_id,
        tournament_revision=game.round.tournament.revision)}


def _starts_with_black(text: str) -> bool:
    """A relayed game from a FEN with black to move starts its move list with black."""
    for line in text.splitlines():
        if line.strip().startswith("[FEN"):
            return ' b ' in line
    return False


def _move_pairs(san: tuple[str, ...], first_black: bool) -> tuple[tuple[str, str | None], ...]:
    moves = (["…"] if first_black else []) + list(san)
    return tuple((moves[i], moves[i + 1] if i + 1 < len(moves) else None) for i in range(0, len(moves), 2))


def player_games(tournament_id: int, user_id: int, *, loaded: Tournament | None = None) -> list[GameView]:
    """The published games of the player with this account, the latest round first (not a live fragment)."""
    tournament = loaded or load_tournament(tournament_id)
    players = _players(tournament)
    mine = {p.id for p in players.values() if p.user_id == user_id}
    return [_game_view(g, r.number, players) for r in reversed(public_rounds(tournament)) for g in r.games
            if g.white_id in mine or g.black_id in mine]


# --------------------------------------------------------------------------- player page and Swiss crosstable

_ENTRY_LABEL = {"1": "1", "0": "0", "=": "½", "+": "+ (forfeit win)", "-": "− (forfeit loss)", "W": "1", "D": "½",
                "L": "0", "*": "…", "H": "½ (bye)", "Z": "0 (bye)", "U": "1 (pairing bye)", "F": "1 (bye)"}
_SHORT = {"1": "1", "0": "0", "=": "½", "+": "+", "-": "−", "W": "1", "D": "½", "L": "0", "*": "*", "H": "½",
          "Z": "0", "U": "+", "F": "1"}


@dataclass(frozen=True)
class PlayerRoundView:
    round: int
    opponent: PlayerView | None
    colour: str | None  # "w" or "b"
    result: str  # from the player's side: "1", "½", "0", "+ (forfeit win)", "½ (bye)", "…" while playing
    points_after: Fraction
    game_id: int | None


def _standings_now(tournament: Tournament) -> tuple[Any, list[StandingRow], int, bool]:
    """(crosstable, the standings with every result in so far, the round they are after, provisional?)."""
    table = tables.build(tournament)
    paired = table.paired_rounds
    rows = standings(table, tournament.tiebreak_list, through_round=paired, provisional=True) if paired else []
    return table, rows, paired, paired > table.completed_rounds


def player_context(tournament_id: int, number: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.player`: one player's rounds, score, rank, performance rating and each tie-break
    with its parts (chessweb/fide/breakdown.py), with the results in so far. NotFound for an unknown number."""
    tournament = loaded or load_tournament(tournament_id)
    players = {p.number: p for p in _players(tournament).values() if p.number is not None}
    if number not in players:
        raise NotFound(f"player {number} of tournament {tournament_id}")
    return _PlayerPages(tournament, players).context(number)


def player_contexts(tournament_id: int, *, loaded: Tournament | None = None,
                    numbers: Collection[int] | None = None) -> list[dict[str, Any]]:
    """`player_context` of every numbered player (or of those `numbers`), sharing one standings and tie-break
    computation."""
    tournament = loaded or load_tournament(tournament_id)
    players = {p.number: p for p in _players(tournament).values() if p.number is not None}
    pages = _PlayerPages(tournament, players)
    return [pages.context(n) for n in sorted(players) if numbers is None or n in numbers]


class _PlayerPages:
    """What every player page of one tournament shares: crosstable, standings, tie-break calculator."""

    def __init__(self, tournament: Tournament, players: dict[int, PlayerView]) -> None:
        from ..fide.tiebreaks import TieBreakCalculator
        self.tournament, self.players = tournament, players
        self.table, rows, self.paired, self.provisional = _standings_now(tournament)
        self.rows = {row.number: row for row in rows}
        self.calculator = TieBreakCalculator(self.table, self.paired, provisional=True) if self.paired else None
        self.game_ids: dict[tuple[int, int], int] = {}
        for round_ in public_rounds(tournament):
            for g in round_.games:
                self.game_ids[(round_.number, g.white_id)] = g.id
                if g.black_id is not None:
                    self.game_ids[(round_.number, g.black_id)] = g.id

    def context(self, number: int) -> dict[str, Any]:
        from ..fide.breakdown import breakdowns, performance_rating
        table, players = self.table, self.players
        rounds = []
        for r in range(1, self.paired + 1):
            entry = table.entry(number, r)
            rounds.append(PlayerRoundView(
                round=r, opponent=players.get(entry.opponent) if entry.opponent else None,
                colour=entry.colour.value if entry.colour else None, result=_ENTRY_LABEL[entry.result.value],
                points_after=table.points(number, through_round=r),
                game_id=self.game_ids.get((r, players[number].id))))
        row = self.rows.get(number)
        parts: list[Any] = []
        performance = None
        if self.calculator is not None:
            parts = breakdowns(self.calculator, number, dict(row.tiebreaks)) if row else []
            performance = performance_rating(self.calculator.rows(number),
                                             {n: p.rating for n, p in players.items()})
        return {"tournament": tournament_view(self.tournament), "player": players[number], "rounds": rounds,
                "points": row.points if row else Fraction(0), "rank": row.rank if row else None,
                "shared": row.shared if row else False, "performance": performance, "breakdowns": parts,
                "players": players, "provisional": self.provisional, "after_round": self.paired}


@dataclass(frozen=True)
class SwissCrosstableRowView:
    rank: int
    shared: bool
    player: PlayerView
    cells: tuple[tuple[int | None, str | None, str], ...]  # per round: (opponent's rank, colour, result)
    points: Fraction
    tiebreaks: tuple[str, ...]


def swiss_crosstable_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `fragments.swiss_crosstable` (chess-results style): in rank order, per round the opponent's
    rank, colour and result, then points and tie-breaks, with the results in so far."""
    tournament = loaded or load_tournament(tournament_id)
    players = {p.number: p for p in _players(tournament).values() if p.number is not None}
    table, rows, paired, provisional = _standings_now(tournament)
    rank_of = {row.number: row.rank for row in rows}
    out = []
    for row in rows:
        cells = []
        for r in range(1, paired + 1):
            entry = table.entry(row.number, r)
            cells.append((rank_of.get(entry.opponent) if entry.opponent else None,
                          entry.colour.value if entry.colour else None, _SHORT[entry.result.value]))
        out.append(SwissCrosstableRowView(rank=row.rank, shared=row.shared, player=players[row.number],
                                          cells=tuple(cells), points=row.points,
                                          tiebreaks=tuple(format_value(v) for v in row.tiebreaks.values())))
    return {"tournament": tournament_view(tournament), "rows": out, "rounds": paired,
            "tiebreaks": [(code, tiebreak_label(code)) for code in tournament.tiebreak_list],
            "provisional": provisional}
