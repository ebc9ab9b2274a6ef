"""One client's live session over its socket: the connect sequence, subscriptions and client frames."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

from . import metrics, protocol
from .connection import CLOSE_INTERNAL_ERROR, CLOSE_TOO_MANY_MESSAGES, Connection, UserInfo
from .core import Core
from .failures import log_failure
from .frames import text_frame
from .outbox import Encoded, Item
from .protocol import Ping, ProtocolError, Subscribe, TokenBucket, Unsubscribe, Verdict
from .storage import ConnectionRecord

log = logging.getLogger(__name__)
T = TypeVar("T")


class LiveSession:
    __slots__ = ("channels", "connection", "core", "format", "ip", "limiter", "max_channels", "requested", "since",
                 "user", "user_agent")

    def __init__(self, ws: Any, core: Core, *, user: UserInfo, fmt: str, channels: list[str], ip: str,
                 user_agent: str, since: int | None = None) -> None:
        config = current_app.config
        self.core = core
        self.user = user
        self.format = fmt
        self.requested = channels
        self.since = since  # the version the page was rendered at: its connect snapshot skips what is not newer
        self.ip = ip
        self.user_agent = user_agent
        self.max_channels = int(config["WS_MAX_CHANNELS"])
        self.limiter = TokenBucket(float(config["WS_MESSAGES_PER_SECOND"]))
        self.channels: list[str] = []
        self.connection = Connection(ws, session_id=str(uuid.uuid4()), user=user, fmt=fmt,
                                     outbox_size=int(config["WS_OUTBOX_SIZE"]),
                                     send_timeout=float(config["WS_SEND_TIMEOUT"]), counts=core.counts,
                                     ping_interval=float(config.get("WS_PING_INTERVAL") or 0) or None)

    @property
    def session_id(self) -> str:
        return self.connection.session_id

    def run(self) -> None:
        """Connect sequence, then serve until the socket closes."""
        core, conn = self.core, self.connection
        core.ensure_started()
        core.records.opened(ConnectionRecord(session_id=self.session_id, user_id=self.user.id, ip=self.ip,
                                             user_agent=self.user_agent, format=self.format, subscriptions=[]))
        core.track(conn)
        metrics.CONNECTIONS_OPEN.inc()
        metrics.CONNECTIONS_TOTAL.inc()
        state = metrics.SOCKET_STATES["anonymous" if self.user.id is None else "logged_in"]
        state.inc()
        try:
            try:
                # State first, on every connect: that is how a reconnecting client heals what it missed.
                self._reply(protocol.connected(self.session_id, self.user.id), json_only=True)
                with core.one_session():
                    added = [channel for channel in dict.fromkeys(self.requested) if self._subscribe(channel)]
                self._reply(protocol.subscribed(added), json_only=True)
                self._subscriptions_changed()
            except Exception:  # a bug: seen, counted, and a close the client reconnects on (1011)
                metrics.ERRORS["connect"].inc()
                log.exception("realtime: connect sequence of %s failed; closing with 1011", self.session_id)
                conn.request_close(CLOSE_INTERNAL_ERROR, "server error")
            conn.run(self._on_frame)
        finally:
            core.hub.detach_all(conn, self.channels)
            core.records.closed(self.session_id)
            core.untrack(conn)
            metrics.CONNECTIONS_OPEN.dec()
            state.dec()

    # ----------------------------------------------------------------- subscriptions

    def _subscribe(self, channel: str, *, asked: bool = False) -> bool:
        """Authorize, attach, queue the channel's current fragments. False (with an error reply) if refused."""
        if not protocol.is_valid_channel(channel):
            return self._refuse("bad_channel", f"invalid channel name {channel[:protocol.MAX_CHANNEL_LENGTH]!r}",
                                channel, asked)
        if channel in self.channels:
            return True
        if len(self.channels) >= self.max_channels:
            return self._refuse("too_many_channels", f"at most {self.max_channels} channels per connection",
                                channel, asked)
        if not self._authorized(channel):
            return self._refuse("forbidden", "not allowed to join this channel", channel, asked)
        # Attach before reading the state: a change published meanwhile is then queued, not missed.
        self.core.hub.attach(self.connection, channel)
        self.channels.append(channel)
        try:
            # A page's own channels skip what it already shows; a later subscribe frame gets everything.
            fragments = self.core.hub.current(channel, since=None if asked else self.since)
        except Exception as error:
            log_failure(log, "realtime: snapshot of %s failed", channel, error=error)
            self._reply(protocol.error("unavailable", "current state could not be loaded", channel))
            return True
        for fragment in fragments:
            item = self.core.hub.frame(fragment, self.format)
            # A resent snapshot is not a new delivery of the event that once produced it.
            self.connection.offer_fragment(fragment.key, fragment.version, Item(item.encoded), force=True)
        return True

    def _unsubscribe(self, channel: str) -> None:
        if channel in self.channels:
            self.core.hub.detach(self.connection, channel)
            self.channels.remove(channel)

    def _authorized(self, channel: str) -> bool:
        try:
            return bool(self._with_db(self.core.authorize, self.user, channel))
        except Exception as error:
            log_failure(log, "realtime: authorizing %s for user %s failed", channel, self.user.id, error=error)
            return False

    def _refuse(self, code: str, message: str, channel: str, asked: bool) -> bool:
        # At connect an html (htmx) client gets nothing for a refused channel (never data); one that sent a
        # subscribe frame gets the JSON error like any program.
        self._reply(protocol.error(code, message, channel), json_only=not asked)
        return False

    def _subscriptions_changed(self) -> None:
        self.core.records.subscriptions_changed(self.session_id, self.channels)

    # ----------------------------------------------------------------- client frames

    def _on_frame(self, frame: str | bytes, arrived: float) -> None:
        """One client frame, read off the socket at `arrived` (time.monotonic()). Never raises: a bug here
        is logged, counted (chessweb_ws_errors{where="frame"}) and answered with an `internal_error` frame."""
        try:
            self._handle_frame(frame, arrived)
        except Exception:
            metrics.ERRORS["frame"].inc()
            log.exception("realtime: handling a frame of connection %s failed", self.session_id)
            self._reply(protocol.error("internal_error", "the server could not handle this message"))

    def _handle_frame(self, frame: str | bytes, arrived: float) -> None:
        verdict = self.limiter.take(arrived)
        if verdict is Verdict.ABUSE:
            self.connection.request_close(CLOSE_TOO_MANY_MESSAGES, "too many messages")
            return
        if verdict is Verdict.REFUSE:
            self._reply(protocol.error("rate_limited", "too many messages; slow down"))
            return
        try:
            message = protocol.parse_client_message(frame)
        except ProtocolError as exc:
            self._reply(protocol.error(exc.code, exc.message, exc.channel))
            return
        if isinstance(message, Ping):
            self._reply(protocol.pong(message.id))
        elif isinstance(message, Subscribe):
            # A client that asks gets an answer in JSON whatever its format (htmx ignores JSON without content).
            if self._subscribe(message.channel, asked=True):
                self._reply(protocol.subscribed([message.channel]))
                self._subscriptions_changed()
        elif isinstance(message, Unsubscribe):
            self._unsubscribe(message.channel)
            self._reply(protocol.unsubscribed([message.channel]))
            self._subscriptions_changed()

    def _reply(self, body: dict[str, Any], *, json_only: bool = False) -> None:
        if json_only and self.format != "json":
            return
        self.connection.offer(Item(Encoded(text_frame(protocol.encode(body)))), force=True)

    def _with_db(self, fn: Callable[..., T], *args: Any) -> T:
        # A socket must never hold a database connection for its lifetime.
        try:
            return fn(*args)
        finally:
            self.core.release()
