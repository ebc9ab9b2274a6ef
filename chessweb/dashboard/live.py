"""The dashboard's live fragments and the areas that serve them.

On `tournaments:all` (one render per change for every viewer): `dash-overview` (totals and the live
tournaments with their spectators) and `dash-results` (the recent-results feed). On `user:<id>` (one render
per affected user who is online): `dash-player` and `dash-organizer`.

The overview and the list's "games in progress" share the channel, so `DashboardOverviewArea` extends
`OverviewArea`; the personal sections share `user:<id>` with notifications, so `DashboardUserArea` extends
`CommonArea`: each adds its fragments to what the base class does (super() first).

Spectator counts have no revision: a periodic job (`WATCHING_INTERVAL`, on the live core's worker) reads them
for the live tournaments and re-renders the overview only when one changed.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask

from ..extensions import db
from ..live import channels
from ..live.channels import KIND_ADMIN, KIND_OVERVIEW, KIND_USER, Channel
from ..live.common import CommonArea
from ..live.consumers import CommittedEvent
from ..live.fragments import fragment, url_context
from ..models import EventType, Role, User
from ..realtime import Fragment, Message, realtime
from ..tournaments import queries as tournament_queries
from ..tournaments.overview import OverviewArea
from . import queries

TEMPLATE = "dashboard/_fragments.html"
OVERVIEW_KEY = "dash-overview"
RESULTS_KEY = "dash-results"
PLAYER_KEY = "dash-player"
ORGANIZER_KEY = "dash-organizer"
WATCHING_INTERVAL = 2.0  # seconds between two reads of the spectator counts

# What can change the overview (status, rounds, players, games in progress, visibility).
_CHANGES_OVERVIEW = {EventType.TOURNAMENT_STARTED, EventType.TOURNAMENT_COMPLETED, EventType.TOURNAMENT_UPDATED,
                     EventType.ROUND_STARTED, EventType.ROUND_COMPLETED, EventType.GAME_COMPLETED,
                     EventType.PARTICIPANT_REGISTERED, EventType.PARTICIPANT_WITHDREW, EventType.PAIRING_GENERATED}
# What can change a player's or an organizer's section: everything but relayed moves (GAME_UPDATED), which
# come often and change neither pairings, reports, disputes nor ranks.
_CHANGES_PERSONAL = {EventType.GAME_RESULT_SUBMITTED, EventType.GAME_COMPLETED, EventType.ROUND_STARTED,
                     EventType.ROUND_COMPLETED, EventType.TOURNAMENT_STARTED, EventType.TOURNAMENT_COMPLETED,
                     EventType.TOURNAMENT_UPDATED, EventType.PARTICIPANT_REGISTERED, EventType.PARTICIPANT_WITHDREW,
                     EventType.STANDINGS_UPDATED, EventType.PAIRING_GENERATED}
_CHANGES_RESULTS = {EventType.GAME_COMPLETED, EventType.TOURNAMENT_UPDATED, EventType.ROUND_STARTED}


def watching(tournament_id: int) -> int:
    return realtime.watching(channels.tournament(tournament_id))


def overview_fragment(context: dict[str, Any] | None = None, version: int | None = None) -> Fragment:
    """`dash-overview` on tournaments:all: totals and live tournaments, the same for every viewer."""
    version = queries.version_now() if version is None else version
    ctx = context if context is not None else queries.overview_context(watching)
    data = {"totals": ctx["totals"], "live": [vars(t) for t in ctx["live"]]}
    return fragment(channels.TOURNAMENTS_ALL, OVERVIEW_KEY, version, TEMPLATE, "overview", ctx, data)


def results_fragment() -> Fragment:
    """`dash-results` on tournaments:all: the last decided games of public tournaments."""
    version = queries.version_now()
    ctx = queries.recent_results_context()
    return fragment(channels.TOURNAMENTS_ALL, RESULTS_KEY, version, TEMPLATE, "recent_results", ctx,
                    {"results": [vars(r) for r in ctx["results"]]})


class Ranks:
    """(rank, points) of players in the current standings, each tournament's standings computed once per
    instance: one instance serves a whole batch of per-user renders."""

    def __init__(self) -> None:
        self._tables: dict[int, dict[int, tuple[int, str]]] = {}

    def __call__(self, tournament_id: int, registration_id: int) -> tuple[int, str] | None:
        if tournament_id not in self._tables:
            rows = tournament_queries.standings_context(tournament_id)["rows"]
            self._tables[tournament_id] = {
                row.player.id: (row.rank, _points(row.live_points if row.live_points is not None else row.points))
                for row in rows}
        return self._tables[tournament_id].get(registration_id)


def _points(value: Any) -> str:
    whole, half = divmod(value * 2, 2)
    return f"{int(whole)}{'½' if half else ''}" if whole or not half else "½"


def player_fragment(user_id: int, ranks: Ranks | None = None) -> Fragment:
    """`dash-player` on user:<id>: that player's pairings, results to confirm and tournaments with rank."""
    version = queries.version_now()
    ctx = queries.player_context(user_id, ranks or Ranks())
    return fragment(channels.user(user_id), PLAYER_KEY, version, TEMPLATE, "player", ctx,
                    {"pairings": [vars(p) for p in ctx["pairings"]],
                     "to_confirm": [vars(c) for c in ctx["to_confirm"]],
                     "tournaments": [{**vars(t), "status": t.status.value} for t in ctx["tournaments"]]})


