"""Every message ChessWeb sends to programs, as typed models: the /ws frames with their `data` narrowed per
fragment and event, and the payloads of the REST API (/api/v1/). `schema_document()` is the JSON Schema
(2020-12) served at /api/v1/schema.json and checked in as docs/api-schema.json.

The generic protocol (subscribe, ping, error, the envelopes) lives in chessweb/realtime/wire.py, because the
live core validates client frames with it and must not import the app; this module re-publishes it.
"""
from __future__ import annotations

import json
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel
from pydantic.json_schema import models_json_schema

from ..realtime import wire

SCHEMA_ID = "/api/v1/schema.json"


class Strict(BaseModel):
    """Exactly these fields: a field added on the server without its contract fails the schema test."""
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- shared shapes

ResultCode = Literal["*", "1-0", "0-1", "1/2-1/2", "+/-", "-/+", "-/-", "U", "F", "H", "Z"]
TournamentStatusCode = Literal["UPCOMING", "REGISTRATION", "ACTIVE", "COMPLETED"]
RoundStatusCode = Literal["DRAFT", "PUBLISHED", "COMPLETED"]


class Player(Strict):
    """A player as the pages show them; `number` is the pairing number (null before the draw is fixed)."""
    number: int | None
    name: str
    title: str | None
    rating: int | None
    federation: str | None
    withdrawn: bool


class Pairing(Strict):
    """One board of a round; `black` null for a bye. `reported`: a player's report awaiting confirmation."""
    id: int
    board: int
    white: Player
    black: Player | None
    result: ResultCode
    reported: ResultCode | None


class RoundState(Strict):
    number: int
    status: RoundStatusCode
    games: list[Pairing]


# --------------------------------------------------------------------------- /ws fragment data

class HeaderData(Strict):
    """Fragment `tournament-header-<id>` on `tournament:<id>`."""
    tournament: int
    name: str
    status: TournamentStatusCode
    current_round: int | None
    planned_rounds: int
    players: int


class RegistrationsData(Strict):
    """Fragment `registrations-<id>` on `tournament:<id>`."""
    tournament: int
    players: list[Player]


class WatchingData(Strict):
    """Fragment `watching-<id>` on `tournament:<id>`: connections summed over every process."""
    tournament: int
    watching: int = Field(ge=0)


class ScoreboardPairing(Pairing):
    """A board on the scoreboard, with each player's points before the round as printed beside the names
    (`black_points` null for a bye)."""
    white_points: float
    black_points: float | None


class ScoreboardRound(Strict):
    number: int
    status: RoundStatusCode
    games: list[ScoreboardPairing]


class ScoreboardData(Strict):
    """Fragment `scoreboard-<id>` on `tournament:<id>:games`: every published round."""
    tournament: int
    rounds: list[ScoreboardRound]


class ScoreboardRoundData(Strict):
    """Fragment `scoreboard-<id>-round-<n>` on `tournament:<id>:games`."""
    tournament: int
    round: ScoreboardRound


class StandingsRow(Strict):
    """`tiebreaks`: code (as in the tournament's `tiebreaks` list) -> value as the page prints it ("" before
    any game, else a decimal like "12.5"); `live_points` counts the games in play as they stand."""
    rank: int
    shared: bool
    player: Player
    points: float
    tiebreaks: dict[str, str]
    change: int | None
    live_points: float | None


class StandingsData(Strict):
    """Fragment `standings-<id>` on `tournament:<id>:standings`; tie-breaks per FIDE Handbook C.07."""
    tournament: int
    through_round: int | None
    tiebreaks: list[str]
    rows: list[StandingsRow]


class CrosstableRow(Strict):
    """`cells`: against each pairing number of `columns` in turn, results as "1", "½", "0" ("■": oneself)."""
    player: Player
    cells: list[str]
    points: float


class CrosstableData(Strict):
    """Fragment `crosstable-<id>` on `tournament:<id>:crosstable` (round robins only)."""
    tournament: int
    columns: list[int]
    rows: list[CrosstableRow]


class ProvisionalStandingsRow(Strict):
    """As StandingsRow, counting the games in play as they stand (no separate `live_points`)."""
    rank: int
    shared: bool
    player: Player
    points: float
    tiebreaks: dict[str, str]
    change: int | None


class ProvisionalStandingsData(Strict):
    """Fragment `provisional-standings-<id>` on `tournament:<id>:standings`: the standings if the games of
    `round` (null before the first round) ended as they stand now."""
    tournament: int
    round: int | None
    rows: list[ProvisionalStandingsRow]


