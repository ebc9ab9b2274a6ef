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


class ScoreboardData(Strict):
    """Fragment `scoreboard-<id>` on `tournament:<id>:games`: every published round."""
    tournament: int
    rounds: list[RoundState]


class ScoreboardRoundData(Strict):
    """Fragment `scoreboard-<id>-round-<n>` on `tournament:<id>:games`."""
    tournament: int
    round: RoundState


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
    """Fragment `crosstable-<id>` on `tournament:<id>:standings` (round robins only)."""
    tournament: int
    columns: list[int]
    rows: list[CrosstableRow]


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


class TournamentEventData(Strict):
    """An event on `tournament:<id>` (e.g. GAME_COMPLETED, ROUND_STARTED): what happened, for programs."""
    type: str
    tournament: int
    entity: str | None
    entity_id: int | None
    payload: dict[str, Any]
    at: str = Field(description="ISO 8601, UTC")


FragmentData = Union[HeaderData, RegistrationsData, WatchingData, ScoreboardData, ScoreboardRoundData,
                     StandingsData, CrosstableData, GameData, GamesInProgressData]


class ChessFragmentMessage(wire.FragmentMessage):
    """A fragment as ChessWeb sends it: `data` is one of the shapes above."""
    data: FragmentData | None  # type: ignore[assignment]


class ChessEventMessage(wire.EventMessage):
    data: TournamentEventData  # type: ignore[assignment]


class ClientMessage(RootModel[wire.ClientMessage]):
    """Any frame a client may send on /ws."""


class RealtimeServerMessage(RootModel[wire.RealtimeServerMessage]):
    """Any frame the chess-free live core sends a JSON client (`data`: any object)."""


class ServerMessage(RootModel[Union[wire.ConnectedMessage, wire.SubscribedMessage, wire.UnsubscribedMessage,
                                    wire.PongMessage, wire.ErrorMessage, ChessFragmentMessage, ChessEventMessage]]):
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
