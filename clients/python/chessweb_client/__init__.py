"""A small typed client for ChessWeb's live API (/ws?format=json) and read API (/api/v1/).

    client = ChessWebClient("https://chess.example.org")
    client.on_standings_update(7, lambda s: print(s["rows"][0]["player"]["name"]))
    client.run()          # blocks; reconnects with backoff; returns after client.stop()

Callbacks get the `data` of the messages described in the published schema (/api/v1/schema.json):
on_standings_update -> StandingsData, on_game_update -> GameData, on_tournament_update -> TournamentUpdate
(a header fragment's data, or an event such as GAME_COMPLETED). A fragment older than one already delivered for
the same key is dropped, so a callback never sees state go backwards, across reconnects too.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any, Literal, TypedDict
from urllib.parse import urlencode, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

__all__ = ["ChessWebClient", "GameData", "Player", "StandingsData", "StandingsRow", "TournamentUpdate"]


class Player(TypedDict):
    number: int | None
    name: str
    title: str | None
    rating: int | None
    federation: str | None
    withdrawn: bool


class StandingsRow(TypedDict):
    rank: int
    shared: bool
    player: Player
    points: float
    tiebreaks: dict[str, str]
    change: int | None
    live_points: float | None


class StandingsData(TypedDict):
    tournament: int
    through_round: int | None
    tiebreaks: list[str]
    rows: list[StandingsRow]


class GameData(TypedDict):
    game: int
    tournament: int
    round: int
    board: int
    white: Player
    black: Player | None
    result: str
    moves: list[str]


class TournamentUpdate(TypedDict):
    kind: Literal["header", "event"]
    data: dict[str, Any]  # HeaderData for "header"; TournamentEventData for "event"


class ChessWebClient:
    """Subscriptions over one WebSocket. Not thread-safe: register callbacks before `run`."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        self.base_url = base_url.rstrip("/")
        self.ws_url = ("wss" if parts.scheme == "https" else "ws") + "://" + parts.netloc + "/ws"
        self.token = token
        self.timeout = timeout
        self._handlers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self._versions: dict[str, int] = {}
        self._stopping = threading.Event()
        self._ws: ClientConnection | None = None

    # ------------------------------------------------------------------ subscriptions

    def on_standings_update(self, tournament_id: int, callback: Callable[[StandingsData], None]) -> None:
        self._add(f"tournament:{tournament_id}:standings", lambda m: m.get("key") == f"standings-{tournament_id}",
                  lambda m: callback(m["data"]))

    def on_game_update(self, game_id: int, callback: Callable[[GameData], None]) -> None:
        self._add(f"game:{game_id}", lambda m: m.get("key") == f"game-{game_id}", lambda m: callback(m["data"]))

    def on_tournament_update(self, tournament_id: int, callback: Callable[[TournamentUpdate], None]) -> None:
        def deliver(message: dict[str, Any]) -> None:
            kind: Literal["header", "event"] = "event" if "event" in message else "header"
            callback({"kind": kind, "data": message["data"]})
        self._add(f"tournament:{tournament_id}",
                  lambda m: "event" in m or m.get("key") == f"tournament-header-{tournament_id}", deliver)

    def _add(self, channel: str, wanted: Callable[[dict[str, Any]], bool],
             deliver: Callable[[dict[str, Any]], None]) -> None:
        self._handlers.setdefault(channel, []).append(lambda m: deliver(m) if wanted(m) else None)

    # ------------------------------------------------------------------ reading

    def standings(self, tournament_id: int) -> StandingsData:
        """GET /api/v1/tournaments/<id>/standings once (raises urllib.error.HTTPError on 4xx/5xx)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.base_url}/api/v1/tournaments/{tournament_id}/standings",
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            result: StandingsData = json.load(response)
            return result

    # ------------------------------------------------------------------ the loop

    def run(self, *, max_backoff: float = 30.0) -> None:
        """Connect, deliver every message to its callbacks, reconnect after a drop (1 s, 2 s, ... max_backoff)
        until `stop()`. A refused handshake (403: no such channel for you) is raised, not retried."""
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                self._session()
                backoff = 1.0
            except InvalidStatus:
                raise
            except (ConnectionClosed, OSError, TimeoutError):
                if self._stopping.wait(backoff):
                    return
                backoff = min(max_backoff, backoff * 2)

    def stop(self) -> None:
        self._stopping.set()
        if self._ws is not None:
            self._ws.close()

    def _session(self) -> None:
        query = urlencode([("channel", c) for c in self._handlers] + [("format", "json")])
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with connect(f"{self.ws_url}?{query}", additional_headers=headers, open_timeout=self.timeout) as ws:
            self._ws = ws
            for frame in ws:
                if self._stopping.is_set():
                    return
                self._dispatch(json.loads(frame))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") not in ("broadcast", "user_message"):
            return
        if "key" in message:  # a fragment: newer versions only
            if message["version"] < self._versions.get(message["key"], -1):
                return
            self._versions[message["key"]] = message["version"]
        for handler in self._handlers.get(message["channel"], []):
            handler(message)
