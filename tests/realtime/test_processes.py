"""The live core in production shape: gunicorn's gevent worker in a subprocess, and two processes
sharing Redis. The test process is one app process (it publishes); the gunicorn worker is the other
(it holds the sockets)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from websockets.sync.client import connect
from wsproto.events import TextMessage

from chessweb.extensions import db
from chessweb.models import WebSocketConnection
from chessweb.realtime import Event, Fragment, realtime

from ..processes import AppProcess
from .conftest import WAIT, recv_json, recv_until, wait_for
from .rawclient import open_raw, read_until_closed

pytestmark = [pytest.mark.slow, pytest.mark.scale_out]


@pytest.fixture
def publisher_config(live_config, redis_url):
    """This test process: an app process of the same deployment, sharing Redis."""
    live_config["BROKER_URL"] = redis_url
    return live_config


@pytest.fixture
def gunicorn(publisher_config, request, tmp_path) -> Iterator[AppProcess]:
    request.getfixturevalue("live_app")  # the publishing app, with the database migrated
    server = AppProcess("liveapp", {"LIVEAPP_DATABASE_URL": publisher_config["SQLALCHEMY_DATABASE_URI"],
                                    "LIVEAPP_BROKER_URL": publisher_config["BROKER_URL"],
                                    "LIVEAPP_BROKER_PREFIX": publisher_config["BROKER_PREFIX"],
                                    "LIVEAPP_WS_SEND_TIMEOUT": "1.0"},
                        tmp_path, app="tests.realtime.liveapp:make()", ready_path="/test/ping")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def json_client(server: AppProcess, *channels: str):
    query = "&".join(f"channel={c}" for c in channels)
    ws = connect(f"{server.ws_url}/ws?{query}&format=json", open_timeout=WAIT, compression=None, legacy=True)
    assert recv_json(ws)["type"] == "connected"
    recv_until(ws, lambda m: m["type"] == "subscribed")
    return ws


def test_gevent_worker_runs_patched_and_psycopg_cooperates(gunicorn, publisher_config):
    runtime = gunicorn.get_json("/test/runtime")
    assert runtime["gevent"] is True
    if publisher_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # psycopg picks its wait function at import; the C one would block every greenlet on each query.
        assert runtime["psycopg_wait"] != "wait_c"


def test_a_fragment_published_in_one_process_reaches_a_client_of_another(gunicorn, live_app):
    ws = json_client(gunicorn, "tournament:7")
    html = connect(f"{gunicorn.ws_url}/ws?channel=tournament:7", open_timeout=WAIT, compression=None,
                   legacy=True)
    # The html client gets no 'subscribed' message: wait until the worker has both attached.
    wait_for(lambda: gunicorn.get_json("/test/connections")["watching"].get("tournament:7") == 2,
             what="both clients attached")
    realtime.publish(Fragment(channel="tournament:7", key="header-7", version=3, html="<h1 id=header-7>R3</h1>",
                              data={"round": 3}))
    assert recv_json(ws) == {"type": "broadcast", "channel": "tournament:7", "key": "header-7", "version": 3,
                             "data": {"round": 3}}
    assert html.recv(timeout=WAIT) == "<h1 id=header-7>R3</h1>"
    ws.close()
    html.close()


def test_slow_consumer_on_gevent_is_closed_and_the_others_get_everything(gunicorn, live_app):
    fast = [json_client(gunicorn, "game:1") for _ in range(2)]
    slow = open_raw(gunicorn.port, "/ws?channel=game:1")
    wait_for(lambda: gunicorn.get_json("/test/connections")["watching"].get("game:1") == 3,
             what="all three attached")
    wait_for(lambda: _rows(format="html", active=True), what="the slow connection's row")
    for n in range(100):  # 6.4 MB
        realtime.publish(Fragment(channel="game:1", key=f"board-{n}", version=1,
                                  html=f'<div id="board-{n}">{"x" * 65536}</div>', data={"n": n}))
    for ws in fast:
        assert [recv_json(ws)["data"]["n"] for _ in range(100)] == list(range(100))
    # The slow client reads nothing until the worker has given up on it (it cannot drain: send timeout).
    wait_for(lambda: [c["format"] for c in gunicorn.get_json("/test/connections")["connections"]] == ["json"] * 2,
             what="the worker to drop the slow connection")
    events = read_until_closed(slow)
    assert sum(1 for e in events if isinstance(e, TextMessage) and e.message_finished) < 100
    wait_for(lambda: _rows(format="html", active=False), what="the slow connection's row to be inactive")
    realtime.publish(Event(channel="game:1", type="after", data={}))
    for ws in fast:
        assert recv_json(ws)["event"] == "after"
        ws.close()


def _rows(**where) -> list[WebSocketConnection]:
    db.session.rollback()
    query = select(WebSocketConnection)
    for column, value in where.items():
        query = query.where(getattr(WebSocketConnection, column) == value)
    return list(db.session.scalars(query))


def test_socket_faults_under_gunicorn_are_answered_and_reach_its_log(gunicorn):
    """ws-json-nesting-abort under production's worker: nested JSON is a bad_json error on a connection that
    stays usable, and the live core's log records (here: a snapshot that failed) reach gunicorn's log."""
    ws = json_client(gunicorn, "game:1")
    ws.send("[" * 2000 + "]" * 2000)
    assert recv_json(ws)["code"] == "bad_json"
    ws.send('{"type":"subscribe","channel":"game:unavailable"}')
    _reply, _ = recv_until(ws, lambda m: m.get("code") == "unavailable")
    ws.send('{"type":"ping","id":"after"}')
    recv_until(ws, lambda m: m == {"type": "pong", "id": "after"})
    ws.close()
    # With time, pid and level, like gunicorn's own lines (not Python's bare last-resort print).
    wait_for(lambda: "[ERROR] realtime: snapshot of game:unavailable failed" in gunicorn.tail(),
             what="the live core's error in gunicorn's log")
