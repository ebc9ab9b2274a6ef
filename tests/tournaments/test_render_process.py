"""The live renders of big tournaments run in a long-lived child process (chessweb/tournaments/render_process.py):
a real child, real sockets. With the threshold lowered, a result in a tournament at the threshold is rendered by
the child (the in-process renderer is broken meanwhile, and the child's pid is not ours), a real WebSocket client
receives what an in-process render gives, byte for byte, and a killed child is replaced for the next result."""
from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.live import consumers
from chessweb.live.fragments import url_context
from chessweb.models import RealtimeEvent
from chessweb.realtime import Fragment, realtime
from chessweb.tournaments import live, render_cache, render_process, results

from ..processes import WAIT
from .conftest import setup_tournament, start_round
from .helpers import games_of
from .test_pairing_jobs import niceness

THRESHOLD = 8
# Seconds for the live jobs to settle. A big event's first render starts the render process (a new interpreter that
# builds the app): 10 s once on a loaded machine, and a page view made meanwhile found that render in the cache.
SETTLE = 60
START = 6 * WAIT  # a generous bound for a result whose render starts the render process (on a loaded machine)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "LIVE_RENDER_CHILD_MIN_PLAYERS": THRESHOLD}


def _broken(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("rendered in the serving process")


@contextmanager
def _open(server: Any, tid: int) -> Iterator[Any]:
    """A JSON client on the tournament's main, games and standings channels, past its connect sequence."""
    from ..live.test_channels import connect_sequence, open_ws
    with open_ws(server, f"tournament:{tid}", f"tournament:{tid}:games", f"tournament:{tid}:standings") as ws:
        connect_sequence(ws)
        yield ws


def _fragments_until(ws: Any, *keys: str, wait: float = WAIT) -> dict[str, dict[str, Any]]:
    """The fragments the socket receives until it has had each of `keys`, by key (the newest of each); `wait`
    bounds each frame's arrival (a first big render includes the render process's start)."""
    seen: dict[str, dict[str, Any]] = {}
    while not set(keys) <= set(seen):
        message = json.loads(ws.recv(timeout=wait))
        if message["type"] == "broadcast" and "key" in message:
            seen[message["key"]] = message
    return seen


def _last_event_id() -> int:
    return db.session.scalar(select(func.max(RealtimeEvent.id))) or 0


def _in_process(tid: int, after: int) -> dict[str, Fragment]:
    """What `live.publish_events` renders here for the events recorded after event `after`, by key."""
    rows = db.session.scalars(select(RealtimeEvent).where(RealtimeEvent.id > after)
                              .order_by(RealtimeEvent.id)).all()
    with url_context():
        return {m.key: m for m in live.publish_events(tid, [consumers._committed(row) for row in rows])
                if isinstance(m, Fragment)}


def _page_requests(seen: list[dict[str, Any]], request: dict[str, Any]) -> None:
    """Note the page renders asked of the render process (not the live renders a late sweep may ask for)."""
    if "pages" in request:
        seen.append(request)


def _dead(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_big_tournaments_result_is_rendered_by_the_render_process_with_the_same_fragments(
        app, organizer, live_server, monkeypatch):
    tid = setup_tournament(organizer, THRESHOLD, name="Render Open")
    start_round(tid, organizer)
    assert realtime.flush(SETTLE)
    game = games_of(tid, 1)[0]
    real_publish_events = live.publish_events
    monkeypatch.setattr(render_process, "publish_events", _broken)  # this process must not render it
    after = _last_event_id()
    with _open(live_server, tid) as ws:
        results.set_result(tid, game.id, "1-0", organizer.id)
        seen = _fragments_until(ws, f"standings-{tid}", f"scoreboard-{tid}-round-1", wait=START)
    process = app.extensions["render_process"]
    assert process.pid is not None and process.pid != os.getpid()
    assert niceness(process.pid) == min(19, os.nice(0) + render_process.RENDER_NICENESS)
    monkeypatch.setattr(render_process, "publish_events", real_publish_events)
    db.session.remove()
    here = _in_process(tid, after)
    for key, message in seen.items():
        if key in here:
            assert (message["version"], message["data"]) == (here[key].version, here[key].data), key
    assert {f"standings-{tid}", f"scoreboard-{tid}-round-1"} <= set(seen) & set(here)  # (unchanged ones are not sent)
    # The child's whole-page renders are in this process's cache, under the revision they show.
    revision = here[f"standings-{tid}"].version
    assert render_cache.cache().get((tid, revision, "standings")) == here[f"standings-{tid}"].html


def test_the_html_pushed_is_the_html_rendered_here(app, organizer, live_server):
    from ..live.test_channels import open_ws
    tid = setup_tournament(organizer, THRESHOLD, name="Bytes Open")
    start_round(tid, organizer)
    assert realtime.flush(SETTLE)
    game = games_of(tid, 1)[0]
    with open_ws(live_server, f"tournament:{tid}:standings", fmt="html") as browser:
        first = browser.recv(timeout=WAIT)  # the connect's snapshot
        after = _last_event_id()
        results.set_result(tid, game.id, "1/2-1/2", organizer.id)
        html = browser.recv(timeout=START)
        while f'id="standings-{tid}"' not in html or html == first:
            html = browser.recv(timeout=START)
    assert app.extensions["render_process"].pid is not None
    db.session.remove()
    assert html == _in_process(tid, after)[f"standings-{tid}"].html


def test_a_killed_render_process_is_replaced_and_the_next_result_arrives(app, organizer, live_server):
    tid = setup_tournament(organizer, THRESHOLD + 2, name="Phoenix Open")
    start_round(tid, organizer)
    assert realtime.flush(SETTLE)
    first, second = games_of(tid, 1)[:2]
    process = app.extensions["render_process"]
    with _open(live_server, tid) as ws:
        results.set_result(tid, first.id, "1-0", organizer.id)
        _fragments_until(ws, f"standings-{tid}", wait=START)
        old = process.pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + WAIT
        while not _dead(old):
            assert time.monotonic() < deadline, "the render process outlived SIGKILL"
            time.sleep(0.05)
        results.set_result(tid, second.id, "0-1", organizer.id)
        # If the kill hit a render (a sweep's second one, after a slow first), it is retried, by a fresh child.
        board = _fragments_until(ws, f"scoreboard-{tid}-round-1", wait=START)[f"scoreboard-{tid}-round-1"]
    assert board["data"]["round"]["games"][1]["result"] == "0-1"
    assert process.pid not in (None, old)


def test_a_small_tournament_renders_here(app, organizer, live_server, monkeypatch):
    tid = setup_tournament(organizer, THRESHOLD - 1, name="Small Open")
    start_round(tid, organizer)
    assert realtime.flush(SETTLE)
    game = games_of(tid, 1)[0]
    with _open(live_server, tid) as ws:
        results.set_result(tid, game.id, "1-0", organizer.id)
        _fragments_until(ws, f"standings-{tid}")
    assert app.extensions["render_process"].pid is None  # never started


def test_a_first_view_of_a_big_tournaments_page_is_rendered_by_the_render_process(
        app, organizer, client, monkeypatch):
    from chessweb.tournaments import views
    tid = setup_tournament(organizer, THRESHOLD, name="Cold Open")
    start_round(tid, organizer)
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
    assert realtime.flush(SETTLE)  # the result's live render is done (it filled the cache) ...
    app.extensions["fragment_cache"] = render_cache.RenderCache(render_cache.DEFAULT_BYTES)  # ... and forgotten
    revision = live.queries.load_tournament(tid).revision
    monkeypatch.setattr(views, "render_fragment", _broken)  # this process must not render the page's fragments
    exchanges: list[dict[str, Any]] = []
    exchange = render_process.RenderProcess._exchange
    monkeypatch.setattr(render_process.RenderProcess, "_exchange",
                        lambda self, request: _page_requests(exchanges, request) or exchange(self, request))
    for path, shown in ((f"/tournaments/{tid}/standings", f'id="standings-{tid}"'),
                        (f"/tournaments/{tid}/crosstable", f'id="swiss-crosstable-{tid}"'),
                        (f"/tournaments/{tid}/scoreboard", f'id="scoreboard-{tid}"')):
        response = client.get(path)
        assert response.status_code == 200 and shown in response.get_data(as_text=True), path
    assert app.extensions["render_process"].pid not in (None, os.getpid())
    # The standings' render made the crosstable too: two renders for three pages; the header came with the first.
    assert [r["pages"] for r in exchanges] == [["standings", "provisional_standings", "header"], ["scoreboard"]]
    db.session.remove()
    with url_context():
        here = {f.key: f.html for f in live.standings_fragments(tid)}
    assert render_cache.cache().get((tid, revision, "standings")) == here[f"standings-{tid}"]
    assert here[f"swiss-crosstable-{tid}"] in client.get(f"/tournaments/{tid}/crosstable").get_data(as_text=True)
    assert len(exchanges) == 2  # later views are lookups


def test_concurrent_cold_views_cost_one_render(app, organizer, live_server, monkeypatch):
    import threading

    import requests
    tid = setup_tournament(organizer, THRESHOLD, name="Crowd Open")
    start_round(tid, organizer)
    assert realtime.flush(SETTLE)
    app.extensions["fragment_cache"] = render_cache.RenderCache(render_cache.DEFAULT_BYTES)
    exchanges: list[dict[str, Any]] = []
    exchange = render_process.RenderProcess._exchange
    monkeypatch.setattr(render_process.RenderProcess, "_exchange",
                        lambda self, request: _page_requests(exchanges, request) or exchange(self, request))
    pages: list[str] = []
    views = [threading.Thread(target=lambda: pages.append(
        requests.get(f"{live_server.url}/tournaments/{tid}/standings", timeout=START).text)) for _ in range(6)]
    for view in views:
        view.start()
    for view in views:
        view.join()
    assert len(pages) == 6 and all(f'id="standings-{tid}"' in page for page in pages)
    assert len(exchanges) == 1, exchanges