SwissCell = tuple[int | None, Literal["w", "b"] | None, str]


class SwissCrosstableRow(Strict):
    """`cells`, one per paired round: [opponent's rank or null (bye, absence), colour or null, result as
    printed ("1", "½", "0", "+", "-", ...)]."""
    rank: int
    player: Player
    points: float
    cells: list[SwissCell]


class SwissCrosstableData(Strict):
    """Fragment `swiss-crosstable-<id>` on `tournament:<id>:crosstable` (Swiss tournaments only)."""
    tournament: int
    rounds: int = Field(ge=0, description="rounds paired so far: the number of cells per row")
    rows: list[SwissCrosstableRow]


class PlayerPageData(Strict):
    """Fragment `player-<id>-<n>` on `tournament:<id>:player:<n>`: one player's page. `performance`: FIDE
    B.02 Art. 8.1 performance rating (null without rated opponents); `tiebreaks`: code -> value (FIDE C.07)."""
    tournament: int
    number: int
    points: float
    rank: int | None
    performance: int | None
    tiebreaks: dict[str, float | int | None]


class GameData(Strict):
    """Fragment `game-<id>` on `game:<id>`; `moves` in SAN, white's and black's alternately."""
    game: int
    tournament: int
    round: int
    board: int
    white: Player
    black: Player | None
    result: ResultCode
    moves: list[str]


class GamesInProgressData(Strict):
    """Fragment `games-in-progress` on `tournaments:all`."""
    games_in_progress: int = Field(ge=0)


class ListedTournament(Strict):
    """A row of the tournament list: `current_round` is the highest round past its draft (null before round 1);
    `players` counts active entries."""
    id: int
    name: str
    status: TournamentStatusCode
    current_round: int | None
    planned_rounds: int
    players: int = Field(ge=0)


class TournamentListData(Strict):
    """Fragment `tournament-list` on `tournaments:all`: every public tournament (running, upcoming, finished)."""
    tournaments: list[ListedTournament]


class TournamentEventData(Strict):
    """An event on `tournament:<id>` (e.g. GAME_COMPLETED, ROUND_STARTED): what happened, for programs."""
    type: str
    tournament: int
    entity: str | None
    entity_id: int | None
    payload: dict[str, Any]
    at: str = Field(description="ISO 8601, UTC")


# --------------------------------------------------------------------------- dashboard (chessweb/dashboard/)

class OverviewTotals(Strict):
    """Public tournaments counted by status."""
    total: int = Field(ge=0)
    active: int = Field(ge=0)
    upcoming: int = Field(ge=0)
    completed: int = Field(ge=0)


class LiveTournament(Strict):
    """A tournament in play: `in_progress` games undecided, `watching` connections on its channel."""
    id: int
    name: str
    players: int = Field(ge=0)
    current_round: int | None
    planned_rounds: int
    in_progress: int = Field(ge=0)
    watching: int = Field(ge=0)


class DashboardOverviewData(Strict):
    """Fragment `dash-overview` on `tournaments:all`."""
    totals: OverviewTotals
    live: list[LiveTournament]


class RecentResult(Strict):
    """A decided game (byes excluded) of a public tournament; `white`/`black` are names."""
    game_id: int
    tournament_id: int
    tournament: str
    round: int
    board: int
    white: str
    black: str
    result: ResultCode


class DashboardResultsData(Strict):
    """Fragment `dash-results` on `tournaments:all`: the newest results first."""
    results: list[RecentResult]


class DashboardPairing(Strict):
    """A game of the player's in a published round, not yet decided."""
    game_id: int
    tournament_id: int
    tournament: str
    round: int
    board: int
    colour: Literal["White", "Black"]
    opponent: str


class DashboardToConfirm(Strict):
    """A result the opponent reported that waits for this player's confirmation."""
    game_id: int
    tournament_id: int
    tournament: str
    round: int
    board: int
    reported: ResultCode
    opponent: str


class DashboardTournament(Strict):
    """A tournament of the player's; `rank`/`points` (as printed, e.g. "2½") null before a complete round."""
    id: int
    name: str
    status: TournamentStatusCode
    rank: int | None
    points: str | None


class DashboardPlayerData(Strict):
    """Fragment `dash-player` on `user:<id>` (user_message): that player's own section."""
    pairings: list[DashboardPairing]
    to_confirm: list[DashboardToConfirm]
    tournaments: list[DashboardTournament]


