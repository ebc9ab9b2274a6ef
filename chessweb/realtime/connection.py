"""One WebSocket connection's outgoing side: a bounded outbox and exactly one writer.

The writer is the thread (a greenlet under gevent) that runs the `/ws` view: it waits on simple-websocket's
event, which is set both when a client frame arrives and when something is queued here, so a connection
costs no thread beyond the two simple-websocket and the server already use.

Frames are written pre-encoded and whole (simple-websocket's `send` may write part of a frame under
gevent and is not safe from two threads) under a lock that simple-websocket's own writes (ping, pong,
close, from its reader thread) also take: `ws.sock` is swapped for a `LockedSocket`. A write that does not
finish within WS_SEND_TIMEOUT means the peer is not reading, and the connection is cut.

Under gevent, whoever queues a frame while the writer is idle writes it at once if the socket takes all
of it without waiting (a fan-out then costs one send per recipient instead of waking each writer); what
does not fit is left to the writer, so a slow socket still never holds up the publisher.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from simple_websocket import ConnectionClosed

from . import metrics
from .frames import DEFLATE_WINDOW_BITS
from .metrics import DeliveryCounts
from .outbox import Item, Outbox, Put

log = logging.getLogger(__name__)

LINGER_SECONDS = 2.0
CLOSE_REPLY_WAIT = 2.0  # how long a closing peer may take to answer our close frame
LINGER_BYTES = 1 << 20

# Close codes (RFC 6455 §7.4.1) tell a browser whether to come back: htmx 4 reconnects on 1001, 1005, 1006,
# 1011, 1012, 1013 and 1014 (hx-ws reconnectCodes), and never on 1008 or 4xxx. So every fault of the network,
# the peer's speed or the server reconnects, and only a decision about this client stops it.
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # no pong within a ping interval (a stalled tab, a lid closed): reconnects, resyncs
CLOSE_POLICY_VIOLATION = 1008  # no longer allowed to watch: htmx does not reconnect
CLOSE_INTERNAL_ERROR = 1011  # a server fault in this connection's loop (logged, counted): reconnects
CLOSE_SERVICE_RESTART = 1012  # htmx reconnects, to another process, and resyncs
CLOSE_TRY_AGAIN_LATER = 1013  # too slow to keep up: htmx reconnects (with backoff) and resyncs
CLOSE_TOO_MANY_MESSAGES = 4429  # sustained flooding (like HTTP 429): a client that abuses us is not invited back

PING_FRAME = b"\x89\x00"  # FIN + opcode 9 (ping), no payload (RFC 6455 §5.5.2); servers never mask


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who is on the other end, taken from the session at the handshake (no database object kept)."""
    id: int | None = None
    role: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.id is not None


