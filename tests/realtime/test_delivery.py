"""Delivery under stress over real sockets: slow consumers, silent peers, reconnects, compression."""
from __future__ import annotations

import json
import time
import zlib

import pytest
from wsproto.events import CloseConnection, Ping, TextMessage

from chessweb.realtime import Event, Fragment, metrics, realtime

from . import liveapp
from .conftest import WAIT, open_json, recv_json, recv_until, wait_for
from .rawclient import open_raw, read_until_closed


def big_fragment(n: int, size: int = 64 * 1024) -> Fragment:
    key = f"board-{n}"
    return Fragment(channel="game:1", key=key, version=1,
                    html=f'<div id="{key}" hx-swap-oob="true">{"x" * size}</div>', data={"n": n})


def slow_closes(cause: str) -> float:
    return metrics.SLOW_CONSUMER_CLOSES.labels(cause)._value.get()


def core_of(app):
    return app.extensions["realtime"]


def test_a_reader_that_stopped_reading_is_cut_off_and_the_others_get_everything(live_config, request):
    live_config["WS_SEND_TIMEOUT"] = 1.0
    app = request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    fast = [open_json(clients, "game:1")[0] for _ in range(2)]
    slow = open_raw(clients.server.port, "/ws?channel=game:1")
    wait_for(lambda: core_of(app).hub.local_count("game:1") == 3, what="three attached connections")
    before = slow_closes("send_timeout")

    for n in range(100):  # 6.4 MB: more than the kernel buffers between server and the stalled client
        realtime.publish(big_fragment(n))

    for ws in fast:
        received = [recv_json(ws)["data"]["n"] for _ in range(100)]
        assert received == list(range(100))
    wait_for(lambda: len(core_of(app).connections()) == 2, what="the slow connection to be closed")
    assert slow_closes("send_timeout") == before + 1
    events = read_until_closed(slow)  # the server ended the TCP connection
    assert sum(1 for e in events if isinstance(e, TextMessage) and e.message_finished) < 100


def test_a_reader_whose_outbox_overflows_is_cut_off_without_waiting_for_the_send_timeout(live_config, request):
    live_config["WS_SEND_TIMEOUT"] = 60.0  # longer than the test may take: the outbox limit must act
    live_config["WS_OUTBOX_SIZE"] = 8
    app = request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    fast, _ = open_json(clients, "game:1")
    slow = open_raw(clients.server.port, "/ws?channel=game:1")
    wait_for(lambda: core_of(app).hub.local_count("game:1") == 2, what="two attached connections")
    before = slow_closes("outbox_full")

    for n in range(100):
        realtime.publish(big_fragment(n))
        assert recv_json(fast)["data"]["n"] == n  # paced by the fast reader: its outbox never fills
        if len(core_of(app).connections()) == 1:
            break
    wait_for(lambda: len(core_of(app).connections()) == 1, what="the slow connection to be closed")
    assert slow_closes("outbox_full") == before + 1
    read_until_closed(slow)
    realtime.publish(Event(channel="game:1", type="still", data={}))
    assert recv_until(fast, lambda m: m.get("event") == "still")[0]["event"] == "still"


def test_a_slow_reader_gets_the_newest_version_not_every_version(clients):
    ws, _ = open_json(clients, "game:1")
    for version in range(1, 201):
        realtime.publish(Fragment(channel="game:1", key="clock", version=version, html="<b>x</b>",
                                  data={"v": version}))
    realtime.publish(Event(channel="game:1", type="end", data={}))
    _end, before = recv_until(ws, lambda m: m.get("event") == "end")
    versions = [m["version"] for m in before]
    assert versions[-1] == 200 and versions == sorted(set(versions))


def test_a_silent_peer_is_pinged_then_closed_and_a_live_one_stays(live_config, request):
    live_config["WS_PING_INTERVAL"] = 1.0
    app = request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    alive, _ = open_json(clients, "game:1")  # the websockets client answers pings by itself
    silent = open_raw(clients.server.port, "/ws?channel=game:1")
    events = read_until_closed(silent)  # reads, but never answers
    assert any(isinstance(e, Ping) for e in events)
    closes = [e for e in events if isinstance(e, CloseConnection)]
    assert closes and closes[0].code == 1001  # a code browsers reconnect on, never 1008 ("revoked")
    time.sleep(2.5)  # several ping intervals (generous: a loaded machine answers pings late)
    alive.send(json.dumps({"type": "ping", "id": "still"}))
    assert recv_json(alive) == {"type": "pong", "id": "still"}
    wait_for(lambda: len(core_of(app).connections()) == 1, what="only the live connection left")


def test_reconnect_heals_with_current_state_not_a_replay(clients):
    liveapp.STATE["tournament:7"] = [Fragment(channel="tournament:7", key="header-7", version=1, html="<h1>R1</h1>")]
    ws, sequence = open_json(clients, "tournament:7")
    assert [m["version"] for m in sequence if m["type"] == "broadcast"] == [1]
    ws.close()
    # While the client is away: three changes, then the database holds version 4; a toast was shown to others.
    for version in (2, 3, 4):
        liveapp.STATE["tournament:7"] = [Fragment(channel="tournament:7", key="header-7", version=version,
                                                  html=f"<h1>R{version}</h1>")]
        realtime.publish(liveapp.STATE["tournament:7"][0])
    realtime.publish(Event(channel="tournament:7", type="toast", data={}))
    realtime.flush()
    ws, sequence = open_json(clients, "tournament:7")
    assert [(m["type"], m.get("version")) for m in sequence] == [
        ("connected", None), ("broadcast", 4), ("subscribed", None)]


