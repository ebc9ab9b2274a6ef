"""What the live core stores, as an interface: the app hands `realtime.init_app` an implementation, so this
package imports nothing of the app's (no models, no database object) and could serve another project.

The app's implementation (chessweb/live/store.py) writes SQLAlchemy rows; `MemoryStorage` keeps nothing and
runs after-commit work at once, for a live core without a database.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol


@dataclass
class ConnectionRecord:
    """One WebSocket connection as stored: who, from where, which channels, when it opened and closed."""
    session_id: str
    user_id: int | None
    ip: str
    user_agent: str
    format: str
    subscriptions: list[str]
    connected_at: datetime = field(default_factory=lambda: utcnow())
    disconnected_at: datetime | None = None


@dataclass
class RecordBatch:
    """Everything one write of the records thread stores, in one transaction.

    new: connections opened since the last write; subscriptions: session id -> its channels now; closed:
    session id -> when it closed; heartbeat: refresh `last_ping_at` of this process's open rows at `now`;
    deliveries: event id -> (sockets written, sockets that failed), to add to the event's counts."""
    server_id: str
    now: datetime
    new: list[ConnectionRecord] = field(default_factory=list)
    subscriptions: dict[str, list[str]] = field(default_factory=dict)
    closed: dict[str, datetime] = field(default_factory=dict)
    heartbeat: bool = False
    deliveries: dict[int, tuple[int, int]] = field(default_factory=dict)


class Storage(Protocol):
    """Called from the core's background threads inside an app context; each call is its own transaction
    and raises on failure (the caller logs and retries)."""

    def write(self, batch: RecordBatch) -> None:
        """Store a batch of connection changes and delivery counts."""

    def mark_inactive(self, server_id: str, at: datetime) -> None:
        """Every open connection row of this process is closed (it is stopping)."""

    def retire_dead_servers(self, server_id: str, cutoff: datetime, at: datetime) -> int:
        """Close the open rows of other processes whose heartbeat is older than `cutoff`; returns how many."""

    def prune(self, connections_before: datetime | None, events_before: datetime | None) -> tuple[int, int]:
        """Delete closed connections and finished events older than these times (None: keep); returns counts."""

    def release(self) -> None:
        """Give back whatever database connection this thread holds (a socket must never keep one)."""

    def queue_after_commit(self, key: str, callback: Callable[[], None]) -> None:
        """Call `callback` once the current transaction commits; never after a rollback. Callbacks queued with
        the same key in one transaction run once (the last one queued)."""


class MemoryStorage:
    """Stores nothing; there is no transaction, so after-commit work runs at once."""

    def write(self, batch: RecordBatch) -> None:
        pass

    def mark_inactive(self, server_id: str, at: datetime) -> None:
        pass

    def retire_dead_servers(self, server_id: str, cutoff: datetime, at: datetime) -> int:
        return 0

    def prune(self, connections_before: datetime | None, events_before: datetime | None) -> tuple[int, int]:
        return 0, 0

    def release(self) -> None:
        pass

    def queue_after_commit(self, key: str, callback: Callable[[], None]) -> None:
        callback()


def utcnow() -> datetime:
    """Now in UTC without tzinfo, as the stored timestamps are."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
