"""Scale-out in production shape: two processes of the real app (`gunicorn app:app`, gevent worker) sharing
one database and Redis. An organizer enters a result through process A's forms; the live pages held by
process B change. When B's Redis subscription drops, B resyncs its clients from the database.

The test process sets the tournament up through the services against the same database; its own live core
uses the in-process broker, so what it changes reaches B only through a resync.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from chessweb.models import Role
from chessweb.realtime import realtime
from chessweb.tournaments import results

from ..conftest import PASSWORD, make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from ..processes import WAIT, AppProcess, Browser  # noqa: F401  (Browser: others import it from here)

pytestmark = [pytest.mark.slow, pytest.mark.scale_out]
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def deployment(app, database_url: str, redis_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two app processes of one deployment: same database, same Redis, a broker prefix of this test's own."""
    prefix = f"test-scale-{uuid.uuid4().hex[:10]}"
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "CHESSWEB_BROKER_PREFIX": prefix,
           "SECRET_KEY": f"scale-{uuid.uuid4().hex}", "CHESSWEB_ENV": "production",
           # Served over plain HTTP here: a Secure session cookie would never come back from the client.
           "CHESSWEB_SESSION_COOKIE_SECURE": "false"}
    processes: list[AppProcess] = []
    try:
        for name in ("A", "B"):
            processes.append(AppProcess(name, env, tmp_path))
        for process in processes:
            process.wait_ready()
        yield {"A": processes[0], "B": processes[1], "prefix": prefix, "redis_url": redis_url}
    finally:
        for process in processes:
            process.stop()


@pytest.fixture
def tournament(app) -> dict[str, Any]:
    """A Swiss of eight players with round 1 published, set up through the services in this process."""
    organizer = make_user(Role.ORGANIZER, name="Olga Scale")
    tid = setup_tournament(organizer, 8, name="Scale-out Open")
    start_round(tid, organizer)
    assert realtime.flush(WAIT)  # this process's after-commit jobs have claimed the setup's events
    games = [g for g in games_of(tid, 1) if g.black_id is not None]
    return {"id": tid, "organizer": organizer, "games": games}


# --------------------------------------------------------------------------- helpers

def recv_fragments(ws: ClientConnection, *ids: str) -> dict[str, tuple[str, float]]:
    """Read html frames until each of the DOM ids has come; the last frame of each, and when it arrived."""
    deadline = time.monotonic() + WAIT
    seen: dict[str, tuple[str, float]] = {}
    while not set(ids) <= set(seen):
        frame = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        assert isinstance(frame, str)
        seen[root_id(frame)] = (frame, time.monotonic())
    return seen


