"""The live core of one app in one process: hub, broker, presence, records and the publishing worker,
started on first use (importing or creating the app starts no thread) and stopped by `stop`."""
from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_app_context

from .broker import Broker, create_broker
from .connection import CLOSE_SERVICE_RESTART, Connection, UserInfo
from .hub import Hub, Subscriber
from .messages import Fragment, Message
from .metrics import DeliveryCounts
from .presence import MemoryPresenceStore, Presence, PresenceStore, RedisPresenceStore
from .publisher import Worker
from .records import Records
from .storage import Storage

log = logging.getLogger(__name__)

Authorize = Callable[[UserInfo, str], bool]
Snapshot = Callable[[str], list[Fragment]]
CurrentVersion = Callable[[str], "int | None"]
OnPresence = Callable[[str, int], None]
RESTART_REASON = "server restarting"
# True while a socket's connect sequence runs (`Core.one_session`); per thread, and per greenlet under gevent.
_SESSION_HELD: ContextVar[bool] = ContextVar("chessweb_realtime_session_held", default=False)


def make_server_id() -> str:
    """Unique per process (and per app within it): host, pid and a random tag."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


class Core:
    def __init__(self, app: Flask, storage: Storage, *, authorize: Authorize, snapshot: Snapshot,
                 on_presence: OnPresence | None, current_version: CurrentVersion | None = None) -> None:
        self.app = app
        self.storage = storage
        self.authorize = authorize
        self._app_snapshot = snapshot
        self._app_current_version = current_version
        self._app_on_presence = on_presence
        self.server_id = make_server_id()
        self.counts = DeliveryCounts()
        self.hub = Hub(self.snapshot, current_version=self.current_version if current_version else None,
                       on_count=self._count_changed, on_recheck=self._recheck)
        url = app.config.get("BROKER_URL") or "memory://"
        prefix = app.config.get("BROKER_PREFIX") or "chessweb"
        self.broker: Broker = create_broker(url, prefix=prefix, origin=self.server_id)
        store: PresenceStore = (MemoryPresenceStore() if url.startswith("memory:")
                                else RedisPresenceStore(url, prefix=prefix, server_id=self.server_id))
        self.presence = Presence(store, self.hub.local_counts,
                                 on_change=self._presence_changed if on_presence else None)
        self.records = Records(app, storage, server_id=self.server_id,
                               ping_interval=float(app.config.get("WS_PING_INTERVAL") or 25), counts=self.counts)
        self.counts.on_pending = self.records.notify  # counts are written within a batch window
        self.worker = Worker(app, self.publish)
        self._lock = threading.Lock()
        self._started = False
        self._stopping = False
        self._stopped = False
        self._closing = False  # shutdown began: every connection, new ones too, is closed with 1012
        self._connections: set[Connection] = set()

    # ----------------------------------------------------------------- lifecycle

    def ensure_started(self) -> None:
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            if self._stopped:
                raise RuntimeError("the live core of this app was stopped; create a new app to start again")
            self.hub.start()
            self.broker.start(self.hub.receive, self.hub.request_resync, self.hub.request_catch_up)
            self.presence.start()
            self.records.start()
            self.worker.start()
            atexit.register(self.stop)
            self._started = True

    def stop(self) -> None:
        """Finish queued jobs, stop every thread, mark this process's connection rows inactive. Final."""
        with self._lock:
            if not self._started or self._stopping:
                return
            self._stopping = True
            atexit.unregister(self.stop)
        # Jobs still running may publish: the core counts as started until they are done.
        self.worker.wait_idle(10)
        self.worker.stop()
        self.presence.stop()
        self.hub.barrier(10)
        with self._lock:
            self._started = False
            self._stopped = True
        self.broker.close()
        self.hub.stop()
        self.shutdown()
        self.records.stop()

    def shutdown(self) -> None:
        """This process is going away: ask every connection, and each one accepted from now on, to close with
        1012, so clients reconnect to another process at once. Returns without waiting for the closes."""
        with self._lock:
            self._closing = True
            connections = list(self._connections)
        for connection in connections:
            connection.request_close(CLOSE_SERVICE_RESTART, RESTART_REASON)

    # ----------------------------------------------------------------- publishing

    def publish(self, message: Message) -> None:
        if self._stopped:
            log.debug("realtime: stopped; not publishing %r", message)
            return
        self.ensure_started()
        self.broker.publish(message)

    def submit(self, key: str, job: Callable[[], list[Message]]) -> None:
        """Hand a committed transaction's job to the worker, starting the core first if need be.

        Called after commit, never inside the transaction: under gevent, starting threads switches
        greenlets, and one that writes to SQLite meanwhile (the records thread does at once) would wait for
        the transaction's lock inside SQLite's busy handler, which blocks the whole process until it times out.
        """
        if self._stopped:
            log.debug("realtime: stopped; not running job %r", key)
            return
        self.ensure_started()
        self.worker.submit(key, job)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until queued jobs ran and their messages were fanned out to the local connections."""
        return self.worker.wait_idle(timeout) and self.hub.barrier(timeout)

    # ----------------------------------------------------------------- app callbacks, in an app context

    @contextmanager
    def one_session(self) -> Iterator[None]:
        """Run the app callbacks of one socket's connect sequence (authorize, current version and, when the
        cache is behind, the snapshot of each channel) in one database session, given back at the end.

        The callbacks then share the session's identity map: a page's channels of one tournament read its row
        once per connect, not twice per channel (issue 14: one cheap query per connect per tournament). It is
        held for milliseconds; a socket never keeps a connection for its lifetime."""
        token = _SESSION_HELD.set(True)
        try:
            yield
        finally:
            _SESSION_HELD.reset(token)
            self.storage.release()

    def release(self) -> None:
        """Give back this thread's database session, unless a connect sequence holds it (`one_session`)."""
        if not _SESSION_HELD.get():
            self.storage.release()

    def snapshot(self, channel: str) -> list[Fragment]:
        """The app's current fragments of a channel; the database session is released afterwards."""
        if has_app_context():
            try:
                return list(self._app_snapshot(channel))
            finally:
                self.release()
        with self.app.app_context():
            return list(self._app_snapshot(channel))

    def current_version(self, channel: str) -> int | None:
        """The app's current version of a channel (one cheap query); the database session is released."""
        assert self._app_current_version is not None
        if has_app_context():
            try:
                return self._app_current_version(channel)
            finally:
                self.release()
        with self.app.app_context():
            return self._app_current_version(channel)

    def _recheck(self, pairs: list[tuple[Subscriber, str]]) -> None:
        """Ask `authorize` again for each (connection, channel); revoke the refused ones.

        Connections of the same user share one answer, so a channel watched by thousands of anonymous
        visitors costs one check, not thousands."""
        answers: dict[tuple[int | None, str | None, str], bool] = {}
        with self.app.app_context():
            try:
                for subscriber, channel in pairs:
                    user = subscriber.user
                    key = (user.id, user.role, channel)
                    if key not in answers:
                        try:
                            answers[key] = bool(self.authorize(user, channel))
                        except Exception:
                            log.exception("realtime: re-authorizing %s failed; refusing", channel)
                            answers[key] = False
                    if not answers[key]:
                        subscriber.revoke(channel)
            finally:
                self.storage.release()

    def _count_changed(self, channel: str, count: int) -> None:
        self.presence.count_changed(channel, count)

    def _presence_changed(self, channel: str, total: int) -> None:
        assert self._app_on_presence is not None
        with self.app.app_context():
            self._app_on_presence(channel, total)

    # ----------------------------------------------------------------- connections

    def track(self, connection: Connection) -> None:
        with self._lock:
            self._connections.add(connection)
            closing = self._closing
        if closing:  # accepted after shutdown began (gunicorn accepts until its next tick): closed like the rest
            connection.request_close(CLOSE_SERVICE_RESTART, RESTART_REASON)

    def untrack(self, connection: Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def connections(self) -> list[Connection]:
        """This process's open connections."""
        with self._lock:
            return list(self._connections)
