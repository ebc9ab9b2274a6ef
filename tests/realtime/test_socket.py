"""The /ws endpoint over real sockets: Werkzeug's threaded server, `websockets` clients."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chessweb.realtime import Event, Fragment, realtime
from chessweb.realtime.connection import HANDSHAKE_DONE

from . import liveapp
from .conftest import WAIT, open_json, recv_json, wait_for


def frag(channel: str, key: str, version: int, text: str = "") -> Fragment:
    return Fragment(channel=channel, key=key, version=version,
                    html=f'<div id="{key}" hx-swap-oob="true">{text or version}</div>', data={"v": version})


def test_json_client_gets_connected_then_current_state_then_subscribed(clients):
    liveapp.STATE["tournament:7"] = [frag("tournament:7", "header-7", 3), frag("tournament:7", "players-7", 3)]
    _ws, sequence = open_json(clients, "tournament:7", "game:1")
    assert [m["type"] for m in sequence] == ["connected", "broadcast", "broadcast", "subscribed"]
    assert sequence[0]["session_id"] and sequence[0]["user_id"] is None
    assert {(m["key"], m["version"]) for m in sequence[1:3]} == {("header-7", 3), ("players-7", 3)}
    assert sequence[-1]["channels"] == ["tournament:7", "game:1"]


def test_html_client_gets_only_fragment_html(clients):
    liveapp.STATE["tournament:7"] = [frag("tournament:7", "header-7", 3)]
    ws = clients.open("tournament:7", fmt="html")
    assert ws.recv(timeout=WAIT) == frag("tournament:7", "header-7", 3).html
    realtime.publish(frag("tournament:7", "header-7", 4, "live"))
    assert ws.recv(timeout=WAIT) == frag("tournament:7", "header-7", 4, "live").html


def test_published_fragments_reach_every_subscriber_in_both_formats(clients):
    liveapp.STATE["game:5"] = [frag("game:5", "clock-5", 1)]
    json_ws, _ = open_json(clients, "game:5")
    html_ws = clients.open("game:5", fmt="html")
    assert html_ws.recv(timeout=WAIT) == frag("game:5", "clock-5", 1).html  # attached once its snapshot came
    other, _ = open_json(clients, "game:6")
    realtime.publish(frag("game:5", "game-5", 1, "e4"))
    message = recv_json(json_ws)
    assert message == {"type": "broadcast", "channel": "game:5", "key": "game-5", "version": 1, "data": {"v": 1}}
    assert html_ws.recv(timeout=WAIT) == frag("game:5", "game-5", 1, "e4").html
    other.send(json.dumps({"type": "ping", "id": 1}))
    assert recv_json(other) == {"type": "pong", "id": 1}  # nothing for game:5 came before the pong


def test_versions_never_go_back(clients):
    ws, _ = open_json(clients, "game:5")
    for version in (3, 2, 3, 5, 4):
        realtime.publish(frag("game:5", "game-5", version))
    realtime.publish(Event(channel="game:5", type="done", data={}))
    versions = []
    while (m := recv_json(ws))["type"] != "broadcast" or "event" not in m:
        versions.append(m["version"])
    assert versions in ([3, 5], [5])  # 3 may still be pending when 5 arrives and be replaced by it
    assert versions == sorted(set(versions))


def test_events_reach_subscribers_filtered_by_role(clients, admin_user, player):
    admin_ws, _ = open_json(clients, "system", user_id=admin_user.id)
    player_ws, _ = open_json(clients, "system", user_id=player.id)
    realtime.publish(Event(channel="system", type="alert", data={"n": 1}, roles=("ADMIN",)))
    realtime.publish(Event(channel="system", type="alert", data={"n": 2}))
    assert [recv_json(admin_ws)["data"]["n"] for _ in range(2)] == [1, 2]
    assert recv_json(player_ws)["data"]["n"] == 2


# --------------------------------------------------------------------------- handshake

def test_foreign_origin_is_refused_before_upgrading(clients):
    with pytest.raises(InvalidStatus) as info:
        clients.open("game:1", origin="http://evil.example")
    assert info.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        clients.open("game:1", origin="null")


def test_own_origin_allowed_origins_and_no_origin_are_accepted(clients, live_app):
    own = f"http://127.0.0.1:{clients.server.port}"
    open_json(clients, "game:1", origin=own)
    open_json(clients, "game:1")  # a program without an Origin header
    live_app.config["WS_ALLOWED_ORIGINS"] = ["https://partner.example"]
    open_json(clients, "game:1", origin="https://partner.example")


def test_unknown_format_is_refused(clients):
    with pytest.raises(InvalidStatus) as info:
        clients.open("game:1", fmt="xml")
    assert info.value.response.status_code == 400


# --------------------------------------------------------------------------- authorization

def test_user_channel_only_for_that_user_and_admin_only_for_admins(clients, player, admin_user):
    liveapp.STATE[f"user:{player.id}"] = [frag(f"user:{player.id}", "badge", 1)]
    liveapp.STATE["admin"] = [frag("admin", "connections", 1)]
    ws, sequence = open_json(clients, f"user:{player.id}", "admin", user_id=player.id)
    kinds = [(m["type"], m.get("channel")) for m in sequence]
    assert ("user_message", f"user:{player.id}") in kinds
    assert ("error", "admin") in kinds and ("broadcast", "admin") not in kinds
    assert sequence[-1]["channels"] == [f"user:{player.id}"]

    anon, sequence = open_json(clients, f"user:{player.id}")
    assert [m["type"] for m in sequence] == ["connected", "error", "subscribed"]
    assert sequence[1]["code"] == "forbidden" and sequence[-1]["channels"] == []
    admin_ws, sequence = open_json(clients, "admin", user_id=admin_user.id)
    assert ("broadcast", "admin") in [(m["type"], m.get("channel")) for m in sequence]

    # Nothing published on a refused channel ever reaches the refused client.
    realtime.publish(Event(channel=f"user:{player.id}", type="note", data={"secret": 1}))
    realtime.publish(Event(channel="admin", type="note", data={"secret": 2}))
    assert recv_json(ws)["data"] == {"secret": 1}
    assert recv_json(admin_ws)["data"] == {"secret": 2}
    for client in (ws, anon):
        client.send(json.dumps({"type": "ping", "id": "end"}))
        assert recv_json(client) == {"type": "pong", "id": "end"}


def test_refused_channel_sends_nothing_to_an_html_client(clients, player):
    liveapp.STATE[f"user:{player.id}"] = [frag(f"user:{player.id}", "badge", 1, "secret")]
    liveapp.STATE["game:1"] = [frag("game:1", "game-1", 1)]
    ws = clients.open(f"user:{player.id}", "game:1", fmt="html")
    assert ws.recv(timeout=WAIT) == frag("game:1", "game-1", 1).html
    ws.send(json.dumps({"type": "ping"}))
    assert json.loads(ws.recv(timeout=WAIT)) == {"type": "pong", "id": None}


def test_subscribe_and_unsubscribe_at_runtime(clients, player):
    liveapp.STATE["game:2"] = [frag("game:2", "game-2", 7)]
    ws, _ = open_json(clients, user_id=player.id)
    ws.send(json.dumps({"type": "subscribe", "channel": "game:2"}))
    assert recv_json(ws)["version"] == 7
    assert recv_json(ws) == {"type": "subscribed", "channels": ["game:2"]}
    ws.send(json.dumps({"type": "subscribe", "channel": "admin"}))
    assert recv_json(ws)["code"] == "forbidden"
    ws.send(json.dumps({"type": "unsubscribe", "channel": "game:2"}))
    assert recv_json(ws) == {"type": "unsubscribed", "channels": ["game:2"]}
    realtime.publish(frag("game:2", "game-2", 8))
    ws.send(json.dumps({"type": "ping", "id": 2}))
    assert recv_json(ws) == {"type": "pong", "id": 2}


def test_failing_authorize_or_snapshot_refuses_or_reports_but_keeps_the_connection(clients, caplog):
    ws, sequence = open_json(clients, "broken:1", "game:unavailable")
    errors = {m["channel"]: m["code"] for m in sequence if m["type"] == "error"}
    assert errors == {"broken:1": "forbidden", "game:unavailable": "unavailable"}
    assert sequence[-1]["channels"] == ["game:unavailable"]  # attached: live updates will still come
    realtime.publish(frag("game:unavailable", "g", 1))
    assert recv_json(ws)["key"] == "g"


# --------------------------------------------------------------------------- malformed frames and limits

@pytest.mark.parametrize("frame, code", [
    ("not json", "bad_json"), ('{"type":"dance"}', "unknown_type"), ('{"channel":"game:1"}', "missing_field"),
    ('{"type":"subscribe"}', "missing_field"), ('{"type":"subscribe","channel":"NOPE"}', "bad_channel"),
    (b"\x00\x01", "bad_frame"),
])
def test_malformed_frames_get_an_error_and_the_connection_stays_usable(clients, frame, code):
    ws, _ = open_json(clients, "game:1")
    ws.send(frame)
    assert recv_json(ws)["code"] == code
    ws.send(json.dumps({"type": "ping", "id": "still here"}))
    assert recv_json(ws) == {"type": "pong", "id": "still here"}
    realtime.publish(frag("game:1", "game-1", 1))
    assert recv_json(ws)["key"] == "game-1"


def test_oversized_message_closes_with_1009(clients, live_app):
    ws, _ = open_json(clients, "game:1")
    ws.send(json.dumps({"type": "ping", "id": "x" * 5000}))
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=WAIT)
    assert info.value.rcvd.code == 1009
    # The server side is gone too: its writer noticed, left the channel and ended.
    wait_for(lambda: not live_app.extensions["realtime"].connections(), what="the server side to end")
    assert live_app.extensions["realtime"].hub.local_count("game:1") == 0


def test_shutdown_closes_every_connection_with_1012_and_each_later_one_at_once(clients, live_app):
    ws, _ = open_json(clients, "game:1")
    realtime.shutdown(live_app)
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=WAIT)
    assert info.value.rcvd.code == 1012  # htmx reconnects, to another process
    late = clients.open("game:1", fmt="json")  # accepted before the server stopped listening
    with pytest.raises(ConnectionClosed) as info:
        while True:
            recv_json(late)
    assert info.value.rcvd.code == 1012


def test_too_many_channels(clients, live_app):
    live_app.config["WS_MAX_CHANNELS"] = 2
    ws, sequence = open_json(clients, "game:1", "game:2", "game:3")
    assert [m.get("code") for m in sequence if m["type"] == "error"] == ["too_many_channels"]
    assert sequence[-1]["channels"] == ["game:1", "game:2"]
    ws.send(json.dumps({"type": "unsubscribe", "channel": "game:1"}))
    recv_json(ws)
    ws.send(json.dumps({"type": "subscribe", "channel": "game:3"}))
    assert recv_json(ws) == {"type": "subscribed", "channels": ["game:3"]}


def test_excess_messages_get_errors_and_sustained_abuse_closes_with_4429_not_the_revocation_code(clients, live_app):
    live_app.config["WS_MESSAGES_PER_SECOND"] = 5
    ws, _ = open_json(clients, "game:1")
    replies = []
    try:
        for n in range(60):  # at 5 a second with a 3 s debt allowance, abuse starts after about 21
            ws.send(json.dumps({"type": "ping", "id": n}))
    except ConnectionClosed:
        pass  # the server may close before the client has sent them all
    with pytest.raises(ConnectionClosed) as info:
        while True:
            replies.append(recv_json(ws))
    assert info.value.rcvd.code == 4429
    kinds = [m["type"] for m in replies]
    assert kinds[:5] == ["pong"] * 5
    assert "error" in kinds and {m["code"] for m in replies if m["type"] == "error"} == {"rate_limited"}


def test_an_open_socket_lets_its_handshake_go_and_still_talks_both_ways(clients, live_app, player):
    """The finished HTTP/1.1 handshake (an h11 parser and an event queue) is not kept for the socket's life; the
    socket keeps receiving frames, answering them and getting what is published."""
    liveapp.STATE["game:3"] = [frag("game:3", "game-3", 1)]
    ws, _ = open_json(clients, user_id=player.id)
    [connection] = wait_for(live_app.extensions["realtime"].connections, what="the server side")
    assert connection.ws.ws.handshake is HANDSHAKE_DONE
    ws.send(json.dumps({"type": "subscribe", "channel": "game:3"}))
    assert recv_json(ws)["version"] == 1
    assert recv_json(ws) == {"type": "subscribed", "channels": ["game:3"]}
    realtime.publish(frag("game:3", "game-3", 2))
    assert recv_json(ws)["version"] == 2
    ws.send(json.dumps({"type": "ping", "id": 3}))
    assert recv_json(ws) == {"type": "pong", "id": 3}
