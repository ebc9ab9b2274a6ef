"""Bookkeeping for the live core, written in batches off the socket path through the app's Storage: one
row per connection (heartbeat, subscriptions, active) and delivery counts on event rows. Rows past their
retention are deleted here too: every page view makes a connection row and every change an event row, and
a busy season would otherwise grow both tables without end."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from flask import Flask

from .metrics import DeliveryCounts
from .storage import ConnectionRecord, RecordBatch, Storage, utcnow
from .failures import log_failure

log = logging.getLogger(__name__)

# A process is taken for dead when it has not refreshed its rows for this many ping intervals.
DEAD_AFTER_INTERVALS = 3
# Old rows are deleted at start and then at most this often (a cheap indexed DELETE, but no need to hurry).
PRUNE_EVERY_SECONDS = 3600.0

__all__ = ["ConnectionRecord", "Records"]


def _days(value: float | None) -> timedelta | None:
    """A retention setting in days; 0, None (or a nonsensical negative) keeps rows forever."""
    return timedelta(days=float(value)) if value and float(value) > 0 else None


class Records:
    """Queues row changes from connection threads; one background thread writes them in one transaction."""

    def __init__(self, app: Flask, storage: Storage, *, server_id: str, ping_interval: float,
                 counts: DeliveryCounts, batch_window: float = 0.5) -> None:
        self.app = app
        self.storage = storage
        self.server_id = server_id
        self.ping_interval = max(1.0, float(ping_interval))
        self.counts = counts
        self.batch_window = batch_window
        # None or 0: keep those rows forever.
        self.connection_retention = _days(app.config.get("WS_CONNECTION_RETENTION_DAYS"))
        self.event_retention = _days(app.config.get("REALTIME_EVENT_RETENTION_DAYS"))
        self._next_prune = 0.0
        self._lock = threading.Lock()
        self._new: dict[str, ConnectionRecord] = {}
        self._subscriptions: dict[str, list[str]] = {}
        self._closed: dict[str, datetime] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- called by connections

    def opened(self, record: ConnectionRecord) -> None:
        with self._lock:
            self._new[record.session_id] = record
        self._wake.set()

    def subscriptions_changed(self, session_id: str, channels: list[str]) -> None:
        with self._lock:
            if session_id in self._new:
                self._new[session_id].subscriptions = list(channels)
            else:
                self._subscriptions[session_id] = list(channels)
        self._wake.set()

    def closed(self, session_id: str) -> None:
        now = utcnow()
        with self._lock:
            if session_id in self._new:
                self._new[session_id].disconnected_at = now
            else:
                self._closed[session_id] = now
                self._subscriptions.pop(session_id, None)
        self._wake.set()

    def notify(self) -> None:
        """Something (e.g. delivery counts) is waiting to be written."""
        self._wake.set()

    # ----------------------------------------------------------------- the writer thread

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="realtime-records", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is queued and mark every row of this process inactive: its sockets are going away."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        try:
            with self.app.app_context():
                try:
                    self.storage.mark_inactive(self.server_id, utcnow())
                finally:
                    self.storage.release()
        except Exception as error:
            log_failure(log, "realtime records: marking this process's rows inactive failed", error=error)

    def _run(self) -> None:
        self.retire_dead_servers()
        self._prune_when_due()
        next_beat = time.monotonic() + self.ping_interval
        while not self._stopping.is_set():
            if self._wake.wait(max(0.0, next_beat - time.monotonic())):
                self._stopping.wait(self.batch_window)  # gather a burst of connects into one transaction
                self._wake.clear()
            heartbeat = time.monotonic() >= next_beat
            if heartbeat:
                next_beat = time.monotonic() + self.ping_interval
            self.flush(heartbeat=heartbeat)
            if heartbeat:
                self.retire_dead_servers()
                self._prune_when_due()

    def flush(self, *, heartbeat: bool = False) -> None:
        """Write everything queued (and, with `heartbeat`, refresh this process's live rows)."""
        with self._lock:
            new, self._new = self._new, {}
            subscriptions, self._subscriptions = self._subscriptions, {}
            closed, self._closed = self._closed, {}
        counts = self.counts.take()
        if not (new or subscriptions or closed or counts or heartbeat):
            return
        try:
            with self.app.app_context():
                self._write(new, subscriptions, closed, counts, heartbeat)
        except Exception as error:
            log_failure(log, "realtime records: write failed; will retry", error=error)
            with self._lock:
                self._new = {**new, **self._new}
                self._subscriptions = {**subscriptions, **self._subscriptions}
                self._closed = {**closed, **self._closed}
            self.counts.add_back(counts)

    def _write(self, new: dict[str, ConnectionRecord], subscriptions: dict[str, list[str]],
               closed: dict[str, datetime], counts: dict[int, tuple[int, int]], heartbeat: bool) -> None:
        batch = RecordBatch(server_id=self.server_id, now=utcnow(), new=list(new.values()),
                            subscriptions=subscriptions, closed=closed, heartbeat=heartbeat, deliveries=counts)
        try:
            self.storage.write(batch)
        finally:
            self.storage.release()

    def retire_dead_servers(self) -> int:
        """Mark inactive the rows of processes that stopped refreshing them (they died). Returns how many."""
        cutoff = utcnow() - timedelta(seconds=DEAD_AFTER_INTERVALS * self.ping_interval)
        try:
            with self.app.app_context():
                try:
                    return self.storage.retire_dead_servers(self.server_id, cutoff, utcnow())
                finally:
                    self.storage.release()
        except Exception as error:
            log_failure(log, "realtime records: retiring dead rows failed", error=error)
            return 0

    def _prune_when_due(self) -> None:
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            self.prune()

    def prune(self) -> tuple[int, int]:
        """Delete closed connection rows and published events older than their retention.

        Returns how many of each. Every process may run it: deleting what another just deleted is harmless.
        Events some consumer has not finished are kept whatever their age (see Storage.prune)."""
        now = utcnow()
        try:
            with self.app.app_context():
                try:
                    return self.storage.prune(
                        now - self.connection_retention if self.connection_retention is not None else None,
                        now - self.event_retention if self.event_retention is not None else None)
                finally:
                    self.storage.release()
        except Exception as error:
            log_failure(log, "realtime records: pruning old rows failed", error=error)
            return 0, 0