def recv_json_until(ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if predicate(message):
            return message


def root_id(html: str) -> str:
    match = re.match(r'\s*<\w+ id="([^"]+)"', html)
    assert match, html[:200]
    return match.group(1)


def live_points(standings_html: str, player: str) -> str:
    """The Live column of a player's row in the round-1 standings."""
    match = re.search(rf"{re.escape(player)}(?:</a>)?</td>\s*<td class=\"rtg\">[^<]*</td>"
                      r"\s*<td class=\"score\"><strong>[^<]*</strong></td>\s*<td>([^<]*)</td>", standings_html)
    assert match, f"no row for {player} in {standings_html[:3000]}"
    return match.group(1)


def result_cells(scoreboard_html: str) -> list[str]:
    return re.findall(r'<td class="result">(.*?)</td>', scoreboard_html, re.DOTALL)


def pubsub_clients(redis_url: str, prefix: str) -> list[dict[str, Any]]:
    raw = redis.Redis.from_url(redis_url)
    try:
        return [c for c in raw.client_list(_type="pubsub") if c.get("name", "").startswith(f"{prefix}-sub-")]
    finally:
        raw.close()


# --------------------------------------------------------------------------- the test

def test_a_result_entered_on_one_process_reaches_the_clients_of_another(deployment, tournament):
    a, b, tid = deployment["A"], deployment["B"], tournament["id"]
    html_url = f"{b.ws_url}/ws?channel=tournament:{tid}:standings&channel=tournament:{tid}:games"
    json_url = (f"{b.ws_url}/ws?format=json&channel=tournament:{tid}&channel=tournament:{tid}:games"
                f"&channel=tournament:{tid}:standings")
    try:
        with (connect(html_url, open_timeout=WAIT, compression=None) as html_ws,
              connect(json_url, open_timeout=WAIT, compression=None) as json_ws):
            check_scale_out(a, b, deployment, tournament, html_ws, json_ws)
        for process in (a, b):  # e.g. a worker stalled on a locked SQLite database logs it and carries on
            assert "Traceback" not in process.log.read_text(errors="replace"), f"process {process.name} logged an error"
    except BaseException:
        print(f"--- process A log\n{a.tail()}\n--- process B log\n{b.tail()}")
        raise


def check_scale_out(a: AppProcess, b: AppProcess, deployment: dict[str, Any], tournament: dict[str, Any],
                    html_ws: ClientConnection, json_ws: ClientConnection) -> None:
    tid = tournament["id"]
    first, second = tournament["games"][0], tournament["games"][1]
    white, black = first.white.name, first.black.name

    # Connect sequence on B: the current state of every subscribed fragment, read from the database.
    snapshot = recv_fragments(html_ws, f"standings-{tid}", f"scoreboard-{tid}")
    assert set(snapshot) == {f"standings-{tid}", f"scoreboard-{tid}", f"provisional-standings-{tid}"}
    assert live_points(snapshot[f"standings-{tid}"][0], white) == "0"
    recv_json_until(json_ws, lambda m: m["type"] == "subscribed")

    organizer = Browser(a.url)
    assert organizer.submit("/auth/login", {"email": tournament["organizer"].email, "password": PASSWORD},
                            form_path="/auth/login") == 303
    fields = {"result": "1-0", "reason": "", "version": str(first.revision)}  # the row's form carries the version
    posted = time.monotonic()
    status = organizer.submit(f"/tournaments/{tid}/games/{first.id}/result", fields,
                              form_path=f"/tournaments/{tid}/rounds/1")
    returned = time.monotonic()
    assert status == 303

    pushed = recv_fragments(html_ws, f"scoreboard-{tid}-round-1", f"standings-{tid}", f"provisional-standings-{tid}")
    round_html, round_at = pushed[f"scoreboard-{tid}-round-1"]
    assert "<strong>1–0</strong>" in result_cells(round_html)[first.board - 1]
    standings_html, standings_at = pushed[f"standings-{tid}"]
    assert (live_points(standings_html, white), live_points(standings_html, black)) == ("1", "0")
    print(f"\nresult POST on A took {1000 * (returned - posted):.0f} ms; after it returned, B's client got "
          f"the scoreboard round in {1000 * (round_at - returned):.0f} ms and the standings in "
          f"{1000 * (standings_at - returned):.0f} ms")

    event = recv_json_until(json_ws, lambda m: m.get("event") == "GAME_COMPLETED")
    assert event["type"] == "broadcast" and event["channel"] == f"tournament:{tid}"
    assert event["data"]["entity_id"] == first.id
    assert event["data"]["payload"] == {"round": 1, "board": first.board, "result": "1-0"}
    board = recv_json_until(json_ws, lambda m: m.get("key") == f"scoreboard-{tid}-round-1")
    assert board["type"] == "broadcast"
    games = {g["id"]: g for g in board["data"]["round"]["games"]}
    assert games[first.id]["result"] == "1-0"
    assert games[second.id]["result"] == "*"
    standings = recv_json_until(json_ws, lambda m: m.get("key") == f"standings-{tid}")
    live = {row["player"]["name"]: row["live_points"] for row in standings["data"]["rows"]}
    assert (live[white], live[black]) == (1.0, 0.0)

    # A change B never hears about: this process publishes only to its own (in-process) broker.
    results.set_result(tid, second.id, "0-1", tournament["organizer"].id)
    assert realtime.flush(WAIT)
    with pytest.raises(TimeoutError):
        html_ws.recv(timeout=1.0)

    # Cut B's subscription (A's stays): B subscribes again and resyncs its clients from the database.
    worker = b.worker_pid()
    subscribers = pubsub_clients(deployment["redis_url"], deployment["prefix"])
    assert len(subscribers) == 2, subscribers
    b_subscriber = [c for c in subscribers if f":{worker}:" in c["name"]]
    assert len(b_subscriber) == 1, (worker, subscribers)
    resyncs_before = b.metric("chessweb_broker_resyncs_total")
    raw = redis.Redis.from_url(deployment["redis_url"])
    try:
        assert raw.client_kill_filter(_id=b_subscriber[0]["id"]) == 1
    finally:
        raw.close()

    resynced = recv_fragments(html_ws, f"standings-{tid}", f"scoreboard-{tid}")
    standings_html = resynced[f"standings-{tid}"][0]
    assert live_points(standings_html, second.black.name) == "1"
    assert live_points(standings_html, white) == "1"  # and the earlier result is still there
    cells = result_cells(resynced[f"scoreboard-{tid}"][0])
    assert "<strong>1–0</strong>" in cells[first.board - 1] and "<strong>0–1</strong>" in cells[second.board - 1]
    # The pages heal from the catch-up at the loss or from the resync once subscribed again; the resync comes.
    deadline = time.monotonic() + WAIT
    while b.metric("chessweb_broker_resyncs_total") != resyncs_before + 1:
        assert time.monotonic() < deadline, "B did not resync after its subscription came back"
        time.sleep(0.1)
    standings = recv_json_until(json_ws, lambda m: m.get("key") == f"standings-{tid}")
    live = {row["player"]["name"]: row["live_points"] for row in standings["data"]["rows"]}
    assert live[second.black.name] == 1.0
    assert len(pubsub_clients(deployment["redis_url"], deployment["prefix"])) == 2  # B is back
