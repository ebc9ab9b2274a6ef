"""Webhook endpoints an organizer registers, and each delivery to them (the delivery log)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, utcnow

EVENT_TYPES = ("round.published", "result.final", "standings.changed", "tournament.finished")


class WebhookEndpoint(db.Model):
    """A URL that receives the organizer's tournaments' events (one tournament, or all when null)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tournament_id: Mapped[int | None] = mapped_column(ForeignKey("tournament.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(80))  # HMAC key: must be readable to sign, so not hashed
    events: Mapped[str] = mapped_column(String(200))  # space-separated, from EVENT_TYPES
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship()


class WebhookDelivery(db.Model):
    """One event for one endpoint: tried until delivered (2xx) or out of attempts; `claimed_until` is the
    lease of the process sending it, so a crash mid-send means another try, never a lost one."""
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id", "event_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship()
