"""How many are watching a channel: counted per process, summed across processes.

`memory://`: this process is everything. `redis://`: each process keeps a hash `<prefix>:presence:<server>`
(channel -> count) with a TTL it refreshes, and registers itself in the set `<prefix>:presence:servers`;
a process that dies stops refreshing and its counts expire. A channel's change is reported to the app
at most about once a second, so a stampede of joins becomes one small fragment.
"""
from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any
from .failures import log_failure

log = logging.getLogger(__name__)

OnChange = Callable[[str, int], None]


class PresenceStore(ABC):
    @abstractmethod
    def write(self, counts: dict[str, int]) -> None:
        """Record this process's counts for the channels given (0 removes the channel)."""

    @abstractmethod
    def refresh(self, counts: dict[str, int]) -> None:
        """Replace all of this process's counts and keep them alive."""

    @abstractmethod
    def total(self, channel: str) -> int:
        """The channel's count summed over every live process."""

    def totals(self, channels: list[str]) -> dict[str, int]:
        """`total` of each channel, in one round trip where the store can."""
        return {channel: self.total(channel) for channel in channels}

    def close(self) -> None:
        """Withdraw this process's counts."""


class MemoryPresenceStore(PresenceStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def write(self, counts: dict[str, int]) -> None:
        with self._lock:
            for channel, count in counts.items():
                if count > 0:
                    self._counts[channel] = count
                else:
                    self._counts.pop(channel, None)

    def refresh(self, counts: dict[str, int]) -> None:
        with self._lock:
            self._counts = {channel: count for channel, count in counts.items() if count > 0}

    def total(self, channel: str) -> int:
        with self._lock:
            return self._counts.get(channel, 0)


class RedisPresenceStore(PresenceStore):
    def __init__(self, url: str, *, prefix: str, server_id: str, ttl: float = 30.0) -> None:
        import redis
        self._client: Any = redis.Redis.from_url(url, socket_keepalive=True)
        self._servers = f"{prefix}:presence:servers"
        self._prefix = f"{prefix}:presence:"
        self._key = self._prefix + server_id
        self._server_id = server_id
        self._ttl = max(1, int(ttl))

    def write(self, counts: dict[str, int]) -> None:
        pipe = self._client.pipeline()
        present = {channel: count for channel, count in counts.items() if count > 0}
        gone = [channel for channel, count in counts.items() if count <= 0]
        if present:
            pipe.hset(self._key, mapping=present)
        if gone:
            pipe.hdel(self._key, *gone)
        pipe.expire(self._key, self._ttl)
        pipe.sadd(self._servers, self._server_id)
        pipe.execute()

    def refresh(self, counts: dict[str, int]) -> None:
        pipe = self._client.pipeline()
        pipe.delete(self._key)
        present = {channel: count for channel, count in counts.items() if count > 0}
        if present:
            pipe.hset(self._key, mapping=present)
            pipe.expire(self._key, self._ttl)
        pipe.sadd(self._servers, self._server_id)
        pipe.execute()
        self._prune()

    def _prune(self) -> None:
        # Forget processes whose counts have expired.
        servers = [s.decode() for s in self._client.smembers(self._servers)]
        pipe = self._client.pipeline()
        for server in servers:
            pipe.exists(self._prefix + server)
        alive = pipe.execute()
        dead = [server for server, exists in zip(servers, alive)
                if not exists and server != self._server_id]
        if dead:
            self._client.srem(self._servers, *dead)

    def total(self, channel: str) -> int:
        return self.totals([channel])[channel]

    def totals(self, channels: list[str]) -> dict[str, int]:
        found = dict.fromkeys(channels, 0)
        if not channels:
            return found
        servers = [s.decode() for s in self._client.smembers(self._servers)]
        pipe = self._client.pipeline()
        for server in servers:
            pipe.hmget(self._prefix + server, channels)
        for values in pipe.execute():
            for channel, value in zip(channels, values):
                if value is not None:
                    found[channel] += int(value)
        return found

    def close(self) -> None:
        try:
            pipe = self._client.pipeline()
            pipe.delete(self._key)
            pipe.srem(self._servers, self._server_id)
            pipe.execute()
        finally:
            self._client.close()


class Presence:
    """Takes the hub's local counts, keeps the store current and reports changed totals (debounced)."""

    def __init__(self, store: PresenceStore, local_counts: Callable[[], dict[str, int]], *,
                 on_change: OnChange | None = None, debounce: float = 1.0, refresh_every: float = 10.0) -> None:
        self.store = store
        self._local_counts = local_counts
        self._on_change = on_change
        self._debounce = debounce
        self._refresh_every = refresh_every
        self._lock = threading.Lock()
        self._dirty: dict[str, int] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def count_changed(self, channel: str, count: int) -> None:
        """The hub's callback: this process's count for `channel` is now `count`."""
        with self._lock:
            self._dirty[channel] = count
        self._wake.set()

    def watching(self, channel: str) -> int:
        return self.store.total(channel)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="realtime-presence", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            self.store.close()
        except Exception:
            log.exception("realtime presence: closing the store failed")

    def _run(self) -> None:
        next_refresh = time.monotonic() + self._refresh_every
        while not self._stopping.is_set():
            if self._wake.wait(max(0.0, next_refresh - time.monotonic())) and not self._stopping.is_set():
                self._stopping.wait(self._debounce)  # let a burst of joins settle into one report
                self._wake.clear()
                with self._lock:
                    dirty, self._dirty = self._dirty, {}
                try:
                    self.store.write(dirty)
                    self._report(list(dirty))
                except Exception as error:
                    log_failure(log, "realtime presence: update failed", error=error)
            if time.monotonic() >= next_refresh:
                next_refresh = time.monotonic() + self._refresh_every
                try:
                    self.store.refresh(self._local_counts())
                except Exception as error:
                    log_failure(log, "realtime presence: refresh failed", error=error)

    def _report(self, channels: list[str]) -> None:
        if self._on_change is None or self._stopping.is_set():
            return
        for channel in channels:
            try:
                self._on_change(channel, self.store.total(channel))
            except Exception:
                log.exception("realtime presence: callback failed for %s", channel)
