"""Stopping a private Redis raises the broker alert within 10 s, and it clears when Redis is back."""
from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from chessweb.monitoring import health
from chessweb.realtime import realtime

from ..conftest import free_port
from ..realtime.conftest import wait_for
from ..servers import require_program


def _start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen([require_program("redis-server"), "--port", str(port), "--save", "", "--appendonly",
                               "no", "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    wait_for(lambda: _pings(client), what="the private Redis")
    return server


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@pytest.fixture
def redis_port():
    port = free_port()
    server = _start_redis(port)
    yield port, server
    server.kill()
    server.wait()


@pytest.fixture
def app_config(app_config, redis_port):
    return {**app_config, "BROKER_URL": f"redis://127.0.0.1:{redis_port[0]}/0",
            "BROKER_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}


def _alerts(app) -> list[dict]:
    """The alerts of the health fragment one tick renders (this process leads every tick here)."""
    monitor = app.extensions["monitoring"]
    monitor.tick()
    return monitor.last.data["alerts"]


def _inbox(app, email: str) -> str:
    from ..conftest import AuthActions
    client = app.test_client()
    assert AuthActions(client).login(email).status_code in (302, 303)
    return client.get("/notifications").get_data(as_text=True)


def test_the_broker_alert_rises_within_10_s_of_redis_stopping_and_clears_after(app, redis_port):
    """...and the admins get one notice of it, recorded while Redis is down, and one when it clears."""
    from chessweb.models import Role

    from ..conftest import make_user
    admin, player = make_user(Role.ADMIN).email, make_user(Role.PARTICIPANT).email  # a tick ends the session
    port, server = redis_port
    assert [a["name"] for a in _alerts(app)] == []
    server.kill()
    server.wait()
    started = time.monotonic()
    wait_for(lambda: "broker" in [a["name"] for a in _alerts(app)], timeout=10, what="the broker alert")
    assert time.monotonic() - started < 10
    assert 'data-alert="broker"' in app.extensions["monitoring"].last.html
    _alerts(app)  # another tick, still down: no second notice
    assert _inbox(app, admin).count("Alert: broker") == 1 and "Alert: broker" not in _inbox(app, player)
    restarted = _start_redis(port)
    try:
        time.sleep(health.HEALTH_INTERVAL)  # the tick's lead from before the outage has expired
        wait_for(lambda: "broker" not in [a["name"] for a in _alerts(app)], timeout=10, what="the alert to clear")
        page = _inbox(app, admin)
        assert page.count("Resolved: broker") == 1 and page.count("Alert: broker") == 1
    finally:
        realtime.stop(app)
        restarted.kill()
        restarted.wait()
