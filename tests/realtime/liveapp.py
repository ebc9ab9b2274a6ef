"""A small app around the live core for its socket tests: the real extensions, models, migrations and
Flask-Login session cookie, with channel rules and channel state that the tests control.

Also served by subprocesses (gunicorn, a second process sharing Redis): `tests.realtime.liveapp:make()`
takes its configuration from LIVEAPP_* environment variables.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any

from flask import Flask, abort
from flask_login import login_user

from chessweb.config import DEFAULTS
from chessweb.extensions import db, login_manager
from chessweb.live.store import SqlStorage
from chessweb.models import User
from chessweb.realtime import Fragment, UserInfo, realtime

# channel -> its current fragments, as the app's snapshot would render them from the database
STATE: dict[str, list[Fragment]] = {}
# channel -> its version in the "database" (the current_version hook); absent: unknown
VERSIONS: dict[str, int] = {}
SLOW_SNAPSHOT_SECONDS = 1.5  # how long a `game:slow...` channel takes to render (a busy worker)
PRESENCE_REPORTS: list[tuple[str, int]] = []
_presence_lock = threading.Lock()


def authorize(user: UserInfo, channel: str) -> bool:
    """Test rules shaped like the real ones: own user channel only, admin channel for admins."""
    kind, _, rest = channel.partition(":")
    if kind == "user":
        return user.id is not None and rest == str(user.id)
    if kind == "admin":
        return user.role == "ADMIN"
    if kind == "broken":
        raise RuntimeError("authorize failed")
    return kind in ("public", "tournament", "tournaments", "game", "system")


def snapshot(channel: str) -> list[Fragment]:
    if channel.startswith("game:unavailable"):
        raise RuntimeError("snapshot failed")
    if channel.startswith("game:slow"):
        time.sleep(SLOW_SNAPSHOT_SECONDS)
    return list(STATE.get(channel, []))


def current_version(channel: str) -> int | None:
    return VERSIONS.get(channel)


def on_presence(channel: str, watching: int) -> None:
    with _presence_lock:
        PRESENCE_REPORTS.append((channel, watching))


def create_live_test_app(config: dict[str, Any]) -> Flask:
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update({"TESTING": True, "SECRET_KEY": "live-test-secret"})
    app.config.update(config)
    db.init_app(app)
    login_manager.init_app(app)
    from chessweb import permissions  # noqa: F401 - registers the user loader and anonymous user

    realtime.init_app(app, authorize=authorize, snapshot=snapshot, on_presence=on_presence,
                      storage=SqlStorage(db.session), current_version=current_version)

    @app.get("/test/login/<int:user_id>")
    def test_login(user_id: int) -> str:
        user = db.session.get(User, user_id)
        if user is None:
            abort(404)
        login_user(user)
        return "ok"

    @app.get("/test/ping")
    def test_ping() -> str:
        return "pong"

    @app.get("/test/connections")
    def test_connections() -> dict[str, Any]:
        """This process's open connections, for tests that serve the app from another process."""
        core = app.extensions["realtime"]
        return {"watching": core.hub.local_counts(), "connections": [{"session_id": c.session_id, "format": c.format, "close_cause": c.close_cause,
                                 "pending": len(c.outbox), "writing": c._writing,
                                 "timeout": c._raw.gettimeout(), "socket": type(c._raw).__module__}
                                for c in core.connections()]}

    @app.get("/test/runtime")
    def test_runtime() -> dict[str, Any]:
        """How this process runs: gevent patching, and the wait function psycopg chose at import."""
        import sys

        import psycopg.waiting
        monkey = sys.modules.get("gevent.monkey")
        return {"gevent": bool(monkey and monkey.is_module_patched("socket")),
                "psycopg_wait": psycopg.waiting.wait.__name__}

    return app


def make() -> Flask:
    """For subprocesses: `gunicorn 'tests.realtime.liveapp:make()'`."""
    config: dict[str, Any] = {"SQLALCHEMY_DATABASE_URI": os.environ["LIVEAPP_DATABASE_URL"],
                              "BROKER_URL": os.environ.get("LIVEAPP_BROKER_URL", "memory://"),
                              "BROKER_PREFIX": os.environ.get("LIVEAPP_BROKER_PREFIX", "chessweb")}
    for key in ("WS_OUTBOX_SIZE", "WS_SEND_TIMEOUT", "WS_PING_INTERVAL"):
        if f"LIVEAPP_{key}" in os.environ:
            config[key] = float(os.environ[f"LIVEAPP_{key}"])
    config["WS_OUTBOX_SIZE"] = int(config.get("WS_OUTBOX_SIZE", DEFAULTS["WS_OUTBOX_SIZE"]))
    app = create_live_test_app(config)
    realtime.start(app)
    return app
