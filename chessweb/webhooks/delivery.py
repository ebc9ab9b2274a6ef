"""From committed events to signed POSTs: the `webhooks` live consumer turns each event into delivery rows (in
its own progress, at least once), and a sender thread posts the due ones, retrying with exponential backoff.

The consumer only writes rows, so a slow receiver never holds up the live layer's worker; the sender runs in a
thread of its own (a greenlet under gevent) and claims rows with a lease, so two processes never post the same
attempt and a process killed mid-send leaves the row to be tried again.
"""
from __future__ import annotations

import json
import logging
import threading
import http.client
import socket
import ssl
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..live.consumers import CommittedEvent
from ..models import EventType, Tournament, utcnow
from . import addresses, signing
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# Which committed events become which webhook events.
EVENT_MAP = {EventType.ROUND_STARTED.value: "round.published", EventType.GAME_COMPLETED.value: "result.final",
             EventType.STANDINGS_UPDATED.value: "standings.changed",
             EventType.TOURNAMENT_COMPLETED.value: "tournament.finished"}
LEASE = timedelta(seconds=60)
MAX_RESPONSE_BYTES = 4096


def enqueue(events: Sequence[CommittedEvent]) -> int:
    """The consumer: one delivery row per (endpoint, event); a second handling of the same event (after a
    crash) finds the rows there already (unique key) and adds nothing. Returns how many rows were added."""
    added = 0
    for event in events:
        kind = EVENT_MAP.get(event.type)
        if kind is None or not event.scope.startswith("tournament:"):
            continue
        tid = int(event.scope.split(":")[1])
        tournament = db.session.get(Tournament, tid)
        if tournament is None:
            continue
        endpoints = db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.owner_id == tournament.organizer_id, WebhookEndpoint.active,
            or_(WebhookEndpoint.tournament_id.is_(None), WebhookEndpoint.tournament_id == tid))).all()
        for endpoint in endpoints:
            if kind not in endpoint.events.split():
                continue
            payload = {"id": event.id, "type": kind, "tournament": tid, "revision": tournament.revision,
                       "created_at": event.created_at.isoformat() + "Z",
                       "data": {"event": event.type, "entity": event.entity_type, "entity_id": event.entity_id,
                                **event.payload},
                       "links": {"tournament": f"/api/v1/tournaments/{tid}",
                                 "standings": f"/api/v1/tournaments/{tid}/standings"}}
            try:
                with db.session.begin_nested():
                    db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, event_type=kind,
                                                   payload=payload))
                added += 1
            except IntegrityError:
                pass  # enqueued by an earlier handling of this event
    db.session.commit()
    return added


class Sender:
    """One per app and process: posts due deliveries; `wake()` after new rows, a periodic kick for retries."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="webhook-sender", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(timeout=float(self.app.config.get("WEBHOOK_POLL_SECONDS", 5.0)))
            self._wake.clear()
            with self.app.app_context():
                try:
                    while not self._stopping and send_due() > 0:
                        pass
                except Exception:  # noqa: BLE001 - a bad row or a database hiccup must not end the sender
                    log.exception("webhooks: sending failed; trying again later")
                finally:
                    db.session.remove()


def send_due(batch: int = 20) -> int:
    """Claim and post up to `batch` due deliveries; returns how many were tried."""
    now = utcnow()
    due = db.session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
        .order_by(WebhookDelivery.next_attempt_at).limit(batch)).all()
    tried = 0
    for delivery_id in due:
        claimed = db.session.execute(update(WebhookDelivery).where(and_(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now)))
            .values(claimed_until=now + LEASE)).rowcount
        db.session.commit()
        if claimed:
            attempt(db.session.get(WebhookDelivery, delivery_id))
            tried += 1
    return tried


def attempt(delivery: WebhookDelivery) -> None:
    """POST once; 2xx is delivered, anything else is retried after base * 2^(attempts-1) until the last try.

    The host is resolved and checked now (addresses.py), and the request goes to a checked address; a refused
    address, a network error and a redirect (3xx: never followed) all count as a failed try."""
    config = current_app.config
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    endpoint = delivery.endpoint
    headers = signing.headers(endpoint.secret, body, delivery.id, delivery.event_type)
    status: int | None = None
    error: str | None = None
    try:
        status = post(endpoint.url, body, headers, timeout=float(config.get("WEBHOOK_TIMEOUT_SECONDS", 10)),
                      allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)))
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed; register the final URL"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
    except addresses.RefusedAddress as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = (str(exc) or type(exc).__name__)[:500]
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.claimed_until = None
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
    else:
        delivery.last_error = (error or f"HTTP {status}")[:500]
        if delivery.attempts >= int(config.get("WEBHOOK_MAX_ATTEMPTS", 8)):
            delivery.status = "failed"
        else:
            base = float(config.get("WEBHOOK_BACKOFF_SECONDS", 30.0))
            delivery.next_attempt_at = utcnow() + timedelta(seconds=base * 2 ** (delivery.attempts - 1))
    db.session.commit()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to `address` (already checked) that still says Host: <the URL's host>."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above over TLS: the certificate is verified against the URL's host name (SNI too), not the address."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> int:
    """POST `body` to `url` (http or https) and return the answer's status code; redirects are not followed.

    The host is resolved once and every address checked (addresses.checked_addresses); the connection goes to
    those addresses in turn until one accepts, so a second DNS answer cannot send it elsewhere. At most
    MAX_RESPONSE_BYTES of the answer are read. Raises addresses.RefusedAddress, OSError (network, timeout,
    TLS) or http.client.HTTPException (a malformed answer)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    last: OSError | None = None
    for address in addresses.checked_addresses(url, allow_private):
        connection = kind(parts.hostname, port, str(address), timeout)
        try:
            connection.connect()
        except OSError as exc:
            last = exc
            connection.close()
            continue
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            return response.status
        finally:
            connection.close()
    raise last or OSError(f"no address to connect to for {parts.hostname}")


def redeliver(delivery: WebhookDelivery) -> None:
    """Send it again now (a new series of attempts), whatever its status."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    delivery.claimed_until = None
    db.session.commit()


def payload_preview(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.payload, indent=2, sort_keys=True)[:2000]

