"""Where the processes put their samples so that one of them can sum them: memory (one process) or Redis.

Redis keys (under BROKER_PREFIX): `monitor:sample:<server>` (JSON, expires after TTL seconds: a dead process
drops out), `monitor:servers` (set), `monitor:leader` (the process that renders this tick, SET NX EX),
`monitor:history` (list of aggregated points, newest first, trimmed to HISTORY points)."""
from __future__ import annotations

import json
import threading
from typing import Any

HISTORY = 900  # points: 30 minutes at one per 2 s
TTL = 10  # seconds a process's sample stays without being refreshed


class MemorySampleStore:
    """Everything in this process (the embedded default: one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: dict[str, dict[str, Any]] = {}
        self._history: list[dict[str, Any]] = []

    def write(self, sample: dict[str, Any]) -> None:
        with self._lock:
            self._samples[sample["server"]] = sample

    def samples(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._samples.values())

    def lead(self, server: str, seconds: float) -> bool:
        return True

    def request_close(self, server: str, request: dict[str, Any]) -> None:
        """Nothing to carry: with one process, connections.close_connection closes it directly."""

    def take_closes(self, server: str) -> list[dict[str, Any]]:
        return []

    def push_history(self, point: dict[str, Any]) -> None:
        with self._lock:
            self._history.insert(0, point)
            del self._history[HISTORY:]

    def history(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._history)


class RedisSampleStore:
    """Samples of every process in Redis, so the figures are the sum over processes and hosts."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = f"{prefix}:monitor:"

    def write(self, sample: dict[str, Any]) -> None:
        pipe = self._client.pipeline()
        pipe.set(self._prefix + "sample:" + sample["server"], json.dumps(sample), ex=TTL)
        pipe.sadd(self._prefix + "servers", sample["server"])
        pipe.execute()

    def samples(self) -> list[dict[str, Any]]:
        servers = [s.decode() for s in self._client.smembers(self._prefix + "servers")]
        if not servers:
            return []
        values = self._client.mget([self._prefix + "sample:" + s for s in servers])
        dead = [s for s, v in zip(servers, values) if v is None]
        if dead:
            self._client.srem(self._prefix + "servers", *dead)
        return [json.loads(v) for v in values if v is not None]

    def lead(self, server: str, seconds: float) -> bool:
        """True for one process per `seconds`: the one that renders the admin figures this tick."""
        return bool(self._client.set(self._prefix + "leader", server, nx=True, px=max(1, int(seconds * 900))))

    def request_close(self, server: str, request: dict[str, Any]) -> None:
        """Ask process `server` to close a connection ({"session_id", "code", "reason"}) on its next tick."""
        key = self._prefix + "close:" + server
        pipe = self._client.pipeline()
        pipe.rpush(key, json.dumps(request))
        pipe.expire(key, 60)
        pipe.execute()

    def take_closes(self, server: str) -> list[dict[str, Any]]:
        """The close requests for `server`, removed from the store."""
        key = self._prefix + "close:" + server
        pipe = self._client.pipeline()
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        values, _ = pipe.execute()
        return [json.loads(v) for v in values]

    def push_history(self, point: dict[str, Any]) -> None:
        pipe = self._client.pipeline()
        pipe.lpush(self._prefix + "history", json.dumps(point))
        pipe.ltrim(self._prefix + "history", 0, HISTORY - 1)
        pipe.execute()

    def history(self) -> list[dict[str, Any]]:
        return [json.loads(v) for v in self._client.lrange(self._prefix + "history", 0, HISTORY - 1)]

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:
            return False