class OrganizerTournament(Strict):
    """A tournament the user runs and the work waiting in it: `missing` games of the current published round
    without a result, `disputes`, `reports` awaiting confirmation, `draft`: a paired round waits to be
    published."""
    id: int
    name: str
    status: TournamentStatusCode
    current_round: int | None
    missing: int = Field(ge=0)
    disputes: int = Field(ge=0)
    reports: int = Field(ge=0)
    players: int = Field(ge=0)
    draft: bool


class DashboardOrganizerData(Strict):
    """Fragment `dash-organizer` on `user:<id>` (user_message)."""
    tournaments: list[OrganizerTournament]


# --------------------------------------------------------------------------- monitoring (chessweb/monitoring/)

class HealthTotals(Strict):
    """Sums over every process: counters since each process started, gauges now. `rss` in bytes, `cpu` in
    CPU seconds, `at` in epoch seconds; `roles`: users online by role; `fanout`: socket writes per fan-out
    latency bucket (upper bounds 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000 ms and +Inf)."""
    sockets: int = Field(ge=0)
    anonymous: int = Field(ge=0)
    connects: float
    delivered: float
    dropped: float
    slow_closes: float
    job_failures: float
    resyncs: float
    rss: int
    cpu: float
    requests: int
    errors5xx: int
    at: float
    channels: int = Field(ge=0)
    roles: dict[str, int]
    fanout: list[float]


class HealthRates(Strict):
    """Over about the last minute; `error_rate` is 5xx responses / responses (0..1); `fanout_p50_ms` and
    `fanout_p99_ms`: publish-to-socket-write latency of the writes in that minute (null when none)."""
    connects_per_min: float
    disconnects_per_min: float
    messages_per_s: float
    error_rate: float
    cpu_percent: float | None = None
    fanout_p50_ms: float | None = None
    fanout_p99_ms: float | None = None


class HealthProcess(Strict):
    """One serving process: `rss_mb` in MiB, `uptime` in seconds."""
    server: str
    pid: int
    sockets: int = Field(ge=0)
    rss_mb: float
    uptime: float


class HealthAlert(Strict):
    """A raised alert: `name` is one of broker, database, memory, errors, latency, cpu."""
    name: str
    message: str


class RecentError(Strict):
    """A 5xx response; `at` in epoch seconds."""
    at: float
    request_id: str
    method: str
    path: str
    status: int
    summary: str


class SystemHealthData(Strict):
    """Fragment `system-health` on `admin`; `top_channels`: [channel, connections], most first;
    `query_ms`: a trivial query's time (null when the database does not answer)."""
    total: HealthTotals
    rates: HealthRates
    processes: list[HealthProcess]
    top_channels: list[tuple[str, int]]
    alerts: list[HealthAlert]
    broker_ok: bool
    database_ok: bool
    query_ms: float | None
    recent_errors: list[RecentError]


class OpenConnection(Strict):
    """A row of `/admin/connections`: `user` null for an anonymous visitor; times are ISO 8601, UTC."""
    session_id: str
    user_id: int | None
    user: str | None
    ip: str
    user_agent: str
    connected_at: str
    last_ping_at: str
    subscriptions: list[str]
    server: str


class AdminConnectionsData(Strict):
    """Fragment `admin-connections` on `admin`: how many sockets are open over every process, and the newest
    `per_page` of them (the first page of the unfiltered list)."""
    total: int = Field(ge=0)
    per_page: int = Field(ge=1)
    connections: list[OpenConnection]


class AdminConnectionsTotalData(Strict):
    """Fragment `admin-connections-total` on `admin`: how many sockets are open over every process."""
    total: int = Field(ge=0)


class SystemChartsData(Strict):
    """Fragment `system-charts` on `admin`: how many history points the charts draw."""
    points: int = Field(ge=0)


# --------------------------------------------------------------------------- notifications

class NotificationOpponent(Strict):
    name: str
    rating: int | None


class NotificationDetails(Strict):
    """A notification's details; which fields are present depends on its `kind` (a pairing: game, round, board,
    colour, opponent; a bye: game, round, bye; a reported result: game, result, confirm, version (the game's
    revision the report belongs to); a standings change: rank). Empty for notices an admin wrote."""
    game: int | None = None
    round: int | None = None
    board: int | None = None
    colour: Literal["white", "black"] | None = None
    opponent: NotificationOpponent | None = None
    bye: ResultCode | None = None
    result: ResultCode | None = None
    confirm: bool | None = None
    version: int | None = None
    rank: int | None = None