def test_every_connect_serves_the_cached_state_after_live_updates(clients):
    liveapp.STATE["game:3"] = [Fragment(channel="game:3", key="game-3", version=1, html="v1")]
    first, _ = open_json(clients, "game:3")
    realtime.publish(Fragment(channel="game:3", key="game-3", version=2, html="v2"))
    assert recv_json(first)["version"] == 2
    liveapp.STATE["game:3"] = []  # the hub must not need the app to render again: it has the newest
    _second, sequence = open_json(clients, "game:3")
    assert [m.get("version") for m in sequence if m["type"] == "broadcast"] == [2]


def test_permessage_deflate_can_be_turned_off(live_config, request):
    live_config["WS_PERMESSAGE_DEFLATE"] = False
    request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    ws = clients.open("game:1", compression="deflate")
    assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
    recv_until(ws, lambda m: m["type"] == "subscribed")  # attached: what is published now reaches it
    realtime.publish(big_fragment(1, size=5000))
    assert recv_until(ws, lambda m: m.get("key") == "board-1")[0]["data"] == {"n": 1}


def test_permessage_deflate_is_on_by_default_and_every_message_arrives_whole(request):
    request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    liveapp.STATE["game:1"] = [big_fragment(0, size=20000)]
    compressed = clients.open("game:1", fmt="html", compression="deflate")
    plain = clients.open("game:1", fmt="html", compression=None)
    assert "permessage-deflate" in compressed.response.headers.get("Sec-WebSocket-Extensions", "")
    for ws in (compressed, plain):
        assert ws.recv(timeout=WAIT) == big_fragment(0, size=20000).html  # the snapshot: attached now
    small = Fragment(channel="game:1", key="small", version=1, html='<p id="small">tiny</p>')
    for n in range(1, 4):  # big and small interleaved: compressed and plain messages on one socket
        realtime.publish(big_fragment(n, size=20000))
        realtime.publish(small if n == 2 else big_fragment(n + 10, size=3000))
    expected = []
    for n in range(1, 4):
        expected += [big_fragment(n, size=20000).html, small.html if n == 2 else big_fragment(n + 10, size=3000).html]
    for ws in (compressed, plain):
        assert [ws.recv(timeout=WAIT) for _ in range(6)] == expected


def test_a_big_fragment_is_compressed_once_and_the_same_bytes_go_to_every_socket(request):
    """RFC 7692: RSV1 set, a deflate stream per message (no context takeover), far fewer bytes on the wire."""
    request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    offer = "permessage-deflate; client_max_window_bits"
    socks = [_open_raw_with_extensions(clients.server.port, "/ws?channel=game:1", offer) for _ in range(2)]
    plain = _open_raw_with_extensions(clients.server.port, "/ws?channel=game:1", None)
    app = request.getfixturevalue("live_app")
    wait_for(lambda: core_of(app).hub.local_count("game:1") == 3, what="three attached connections")
    fragment = big_fragment(7, size=60000)
    realtime.publish(fragment)
    wires = [_read_one_frame(sock) for sock in socks]
    assert wires[0] == wires[1]  # one encoding, shared
    first, payload = wires[0]
    assert first == 0xC1  # FIN + RSV1 + text
    assert len(payload) < len(fragment.html) // 20
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(payload + b"\x00\x00\xff\xff").decode() == fragment.html
    first, payload = _read_one_frame(plain)
    assert first == 0x81 and payload.decode() == fragment.html  # not negotiated: the plain frame
    for sock in (*socks, plain):
        sock.close()


def _open_raw_with_extensions(port: int, path: str, extensions: str | None):
    import base64
    import os
    import socket

    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    key = base64.b64encode(os.urandom(16)).decode()
    extra = f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions else ""
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n")
                 .encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, "server closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    assert (b"permessage-deflate" in head) == bool(extensions)
    return sock


def _read_one_frame(sock) -> tuple[int, bytes]:
    """The first byte and payload of the next unmasked server frame (RFC 6455 §5.2)."""
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data
    first, marker = exactly(2)
    length = marker if marker < 126 else int.from_bytes(exactly(2 if marker == 126 else 8), "big")
    return first, exactly(length)


@pytest.fixture
def redis_live_config(live_config, redis_url):
    live_config["BROKER_URL"] = redis_url
    return live_config


def test_lost_broker_subscription_resyncs_every_connection(redis_live_config, request, redis_url):
    import redis as redis_lib

    app = request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    liveapp.STATE["tournament:7"] = [Fragment(channel="tournament:7", key="header-7", version=1, html="v1")]
    ws, _ = open_json(clients, "tournament:7")
    broker = core_of(app).broker
    assert broker.subscribed.wait(WAIT)
    # A change whose message never arrived (published while the subscription was down, say).
    liveapp.STATE["tournament:7"] = [Fragment(channel="tournament:7", key="header-7", version=2, html="v2")]
    raw = redis_lib.Redis.from_url(redis_url)
    try:
        killed = [c for c in raw.client_list(_type="pubsub") if c.get("name") == broker.client_name]
        assert killed
        raw.client_kill_filter(_id=killed[0]["id"])
    finally:
        raw.close()
    assert recv_json(ws) == {"type": "broadcast", "channel": "tournament:7", "key": "header-7", "version": 2,
                             "data": None}
