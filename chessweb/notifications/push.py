"""Web Push (RFC 8030, payload encrypted per RFC 8291, sender identified by VAPID, RFC 8292) with pywebpush.

Off unless VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY are set (`flask --app app notifications vapid` makes a pair).
Browsers only subscribe on HTTPS pages (or localhost) and need their vendor's push service reachable. Sent by
the background worker after commit (batches queued by outgoing.py); a subscription the push service says is gone
(404, 410) is deleted. The payload is JSON text (title, message, url): the service worker shows it as plain
text.
"""
from __future__ import annotations

import json
import logging

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Notification, PushSubscription
from . import preferences

log = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(current_app.config.get("VAPID_PRIVATE_KEY") and current_app.config.get("VAPID_PUBLIC_KEY"))


def make_keys() -> tuple[str, str]:
    """A new VAPID key pair as base64url text: (private key, DER PKCS#8; public key, uncompressed point)."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid02, b64urlencode
    vapid = Vapid02()
    vapid.generate_keys()
    private = b64urlencode(vapid.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public = b64urlencode(vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    return private, public


def subscribe(user_id: int, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store (or move to this user) a browser's subscription; the caller commits. ValueError on bad input."""
    if not endpoint.startswith(("https://", "http://")) or len(endpoint) > 1000:
        raise ValueError("endpoint must be an http(s) URL of at most 1000 characters")
    if not (20 <= len(p256dh) <= 200 and 8 <= len(auth) <= 100):
        raise ValueError("keys.p256dh and keys.auth must be the browser's base64url keys")
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None:
        row = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(row)
    else:
        row.user_id, row.p256dh, row.auth = user_id, p256dh, auth
    db.session.flush()
    return row


def send_batch(notification_id: int, user_ids: list[int]) -> None:
    """Push the notification to the devices of these users (ids) who keep push and its group on. A device
    the push service says is gone (404, 410) is forgotten; other failures are logged (the inbox has it)."""
    from pywebpush import WebPushException, webpush
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return
    prefs = preferences.load_many(user_ids)
    wanted = [uid for uid in user_ids if prefs[uid].push and (notification.category is None
                                                              or prefs[uid].wants(notification.category))]
    payload = json.dumps({"id": notification.id, "title": notification.title, "message": notification.message,
                          "url": notification.link or "/notifications"})
    config = current_app.config
    gone: list[int] = []
    for row in db.session.scalars(select(PushSubscription).where(PushSubscription.user_id.in_(wanted))):
        try:
            webpush({"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}, data=payload,
                    vapid_private_key=config["VAPID_PRIVATE_KEY"],
                    vapid_claims={"sub": config.get("VAPID_SUBJECT") or "mailto:admin@localhost"},
                    timeout=10, ttl=3600)
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                gone.append(row.id)
            else:
                log.warning("notifications: push %s to subscription %s failed: %s", notification_id, row.id, exc)
        except Exception as exc:  # network errors: this device misses one notice; the inbox has it
            log.warning("notifications: push %s to subscription %s failed: %s", notification_id, row.id, exc)
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        db.session.commit()
