"""Fixtures for socket tests: the live test app served on a local port, clients, and waiting helpers."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from websockets.sync.client import ClientConnection, connect

from chessweb.extensions import db
from chessweb.realtime import realtime

from ..conftest import LiveServer, make_user
from . import liveapp

WAIT = 10.0  # a generous bound for "arrives"; never a speed assertion


def wait_for(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (for state that no event announces)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def socket_frame_schema() -> str:
    """The live core's test app publishes chess-free data: its frames follow the generic contract."""
    return "RealtimeServerMessage"


@pytest.fixture
def live_config(database_url: str) -> dict[str, Any]:
    """Overrides for the live test app; a test may change entries before asking for `live_app`."""
    return {"SQLALCHEMY_DATABASE_URI": database_url, "BROKER_URL": "memory://",
            "BROKER_PREFIX": f"test-{uuid.uuid4().hex[:10]}"}


@pytest.fixture
def live_app(live_config: dict[str, Any]) -> Iterator[Flask]:
    liveapp.STATE.clear()
    liveapp.VERSIONS.clear()
    liveapp.PRESENCE_REPORTS.clear()
    app = liveapp.create_live_test_app(live_config)
    with app.app_context():
        yield app
        realtime.stop(app)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def server(live_app: Flask) -> Iterator[LiveServer]:
    srv = LiveServer(live_app).start()
    yield srv
    srv.stop()


class Clients:
    """Opens WebSocket clients against the server and closes them all at the end."""

    def __init__(self, server: LiveServer, app: Flask) -> None:
        self.server = server
        self.app = app
        self.opened: list[ClientConnection] = []

    def cookie_for(self, user_id: int) -> str:
        client = self.app.test_client()
        assert client.get(f"/test/login/{user_id}").status_code == 200
        cookie = client.get_cookie("session")
        assert cookie is not None
        return f"session={cookie.value}"

    def open(self, *channels: str, fmt: str = "json", user_id: int | None = None, cookie: str | None = None,
             origin: str | None = None, compression: str | None = None, since: int | None = None,
             **kwargs: Any) -> ClientConnection:
        query = "&".join([f"channel={c}" for c in channels] + ([f"format={fmt}"] if fmt != "html" else [])
                         + ([f"since={since}"] if since is not None else []))
        headers = {}
        if user_id is not None:
            cookie = self.cookie_for(user_id)
        if cookie:
            headers["Cookie"] = cookie
        ws = connect(f"{self.server.ws_url}/ws?{query}", additional_headers=headers, origin=origin,
                     compression=compression, open_timeout=WAIT, legacy=True, **kwargs)
        self.opened.append(ws)
        return ws

    def close_all(self) -> None:
        for ws in self.opened:
            ws.close()


@pytest.fixture
def clients(server: LiveServer, live_app: Flask) -> Iterator[Clients]:
    c = Clients(server, live_app)
    yield c
    c.close_all()
    # Every server-side session must end with its client: none may be left waiting on a dead socket.
    core = live_app.extensions["realtime"]
    wait_for(lambda: not core.connections(), what="every server-side connection to end")


def recv_json(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def recv_until(ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool],
               timeout: float = WAIT) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read JSON messages until one matches; returns it and everything read before it."""
    before = []
    deadline = time.monotonic() + timeout
    while True:
        message = recv_json(ws, max(0.01, deadline - time.monotonic()))
        if predicate(message):
            return message, before
        before.append(message)


def open_json(clients: Clients, *channels: str, **kwargs: Any) -> tuple[ClientConnection, list[dict[str, Any]]]:
    """Connect a JSON client and read its connect sequence up to `subscribed`; returns what came first."""
    ws = clients.open(*channels, fmt="json", **kwargs)
    connected = recv_json(ws)
    assert connected["type"] == "connected", connected
    subscribed, before = recv_until(ws, lambda m: m["type"] == "subscribed")
    return ws, [connected, *before, subscribed]


@pytest.fixture
def admin_user(live_app):
    from chessweb.models import Role
    return make_user(Role.ADMIN)


@pytest.fixture
def player(live_app):
    from chessweb.models import Role
    return make_user(Role.PARTICIPANT)
