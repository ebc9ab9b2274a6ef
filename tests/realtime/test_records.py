"""WebSocketConnection rows and RealtimeEvent delivery counts, as written to the real database."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import EventType, RealtimeEvent, WebSocketConnection, utcnow
from chessweb.realtime import Fragment, realtime

from .conftest import open_json, recv_json, recv_until, wait_for


def row(session_id: str) -> WebSocketConnection | None:
    db.session.rollback()  # a fresh read, not this session's cached view
    return db.session.scalar(select(WebSocketConnection).where(WebSocketConnection.session_id == session_id))


def all_rows_written(expected: int):
    def check() -> bool:
        db.session.rollback()
        rows = db.session.scalars(select(WebSocketConnection)).all()
        return len(rows) == expected and all(r.subscriptions for r in rows)
    return check


def test_a_row_per_connection_follows_its_life(clients, player):
    ws, sequence = open_json(clients, "game:1", f"user:{player.id}", user_id=player.id,
                             user_agent_header="chess-bot/1.0")
    session_id = sequence[0]["session_id"]
    record = wait_for(lambda: row(session_id), what="the connection's row")
    assert (record.user_id, record.ip, record.user_agent, record.format) == (
        player.id, "127.0.0.1", "chess-bot/1.0", "json")
    assert record.subscriptions == ["game:1", f"user:{player.id}"] and record.active
    assert record.server_id and record.connected_at <= record.last_ping_at

    ws.send(json.dumps({"type": "subscribe", "channel": "tournament:3"}))
    recv_until(ws, lambda m: m["type"] == "subscribed")
    wait_for(lambda: "tournament:3" in row(session_id).subscriptions, what="subscriptions to be updated")

    ws.close()
    record = wait_for(lambda: (r := row(session_id)) is not None and not r.active and r, what="row inactive")
    assert record.disconnected_at is not None


def test_anonymous_html_connection_row(clients):
    clients.open("game:1", fmt="html")
    record = wait_for(lambda: db.session.rollback() or db.session.scalar(select(WebSocketConnection)),
                      what="a row")
    assert record.user_id is None and record.format == "html" and record.active


def test_heartbeat_refreshes_last_ping(live_config, request):
    live_config["WS_PING_INTERVAL"] = 1.0
    request.getfixturevalue("live_app")
    clients = request.getfixturevalue("clients")
    _ws, sequence = open_json(clients, "game:1")
    first = wait_for(lambda: row(sequence[0]["session_id"]), what="the row").last_ping_at
    wait_for(lambda: row(sequence[0]["session_id"]).last_ping_at > first, what="a heartbeat")


def test_rows_left_active_by_a_dead_process_are_retired_at_start_and_live_ones_kept(live_app):
    now = utcnow()
    db.session.add_all([
        WebSocketConnection(session_id="dead-1", server_id="host:1:dead", last_ping_at=now - timedelta(hours=1),
                            connected_at=now - timedelta(hours=2), active=True),
        WebSocketConnection(session_id="alive-1", server_id="host:2:alive", last_ping_at=now,
                            connected_at=now, active=True),
    ])
    db.session.commit()
    realtime.start(live_app)
    wait_for(lambda: not row("dead-1").active, what="the dead process's row to be retired")
    assert row("dead-1").disconnected_at is not None
    assert row("alive-1").active


def test_old_closed_connections_and_published_events_are_pruned_at_start(live_config, request):
    live_config.update(WS_CONNECTION_RETENTION_DAYS=7, REALTIME_EVENT_RETENTION_DAYS=30)
    live_app = request.getfixturevalue("live_app")
    now, day = utcnow(), timedelta(days=1)

    def connection(session_id: str, age: timedelta, *, active: bool) -> WebSocketConnection:
        return WebSocketConnection(session_id=session_id, server_id="host:1:other", connected_at=now - age,
                                   last_ping_at=now, disconnected_at=None if active else now - age, active=active)

    def event(age: timedelta, *, processed: bool) -> RealtimeEvent:
        return RealtimeEvent(type=EventType.GAME_COMPLETED, entity_type="game", entity_id=1, payload={},
                             processed=processed, created_at=now - age)

    db.session.add_all([connection("closed-long-ago", 8 * day, active=False),
                        connection("closed-yesterday", day, active=False),
                        connection("open-for-a-week", 8 * day, active=True)])
    old_published, old_unpublished, recent = (event(31 * day, processed=True), event(31 * day, processed=False),
                                              event(day, processed=True))
    db.session.add_all([old_published, old_unpublished, recent])
    db.session.commit()
    ids = {"old_published": old_published.id, "old_unpublished": old_unpublished.id, "recent": recent.id}

    realtime.start(live_app)
    wait_for(lambda: row("closed-long-ago") is None, what="the old closed connection row to be deleted")
    assert row("closed-yesterday") is not None and row("open-for-a-week") is not None

    def event_ids() -> set[int]:
        db.session.rollback()
        return set(db.session.scalars(select(RealtimeEvent.id)).all())

    wait_for(lambda: ids["old_published"] not in event_ids(), what="the old published event to be deleted")
    assert {ids["old_unpublished"], ids["recent"]} <= event_ids()  # the publish queue and recent history stay


def test_a_retention_of_zero_keeps_every_row(live_config, request):
    live_config.update(WS_CONNECTION_RETENTION_DAYS=0, REALTIME_EVENT_RETENTION_DAYS=0)
    live_app = request.getfixturevalue("live_app")
    long_ago = utcnow() - timedelta(days=3650)
    db.session.add_all([
        WebSocketConnection(session_id="closed-ten-years-ago", server_id="host:1:other", connected_at=long_ago,
                            last_ping_at=long_ago, disconnected_at=long_ago, active=False),
        RealtimeEvent(type=EventType.GAME_COMPLETED, entity_type="game", entity_id=1, payload={}, processed=True,
                      created_at=long_ago)])
    db.session.commit()
    core = live_app.extensions["realtime"]
    assert core.records.prune() == (0, 0)
    assert row("closed-ten-years-ago") is not None
    assert db.session.scalar(select(RealtimeEvent.id)) is not None


def test_stopping_marks_this_processs_rows_inactive(live_app, clients):
    _ws, sequence = open_json(clients, "game:1")
    wait_for(lambda: row(sequence[0]["session_id"]), what="the row")
    realtime.stop(live_app)
    assert not row(sequence[0]["session_id"]).active


def test_delivery_counts_are_written_once_per_event_not_per_socket(clients, live_app):
    event = RealtimeEvent(type=EventType.STANDINGS_UPDATED, entity_type="tournament", entity_id=7, payload={})
    db.session.add(event)
    db.session.commit()
    sockets = [open_json(clients, "game:1")[0] for _ in range(3)]
    open_json(clients, "game:2")  # not subscribed: neither delivered nor failed
    # Let the row writer go idle first: the counts alone must wake it (the heartbeat is 25 s away).
    wait_for(all_rows_written(4), what="the four connection rows with their subscriptions")
    statements = []
    from sqlalchemy import event as sa_event

    def count_updates(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE REALTIME_EVENT"):
            statements.append((statement, executemany))

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count_updates)
    try:
        realtime.publish(Fragment(channel="game:1", key="k", version=1, html="x", event_id=event.id))
        for ws in sockets:
            assert recv_json(ws)["key"] == "k"

        def counted():
            db.session.rollback()
            e = db.session.get(RealtimeEvent, event.id)
            return e.delivered_count == 3 and e

        counted_event = wait_for(counted, what="delivery counts")
        assert counted_event.failed_count == 0 and counted_event.processed
        assert len(statements) == 1  # one UPDATE for the event however many sockets it reached
    finally:
        sa_event.remove(engine, "before_cursor_execute", count_updates)
