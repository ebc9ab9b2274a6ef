"""Webhooks: organizers register URLs for their tournaments' events; deliveries are signed (signing.py), sent off
the request path by a live consumer and a sender thread (delivery.py), and logged with a redeliver button
(views.py). See docs/API.md#webhooks."""
from __future__ import annotations

from collections.abc import Sequence

from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..live import register_consumer
from ..live.consumers import CommittedEvent, Consumer
from ..realtime import realtime
from . import delivery
from .models import WebhookDelivery, WebhookEndpoint
from .views import bp

__all__ = ["WebhookDelivery", "WebhookEndpoint", "bp", "install"]


def install(app: Flask) -> None:
    """Register the `webhooks` consumer and the sender of this app (call after chessweb.live.init_app)."""
    sender = delivery.Sender(app)
    app.extensions["webhook_sender"] = sender

    def handle(events: Sequence[CommittedEvent]) -> None:
        if delivery.enqueue(events):
            sender.wake()

    register_consumer(app, Consumer("webhooks", handle))
    # Retries fall due with nobody committing anything: look for them now and then.
    realtime.every("webhooks:retries", float(app.config.get("WEBHOOK_POLL_SECONDS", 5.0)),
                   lambda: _kick(app), app=app)


def _kick(app: Flask) -> list[object]:
    if db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.status == "pending").limit(1)):
        app.extensions["webhook_sender"].wake()
    return []
