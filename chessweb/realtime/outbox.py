"""A connection's bounded queue of frames waiting to be written; pending fragments with the same key coalesce."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import Enum

from .frames import deflated_text_frame, header_length, text_frame


@dataclass(frozen=True, slots=True)
class Encoded:
    """One message in one format, encoded once: the whole text frame, shared by every recipient, and (for a big
    payload) the same message compressed once for the sockets that negotiated permessage-deflate."""
    frame: bytes
    deflated: bytes | None = None

    @classmethod
    def of(cls, payload: bytes) -> Encoded:
        """`payload` (UTF-8) as a plain frame and, when it is big enough to gain, a compressed one."""
        return cls(text_frame(payload), deflated_text_frame(payload))

    def frame_for(self, deflate: bool) -> bytes:
        """The frame a socket gets: the compressed one when it negotiated compression and there is one."""
        return self.deflated if deflate and self.deflated is not None else self.frame

    @property
    def text(self) -> str:
        """The payload as text."""
        return self.frame[header_length(self.frame):].decode()


@dataclass(frozen=True, slots=True)
class Item:
    encoded: Encoded
    event_id: int | None = None  # RealtimeEvent credited when written
    created: float = field(default_factory=time.monotonic)  # for the fan-out latency metric


class Put(Enum):
    QUEUED = "queued"
    REPLACED = "replaced"  # a pending older version of the same key was dropped
    STALE = "stale"  # not newer than what this connection already has or has queued
    FULL = "full"  # no room: the connection cannot keep up
    DIRECT = "direct"  # nothing was pending: not queued, the caller writes it now (put_fragment(direct=True))


class Outbox:
    """Thread-safe: many publishers put, the connection's one writer takes."""
    __slots__ = ("_lock", "_pending", "_serial", "_versions", "capacity")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"outbox capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._pending: dict[str, Item] = {}  # insertion order = write order
        self._versions: dict[str, int] = {}  # per fragment key: newest version queued or written
        self._serial = 0  # unique keys for items that never coalesce

    def put_fragment(self, key: str, version: int, item: Item, *, force: bool = False,
                     direct: bool = False) -> tuple[Put, Item | None]:
        """Queue a fragment unless an equal or newer version was already queued or written.

        `force` ignores the capacity (a connect's snapshot must never count as falling behind). `direct`: the
        caller can write it at once; when nothing is pending it is recorded as written but not queued (DIRECT).
        Returns the outcome and, for REPLACED, the superseded item."""
        slot = "f:" + key
        with self._lock:
            known = self._versions.get(key)
            if known is not None and version <= known:
                return Put.STALE, None
            if direct and not self._pending:
                self._versions[key] = version
                return Put.DIRECT, None
            replaced = self._pending.pop(slot, None)
            if replaced is None and not force and len(self._pending) >= self.capacity:
                return Put.FULL, None
            # Re-inserted at the end: it is written after whatever was queued before it.
            self._pending[slot] = item
            self._versions[key] = version
            return (Put.REPLACED, replaced) if replaced is not None else (Put.QUEUED, None)

    def put(self, item: Item, *, force: bool = False) -> Put:
        """Queue a frame that never coalesces (events, control replies)."""
        with self._lock:
            if not force and len(self._pending) >= self.capacity:
                return Put.FULL
            self._serial += 1
            self._pending[f"m:{self._serial}"] = item
            return Put.QUEUED

    def take_all(self) -> list[Item]:
        """Everything pending, oldest first; the outbox is empty afterwards."""
        with self._lock:
            items = list(self._pending.values())
            self._pending.clear()
            return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
