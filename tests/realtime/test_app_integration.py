"""The live core inside the real app (create_app): logged in through the real login form, the session
cookie authenticates the WebSocket handshake; foreign origins are refused; metrics are exported."""
from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chessweb.models import Role
from chessweb.realtime import realtime

from ..conftest import make_user
from .conftest import WAIT, recv_json, recv_until


@pytest.fixture
def wired(app):
    if "realtime" not in app.extensions:
        pytest.skip("create_app does not bind the live core yet (chessweb.live.init_app)")
    yield app
    realtime.stop(app)


def ws_connect(server, query, **kwargs):
    return connect(f"{server.ws_url}/ws?{query}", open_timeout=WAIT, compression=None, legacy=True, **kwargs)


def test_login_cookie_authenticates_the_socket_and_user_channels_follow_it(wired, client, auth, live_server):
    player = make_user(Role.PARTICIPANT)
    other = make_user(Role.PARTICIPANT)
    assert auth.login(player).status_code in (302, 303)
    cookie = client.get_cookie("session")
    headers = {"Cookie": f"session={cookie.value}"}
    with ws_connect(live_server, f"channel=user:{player.id}&channel=user:{other.id}&format=json",
                    additional_headers=headers) as ws:
        connected = recv_json(ws)
        assert connected["type"] == "connected" and connected["user_id"] == player.id
        subscribed, before = recv_until(ws, lambda m: m["type"] == "subscribed")
        assert subscribed["channels"] == [f"user:{player.id}"]
        assert [(m["code"], m["channel"]) for m in before if m["type"] == "error"] == [
            ("forbidden", f"user:{other.id}")]
    with ws_connect(live_server, f"channel=user:{player.id}&format=json") as anonymous:
        assert recv_json(anonymous)["user_id"] is None
        _, before = recv_until(anonymous, lambda m: m["type"] == "subscribed")
        assert [m["code"] for m in before if m["type"] == "error"] == ["forbidden"]


def test_the_real_app_refuses_foreign_origins(wired, live_server):
    with pytest.raises(InvalidStatus) as info:
        ws_connect(live_server, "channel=tournaments:all", origin="https://attacker.example")
    assert info.value.response.status_code == 403
    with ws_connect(live_server, "channel=tournaments:all&format=json",
                    origin=f"http://127.0.0.1:{live_server.port}") as ws:
        assert recv_json(ws)["type"] == "connected"


def test_metrics_are_exported(wired, client, live_server):
    with ws_connect(live_server, "channel=tournaments:all&format=json") as ws:
        recv_until(ws, lambda m: m["type"] == "subscribed")
        wired.config["METRICS_TOKEN"] = "t"
        text = client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True)
    for name in ("chessweb_ws_connections_open", "chessweb_ws_messages_delivered_total",
                 "chessweb_ws_messages_dropped_total", "chessweb_ws_slow_consumer_closes_total"):
        assert name in text