def organizer_fragment(user_id: int) -> Fragment:
    """`dash-organizer` on user:<id>: the work waiting in the tournaments that user runs."""
    version = queries.version_now()
    ctx = queries.organizer_context(user_id)
    return fragment(channels.user(user_id), ORGANIZER_KEY, version, TEMPLATE, "organizer", ctx,
                    {"tournaments": [{**vars(t), "status": t.status.value} for t in ctx["tournaments"]]})


def _tournament_ids(events: Sequence[CommittedEvent]) -> set[int]:
    ids = set()
    for event in events:
        channel = channels.parse(event.scope)
        if channel is not None and channel.kind == channels.KIND_TOURNAMENT and channel.id is not None:
            ids.add(channel.id)
    return ids


class DashboardOverviewArea(OverviewArea):
    """`tournaments:all` with the dashboard's overview and recent results added to the list's counter."""
    kinds = (KIND_OVERVIEW,)

    def __init__(self) -> None:
        super().__init__()
        self._last_watching: tuple[tuple[int, int], ...] | None = None

    def snapshot(self, channel: Channel) -> list[Fragment]:
        return [*super().snapshot(channel), overview_fragment(), results_fragment()]

    def messages(self, events: Sequence[CommittedEvent]) -> list[Message]:
        out = list(super().messages(events))
        types = {e.type for e in events}
        if types & _CHANGES_OVERVIEW:
            out.append(overview_fragment())
        if types & _CHANGES_RESULTS:
            out.append(results_fragment())
        return out

    def watching_tick(self) -> list[Message]:
        """The periodic job: re-render the overview when a live tournament's spectator count changed."""
        version = queries.version_now()
        with url_context():
            ctx = queries.overview_context(watching)
            seen = tuple((t.id, t.watching) for t in ctx["live"])
            if seen == self._last_watching:
                return []
            self._last_watching = seen
            return [overview_fragment(ctx, version)]


class DashboardUserArea(CommonArea):
    """`system`, `admin`, `user:<id>`, with each user's dashboard sections on their own channel."""
    kinds = (channels.KIND_SYSTEM, KIND_ADMIN, KIND_USER)

    def snapshot(self, channel: Channel) -> list[Fragment]:
        out = list(super().snapshot(channel))
        if channel.kind == KIND_USER and channel.id is not None:
            out += personal_fragments(channel.id)
        return out

    def messages(self, events: Sequence[CommittedEvent]) -> list[Message]:
        out = list(super().messages(events))
        players, organizers = queries.people_of(_tournament_ids([e for e in events if e.type in _CHANGES_PERSONAL]))
        # Every affected user, online or not: presence is reported a second late, and skipping a user who
        # connected within that second would leave their page older than the database. Standings are read once.
        ranks = Ranks()
        for user_id in sorted(players | organizers):
            if user_id in players:
                out.append(player_fragment(user_id, ranks))
            if user_id in organizers:
                out.append(organizer_fragment(user_id))
        return out


def personal_fragments(user_id: int) -> list[Fragment]:
    """The sections of `user_id`'s dashboard: the player's for everyone, the organizer's for organizers."""
    user = db.session.get(User, user_id)
    if user is None:
        return []
    out = [player_fragment(user_id)]
    if user.has_role(Role.ORGANIZER):
        out.append(organizer_fragment(user_id))
    return out


def init_app(app: Flask, overview: DashboardOverviewArea) -> None:
    """Start reading spectator counts every WATCHING_INTERVAL seconds on the live core's worker."""
    realtime.every("dashboard:watching", float(app.config.get("DASHBOARD_WATCHING_SECONDS") or WATCHING_INTERVAL),
                   overview.watching_tick, app=app)
