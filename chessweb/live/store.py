"""The app's storage for the live core (realtime.storage.Storage): connection rows and delivery counts in
the app's database, and "after commit" from SQLAlchemy's session events."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, event, exists, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from ..models import PendingEvent, RealtimeEvent, WebSocketConnection
from ..realtime.storage import ConnectionRecord, RecordBatch

_PENDING = "chessweb.live.after_commit"  # key in Session.info: {(storage, key): callback}, in queueing order


class SqlStorage:
    """Stores through a Flask-SQLAlchemy scoped session (`db.session`); one per app."""

    def __init__(self, session: scoped_session[Session]) -> None:
        self.session = session
        install_session_hooks(session)

    # ----------------------------------------------------------------- connection rows, delivery counts

    def write(self, batch: RecordBatch) -> None:
        table = WebSocketConnection.__table__
        session = self.session
        if batch.new:
            session.execute(insert(table), [_row(record, batch.server_id, batch.now) for record in batch.new])
        if batch.subscriptions:
            session.execute(
                update(table).where(table.c.session_id == bindparam("sid")).values(subscriptions=bindparam("subs")),
                [{"sid": sid, "subs": subs} for sid, subs in batch.subscriptions.items()])
        if batch.closed:
            session.execute(
                update(table).where(table.c.session_id == bindparam("sid"))
                .values(active=False, disconnected_at=bindparam("at")),
                [{"sid": sid, "at": at} for sid, at in batch.closed.items()])
        if batch.heartbeat:
            session.execute(update(table).where(table.c.server_id == batch.server_id, table.c.active)
                            .values(last_ping_at=batch.now))
        if batch.deliveries:
            events = RealtimeEvent.__table__
            # One UPDATE per event per flush, however many sockets it reached.
            session.execute(
                update(events).where(events.c.id == bindparam("eid"))
                .values(delivered_count=events.c.delivered_count + bindparam("d"),
                        failed_count=events.c.failed_count + bindparam("f"), processed=True),
                [{"eid": eid, "d": d, "f": f} for eid, (d, f) in batch.deliveries.items()])
        session.commit()

    def mark_inactive(self, server_id: str, at: datetime) -> None:
        table = WebSocketConnection.__table__
        self.session.execute(update(table).where(table.c.server_id == server_id, table.c.active)
                             .values(active=False, disconnected_at=at))
        self.session.commit()

    def retire_dead_servers(self, server_id: str, cutoff: datetime, at: datetime) -> int:
        table = WebSocketConnection.__table__
        result = self.session.execute(
            update(table).where(table.c.active, table.c.last_ping_at < cutoff, table.c.server_id != server_id)
            .values(active=False, disconnected_at=at))
        self.session.commit()
        return getattr(result, "rowcount", 0) or 0

    def prune(self, connections_before: datetime | None, events_before: datetime | None) -> tuple[int, int]:
        """Closed connections, and events every consumer has finished (processed, nothing pending), that are
        older than the cut-offs. Unfinished events are the consumers' work queue: kept whatever their age."""
        connections, events = WebSocketConnection.__table__, RealtimeEvent.__table__
        removed_connections = removed_events = 0
        if connections_before is not None:
            removed_connections = self.session.execute(delete(connections).where(
                ~connections.c.active, connections.c.disconnected_at < connections_before)).rowcount or 0
        if events_before is not None:
            pending = PendingEvent.__table__
            removed_events = self.session.execute(delete(events).where(
                events.c.processed, events.c.created_at < events_before,
                ~exists(select(pending.c.event_id).where(pending.c.event_id == events.c.id)))).rowcount or 0
        self.session.commit()
        return removed_connections, removed_events

    def release(self) -> None:
        self.session.remove()

    # ----------------------------------------------------------------- after commit

    def queue_after_commit(self, key: str, callback: Callable[[], None]) -> None:
        pending = self.session().info.setdefault(_PENDING, {})
        pending.pop((self, key), None)
        pending[(self, key)] = callback


def _row(record: ConnectionRecord, server_id: str, now: datetime) -> dict[str, Any]:
    return {"session_id": record.session_id, "server_id": server_id, "user_id": record.user_id,
            "ip": record.ip[:64], "user_agent": record.user_agent[:300], "format": record.format,
            "subscriptions": record.subscriptions, "connected_at": record.connected_at,
            "last_ping_at": now, "disconnected_at": record.disconnected_at,
            "active": record.disconnected_at is None}


def install_session_hooks(session_target: Any) -> None:
    """Listen on a scoped_session/sessionmaker (once per target) for commit and transaction end."""
    if event.contains(session_target, "after_commit", _after_commit):
        return
    event.listen(session_target, "after_commit", _after_commit)
    event.listen(session_target, "after_transaction_end", _after_transaction_end)


def _after_commit(session: Session) -> None:
    for callback in session.info.pop(_PENDING, {}).values():
        callback()


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without commit (rollback, close): its callbacks are dropped. A
    # rolled-back savepoint keeps them: jobs render the state as committed, so an extra run publishes nothing
    # false.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
