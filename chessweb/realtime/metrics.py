"""What the live core did: Prometheus metrics for operators and per-event delivery counts for RealtimeEvent rows.

Importing this module registers the metrics with prometheus_client's default registry, which `/metrics` serves.
Under gunicorn every worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (see gunicorn.conf.py) and
/metrics reports them summed over the live workers: gauges say how they combine (`multiprocess_mode`).
"""
from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from .outbox import Item

CONNECTIONS_OPEN = Gauge("chessweb_ws_connections_open", "WebSocket connections open (all workers)",
                         multiprocess_mode="livesum")
SOCKETS = Gauge("chessweb_ws_sockets", "Open WebSocket connections by state (all workers)", ["state"],
                multiprocess_mode="livesum")
# From the moment a message is encoded for this process's subscribers (once per message, as it leaves the
# broker) to the write of its frame to a socket: what one more subscriber waits.
FANOUT_LATENCY = Histogram("chessweb_ws_fanout_latency_seconds", "Message handed to the hub until written to a socket",
                           buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
MESSAGES_BY_CHANNEL_KIND = Counter("chessweb_ws_messages_published",
                                   "Messages fanned out by the hub, by kind of channel (the part before ':')",
                                   ["channel_kind"])
NOTIFICATIONS = Counter("chessweb_notifications", "Notifications delivered, by delivery channel", ["delivery_channel"])
CONNECTIONS_TOTAL = Counter("chessweb_ws_connections", "WebSocket connections accepted")
MESSAGES_DELIVERED = Counter("chessweb_ws_messages_delivered", "Frames written to sockets")
MESSAGES_DROPPED = Counter("chessweb_ws_messages_dropped",
                           "Messages not written to a socket (superseded or undeliverable)", ["reason"])
SLOW_CONSUMER_CLOSES = Counter("chessweb_ws_slow_consumer_closes",
                               "Connections closed because they could not keep up", ["cause"])
BROKER_MESSAGES = Counter("chessweb_broker_messages", "Messages through the broker", ["direction"])
BROKER_RESYNCS = Counter("chessweb_broker_resyncs", "Broker subscriptions restored (every connection resynced)")
JOB_FAILURES = Counter("chessweb_realtime_job_failures", "After-commit jobs that raised")
SNAPSHOT_HEALS = Counter("chessweb_ws_snapshot_heals",
                         "Connects that found a channel's cache behind the database, rendered it afresh and offered "
                         "the newer fragments to its watchers (a publish on its way, or lost with its process)")
UNCHANGED_FRAGMENTS = Counter("chessweb_ws_fragments_unchanged",
                              "Fragments not sent because only their version moved: the content on the pages is "
                              "already this (the tournament header after a result, say)")
SOCKET_ERRORS = Counter("chessweb_ws_errors", "Unexpected exceptions in a socket's loop (logged)", ["where"])
SERVER_CLOSES = Counter("chessweb_ws_server_closes", "Connections the server closed, by close code", ["code"])

# Label children created once: they show up as 0 before the first occurrence, and the per-socket hot
# path skips the label lookup.
DROPPED = {reason: MESSAGES_DROPPED.labels(reason)
           for reason in ("old_version", "coalesced", "connection_closed", "outbox_full", "broker_overflow")}
SLOW_CLOSES = {cause: SLOW_CONSUMER_CLOSES.labels(cause) for cause in ("outbox_full", "send_timeout")}
ERRORS = {where: SOCKET_ERRORS.labels(where) for where in ("connect", "frame", "writer")}
for _direction in ("published", "received"):
    BROKER_MESSAGES.labels(_direction)
SOCKET_STATES = {state: SOCKETS.labels(state) for state in ("anonymous", "logged_in")}
# The ways NotificationPreference lets a user be told; the notification center counts each delivery here.
NOTIFICATIONS_BY_CHANNEL = {channel: NOTIFICATIONS.labels(channel) for channel in ("realtime", "email", "push")}


def channel_kind(channel: str) -> str:
    """The kind of a channel name, its part before the first ':' ("tournament:12:standings" -> "tournament");
    a bounded label set, unlike the names themselves."""
    return channel.split(":", 1)[0]


class DeliveryCounts:
    """Delivered/failed counts per RealtimeEvent id, gathered by every writer, taken in batches for the DB."""

    def __init__(self, on_pending: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: dict[int, list[int]] = {}
        self.on_pending = on_pending  # called when counts start waiting to be taken

    def record(self, event_id: int | None, delivered: bool) -> None:
        if event_id is None:
            return
        with self._lock:
            first = not self._counts
            counts = self._counts.setdefault(event_id, [0, 0])
            counts[0 if delivered else 1] += 1
        if first and self.on_pending is not None:
            self.on_pending()

    def add_delivered(self, delivered: dict[int, int]) -> None:
        """{event_id: frames written} from one batch of writes."""
        with self._lock:
            first = not self._counts
            for event_id, n in delivered.items():
                self._counts.setdefault(event_id, [0, 0])[0] += n
        if first and delivered and self.on_pending is not None:
            self.on_pending()

    def take(self) -> dict[int, tuple[int, int]]:
        """{event_id: (delivered, failed)} since the last take."""
        with self._lock:
            taken, self._counts = self._counts, {}
        return {event_id: (d, f) for event_id, (d, f) in taken.items()}

    def add_back(self, counts: dict[int, tuple[int, int]]) -> None:
        """Return counts that could not be written, so the next flush carries them."""
        with self._lock:
            for event_id, (d, f) in counts.items():
                current = self._counts.setdefault(event_id, [0, 0])
                current[0] += d
                current[1] += f


# --------------------------------------------------------------------------- writes, counted in batches

# Under PROMETHEUS_MULTIPROC_DIR every inc() is a write to a memory-mapped file: three per socket write (delivered,
# the latency bucket and its sum) cost more than the send itself at a fan-out. A fan-out therefore gathers its
# writes (`batch`) and adds them to the metrics once, in the same amounts: every write is still one
# observation of FANOUT_LATENCY and counts in MESSAGES_DELIVERED.
_local = threading.local()  # per thread, and per greenlet under gevent's patching
_BOUNDS: Sequence[float] = FANOUT_LATENCY._upper_bounds  # same private fields as monitoring/samples.py reads


def written(counts: DeliveryCounts, items: list[Item]) -> None:
    """Count one socket write of `items` (their frames, in one send): delivered, latency, and the events'
    delivery counts. Inside `batch()` it is added when the batch ends; otherwise at once."""
    entry = (counts, items, time.monotonic())
    pending: list[tuple[DeliveryCounts, list[Item], float]] | None = getattr(_local, "pending", None)
    if pending is not None:
        pending.append(entry)
    else:
        _add([entry])


@contextmanager
def batch() -> Iterator[None]:
    """Gather the `written` calls of this thread (greenlet) until the block ends; nested blocks join the outer."""
    if getattr(_local, "pending", None) is not None:
        yield
        return
    _local.pending = []
    try:
        yield
    finally:
        pending, _local.pending = _local.pending, None
        if pending:
            _add(pending)


def _add(entries: list[tuple[DeliveryCounts, list[Item], float]]) -> None:
    buckets = [0] * len(_BOUNDS)
    total = 0.0
    frames = 0
    delivered: dict[DeliveryCounts, dict[int, int]] = {}
    for counts, items, at in entries:
        frames += len(items)
        latency = at - min(item.created for item in items)
        total += latency
        buckets[bisect.bisect_left(_BOUNDS, latency)] += 1
        for item in items:
            if item.event_id is not None:
                per_event = delivered.setdefault(counts, {})
                per_event[item.event_id] = per_event.get(item.event_id, 0) + 1
    MESSAGES_DELIVERED.inc(frames)
    for bucket, n in zip(FANOUT_LATENCY._buckets, buckets):
        if n:
            bucket.inc(n)
    FANOUT_LATENCY._sum.inc(total)
    for counts, per_event in delivered.items():
        counts.add_delivered(per_event)