class NotificationPreferences(Strict):
    """Five groups (what to hear about) and three delivery channels (how)."""
    game_results: bool
    tournament_updates: bool
    standings_changes: bool
    pairing_updates: bool
    system_alerts: bool
    realtime: bool
    email: bool
    push: bool


class NotificationData(Strict):
    """A notification (event `notification`, and the items of `emergency-alerts`): the same fields as
    /notifications/api/notifications. `message` is plain text (escape it); `group` the preference category;
    `data`: the kind's details (e.g. game, round, board); times ISO 8601 UTC."""
    id: int
    kind: str
    title: str
    message: str
    type: Literal["INFO", "SUCCESS", "WARNING", "ERROR", "ANNOUNCEMENT"]
    priority: Literal["LOW", "NORMAL", "HIGH", "CRITICAL"]
    group: str | None = Field(description="the preference group; null for an admin's broadcast outside any")
    link: str
    tournament: int | None
    data: NotificationDetails
    created_at: str = Field(description="ISO 8601, UTC")
    expires_at: str | None = Field(description="ISO 8601, UTC")
    withdrawn: bool


class BadgeData(Strict):
    """Fragment `notice-badge-state` on `user:<id>` (user_message): unread notifications."""
    unread: int = Field(ge=0)


class AlertsData(Strict):
    """Fragment `emergency-alerts` on `alerts`: every CRITICAL alert in force."""
    alerts: list[NotificationData]


class NoticeRowData(Strict):
    """One broadcast's delivery counts in the notification center's recent list (`notice-recent`)."""
    notification: int
    targeted: int = Field(ge=0)
    delivered: int = Field(ge=0)
    read: int = Field(ge=0)
    email_sent: int = Field(ge=0)
    email_failed: int = Field(ge=0)


class NoticeRecentData(Strict):
    """Fragment `notice-recent` on the admins' channel: the notification center's recent broadcasts (every
    sender's), newest first, with their counts; pushed whenever one is sent, withdrawn or its counts change."""
    rows: list[NoticeRowData]


class PreferencesEventData(Strict):
    """Event `preferences` on `user:<id>`: the user's notification preferences changed; reconnect."""
    preferences: NotificationPreferences


class ArbiterRoundsData(Strict):
    """Fragment `arbiter-rounds-<id>` on `tournament:<id>:arbiter` (organizers only): the rounds panel.
    `pair_blocker` says why round `next_round` cannot be paired yet (null: it can)."""
    tournament: int
    next_round: int = Field(ge=1)
    pair_blocker: str | None


class RoundEntryData(Strict):
    """Fragment `round-entry-<id>-<round>` on `tournament:<id>:arbiter`: one round's result entry; `final` of
    `boards` results are final."""
    tournament: int
    round: int = Field(ge=1)
    final: int = Field(ge=0)
    boards: int = Field(ge=0)


class MyGameData(Strict):
    """Fragment `my-game-<tournament id>` on `user:<id>` (user_message): the player's latest published game
    there (null before the first pairing), its result and a pending report."""
    tournament: int
    game: int | None
    result: ResultCode | None
    reported: ResultCode | None


FragmentData = Union[HeaderData, RegistrationsData, WatchingData, ScoreboardData, ScoreboardRoundData,
                     StandingsData, ProvisionalStandingsData, CrosstableData, SwissCrosstableData, PlayerPageData,
                     GameData, GamesInProgressData, TournamentListData, DashboardOverviewData, DashboardResultsData,
                     DashboardPlayerData, DashboardOrganizerData, SystemHealthData, SystemChartsData,
                     AdminConnectionsData, AdminConnectionsTotalData, BadgeData,
                     AlertsData, NoticeRecentData, ArbiterRoundsData, RoundEntryData, MyGameData]


class ChessFragmentMessage(wire.FragmentMessage):
    """A fragment as ChessWeb sends it: `data` is one of the shapes above."""
    data: FragmentData | None  # type: ignore[assignment]


class ChessEventMessage(wire.EventMessage):
    """A tournament event (`event` is its type, e.g. GAME_COMPLETED)."""
    event: str = Field(pattern=r"^[A-Z][A-Z_]*$")
    data: TournamentEventData  # type: ignore[assignment]


