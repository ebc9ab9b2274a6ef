"""The live core: fragments and events pushed to WebSockets. Knows nothing about chess.

    realtime.init_app(app, storage=..., authorize=..., snapshot=..., on_presence=..., current_version=...)
    realtime.after_commit("tournament:7", job)    # in a service, before commit; job() -> [Fragment | Event]
    realtime.publish(Fragment(...))               # anywhere, after commit; thread-safe, returns at once
    realtime.every("sweep", 1.0, job)             # a periodic job on the same background worker
    realtime.sent(timeout)                        # wait until what was published left this process
    realtime.watching("tournament:7")             # connections on a channel, over every process
    realtime.flush(timeout) / start(app) / stop(app)   # tests and process lifecycle
    realtime.shutdown(app)                        # the process is going away: close every socket with 1012

Configuration (app.config): BROKER_URL (memory:// or redis://...), BROKER_PREFIX (one per deployment),
WS_ALLOWED_ORIGINS, WS_MAX_MESSAGE_BYTES, WS_MESSAGES_PER_SECOND, WS_MAX_CHANNELS, WS_PING_INTERVAL,
WS_OUTBOX_SIZE, WS_SEND_TIMEOUT, WS_PERMESSAGE_DEFLATE. WS_MAX_MESSAGE_BYTES is read by init_app (it becomes
flask-sock's SOCK_SERVER_OPTIONS); the others on every connection.

Close codes (RFC 6455 §7.4.1) say what happened, and so whether a browser reconnects (htmx 4 does on
1001, 1005, 1006, 1011, 1012, 1013, 1014): 1001 no pong in time, 1011 a server fault, 1012 server restart,
1013 too slow to keep up; 1008 only for "no longer allowed to watch" and 4429 for a client that floods us.

Modules: messages (Fragment, Event), frames, wire (the protocol as pydantic models), protocol (client frames,
limits), outbox, connection (one writer per socket), reader (simple-websocket's reader, cheap under gevent),
hub (fan-out, versions, snapshot cache), broker, presence, storage (the interface for what is stored, given by
the app), records (connection rows, delivery counts), publisher (after commit), session and endpoint (/ws),
core (one app's threads), collector (the socket processes' garbage collection), metrics. Nothing here imports the app: see
docs/ARCHITECTURE.md for the data flow.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, current_app

from .connection import UserInfo
from .failures import log_failure
from .messages import Event, Fragment, Message, MessageError, Recheck
from .publisher import Job
from .storage import MemoryStorage, Storage

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .core import Core

__all__ = ["Event", "Fragment", "Job", "MemoryStorage", "Message", "MessageError", "Realtime", "Recheck", "Storage",
           "UserInfo", "realtime"]


class Realtime:
    """One per process, created unbound; `init_app` binds it to an app (state lives in app.extensions)."""

    def init_app(self, app: Flask, *, authorize: Callable[[UserInfo, str], bool],
                 snapshot: Callable[[str], list[Fragment]],
                 on_presence: Callable[[str, int], None] | None = None,
                 storage: Storage | None = None,
                 current_version: Callable[[str], int | None] | None = None) -> None:
        """Register `/ws` on the app.

        storage: where connection rows and delivery counts go, and how "after commit" is known (see
        storage.py); default MemoryStorage (nothing stored, after-commit jobs run at once).
        authorize(user, channel): may this user join this channel?
        snapshot(channel): the channel's current fragments, with versions (rendered in an app context).
        on_presence(channel, watching): called (debounced, in an app context) when a channel's count changes.
        current_version(channel): the version the channel's state has in the database now (one cheap query,
            in an app context), or None when unknown. Asked once per channel on every connect: a cached
            snapshot behind it is rendered afresh, and one not newer than the page's `since` is not sent.
            Without it the cache is trusted as is.
        """
        from . import endpoint, reader
        from .core import Core

        app.config["SOCK_SERVER_OPTIONS"] = {
            **app.config.get("SOCK_SERVER_OPTIONS", {}),
            # Off: simple-websocket would close a peer that missed a pong with 1008, which browsers take as
            # "never reconnect". Connection pings at WS_PING_INTERVAL itself and closes with 1001.
            "ping_interval": None,
            # Larger client messages are refused by simple-websocket with close code 1009.
            "max_message_size": int(app.config.get("WS_MAX_MESSAGE_BYTES") or 4096),
            # Under gevent a Greenlet and gevent's Event: a monkey-patched Thread and Event cost KiBs a socket.
            "thread_class": reader.ReaderThread,
            "event_class": reader.reader_event,
        }
        app.extensions["realtime"] = Core(app, storage if storage is not None else MemoryStorage(),
                                          authorize=authorize, snapshot=snapshot, on_presence=on_presence,
                                          current_version=current_version)
        app.register_blueprint(endpoint.bp)

    def publish(self, message: Message) -> None:
        """Send a fragment or event to every process's subscribers. Thread-safe; returns without waiting."""
        self._core().publish(message)

    def after_commit(self, key: str, job: Callable[[], list[Message]]) -> None:
        """Run `job` on the background worker after the current transaction (as the Storage sees it) commits,
        and publish what it returns. Dropped on rollback. Pending jobs with the same key run once. The core
        starts, if it has not yet, after the commit (see Core.submit)."""
        core = self._core()
        core.storage.queue_after_commit(key, lambda: core.submit(key, job))

    def every(self, key: str, interval: float, job: Callable[[], list[Message]], app: Flask | None = None) -> None:
        """Run `job` on the background worker every `interval` seconds once the core has started, and publish
        what it returns (a sweep for work that a dead process left behind, for instance)."""
        self._core(app).worker.every(key, interval, job)

    def run_soon(self, key: str, app: Flask | None = None) -> bool:
        """Run the periodic job `key` (see `every`) as soon as the worker is free, not at its next time: a
        sweep when another process is known to have died, say. False when there is no such job."""
        return self._core(app).worker.run_soon(key)

    def sent(self, timeout: float = 10.0, app: Flask | None = None) -> bool:
        """Wait until every message published so far by this process has left it (handed to Redis, or, with
        the in-process broker, to the local hub). False on timeout."""
        return self._core(app).broker.drain(timeout)

    def watching(self, channel: str) -> int:
        """How many connections watch `channel`, over every process."""
        core = self._core()
        core.ensure_started()
        return core.presence.watching(channel)

    def watched(self, channels: list[str], app: Flask | None = None) -> set[str]:
        """Those of `channels` that a connection watches: here (at once), or in another process (as its
        presence last reported, up to a debounce late: an area that skips a channel nobody watched re-sends
        it when the count changes, `Area.presence`). All of them when the presence store cannot be read."""
        core = self._core(app)
        local = core.hub.local_counts()
        elsewhere = [channel for channel in channels if not local.get(channel)]
        try:
            totals = core.presence.store.totals(elsewhere) if elsewhere else {}
        except Exception as error:
            log_failure(log, "realtime: reading presence failed; taking every channel as watched", error=error)
            return set(channels)
        return {channel for channel in channels if local.get(channel) or totals.get(channel)}

    def start(self, app: Flask | None = None) -> None:
        """Start the background threads now (otherwise the first connection or publish starts them)."""
        self._core(app).ensure_started()

    def stop(self, app: Flask | None = None) -> None:
        """Run queued jobs, stop the threads, mark this process's connection rows inactive."""
        self._core(app).stop()

    def shutdown(self, app: Flask | None = None) -> None:
        """Close every connection of this process with 1012 (clients reconnect, to another process, and get
        the current state), and each one accepted from now on. Thread-safe; returns without waiting for the
        closes; `stop` still ends the threads."""
        self._core(app).shutdown()

    def flush(self, timeout: float = 10.0, app: Flask | None = None) -> bool:
        """Wait until queued jobs ran and their messages reached local outboxes (tests, shutdown)."""
        return self._core(app).flush(timeout)

    @staticmethod
    def _core(app: Flask | None = None) -> Core:
        target = app if app is not None else current_app
        try:
            core: Core = target.extensions["realtime"]
            return core
        except KeyError:
            raise RuntimeError("realtime is not initialised on this app; call realtime.init_app(app, ...)") from None


realtime = Realtime()
