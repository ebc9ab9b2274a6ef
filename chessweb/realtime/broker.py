"""Carries messages to every process: `memory://` (this process only) or `redis://` (Redis pub/sub).

Redis: ONE pub/sub channel per deployment (`<prefix>:live`), one subscriber thread per process. A process
hands its own messages to its hub at once and skips their echo from Redis. When the subscription drops
and comes back, messages may have been lost in between, so `on_resync` is called: state, not replay. While it
is down, `on_outage` is called every OUTAGE_POLL_SECONDS, so each process brings its pages to the committed
state from the database in the meantime instead of waiting for Redis.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from . import metrics
from .messages import Message, MessageError, from_wire, to_wire

log = logging.getLogger(__name__)

OnMessage = Callable[[Message], None]
OnResync = Callable[[], None]
OUTAGE_POLL_SECONDS = 0.25  # while Redis is away: how often to catch up from the database
RECONNECT_MAX_SECONDS = 2.0  # while Redis is away: the longest wait between two attempts to subscribe again


class BrokerError(ValueError):
    """A broker URL we cannot use; the message says which part."""


class Broker(ABC):
    """Publish a message to every process; deliver every process's messages to `on_message` here."""

    def __init__(self, origin: str) -> None:
        self.origin = origin  # unique per process: how a process recognises its own messages
        self._on_message: OnMessage | None = None
        self._on_resync: OnResync | None = None
        self._on_outage: OnResync | None = None

    def start(self, on_message: OnMessage, on_resync: OnResync, on_outage: OnResync | None = None) -> None:
        """Begin delivering messages (from this and other processes) to `on_message`. `on_resync`: messages may
        have been lost (the subscription came back); `on_outage`: no message from other processes can arrive
        now (called again about every OUTAGE_POLL_SECONDS until the subscription is back)."""
        self._on_message = on_message
        self._on_resync = on_resync
        self._on_outage = on_outage

    def publish(self, message: Message) -> None:
        """Thread-safe and non-blocking. Raises MessageError for a message that cannot be carried."""
        wire = to_wire(message, self.origin)  # the same check on every backend
        if self._on_message is None:
            raise RuntimeError("broker not started")
        self._on_message(message)
        self._send(wire)

    @abstractmethod
    def _send(self, wire: bytes) -> None:
        """Carry an encoded message to the other processes."""

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every message published before this call has been handed on. False on timeout."""
        return True

    def close(self) -> None:
        """Stop the background threads, if any."""


class MemoryBroker(Broker):
    """One process: nothing to carry."""

    def _send(self, wire: bytes) -> None:
        pass


class RedisBroker(Broker):
    """Redis pub/sub; a sender thread publishes so callers never wait on the network."""

    def __init__(self, url: str, *, prefix: str, origin: str, outgoing_limit: int = 10_000,
                 reconnect_delay: float = 0.1, health_check_interval: float = 30.0,
                 outage_poll: float = OUTAGE_POLL_SECONDS) -> None:
        super().__init__(origin)
        import redis  # only needed with redis://
        self._redis = redis
        self.url = url
        self.channel = f"{prefix}:live"
        # Shown by CLIENT LIST, so an operator can tell which process a subscription belongs to.
        self.client_name = f"{prefix}-sub-{origin}".replace(" ", "_")[:100]
        # Encoded messages; None stops the sender; an Event marks a point `drain` waits for.
        self._outgoing: queue.Queue[bytes | threading.Event | None] = queue.Queue(maxsize=outgoing_limit)
        self._reconnect_delay = reconnect_delay
        self._health_check_interval = health_check_interval
        self._outage_poll = outage_poll
        self._closed = threading.Event()
        self.subscribed = threading.Event()  # set while the subscription is live
        self._pubsub: Any = None
        self._threads: list[threading.Thread] = []

    def start(self, on_message: OnMessage, on_resync: OnResync, on_outage: OnResync | None = None) -> None:
        super().start(on_message, on_resync, on_outage)
        for target, name in ((self._listen, "realtime-broker-subscriber"), (self._publish_loop, "realtime-broker-sender")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _send(self, wire: bytes) -> None:
        try:
            self._outgoing.put_nowait(wire)
        except queue.Full:
            # Redis has been unreachable for a while; subscribers resync when it is back.
            metrics.DROPPED["broker_overflow"].inc()
            log.warning("realtime broker: outgoing queue full, message dropped")

    def _publish_loop(self) -> None:
        client = self._redis.Redis.from_url(self.url, socket_keepalive=True)
        try:
            while True:
                wire = self._outgoing.get()
                if wire is None:
                    return
                if isinstance(wire, threading.Event):
                    wire.set()
                    continue
                try:
                    client.publish(self.channel, wire)
                    metrics.BROKER_MESSAGES.labels("published").inc()
                except self._redis.RedisError as exc:
                    metrics.DROPPED["broker_overflow"].inc()
                    log.warning("realtime broker: publish failed (%s); other processes resync on reconnect", exc)
        finally:
            client.close()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the sender thread handed Redis every message queued before this call (or gave up on it
        after a Redis error, which makes the other processes resync). False on timeout."""
        if not self._threads:
            return True
        marker = threading.Event()
        try:
            self._outgoing.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return marker.wait(timeout)

    def _listen(self) -> None:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        first = True
        delay = self._reconnect_delay
        while not self._closed.is_set():
            # No silent retries: a dropped subscription must be noticed, because it means lost messages.
            client = self._redis.Redis.from_url(self.url, retry=Retry(NoBackoff(), 0), socket_keepalive=True,
                                                socket_connect_timeout=RECONNECT_MAX_SECONDS,
                                                health_check_interval=self._health_check_interval,
                                                client_name=self.client_name)
            pubsub = client.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                while (reply := pubsub.get_message(timeout=5.0)) is None or reply["type"] != "subscribe":
                    if self._closed.is_set():
                        return
                self._pubsub = pubsub
                self.subscribed.set()
                if not first:
                    log.warning("realtime broker: subscription restored; resyncing every connection")
                    metrics.BROKER_RESYNCS.inc()
                    assert self._on_resync is not None
                    self._on_resync()
                first = False
                delay = self._reconnect_delay
                while not self._closed.is_set():
                    reply = pubsub.get_message(timeout=self._health_check_interval)
                    if reply is not None and reply["type"] == "message":
                        self._handle(reply["data"])
            except Exception as exc:  # noqa: BLE001 - RedisError, OSError, or a parser torn down by close()
                was_subscribed = self.subscribed.is_set() or first
                self.subscribed.clear()
                if self._closed.is_set():
                    return
                if was_subscribed:  # once per outage; the retries that follow are quiet
                    log.warning("realtime broker: subscription lost (%s); retrying, and catching up from the "
                                "database every %.2fs meanwhile", exc, self._outage_poll)
                first = False
                if self._wait_catching_up(delay):
                    return
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
            finally:
                self._pubsub = None
                try:
                    pubsub.close()
                    client.close()
                except Exception as exc:  # noqa: BLE001 - closing a broken connection may fail again
                    log.debug("realtime broker: closing the old subscription: %s", exc)

    def _wait_catching_up(self, seconds: float) -> bool:
        """Wait `seconds` before the next attempt to subscribe, asking for a catch-up now and every
        `outage_poll` meanwhile. True if the broker was closed."""
        deadline = time.monotonic() + seconds
        while True:
            if self._on_outage is not None:
                self._on_outage()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._closed.wait(min(self._outage_poll, left)):
                return True

    def _handle(self, raw: bytes) -> None:
        try:
            origin, message = from_wire(raw)
        except MessageError as exc:
            log.warning("realtime broker: ignoring %s", exc)
            return
        if origin == self.origin:
            return  # delivered locally when it was published
        metrics.BROKER_MESSAGES.labels("received").inc()
        assert self._on_message is not None
        self._on_message(message)

    def close(self) -> None:
        self._closed.set()
        self._outgoing.put(None)
        pubsub = self._pubsub
        if pubsub is not None and pubsub.connection is not None:
            try:
                pubsub.connection.disconnect()  # wakes the subscriber thread
            except Exception as exc:  # noqa: BLE001 - it is being torn down either way
                log.debug("realtime broker: disconnecting the subscription: %s", exc)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()


def create_broker(url: str, *, prefix: str, origin: str) -> Broker:
    """The broker for a URL: `memory://` or `redis://host:port/db` (also `rediss://`, `unix://`)."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryBroker(origin)
    if scheme in ("redis", "rediss", "unix"):
        if not prefix or any(c.isspace() for c in prefix):
            raise BrokerError(f"broker prefix must be non-empty without spaces, got {prefix!r}")
        return RedisBroker(url, prefix=prefix, origin=origin)
    raise BrokerError(f"unsupported broker URL scheme {scheme!r} in BROKER_URL; use memory:// or redis://")