class LockedSocket:
    """A socket whose every write is a whole `sendall` under one lock; everything else is delegated."""
    __slots__ = ("_lock", "_on_close", "_sock")

    def __init__(self, sock: Any, lock: threading.Lock, on_close: Callable[[], None] | None = None) -> None:
        self._sock = sock
        self._lock = lock
        self._on_close = on_close

    def send(self, data: bytes, flags: int = 0) -> int:
        with self._lock:
            self._sock.sendall(data, flags)
        return len(data)

    sendall = send

    def recv(self, size: int, flags: int = 0) -> bytes:
        while True:
            try:
                data: bytes = self._sock.recv(size, flags)
                return data
            except TimeoutError:
                # The timeout is there for sends; an idle peer is the ping's business.
                continue

    def close(self) -> None:
        """Lingering close: closing with unread input makes the kernel send RST, and a peer that gets RST
        may discard our close frame (1008, 1009) before reading it. So: FIN first, drain briefly, close."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            drained = 0
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self._sock.settimeout(left)
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass
        finally:
            self._sock.close()
            if self._on_close is not None:
                self._on_close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class StampedBuffer(list[Any]):
    """simple-websocket's `input_buffer`, noting when each client frame was read off the socket.

    Its reader thread appends a frame as soon as it arrives; the writer loop takes frames when it gets round
    to them, which under load can be much later. Rate limits must count the client's pace, not ours, so
    they use the arrival time (time.monotonic(), seconds) kept here."""
    __slots__ = ("_lock", "_stamps")

    def __init__(self, frames: list[Any] | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._stamps: list[float] = []
        for frame in frames or ():
            self.append(frame)

    def append(self, frame: Any) -> None:
        with self._lock:
            self._stamps.append(time.monotonic())
            super().append(frame)

    def pop(self, index: Any = -1) -> Any:
        with self._lock:
            self._stamps.pop(index)
            return super().pop(index)

    def take(self) -> tuple[Any, float]:
        """The oldest frame and when it arrived; raises IndexError when there is none."""
        with self._lock:
            frame = super().pop(0)
            return frame, self._stamps.pop(0)


class _HandshakeDone:
    """Stands in for wsproto's H11Handshake once the connection is open, where WSConnection only ever asks it for
    events (there are none left: simple-websocket took the handshake's request before the socket was ours)."""
    __slots__ = ()

    @staticmethod
    def events() -> Iterator[Any]:
        return iter(())


HANDSHAKE_DONE = _HandshakeDone()


def forget_handshake(ws: Any) -> None:
    """Let the finished HTTP/1.1 handshake go: wsproto keeps it (an h11 parser and an event queue, about 2 KB)
    for the socket's whole life, though the open connection never uses it again. Thousands of sockets a process."""
    connection = getattr(ws, "ws", None)
    if connection is not None and getattr(connection, "connection", None) is not None:
        connection.handshake = HANDSHAKE_DONE


def permessage_deflate_negotiated(ws: Any) -> bool:
    """Whether the handshake enabled compression with a window the shared compressed frames fit (wsproto has no
    public accessor for it). A peer that asked for a smaller server window gets plain frames, which RFC 7692 §6
    always allows."""
    connection = getattr(ws.ws, "connection", None)
    proto = getattr(connection, "_proto", None)
    return any(ext.name == "permessage-deflate"
               and getattr(ext, "server_max_window_bits", DEFLATE_WINDOW_BITS) >= DEFLATE_WINDOW_BITS
               for ext in getattr(proto, "extensions", ()))


class Connection:
    """Outgoing side of one socket. `offer*` are called from any thread; `run` is the writer loop."""
    # One per socket, thousands per process: no instance dict.
    __slots__ = ("__weakref__", "_close_code", "_close_reason", "_counts", "_direct", "_raw", "_unsent",
                 "_write_lock", "_writing", "close_cause", "closed", "deflate", "format", "outbox",
                 "ping_interval", "send_timeout", "session_id", "user", "ws")

    def __init__(self, ws: Any, *, session_id: str, user: UserInfo, fmt: str, outbox_size: int,
                 send_timeout: float, counts: DeliveryCounts, ping_interval: float | None = None) -> None:
        self.ws = ws
        # Swapped before anything is taken from it; frames that came before are stamped now.
        ws.input_buffer = StampedBuffer(ws.input_buffer)
        self.ping_interval = ping_interval if ping_interval and ping_interval > 0 else None
        self.session_id = session_id
        self.user = user
        self.format = fmt
        self.outbox = Outbox(outbox_size)
        self.send_timeout = send_timeout
        self._counts = counts
        self._write_lock = threading.Lock()
        self._raw = ws.sock
        self._raw.settimeout(send_timeout)
        # simple-websocket's reader closes the socket last thing, after marking the connection closed; its
        # wake-up for a too-big message comes before that mark, so the close must wake the writer again.
        ws.sock = LockedSocket(self._raw, self._write_lock, on_close=self._wake)
        # With compression, big messages go as the frame compressed once for every such socket (frames.py).
        self.deflate = permessage_deflate_negotiated(ws)
        forget_handshake(ws)
        # gevent's socket can try a send without waiting (timeout 0.0), so whoever queues a frame while the
        # writer is idle may write it at once if it fits in the socket's buffer (see _write_now).
        self._direct = type(self._raw).__module__.startswith("gevent")
        self._unsent: tuple[bytes | memoryview, list[Item]] | None = None  # the rest of a direct write
        self._close_code: int | None = None
        self._close_reason = ""
        self._writing = False  # the writer is inside a send
        self.closed = False
        self.close_cause: str | None = None  # why the server ended it, for logs and tests

    @property
    def role(self) -> str | None:
        return self.user.role

    # ----------------------------------------------------------------- called by publishers (any thread)

    def offer_fragment(self, key: str, version: int, item: Item, *, force: bool = False) -> None:
        """Queue a fragment; `force` (a snapshot being sent) ignores the outbox's capacity."""
        if self.closed or self._close_code is not None:
            self._counts.record(item.event_id, delivered=False)
            return
        if self._direct and self._lock_for_direct_write():
            # The usual case at a fan-out: nothing pending, the writer idle; one lock, one send, no queue.
            try:
                outcome, replaced = self.outbox.put_fragment(key, version, item, force=force, direct=True)
                if outcome is Put.DIRECT:
                    self._send_now([item])
                    return
            finally:
                self._write_lock.release()
        else:
            outcome, replaced = self.outbox.put_fragment(key, version, item, force=force)
        if outcome is Put.STALE:
            metrics.DROPPED["old_version"].inc()
        elif outcome is Put.FULL:
            self._overflow(item)
        else:
            if replaced is not None:
                metrics.DROPPED["coalesced"].inc()
            self._queued()

    def offer(self, item: Item, *, force: bool = False) -> None:
        if self.closed or self._close_code is not None:
            self._counts.record(item.event_id, delivered=False)
            return
        if self.outbox.put(item, force=force) is Put.FULL:
            self._overflow(item)
        else:
            self._queued()

    def _queued(self) -> None:
        if not (self._direct and self._write_now()):
            self._wake()

    def _write_now(self) -> bool:
        """Write what is queued without waiting, in the caller's greenlet, if the writer is idle.

        At a fan-out this spares each recipient the writer's wake-up (an event and two greenlet switches),
        which cost more than the send itself. Only whole buffers the kernel takes at once are written here;
        anything else (a full socket buffer, an error) is left to the writer, which is woken: False.
        """
        if self._close_code is not None or self.closed or not self._lock_for_direct_write():
            return False
        try:
            items = self.outbox.take_all()
            return self._send_now(items) if items else True
        finally:
            self._write_lock.release()

    def _lock_for_direct_write(self) -> bool:
        """Take the write lock without waiting, if the writer is idle and nothing of a direct write is left.
        False when simple-websocket is writing a pong or a close, or the writer is busy."""
        return not self._writing and self._unsent is None and self._write_lock.acquire(blocking=False)

    def _send_now(self, items: list[Item]) -> bool:
        """Write `items` without waiting (write lock held). What the kernel does not take at once is left to
        the writer, which is woken: False."""
        data = self._frames(items)
        try:
            sent = self._raw.send(data, 0, 0.0)
        except OSError:  # BlockingIOError included: the writer retries, and handles a real error
            sent = 0
        if sent < len(data):
            self._unsent = (memoryview(data)[sent:], items)
            self._wake()
            return False
        self._delivered(items)
        return True

    def revoke(self, channel: str) -> None:
        """This user may no longer watch `channel`: end the connection (1008, so htmx does not reconnect to it).

        Closing, rather than quietly detaching, also tells a program why its data stopped."""
        self.request_close(CLOSE_POLICY_VIOLATION, f"no longer allowed: {channel}"[:120])

    def request_close(self, code: int, reason: str = "") -> None:
        """Ask the writer to close the connection after the frame it is writing."""
        if self._close_code is None:
            self._close_code = code
            self._close_reason = reason
        self._wake()

    def _overflow(self, item: Item) -> None:
        self._counts.record(item.event_id, delivered=False)
        metrics.DROPPED["outbox_full"].inc()
        if self._close_code is None:
            metrics.SLOW_CLOSES["outbox_full"].inc()
            self.close_cause = "outbox_full"
            self.request_close(CLOSE_TRY_AGAIN_LATER, "too slow")
            if self._writing:
                # The writer is stuck inside a frame: no close frame can follow it, and waiting for the
                # send timeout would only keep a dead peer's buffers. Cut it now; the writer unblocks.
                self._abort()

    def _wake(self) -> None:
        self.ws.event.set()

    # ----------------------------------------------------------------- the writer (the /ws view's thread)

    def run(self, on_frame: Callable[[str | bytes, float], None]) -> None:
        """Write queued frames, ping the peer, and hand client frames to `on_frame(frame, arrived)` (arrived:
        time.monotonic() when the frame was read off the socket) until the connection ends.

        An unexpected exception here is a bug: it is logged, counted (chessweb_ws_errors{where="writer"}) and
        the connection closed with 1011, so the client reconnects and starts again from the current state."""
        ws = self.ws
        buffer: StampedBuffer = ws.input_buffer
        next_ping = time.monotonic() + self.ping_interval if self.ping_interval else None
        try:
            while ws.connected and self._close_code is None:
                ws.event.wait(None if next_ping is None else max(0.0, next_ping - time.monotonic()))
                ws.event.clear()  # anything received or queued from now on sets it again
                while buffer and self._close_code is None:
                    on_frame(*buffer.take())
                if not self._flush():
                    return
                if next_ping is not None and time.monotonic() >= next_ping and self._close_code is None:
                    if not self._ping():
                        return
                    next_ping = time.monotonic() + self.ping_interval  # type: ignore[operator]
            if self._close_code is not None and ws.connected:
                # What is still queued is dropped: a slow peer would only delay its close further.
                self._close(self._close_code, self._close_reason)
        except ConnectionClosed:
            pass  # the peer went away while we were busy; nothing to report
        except Exception:
            metrics.ERRORS["writer"].inc()
            log.exception("realtime: connection %s failed; closing with 1011", self.session_id)
            if ws.connected:
                self._close(CLOSE_INTERNAL_ERROR, "server error")
        finally:
            self._finish()

    def _ping(self) -> bool:
        """Ping, unless the previous ping went unanswered: then ask for a close with 1001 (a code browsers
        reconnect on; simple-websocket's own ping would close with 1008, which they never do). False when
        the socket is gone."""
        if not self.ws.pong_received:
            self.close_cause = "ping_timeout"
            self.request_close(CLOSE_GOING_AWAY, "ping timeout")
            return True
        self.ws.pong_received = False  # simple-websocket's reader sets it again when the pong arrives
        try:
            with self._write_lock:
                self._send_whole(PING_FRAME)
        except OSError:  # TimeoutError included: the peer does not read at all
            self._abort()
            return False
        return True

    def _flush(self) -> bool:
        if self._unsent is not None:
            rest, items = self._unsent
            self._unsent = None
            if not self._write(items, rest):
                return False
        items = self.outbox.take_all()
        return self._write(items) if items else True

    def _write(self, items: list[Item], rest: bytes | memoryview | None = None) -> bool:
        """Write `items` (or, after a partial direct write, `rest`: what is left of their frames)."""
        self._writing = True
        try:
            if rest is None:
                rest = self._frames(items)
            with self._write_lock:
                self._send_whole(rest)
        except TimeoutError:
            # Part of a frame may be on the wire: no clean close is possible any more.
            if self.close_cause is None:
                metrics.SLOW_CLOSES["send_timeout"].inc()
                self.close_cause = "send_timeout"
            self._fail(items)
            self._abort()
            return False
        except (OSError, RuntimeError):  # RuntimeError: simple-websocket's ConnectionClosed
            self._fail(items)
            self._abort()
            return False
        finally:
            self._writing = False
        self._delivered(items)
        return True

    def _frames(self, items: list[Item]) -> bytes:
        """The bytes of `items`' frames, in order, as this socket gets them (compressed or not)."""
        if len(items) == 1:
            return items[0].encoded.frame_for(self.deflate)
        return b"".join(item.encoded.frame_for(self.deflate) for item in items)

    def _delivered(self, items: list[Item]) -> None:
        metrics.written(self._counts, items)  # counted once per fan-out (metrics.batch), not per socket

    def _send_whole(self, data: bytes | memoryview) -> None:
        """Write all of `data` within send_timeout. One `send` nearly always takes it all; gevent's `sendall`
        would first ask the kernel for the socket's buffer size, a system call per recipient per message."""
        started = time.monotonic()
        sent = self._raw.send(data)
        if sent < len(data):  # the peer is behind: the rest gets what is left of the timeout
            left = self.send_timeout - (time.monotonic() - started)
            if left <= 0:
                raise TimeoutError("send timed out")
            self._raw.settimeout(left)
            try:
                self._raw.sendall(memoryview(data)[sent:])
            finally:
                self._raw.settimeout(self.send_timeout)

    def _fail(self, items: list[Item]) -> None:
        metrics.DROPPED["connection_closed"].inc(len(items))
        for item in items:
            self._counts.record(item.event_id, delivered=False)

    def _close(self, code: int, reason: str) -> None:
        """Send a close frame, give the peer a moment to answer, then end the TCP connection."""
        metrics.SERVER_CLOSES.labels(str(code)).inc()
        try:
            self.ws.close(reason=code, message=reason)
        except (OSError, RuntimeError):
            self._abort()
            return
        # simple-websocket's reader ends when the peer answers the close; a peer that does not read never will.
        self.ws.thread.join(min(self.send_timeout, CLOSE_REPLY_WAIT))
        if self.ws.thread.is_alive():
            self._abort()

    def _abort(self) -> None:
        """Cut the TCP connection: unblocks any send and ends simple-websocket's reader thread."""
        self.ws.connected = False
        try:
            self._raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone

    def _finish(self) -> None:
        self.closed = True
        if self._unsent is not None:
            self._fail(self._unsent[1])
            self._unsent = None
        self._fail(self.outbox.take_all())
        if self.ws.thread.is_alive() and not self.ws.connected:
            self._abort()
