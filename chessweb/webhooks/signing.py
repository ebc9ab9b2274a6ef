"""Webhook signatures: HMAC-SHA256 (RFC 2104) over "<timestamp>.<body>" with the endpoint's secret.

Headers of every delivery:
    X-ChessWeb-Timestamp: seconds since the epoch when this attempt was signed
    X-ChessWeb-Signature: v1=<hex digest>
    X-ChessWeb-Delivery: the delivery id (the same on every retry: deduplicate with it)
A receiver recomputes the digest, compares in constant time, and refuses a timestamp older than its tolerance
(default 5 minutes), so a captured request cannot be replayed later.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 of `<timestamp>.` + body, keyed with `secret`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(secret: str, body: bytes, delivery_id: int, event_type: str, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {"Content-Type": "application/json", "X-ChessWeb-Event": event_type,
            "X-ChessWeb-Delivery": str(delivery_id), "X-ChessWeb-Timestamp": str(timestamp),
            "X-ChessWeb-Signature": signature(secret, timestamp, body), "User-Agent": "ChessWeb-Webhooks/1"}


def verify(secret: str, body: bytes, timestamp: str, signed: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: True only for a fresh timestamp and a matching signature."""
    if not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), signed)
