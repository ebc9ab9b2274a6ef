"""The overview area: `tournaments:all`, the tournament list everyone may watch. It shows the live counter
"games in progress" (the worked example of docs/ARCHITECTURE.md, and what the dashboard builds on) and the list
itself (`tournament-list`: every public tournament with its status, current round and player count).

Both hold public tournaments only: one render serves every viewer, anonymous ones included, so a private
tournament never travels on this channel (the page shows a viewer's private ones in a section of its own).

The list is rendered once per change and coalesced: when several tournaments change together, each one's
after-commit job asks for it, and a job that finds the state it would render (`list_state`) already rendered
less than COALESCE_SECONDS ago renders nothing."""
from __future__ import annotations

from collections.abc import Sequence
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..live import channels
from ..live.channels import KIND_OVERVIEW, Channel
from ..live.consumers import CommittedEvent
from ..live.fragments import fragment
from ..live.router import Area
from ..models import (EventType, Game, GameResult, Registration, RegistrationStatus, Round, RoundStatus, Tournament,
                      TournamentFormat, TournamentStatus)
from ..realtime import Fragment, Message, UserInfo

TEMPLATE = "tournaments/_overview.html"
GAMES_IN_PROGRESS_KEY = "games-in-progress"
LIST_KEY = "tournament-list"
# Seconds during which a list render stands for its state: a second job finding the same state within them
# renders nothing (several tournaments changed in one burst). Shorter than the claim lease (3 s), so a
# retry after a failed publish renders again.
COALESCE_SECONDS = 2.0

# Events that can change how many games are being played: a round published or finished, a result entered
# or taken back, a tournament made private or public, a withdrawal (its games become forfeits).
_CHANGES_COUNT = {EventType.ROUND_STARTED, EventType.ROUND_COMPLETED, EventType.GAME_COMPLETED,
                  EventType.TOURNAMENT_UPDATED, EventType.TOURNAMENT_STARTED, EventType.TOURNAMENT_COMPLETED,
                  EventType.PARTICIPANT_WITHDREW}
# Events that can change a row of the list: status, current round, player count, name, visibility, dates.
_CHANGES_LIST = {EventType.TOURNAMENT_STARTED, EventType.TOURNAMENT_COMPLETED, EventType.TOURNAMENT_UPDATED,
                 EventType.ROUND_STARTED, EventType.ROUND_COMPLETED, EventType.PAIRING_GENERATED,
                 EventType.PARTICIPANT_REGISTERED, EventType.PARTICIPANT_WITHDREW}


class OverviewArea(Area):
    """Owns `tournaments:all`: everyone may watch it; it holds only what every visitor may see."""
    kinds = (KIND_OVERVIEW,)

    def __init__(self) -> None:
        self._list_lock = threading.Lock()
        self._last_list: tuple[tuple[int, int], float] | None = None  # (list_state(), time.monotonic())

    def authorize(self, user: UserInfo, channel: Channel) -> bool:
        return True

    def snapshot(self, channel: Channel) -> list[Fragment]:
        return [games_in_progress_fragment(), tournament_list_fragment()]

    def messages(self, events: Sequence[CommittedEvent]) -> list[Message]:
        out: list[Message] = []
        types = {e.type for e in events}
        if types & _CHANGES_COUNT:
            out.append(games_in_progress_fragment())
        if types & _CHANGES_LIST:
            listed = self._list_once()
            if listed is not None:
                out.append(listed)
        return out

    def _list_once(self) -> Fragment | None:
        """The list fragment, or None when this state was rendered less than COALESCE_SECONDS ago."""
        with self._list_lock:
            state, now = list_state(), time.monotonic()
            if self._last_list is not None and self._last_list[0] == state \
                    and now - self._last_list[1] < COALESCE_SECONDS:
                return None
            self._last_list = (state, now)
        return tournament_list_fragment()


def games_in_progress_context() -> dict[str, Any]:
    """{"count": games of published rounds of public tournaments without a result (byes excluded),
    "version": the sum of every tournament's revision, read first, so the count is at least that new}."""
    version = db.session.scalar(select(func.coalesce(func.sum(Tournament.revision), 0))) or 0
    count = db.session.scalar(
        select(func.count(Game.id)).join(Round, Game.round_id == Round.id)
        .join(Tournament, Round.tournament_id == Tournament.id)
        .where(Round.status == RoundStatus.PUBLISHED, Game.result == GameResult.PENDING,
               Game.black_id.is_not(None), Tournament.is_public)) or 0
    return {"count": int(count), "version": int(version)}


