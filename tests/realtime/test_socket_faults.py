"""What goes wrong on a socket is seen and says what happened: parse errors and bugs in the loop are logged,
counted in /metrics and answered (an error frame, or a clean 1011 close that browsers reconnect on), and the
rate limit judges a client by when its frames arrived, not by when a busy server got round to them."""
from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed

from chessweb.realtime import connection as connection_module
from chessweb.realtime import metrics, protocol

from . import liveapp
from .conftest import WAIT, open_json, recv_json, recv_until


def errors(where: str) -> float:
    return metrics.ERRORS[where]._value.get()


def closes(code: int) -> float:
    return metrics.SERVER_CLOSES.labels(str(code))._value.get()


def test_deeply_nested_json_gets_bad_json_and_the_connection_stays(clients):
    """ws-json-nesting-abort: 4,000 bytes of nested arrays used to raise RecursionError, which the writer loop
    took for a closed socket: dropped without a close frame or a log line."""
    ws, _ = open_json(clients, "game:1")
    ws.send("[" * 2000 + "]" * 2000)
    reply = recv_json(ws)
    assert reply["type"] == "error" and reply["code"] == "bad_json"
    ws.send(json.dumps({"type": "ping", "id": "after"}))
    assert recv_json(ws) == {"type": "pong", "id": "after"}


def test_a_bug_while_handling_a_frame_is_logged_counted_and_answered(clients, monkeypatch, caplog):
    ws, _ = open_json(clients, "game:1")

    def broken(frame):
        raise NotImplementedError("a bug")  # a RuntimeError subclass: it used to pass for a closed socket

    monkeypatch.setattr(protocol, "parse_client_message", broken)
    before = errors("frame")
    with caplog.at_level(logging.ERROR, logger="chessweb.realtime"):
        ws.send(json.dumps({"type": "ping", "id": 1}))
        reply = recv_json(ws)
    assert reply["type"] == "error" and reply["code"] == "internal_error"
    assert "traceback" not in json.dumps(reply).lower()
    assert errors("frame") == before + 1
    assert "handling a frame of connection" in caplog.text and "NotImplementedError" in caplog.text
    monkeypatch.undo()
    ws.send(json.dumps({"type": "ping", "id": 2}))
    assert recv_json(ws) == {"type": "pong", "id": 2}


def test_a_bug_in_the_writer_loop_closes_cleanly_with_1011_logged_and_counted(clients, live_app, monkeypatch,
                                                                              caplog):
    ws, _ = open_json(clients, "game:1")
    failing = threading.Event()
    flush = connection_module.Connection._flush

    def sometimes_broken(self):
        if failing.is_set():
            raise RecursionError("a bug")
        return flush(self)

    monkeypatch.setattr(connection_module.Connection, "_flush", sometimes_broken)
    before_errors, before_closes = errors("writer"), closes(1011)
    with caplog.at_level(logging.ERROR, logger="chessweb.realtime"):
        failing.set()
        ws.send(json.dumps({"type": "ping"}))
        with pytest.raises(ConnectionClosed) as info:
            while True:
                ws.recv(timeout=WAIT)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1011  # htmx reconnects on 1011
    assert errors("writer") == before_errors + 1
    assert closes(1011) == before_closes + 1
    assert "closing with 1011" in caplog.text and "RecursionError" in caplog.text


def test_the_rate_limit_counts_when_frames_arrived_not_when_they_were_handled(clients, live_app):
    """ws-rate-limit-counts-server-time: a client pacing itself under the limit must never be refused, even
    when the server is busy (here: rendering a slow snapshot) and then handles its frames back to back."""
    live_app.config["WS_MESSAGES_PER_SECOND"] = 10
    liveapp.SLOW_SNAPSHOT_SECONDS = 1.5
    ws, _ = open_json(clients, "game:1")
    ws.send(json.dumps({"type": "subscribe", "channel": "game:slow-1"}))  # keeps the server busy 1.5 s
    sent = 0
    started = time.monotonic()
    while time.monotonic() - started < 2.0:  # 8 a second, under 10: 16 frames, most queued behind the render
        ws.send(json.dumps({"type": "ping", "id": sent}))
        sent += 1
        time.sleep(0.125)
    replies = []
    pongs = 0
    while pongs < sent:
        message = recv_json(ws)
        replies.append(message)
        pongs += message["type"] == "pong"
    assert [m for m in replies if m["type"] == "error"] == []
    assert [m["id"] for m in replies if m["type"] == "pong"] == list(range(sent))


def test_a_flood_is_closed_with_4429_not_with_the_revocation_code(clients, live_app):
    live_app.config["WS_MESSAGES_PER_SECOND"] = 5
    ws, _ = open_json(clients, "game:1")
    try:
        for n in range(100):
            ws.send(json.dumps({"type": "ping", "id": n}))
    except ConnectionClosed:
        pass
    with pytest.raises(ConnectionClosed) as info:
        recv_until(ws, lambda m: False)
    assert info.value.rcvd is not None and info.value.rcvd.code == 4429


def test_a_peer_that_stalled_past_the_ping_finds_1001_when_it_reads_again(live_config, request):
    """ws-ping-timeout-1008-no-reconnect: a throttled tab or a closed lid reads nothing for a while; when it
    wakes it must find a code it reconnects on (it used to find 1008, "revoked", and stayed frozen)."""
    from wsproto.events import CloseConnection

    from .rawclient import open_raw, read_until_closed

    live_config["WS_PING_INTERVAL"] = 0.3
    request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    before = closes(1001)
    stalled = open_raw(clients.server.port, "/ws?channel=game:1")
    time.sleep(1.5)  # several ping intervals without reading (so without answering)
    events = read_until_closed(stalled)
    assert [e.code for e in events if isinstance(e, CloseConnection)] == [1001]
    assert closes(1001) == before + 1


def test_a_bug_in_the_connect_sequence_closes_with_1011_logged_and_counted(clients, monkeypatch, caplog):
    from chessweb.realtime import session as session_module

    def broken(self, channels):
        raise KeyError("a bug")

    monkeypatch.setattr(session_module.LiveSession, "_subscriptions_changed", lambda self: broken(self, []))
    before = errors("connect")
    with caplog.at_level(logging.ERROR, logger="chessweb.realtime"):
        ws = clients.open("game:1")
        with pytest.raises(ConnectionClosed) as info:
            while True:
                ws.recv(timeout=WAIT)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1011
    assert errors("connect") == before + 1
    assert "connect sequence of" in caplog.text
