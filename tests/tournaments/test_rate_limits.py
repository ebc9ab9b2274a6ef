"""Per-client request limits on the heavy public pages (standings, scoreboard, crosstable, exports).

Case anonymous-heavy-page-cpu: a dozen anonymous refreshes of a big event's standings stalled the worker that
holds the WebSockets; nothing limited how often one client could ask.
"""
from __future__ import annotations

import uuid

import pytest

from chessweb import create_app

from ..test_proxies import stop
from .conftest import setup_tournament

VISITOR = {"REMOTE_ADDR": "198.51.100.7"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.8"}


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_HEAVY_PAGES"] = "3 per minute"
    return app_config


def test_one_address_is_limited_over_all_heavy_pages_together(app, organizer, login):
    tid = setup_tournament(organizer, 4)
    visitor = app.test_client()
    for page in ("standings", "scoreboard", "export.trf"):
        assert visitor.get(f"/tournaments/{tid}/{page}", environ_base=VISITOR).status_code == 200
    refused = visitor.get(f"/tournaments/{tid}/standings", environ_base=VISITOR)
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert visitor.get(f"/tournaments/{tid}/games.pgn", environ_base=VISITOR).status_code == 429
    assert visitor.head(f"/tournaments/{tid}/standings", environ_base=VISITOR).status_code == 429  # same work
    # Cheap pages, other addresses and logged-in people (counted per account) are served as usual.
    assert visitor.get(f"/tournaments/{tid}", environ_base=VISITOR).status_code == 200
    assert app.test_client().get(f"/tournaments/{tid}/standings", environ_base=NEIGHBOUR).status_code == 200
    arbiter = login(organizer)
    assert arbiter.get(f"/tournaments/{tid}/standings", environ_base=VISITOR).status_code == 200


def test_the_limit_is_configurable(app, organizer):
    tid = setup_tournament(organizer, 4)
    app.config["RATELIMIT_HEAVY_PAGES"] = "5 per minute"
    visitor = app.test_client()
    statuses = [visitor.get(f"/tournaments/{tid}/standings", environ_base=VISITOR).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_processes_sharing_redis_count_together(app_config, redis_url, organizer):
    """With REDIS_URL, every process counts the same client's requests in one place."""
    tid = setup_tournament(organizer, 4)
    config = {**app_config, "BROKER_URL": redis_url, "BROKER_PREFIX": f"limits-{uuid.uuid4().hex[:8]}"}
    first, second = create_app(config), create_app(config)
    try:
        statuses = [(first if i % 2 else second).test_client().get(
            f"/tournaments/{tid}/standings", environ_base=VISITOR).status_code for i in range(4)]
    finally:
        for process_app in (first, second):
            stop(process_app)
    assert statuses == [200, 200, 200, 429]