def games_in_progress_fragment() -> Fragment:
    """The "N games in progress" counter of the tournament list, for every viewer and every path."""
    ctx = games_in_progress_context()
    return fragment(channels.TOURNAMENTS_ALL, GAMES_IN_PROGRESS_KEY, ctx["version"], TEMPLATE, "games_in_progress",
                    {"count": ctx["count"]}, {"games_in_progress": ctx["count"]})


@dataclass(frozen=True)
class ListedTournament:
    """One row of the tournament list. current_round: the highest round past its draft (None before round 1)."""
    id: int
    name: str
    status: TournamentStatus
    format: TournamentFormat
    planned_rounds: int
    current_round: int | None
    players: int
    start_date: date
    venue: str | None


def list_state() -> tuple[int, int]:
    """(sum of every tournament's revision, number of tournaments): changes whenever a row of the list may have
    changed (every change is made under `lock_tournament`, which bumps the revision) or a tournament was added."""
    total, count = db.session.execute(
        select(func.coalesce(func.sum(Tournament.revision), 0), func.count(Tournament.id))).one()
    return int(total or 0), int(count or 0)


def player_counts(ids: Sequence[int]) -> dict[int, int]:
    """{tournament id: active players} of the tournaments `ids` (one query; absent when none)."""
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Registration.tournament_id, func.count()).where(
            Registration.tournament_id.in_(ids), Registration.status == RegistrationStatus.ACTIVE)
        .group_by(Registration.tournament_id)).all())


def current_rounds(ids: Sequence[int]) -> dict[int, int]:
    """{tournament id: number of its newest published round} of the tournaments `ids` (one query)."""
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Round.tournament_id, func.max(Round.number)).where(
            Round.tournament_id.in_(ids), Round.status != RoundStatus.DRAFT).group_by(Round.tournament_id)).all())


def list_rows(*, public: bool = True, ids: Sequence[int] | None = None) -> list[ListedTournament]:
    """The rows of the public tournaments (`public=True`), or of the tournaments `ids` (`public=False`: whatever
    their visibility; the caller has checked who may see them), newest start first."""
    query = select(Tournament).order_by(Tournament.start_date.desc(), Tournament.id.desc())
    query = query.where(Tournament.is_public) if public else query.where(Tournament.id.in_(list(ids or ())))
    tournaments = db.session.scalars(query).all()
    found = [t.id for t in tournaments]
    players, rounds = player_counts(found), current_rounds(found)
    return [ListedTournament(id=t.id, name=t.name, status=t.status, format=t.format, planned_rounds=t.planned_rounds,
                             current_round=rounds.get(t.id), players=players.get(t.id, 0), start_date=t.start_date,
                             venue=t.venue) for t in tournaments]


def grouped(rows: Sequence[ListedTournament]) -> dict[str, list[ListedTournament]]:
    """{"Running": active ones, newest start first; "Upcoming": upcoming and open for registration, soonest
    first; "Finished": completed ones, newest start first}."""
    return {
        "Running": [t for t in rows if t.status == TournamentStatus.ACTIVE],
        "Upcoming": sorted((t for t in rows if t.status in (TournamentStatus.UPCOMING, TournamentStatus.REGISTRATION)),
                           key=lambda t: (t.start_date, t.id)),
        "Finished": [t for t in rows if t.status == TournamentStatus.COMPLETED],
    }


def tournament_list_context() -> dict[str, Any]:
    """{"groups": grouped(public rows), "version": microseconds since the epoch, read before the rows}."""
    version = time.time_ns() // 1000
    return {"groups": grouped(list_rows()), "version": version}


def tournament_list_fragment(ctx: dict[str, Any] | None = None) -> Fragment:
    """`tournament-list` on tournaments:all: the public tournaments by status, for every viewer and every path."""
    ctx = ctx if ctx is not None else tournament_list_context()
    data = {"tournaments": [{"id": t.id, "name": t.name, "status": t.status.value, "current_round": t.current_round,
                             "planned_rounds": t.planned_rounds, "players": t.players}
                            for group in ctx["groups"].values() for t in group]}
    return fragment(channels.TOURNAMENTS_ALL, LIST_KEY, ctx["version"], TEMPLATE, "tournament_list",
                    {"groups": ctx["groups"]}, data)
