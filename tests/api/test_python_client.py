"""The Python client in clients/python against the real app: callbacks get the live standings, a game and the
tournament's events; the REST helper reads the same standings."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from chessweb.models import Role
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

from chessweb_client import ChessWebClient  # noqa: E402


def wait(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_the_client_follows_standings_games_and_events(app, live_server):
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    standings, games, updates = [], [], []
    client = ChessWebClient(live_server.url)
    client.on_standings_update(tid, standings.append)
    client.on_game_update(game.id, games.append)
    client.on_tournament_update(tid, updates.append)
    runner = threading.Thread(target=client.run, daemon=True)
    runner.start()
    try:
        wait(lambda: standings and games and updates, "the current state")
        assert standings[0]["through_round"] in (0, None) and games[0]["result"] == "*"
        for g in games_of(tid, 1):
            results.set_result(tid, g.id, "1-0", organizer.id)
        wait(lambda: standings[-1]["through_round"] == 1, "the standings after round 1")
        wait(lambda: games[-1]["result"] == "1-0", "the game's result")
        wait(lambda: any(u["kind"] == "event" and u["data"]["type"] == "GAME_COMPLETED" for u in updates),
             "the GAME_COMPLETED event")
        assert [r["points"] for r in standings[-1]["rows"]] == [1.0, 1.0, 0.0, 0.0]
        assert client.standings(tid)["rows"] == standings[-1]["rows"]
    finally:
        client.stop()
        runner.join(timeout=10)
    assert not runner.is_alive()
