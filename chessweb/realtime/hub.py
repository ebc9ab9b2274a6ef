"""Per process: which local connections watch which channel, the newest fragment per key, and the fan-out.

Every message is encoded once per format and the same frame bytes are offered to every subscribed
connection; connections queue them without blocking (see outbox.py), so one slow socket never holds up
the fan-out.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from . import metrics, protocol
from .frames import text_frame
from .messages import Event, Fragment, Message, Recheck
from .outbox import Encoded, Item

if TYPE_CHECKING:
    from .connection import UserInfo

log = logging.getLogger(__name__)

Snapshot = Callable[[str], list[Fragment]]
OnRecheck = Callable[[list[tuple["Subscriber", str]]], None]


class Subscriber(Protocol):
    """What the hub needs from a connection."""

    @property
    def format(self) -> str: ...  # "html" or "json"

    @property
    def role(self) -> str | None: ...

    @property
    def user(self) -> UserInfo: ...

    def revoke(self, channel: str) -> None: ...

    def offer_fragment(self, key: str, version: int, item: Item) -> None: ...

    def offer(self, item: Item) -> None: ...


def encode_fragment(fragment: Fragment, fmt: str) -> Item:
    payload = fragment.html if fmt == "html" else protocol.encode(protocol.fragment_body(fragment))
    if isinstance(payload, str):
        payload = payload.encode()
    return Item(Encoded(text_frame(payload)), fragment.event_id)


def encode_event(event: Event, fmt: str) -> Item | None:
    """None when the format has nothing to show for this event (an html client and an event without html)."""
    if fmt == "html":
        if event.html is None:
            return None
        payload = event.html.encode()
    else:
        payload = protocol.encode(protocol.event_body(event))
    return Item(Encoded(text_frame(payload)), event.event_id)


_RESYNC = object()
_STOP = object()


class Hub:
    """Thread-safe. `receive` queues for the dispatcher thread; `deliver` fans out in the caller's thread."""

    def __init__(self, snapshot: Snapshot, *, on_count: Callable[[str, int], None] | None = None,
                 on_recheck: OnRecheck | None = None) -> None:
        self._snapshot = snapshot
        self._on_count = on_count
        self._on_recheck = on_recheck
        self._lock = threading.Lock()
        self._channels: dict[str, set[Subscriber]] = {}
        self._versions: dict[tuple[str, str], int] = {}  # (channel, key) -> newest version seen
        self._cache: dict[str, dict[str, Fragment]] = {}  # channel -> key -> newest fragment
        self._complete: set[str] = set()  # channels whose cache holds a whole snapshot
        self._generation = 0  # bumped by resync: snapshots rendered before it must not seed the cache
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- the dispatcher thread

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="realtime-hub", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def receive(self, message: Message) -> None:
        """Queue a message for fan-out (the broker's callback; returns at once)."""
        self._queue.put(message)

    def request_resync(self) -> None:
        """Queue a resync behind the messages already received (the broker lost messages)."""
        self._queue.put(_RESYNC)

    def barrier(self, timeout: float | None = None) -> bool:
        """Wait until every message received before this call has been fanned out. False on timeout."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                if item is _RESYNC:
                    self.resync()
                else:
                    self.deliver(item)  # type: ignore[arg-type]
            except Exception:  # one bad message must not stop every later one
                log.exception("realtime hub: delivering %r failed", item)

    # ----------------------------------------------------------------- subscriptions

    def attach(self, subscriber: Subscriber, channel: str) -> None:
        with self._lock:
            members = self._channels.setdefault(channel, set())
            if subscriber in members:
                return
            members.add(subscriber)
            count = len(members)
        self._count_changed(channel, count)

    def detach(self, subscriber: Subscriber, channel: str) -> None:
        with self._lock:
            members = self._channels.get(channel)
            if not members or subscriber not in members:
                return
            members.discard(subscriber)
            count = len(members)
            if not members:
                self._forget(channel)
        self._count_changed(channel, count)

    def detach_all(self, subscriber: Subscriber, channels: list[str]) -> None:
        for channel in channels:
            self.detach(subscriber, channel)

    def local_count(self, channel: str) -> int:
        with self._lock:
            return len(self._channels.get(channel, ()))

    def local_counts(self) -> dict[str, int]:
        with self._lock:
            return {channel: len(members) for channel, members in self._channels.items()}

    def _forget(self, channel: str) -> None:
        # Nobody here watches it: its cache would only go stale. A new subscriber renders a fresh snapshot.
        self._cache.pop(channel, None)
        self._complete.discard(channel)
        for ck in [ck for ck in self._versions if ck[0] == channel]:
            del self._versions[ck]

    def _count_changed(self, channel: str, count: int) -> None:
        if self._on_count is not None:
            try:
                self._on_count(channel, count)
            except Exception:
                log.exception("realtime hub: presence callback failed for %s", channel)

    # ----------------------------------------------------------------- state for (re)connecting clients

    def current(self, channel: str) -> list[Fragment]:
        """The channel's current fragments, oldest version first: from the cache, else rendered by `snapshot`
        (which seeds the cache). Oldest first, because a container (the scoreboard) holds parts (its rounds)
        that are also sent alone: applied in this order, a newer part is never covered by an older container,
        nor a newer container by an older part."""
        with self._lock:
            if channel in self._complete:
                return _oldest_first(self._cache.get(channel, {}).values())
            generation = self._generation
        fragments = self._snapshot(channel)
        with self._lock:
            if generation != self._generation or not self._channels.get(channel):
                return list(fragments)
            for fragment in fragments:
                self._remember(fragment, allow_equal=True)
            self._complete.add(channel)
            return _oldest_first(self._cache.get(channel, {}).values())

    def resync(self) -> None:
        """Forget everything cached, render every watched channel afresh and offer it to its connections."""
        with self._lock:
            self._cache.clear()
            self._complete.clear()
            self._versions.clear()
            self._generation += 1
            channels = list(self._channels)
        for channel in channels:
            try:
                fragments = self.current(channel)
            except Exception:
                log.exception("realtime hub: snapshot of %s failed during resync", channel)
                continue
            for fragment in fragments:
                self._fan_out_fragment(fragment, self._members(channel))

    # ----------------------------------------------------------------- fan-out

    def deliver(self, message: Message) -> None:
        """Fan a message out to this process's connections on its channel, now, in the caller's thread."""
        if isinstance(message, (Fragment, Event)):
            metrics.MESSAGES_BY_CHANNEL_KIND.labels(metrics.channel_kind(message.channel)).inc()
        if isinstance(message, Fragment):
            with self._lock:
                members = self._channels.get(message.channel)
                if not members:
                    return
                if not self._remember(message, allow_equal=False):
                    metrics.DROPPED["old_version"].inc()
                    return
                targets = list(members)
            self._fan_out_fragment(message, targets)
        elif isinstance(message, Event):
            targets = self._members(message.channel)
            encoded: dict[str, Item | None] = {}
            for subscriber in targets:
                if message.roles is not None and subscriber.role not in message.roles:
                    continue
                fmt = subscriber.format
                if fmt not in encoded:
                    encoded[fmt] = encode_event(message, fmt)
                item = encoded[fmt]
                if item is not None:
                    subscriber.offer(item)
        elif isinstance(message, Recheck):
            # In order with the fan-out: what was published after the recheck reaches only those still allowed.
            pairs = [(subscriber, channel) for channel in message.channels for subscriber in self._members(channel)]
            if pairs and self._on_recheck is not None:
                self._on_recheck(pairs)
        else:
            raise TypeError(f"cannot deliver {type(message).__name__}")

    def _members(self, channel: str) -> list[Subscriber]:
        with self._lock:
            return list(self._channels.get(channel, ()))

    def _remember(self, fragment: Fragment, *, allow_equal: bool) -> bool:
        """Record a fragment as the newest of its key unless an older-or-equal one is already known. Lock held."""
        ck = (fragment.channel, fragment.key)
        known = self._versions.get(ck)
        if known is not None and (fragment.version < known or (fragment.version == known and not allow_equal)):
            return False
        self._versions[ck] = fragment.version
        self._cache.setdefault(fragment.channel, {})[fragment.key] = fragment
        return True

    @staticmethod
    def _fan_out_fragment(fragment: Fragment, targets: list[Subscriber]) -> None:
        encoded: dict[str, Item] = {}
        for subscriber in targets:
            fmt = subscriber.format
            item = encoded.get(fmt)
            if item is None:
                item = encoded[fmt] = encode_fragment(fragment, fmt)
            subscriber.offer_fragment(fragment.key, fragment.version, item)


def _oldest_first(fragments: Iterable[Fragment]) -> list[Fragment]:
    return sorted(fragments, key=lambda fragment: fragment.version)  # stable: equal versions keep their order
