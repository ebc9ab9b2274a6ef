"""Per process: which local connections watch which channel, the newest fragment per key, and the fan-out.

Every message is encoded once per format and the same frame bytes are offered to every subscribed
connection; connections queue them without blocking (see outbox.py), so one slow socket never holds up
the fan-out.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from . import metrics, protocol
from .messages import Event, Fragment, Message, Recheck
from .outbox import Encoded, Item
from .failures import log_failure

if TYPE_CHECKING:
    from .connection import UserInfo

log = logging.getLogger(__name__)

Snapshot = Callable[[str], list[Fragment]]
CurrentVersion = Callable[[str], "int | None"]
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
    return Item(Encoded.of(payload), fragment.event_id)


def encode_event(event: Event, fmt: str) -> Item | None:
    """None when the format has nothing to show for this event (an html client and an event without html)."""
    if fmt == "html":
        if event.html is None:
            return None
        payload = event.html.encode()
    else:
        payload = protocol.encode(protocol.event_body(event))
    return Item(Encoded.of(payload), event.event_id)


_RESYNC = object()
_CATCH_UP = object()
# A catch-up costs one version query per watched channel: thousands for a process watching every player page of
# a big event. After a pass of d seconds the next waits CATCH_UP_REST * d, so catching up takes at most a quarter
# of the hub's thread (and of its queries' share of the database) however many channels there are.
CATCH_UP_REST = 3.0
_STOP = object()


class Hub:
    """Thread-safe. `receive` queues for the dispatcher thread; `deliver` fans out in the caller's thread."""

    def __init__(self, snapshot: Snapshot, *, current_version: CurrentVersion | None = None,
                 on_count: Callable[[str, int], None] | None = None,
                 on_recheck: OnRecheck | None = None) -> None:
        self._snapshot = snapshot
        self._current_version = current_version
        self._on_count = on_count
        self._on_recheck = on_recheck
        self._lock = threading.Lock()
        self._channels: dict[str, set[Subscriber]] = {}
        self._versions: dict[tuple[str, str], int] = {}  # (channel, key) -> newest version seen
        self._cache: dict[str, dict[str, Fragment]] = {}  # channel -> key -> newest fragment
        self._complete: set[str] = set()  # channels whose cache holds a whole snapshot
        self._as_of: dict[str, int] = {}  # channel -> the version its last snapshot was rendered at (or after)
        self._render_locks: dict[str, threading.Lock] = {}  # one snapshot render per channel at a time
        # (channel, key, format) -> (fragment, its frame): the newest fragment of each key, encoded once for every
        # socket it goes to, on a fan-out and on each connect's snapshot alike
        self._frames: dict[tuple[str, str, str], tuple[Fragment, Item]] = {}
        self._generation = 0  # bumped by resync: snapshots rendered before it must not seed the cache
        self._catch_up_queued = False  # a catch_up waits in the queue: the broker's polls do not pile up
        self._catch_up_next = 0.0  # time.monotonic() before which a requested catch_up is skipped
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

    def request_catch_up(self) -> None:
        """Queue a `catch_up` behind the messages already received, unless one is still waiting (the broker
        cannot carry messages now, and asks every OUTAGE_POLL_SECONDS); skipped while resting after a long
        one (CATCH_UP_REST)."""
        with self._lock:
            if self._catch_up_queued:
                return
            self._catch_up_queued = True
        self._queue.put(_CATCH_UP)

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
                elif item is _CATCH_UP:
                    with self._lock:
                        self._catch_up_queued = False
                    started = time.monotonic()
                    if started >= self._catch_up_next:
                        self.catch_up()
                        self._catch_up_next = time.monotonic() + CATCH_UP_REST * (time.monotonic() - started)
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
        for frame_key in [k for k in self._frames if k[0] == channel]:
            del self._frames[frame_key]
        self._complete.discard(channel)
        self._as_of.pop(channel, None)
        self._render_locks.pop(channel, None)
        for ck in [ck for ck in self._versions if ck[0] == channel]:
            del self._versions[ck]

    def _count_changed(self, channel: str, count: int) -> None:
        if self._on_count is not None:
            try:
                self._on_count(channel, count)
            except Exception:
                log.exception("realtime hub: presence callback failed for %s", channel)

    # ----------------------------------------------------------------- state for (re)connecting clients

    def current(self, channel: str, *, since: int | None = None) -> list[Fragment]:
        """The channel's current fragments newer than `since`, oldest version first.

        `since`: the version the client's page was rendered at (None: it has nothing); what is not newer
        is left out, and nothing at all when the channel has not moved since. Only applied to channels the
        app gives a current version for (the page's `since` is in the same terms).

        Served from the cache unless the database moved past it (`current_version`, one query per call; see
        `_fresh`): then the channel is rendered afresh, and the fragments
        that turn out newer than the cache are also offered to this process's other subscribers, whose
        pages missed them (a publisher that died after its commit). Oldest first, because a container (the
        scoreboard) holds parts (its rounds) that are also sent alone: applied in this order, a newer part
        is never covered by an older container, nor a newer container by an older part.
        """
        latest = self._latest_version(channel)
        if latest is None:
            since = None  # a channel without a known version: `since` may not be in its versions' terms
        elif since is not None and since >= latest:
            return []  # the page already shows the committed state
        with self._lock:
            render_lock = self._render_locks.setdefault(channel, threading.Lock())
        with render_lock:  # connects that all find the cache behind render it once
            with self._lock:
                if channel in self._complete and self._fresh(channel, latest):
                    return _newer_than(since, self._cache.get(channel, {}).values())
                generation = self._generation
                was_complete = channel in self._complete
            fragments = self._snapshot(channel)
            healed: list[Fragment] = []
            with self._lock:
                if generation != self._generation or not self._channels.get(channel):
                    return _newer_than(since, fragments)
                for fragment in fragments:
                    known = self._versions.get((fragment.channel, fragment.key))
                    if self._remember(fragment, allow_equal=True) and known is not None and fragment.version > known:
                        healed.append(fragment)
                self._prune(channel, fragments, latest)
                self._complete.add(channel)
                if latest is not None:
                    self._as_of[channel] = latest
                members = list(self._channels.get(channel, ()))
                result = _newer_than(since, self._cache.get(channel, {}).values())
        if was_complete and healed:
            # A publish still on its way (harmless: it is dropped as not newer) or lost with its process.
            log.info("realtime hub: cache of %s was behind the database (%s); offered %d newer fragment(s)",
                     channel, latest, len(healed))
            metrics.SNAPSHOT_HEALS.inc()
            for fragment in _oldest_first(healed):
                self._fan_out_fragment(fragment, members)
        return result

    def _fresh(self, channel: str, latest: int | None) -> bool:
        """Whether the channel's complete cache reflects version `latest`: rendered at it or after, or holding
        a fragment published at exactly it (that change's publisher got through to this channel; comparing
        with "at least" would let versions of another kind, such as times, pass for it). Lock held."""
        if latest is None or self._as_of.get(channel, -1) >= latest:
            return True
        return any(f.version == latest for f in self._cache.get(channel, {}).values())

    def _latest_version(self, channel: str) -> int | None:
        """The channel's version in the database (the app's hook), or None when unknown."""
        if self._current_version is None:
            return None
        try:
            return self._current_version(channel)
        except Exception as error:  # the cache is still the best there is
            log_failure(log, "realtime hub: reading the current version of %s failed", channel, error=error)
            return None

    def _prune(self, channel: str, rendered: list[Fragment], latest: int | None) -> None:
        """After a whole snapshot: drop cached keys it did not render and that are not newer than it (parts a
        container now covers, or gone), so a connect sends each thing once. Lock held."""
        versions = [f.version for f in rendered]
        floor = latest if latest is not None else (min(versions) if versions else -1)
        keys = {f.key for f in rendered}
        cache = self._cache.get(channel, {})
        for key in [k for k, f in cache.items() if k not in keys and f.version <= floor]:
            del cache[key]

    def resync(self) -> None:
        """Forget everything cached, render every watched channel afresh and offer it to its connections."""
        with self._lock:
            self._cache.clear()
            self._frames.clear()
            self._complete.clear()
            self._as_of.clear()
            self._versions.clear()
            self._generation += 1
            channels = list(self._channels)
        for channel in channels:
            try:
                fragments = self.current(channel)
            except Exception as error:
                log_failure(log, "realtime hub: snapshot of %s failed during resync", channel, error=error)
                continue
            for fragment in fragments:
                self._fan_out_fragment(fragment, self._members(channel))

    def catch_up(self) -> None:
        """Bring every watched channel to the committed state: one version query per channel, a render only where
        the database moved past the cache, offered to the channel's connections (`current`). What the broker
        would have carried from the other processes while it cannot (Redis down): their commits reach the pages
        here within a poll, not when Redis is back. Channels without a version (a user's notices) wait for the
        resync that follows the broker's return."""
        with self._lock:
            channels = list(self._channels)
        for channel in channels:
            try:
                self.current(channel)
            except Exception as error:
                log_failure(log, "realtime hub: catching up %s failed", channel, error=error)

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
                previous = self._cache.get(message.channel, {}).get(message.key)
                if not self._remember(message, allow_equal=False):
                    metrics.DROPPED["old_version"].inc()
                    return
                targets = list(members)
            if previous is not None and same_content(previous, message):
                # Cached (a new socket's snapshot has the new version) but not sent: every page already shows
                # this, and a second frame per change to every socket would cost more than the change itself.
                metrics.UNCHANGED_FRAGMENTS.inc()
                return
            self._fan_out_fragment(message, targets)
        elif isinstance(message, Event):
            targets = self._members(message.channel)
            encoded: dict[str, Item | None] = {}
            with metrics.batch():
                self._fan_out_event(message, targets, encoded)
        elif isinstance(message, Recheck):
            # In order with the fan-out: what was published after the recheck reaches only those still allowed.
            pairs = [(subscriber, channel) for channel in message.channels for subscriber in self._members(channel)]
            if pairs and self._on_recheck is not None:
                self._on_recheck(pairs)
        else:
            raise TypeError(f"cannot deliver {type(message).__name__}")

    @staticmethod
    def _fan_out_event(event: Event, targets: list[Subscriber], encoded: dict[str, Item | None]) -> None:
        for subscriber in targets:
            if event.roles is not None and subscriber.role not in event.roles:
                continue
            fmt = subscriber.format
            if fmt not in encoded:
                encoded[fmt] = encode_event(event, fmt)
            item = encoded[fmt]
            if item is not None:
                subscriber.offer(item)

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

    def _fan_out_fragment(self, fragment: Fragment, targets: list[Subscriber]) -> None:
        encoded: dict[str, Item] = {}
        key, version = fragment.key, fragment.version
        with metrics.batch():  # the writes made here are counted once, at the end
            for subscriber in targets:
                fmt = subscriber.format
                item = encoded.get(fmt)
                if item is None:
                    item = encoded[fmt] = self.frame(fragment, fmt)
                subscriber.offer_fragment(key, version, item)

    def frame(self, fragment: Fragment, fmt: str) -> Item:
        """`fragment` encoded as a frame in `fmt` ("html" or "json"), once: every later call with the same fragment
        object (the cached one a connect's snapshot sends, or the one just fanned out) gets the same bytes, so
        800 pages reconnecting after a worker died cost one encoding and one compression, not 800."""
        frame_key = (fragment.channel, fragment.key, fmt)
        known = self._frames.get(frame_key)
        if known is not None and known[0] is fragment:
            return known[1]
        item = encode_fragment(fragment, fmt)
        with self._lock:
            cached = self._cache.get(fragment.channel, {}).get(fragment.key)
            if cached is fragment:  # only what the cache holds: a fragment it dropped is not kept alive here
                self._frames[frame_key] = (fragment, item)
        return item


def same_content(old: Fragment, new: Fragment) -> bool:
    """True if `new` shows exactly what `old` showed and only the version moved: equal data, and equal HTML once
    each one's own version number (its `data-version` attributes) is set aside."""
    if old.data != new.data:
        return False
    return (old.html.replace(f'data-version="{old.version}"', 'data-version=""')
            == new.html.replace(f'data-version="{new.version}"', 'data-version=""'))


def _newer_than(since: int | None, fragments: Iterable[Fragment]) -> list[Fragment]:
    return _oldest_first(f for f in fragments if since is None or f.version > since)


def _oldest_first(fragments: Iterable[Fragment]) -> list[Fragment]:
    return sorted(fragments, key=lambda fragment: fragment.version)  # stable: equal versions keep their order
