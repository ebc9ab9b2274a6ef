"""Read models of the dashboard's fragments: plain dicts and tuples, read in a few queries, never per viewer
except the personal sections (player, organizer), which are per user by nature."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..tournaments.overview import current_rounds, player_counts
from ..models import (Game, GameResult, Registration, RegistrationStatus, Round, RoundStatus, Tournament,
                      TournamentStatus)

RECENT_RESULTS = 10  # games in the recent-results feed
_BYES = (GameResult.BYE_PAIRING, GameResult.BYE_FULL, GameResult.BYE_HALF, GameResult.BYE_ZERO)
_UPCOMING = (TournamentStatus.UPCOMING, TournamentStatus.REGISTRATION)


def version_now() -> int:
    """A version for state without a revision (counts, per-user sections): microseconds since the epoch, read
    *before* the data, so a render that started later read data at least as new."""
    return time.time_ns() // 1000


@dataclass(frozen=True)
class LiveTournament:
    id: int
    name: str
    players: int
    current_round: int | None
    planned_rounds: int
    in_progress: int
    watching: int


def overview_context(watching: Callable[[int], int]) -> dict[str, Any]:
    """{"totals": {"total", "active", "upcoming", "completed"} over public tournaments, "live": [LiveTournament]
    (public, ACTIVE, by name)}. `watching(tournament_id)` gives the spectators of one tournament (presence)."""
    by_status = dict(db.session.execute(
        select(Tournament.status, func.count()).where(Tournament.is_public).group_by(Tournament.status)).all())
    totals = {"total": sum(by_status.values()), "active": by_status.get(TournamentStatus.ACTIVE, 0),
              "upcoming": sum(by_status.get(s, 0) for s in _UPCOMING),
              "completed": by_status.get(TournamentStatus.COMPLETED, 0)}
    active = db.session.execute(
        select(Tournament.id, Tournament.name, Tournament.planned_rounds)
        .where(Tournament.is_public, Tournament.status == TournamentStatus.ACTIVE).order_by(Tournament.name)).all()
    ids = [row.id for row in active]
    players, rounds = player_counts(ids), current_rounds(ids)
    playing: dict[int, int] = {}
    if ids:
        playing = dict(db.session.execute(
            select(Round.tournament_id, func.count(Game.id)).join(Game, Game.round_id == Round.id).where(
                Round.tournament_id.in_(ids), Round.status == RoundStatus.PUBLISHED,
                Game.result == GameResult.PENDING, Game.black_id.is_not(None)).group_by(Round.tournament_id)).all())
    live = [LiveTournament(id=row.id, name=row.name, players=players.get(row.id, 0),
                           current_round=rounds.get(row.id), planned_rounds=row.planned_rounds,
                           in_progress=playing.get(row.id, 0), watching=watching(row.id)) for row in active]
    return {"totals": totals, "live": live}


@dataclass(frozen=True)
class RecentResult:
    game_id: int
    tournament_id: int
    tournament: str
    round: int
    board: int
    white: str
    black: str
    result: str


def recent_results_context(limit: int = RECENT_RESULTS) -> dict[str, Any]:
    """{"results": [RecentResult]}: the last `limit` decided games (byes excluded) of public tournaments, newest
    first by the time their result was entered."""
    white, black = aliased(Registration), aliased(Registration)
    rows = db.session.execute(
        select(Game.id, Game.board, Game.result, Round.number, Tournament.id.label("tid"), Tournament.name,
               white.name.label("white"), black.name.label("black"))
        .join(Round, Game.round_id == Round.id).join(Tournament, Round.tournament_id == Tournament.id)
        .join(white, Game.white_id == white.id).join(black, Game.black_id == black.id)
        .where(Tournament.is_public, Game.result != GameResult.PENDING, Game.result.not_in(_BYES),
               Round.status != RoundStatus.DRAFT)
        .order_by(Game.updated_at.desc(), Game.id.desc()).limit(limit)).all()
    return {"results": [RecentResult(game_id=r.id, tournament_id=r.tid, tournament=r.name, round=r.number,
                                     board=r.board, white=r.white, black=r.black, result=r.result.value)
                        for r in rows]}


@dataclass(frozen=True)
class Pairing:
    game_id: int
    tournament_id: int
    tournament: str
    round: int
    board: int
    colour: str  # "White" or "Black"
    opponent: str


@dataclass(frozen=True)
class ToConfirm:
    game_id: int
    tournament_id: int
    tournament: str
    round: int
    board: int
    reported: str
    opponent: str


@dataclass(frozen=True)
class MyTournament:
    id: int
    name: str
    status: TournamentStatus
    rank: int | None
    points: str | None


def player_context(user_id: int, rank_of: Callable[[int, int], tuple[int, str] | None]) -> dict[str, Any]:
    """A player's section: {"pairings": [Pairing] of published rounds not yet decided, "to_confirm": [ToConfirm]
    reports by the opponent waiting for this player, "tournaments": [MyTournament] not completed, with rank}.
    `rank_of(tournament_id, registration_id)` -> (rank, points) or None before the first complete round."""
    mine = db.session.execute(
        select(Registration.id, Registration.tournament_id, Tournament.name, Tournament.status)
        .join(Tournament, Registration.tournament_id == Tournament.id)
        .where(Registration.user_id == user_id, Registration.status == RegistrationStatus.ACTIVE)
        .order_by(Tournament.start_date.desc(), Tournament.id)).all()
    reg_ids = [row.id for row in mine]
    names = {row.tournament_id: row.name for row in mine}
    pairings: list[Pairing] = []
    to_confirm: list[ToConfirm] = []
    if reg_ids:
        white, black = aliased(Registration), aliased(Registration)
        games = db.session.execute(
            select(Game.id, Game.board, Game.white_id, Game.black_id, Game.reported_result, Game.reported_by_id,
                   Game.disputed, Round.number, Round.tournament_id, white.name.label("white"),
                   black.name.label("black"))
            .join(Round, Game.round_id == Round.id).join(white, Game.white_id == white.id)
            .join(black, Game.black_id == black.id)
            .where(Round.status == RoundStatus.PUBLISHED, Game.result == GameResult.PENDING,
                   (Game.white_id.in_(reg_ids)) | (Game.black_id.in_(reg_ids)))
            .order_by(Round.tournament_id, Game.board)).all()
        for g in games:
            is_white = g.white_id in reg_ids
            opponent = g.black if is_white else g.white
            tname = names[g.tournament_id]
            pairings.append(Pairing(game_id=g.id, tournament_id=g.tournament_id, tournament=tname, round=g.number,
                                    board=g.board, colour="White" if is_white else "Black", opponent=opponent))
            if g.reported_result is not None and not g.disputed and g.reported_by_id != user_id:
                to_confirm.append(ToConfirm(game_id=g.id, tournament_id=g.tournament_id, tournament=tname,
                                            round=g.number, board=g.board, reported=g.reported_result.value,
                                            opponent=opponent))
    tournaments = []
    for row in mine:
        if row.status == TournamentStatus.COMPLETED:
            continue
        ranked = rank_of(row.tournament_id, row.id) if row.status == TournamentStatus.ACTIVE else None
        tournaments.append(MyTournament(id=row.tournament_id, name=row.name, status=row.status,
                                        rank=ranked[0] if ranked else None, points=ranked[1] if ranked else None))
    return {"pairings": pairings, "to_confirm": to_confirm, "tournaments": tournaments}


@dataclass(frozen=True)
class OrganizerTournament:
    id: int
    name: str
    status: TournamentStatus
    current_round: int | None
    missing: int  # games of the current (published) round without a result
    disputes: int
    reports: int  # results a player reported, not yet confirmed
    players: int
    draft: bool  # a paired round waits to be published


def organizer_context(user_id: int) -> dict[str, Any]:
    """An organizer's section: {"tournaments": [OrganizerTournament]} they run and that are not completed."""
    rows = db.session.execute(
        select(Tournament.id, Tournament.name, Tournament.status)
        .where(Tournament.organizer_id == user_id, Tournament.status != TournamentStatus.COMPLETED)
        .order_by(Tournament.start_date, Tournament.id)).all()
    ids = [row.id for row in rows]
    if not ids:
        return {"tournaments": []}
    players = dict(db.session.execute(
        select(Registration.tournament_id, func.count()).where(
            Registration.tournament_id.in_(ids), Registration.status == RegistrationStatus.ACTIVE)
        .group_by(Registration.tournament_id)).all())
    current = dict(db.session.execute(
        select(Round.tournament_id, func.max(Round.number)).where(
            Round.tournament_id.in_(ids), Round.status != RoundStatus.DRAFT).group_by(Round.tournament_id)).all())
    drafts = set(db.session.scalars(select(Round.tournament_id).where(
        Round.tournament_id.in_(ids), Round.status == RoundStatus.DRAFT)).all())
    pending = Game.result == GameResult.PENDING
    counts = {row.tournament_id: row for row in db.session.execute(
        select(Round.tournament_id,
               func.sum(case((pending & Game.black_id.is_not(None), 1), else_=0)).label("missing"),
               func.sum(case((pending & Game.disputed, 1), else_=0)).label("disputes"),
               func.sum(case((pending & Game.reported_result.is_not(None) & ~Game.disputed, 1), else_=0))
               .label("reports"))
        .join(Game, Game.round_id == Round.id)
        .where(Round.tournament_id.in_(ids), Round.status == RoundStatus.PUBLISHED)
        .group_by(Round.tournament_id)).all()}
    out = []
    for row in rows:
        c = counts.get(row.id)
        out.append(OrganizerTournament(id=row.id, name=row.name, status=row.status, current_round=current.get(row.id),
                                       missing=int(c.missing or 0) if c else 0,
                                       disputes=int(c.disputes or 0) if c else 0,
                                       reports=int(c.reports or 0) if c else 0,
                                       players=players.get(row.id, 0), draft=row.id in drafts))
    return {"tournaments": out}


def people_of(tournament_ids: set[int]) -> tuple[set[int], set[int]]:
    """(user ids of the players with an account, organizer ids) of these tournaments: whose personal sections
    a change to them can alter."""
    if not tournament_ids:
        return set(), set()
    players = set(db.session.scalars(select(Registration.user_id).where(
        Registration.tournament_id.in_(tournament_ids), Registration.user_id.is_not(None))).all())
    organizers = set(db.session.scalars(select(Tournament.organizer_id).where(
        Tournament.id.in_(tournament_ids))).all())
    return players, organizers
