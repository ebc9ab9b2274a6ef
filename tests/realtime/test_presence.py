"""'N watching': per process, summed across processes (real Redis), reported after a debounce."""
from __future__ import annotations

import uuid

import pytest

from chessweb.realtime import realtime
from chessweb.realtime.presence import MemoryPresenceStore, Presence, RedisPresenceStore

from . import liveapp
from .conftest import open_json, wait_for


def test_watchers_are_counted_and_changes_reported(clients, live_app):
    _first, _ = open_json(clients, "tournament:9")
    second, _ = open_json(clients, "tournament:9", "game:4")
    wait_for(lambda: realtime.watching("tournament:9") == 2, what="two watching")
    assert realtime.watching("game:4") == 1 and realtime.watching("tournament:10") == 0
    wait_for(lambda: ("tournament:9", 2) in liveapp.PRESENCE_REPORTS, what="a report of 2")
    seen = len(liveapp.PRESENCE_REPORTS)
    second.close()
    wait_for(lambda: ("tournament:9", 1) in liveapp.PRESENCE_REPORTS[seen:], what="a report of 1")
    assert realtime.watching("tournament:9") == 1


def test_a_burst_of_joins_is_reported_once_per_channel():
    store = MemoryPresenceStore()
    reports = []
    counts = {}
    presence = Presence(store, lambda: dict(counts), on_change=lambda c, n: reports.append((c, n)), debounce=0.2)
    presence.start()
    try:
        for n in range(1, 51):
            counts["game:1"] = n
            presence.count_changed("game:1", n)
        wait_for(lambda: reports, what="a report")
        wait_for(lambda: store.total("game:1") == 50, what="the store to be written")
        assert reports[-1] == ("game:1", 50) and len(reports) < 10
    finally:
        presence.stop()


@pytest.fixture
def redis_stores(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    stores = []

    def make(server_id, ttl=30.0):
        store = RedisPresenceStore(redis_url, prefix=prefix, server_id=server_id, ttl=ttl)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def test_redis_presence_sums_over_processes_and_forgets_a_closed_one(redis_stores):
    a, b = redis_stores("a"), redis_stores("b")
    a.write({"tournament:1": 3, "game:2": 1})
    b.write({"tournament:1": 4})
    assert a.total("tournament:1") == b.total("tournament:1") == 7
    assert a.total("game:2") == 1
    b.write({"tournament:1": 0})
    assert a.total("tournament:1") == 3
    a.refresh({"game:2": 5})
    assert b.total("game:2") == 5 and b.total("tournament:1") == 0
    a.close()
    assert b.total("game:2") == 0


def test_the_totals_of_many_channels_come_in_one_round_trip_and_match_each_total(redis_stores):
    a, b = redis_stores("a"), redis_stores("b")
    a.write({"tournament:1:player:1": 2, "tournament:1:player:3": 1})
    b.write({"tournament:1:player:3": 4})
    names = [f"tournament:1:player:{n}" for n in range(1, 5)]
    assert a.totals(names) == {names[0]: 2, names[1]: 0, names[2]: 5, names[3]: 0}
    assert a.totals(names) == {name: b.total(name) for name in names}
    assert a.totals([]) == {}
    memory = MemoryPresenceStore()
    memory.write({names[1]: 1})
    assert memory.totals(names) == {names[0]: 0, names[1]: 1, names[2]: 0, names[3]: 0}


def test_redis_presence_of_a_process_that_stopped_refreshing_expires(redis_stores):
    dead, alive = redis_stores("dead", ttl=1), redis_stores("alive")
    dead.write({"game:1": 2})
    alive.write({"game:1": 1})
    assert alive.total("game:1") == 3
    wait_for(lambda: alive.total("game:1") == 1, what="the dead process's count to expire")
    alive.refresh({"game:1": 1})  # prunes the dead process from the set of servers


def test_presence_across_two_apps_sharing_redis(live_config, redis_url, request):
    live_config["BROKER_URL"] = redis_url
    app = request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    other = RedisPresenceStore(redis_url, prefix=live_config["BROKER_PREFIX"], server_id="another-process")
    try:
        other.write({"tournament:5": 10})
        open_json(clients, "tournament:5")
        wait_for(lambda: realtime.watching("tournament:5") == 11, what="local plus the other process")
    finally:
        other.close()
    assert app.extensions["realtime"].presence.watching("tournament:5") == 1