class NotificationEventMessage(wire.EventMessage):
    """Event `notification` on `user:<id>`, a role's or a tournament's channel: a toast for a new notice."""
    event: Literal["notification"]
    data: NotificationData  # type: ignore[assignment]


class PreferencesEventMessage(wire.EventMessage):
    """Event `preferences` on `user:<id>`."""
    event: Literal["preferences"]
    data: PreferencesEventData  # type: ignore[assignment]


class ClientMessage(RootModel[wire.ClientMessage]):
    """Any frame a client may send on /ws."""


class RealtimeServerMessage(RootModel[wire.RealtimeServerMessage]):
    """Any frame the chess-free live core sends a JSON client (`data`: any object)."""


class ServerMessage(RootModel[Union[wire.ConnectedMessage, wire.SubscribedMessage, wire.UnsubscribedMessage,
                                    wire.PongMessage, wire.ErrorMessage, ChessFragmentMessage, ChessEventMessage,
                                    NotificationEventMessage, PreferencesEventMessage]]):
    """Any frame ChessWeb sends a JSON client on /ws?format=json."""


# --------------------------------------------------------------------------- REST payloads (/api/v1/)

class ApiErrorDetail(Strict):
    code: str
    message: str


class ApiError(Strict):
    """Every 4xx/5xx answer of the API: a stable `code` and a sentence for people."""
    error: ApiErrorDetail


class TournamentSummary(Strict):
    """One tournament in a list. `revision` grows with every change (it is also the ETag)."""
    id: int
    name: str
    format: Literal["ROUND_ROBIN", "DOUBLE_ROUND_ROBIN", "SWISS"]
    status: TournamentStatusCode
    start_date: str = Field(description="ISO 8601 date")
    end_date: str | None
    planned_rounds: int
    federation: str | None
    revision: int
    url: str = Field(description="the API URL of the tournament")


class TournamentPage(Strict):
    """One page of tournaments, newest first; pass `next_cursor` as `?cursor=` for the next (null: last page)."""
    items: list[TournamentSummary]
    next_cursor: str | None


class TournamentDetail(TournamentSummary):
    """A tournament with its published rounds, their pairings and results (draft rounds are never shown)."""
    time_control: str
    venue: str
    tiebreaks: list[str]
    players: int
    rounds: list[RoundState]


class PlayerList(Strict):
    tournament: int
    revision: int
    players: list[Player]


class Standings(StandingsData):
    revision: int


class GameDetail(GameData):
    """A game with its PGN (PGN export format, PGN standard section 3.2); pass `revision` back as
    `shown_revision` when acting on it."""
    pgn: str
    revision: int


class ActRequest(BaseModel):
    """Base of the bodies of acting requests: unknown fields are refused, so a typo is not silently ignored."""
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportRequest(ActRequest):
    """POST /api/v1/games/<id>/report (scope `report`): a player reports their own game."""
    result: Literal["1-0", "0-1", "1/2-1/2"]
    shown_revision: int | None = Field(default=None, description="the game's `revision` you acted on: "
                                       "409 when it changed since")


class ResultRequest(ActRequest):
    """POST /api/v1/games/<id>/result (scope `arbiter`): the tournament's organizer enters or corrects a result."""
    result: ResultCode
    reason: str = Field(default="", max_length=500, description="required to correct a final result")
    shown_revision: int | None = None


class MovesRequest(ActRequest):
    """POST /api/v1/games/<id>/moves (scope `relay`): the game's moves so far, as PGN."""
    pgn: str = Field(max_length=200_000)


API_PAYLOADS: list[type[BaseModel]] = [ApiError, TournamentPage, TournamentDetail, PlayerList, Standings,
                                       GameDetail, ReportRequest, ResultRequest, MovesRequest]


# --------------------------------------------------------------------------- schema document

def schema_document() -> dict[str, Any]:
    """The whole contract as one JSON Schema 2020-12 document: `$defs` holds every model by name."""
    models = [ClientMessage, ServerMessage, RealtimeServerMessage, *API_PAYLOADS]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "ChessWeb API and live (/ws) contracts",
            "description": "Messages on /ws?format=json and payloads of /api/v1/. Validate a /ws frame against "
                           "#/$defs/ServerMessage; generated from chessweb/api/contracts.py.",
            "$defs": dict(sorted(top["$defs"].items()))}


def schema_text() -> str:
    """The document as the checked-in file spells it (stable key order, one trailing newline)."""
    return json.dumps(schema_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
