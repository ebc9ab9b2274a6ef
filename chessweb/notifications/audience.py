"""Whom a notification targets (a query over its audience rows, never one row per recipient) and its email
counts. Used by the worker (counts, email), the inbox (read counts) and the service."""
from __future__ import annotations

from sqlalchemy import func, or_, select, update

from ..extensions import db
from ..models import Notification, NotificationAudience, Registration, Role, User


def recipients_query(notification: Notification):  # noqa: ANN201 - a Select of User
    """The users a broadcast targets (a query, run by the worker for counts and email, never in the request)."""
    if notification.recipient_id is not None:
        return select(User).where(User.id == notification.recipient_id)
    rows = db.session.execute(select(NotificationAudience.kind, NotificationAudience.value)
                              .where(NotificationAudience.notification_id == notification.id)).all()
    if any(kind == "everyone" for kind, _ in rows):
        return select(User)
    conditions = []
    roles = [value for kind, value in rows if kind == "role"]
    users = [int(value) for kind, value in rows if kind == "user"]
    tournaments = [int(value) for kind, value in rows if kind == "tournament"]
    if roles:
        conditions.append(User.role.in_([Role(r) for r in roles]))
    if users:
        conditions.append(User.id.in_(users))
    if tournaments:
        conditions.append(User.id.in_(select(Registration.user_id).where(Registration.tournament_id.in_(tournaments))))
    if not conditions:
        return select(User).where(False)
    return select(User).where(or_(*conditions))


def count_targeted(notification: Notification) -> int:
    return int(db.session.scalar(select(func.count()).select_from(recipients_query(notification).subquery())) or 0)


def add_email_counts(notification_id: int, sent: int, failed: int) -> None:
    db.session.execute(update(Notification).where(Notification.id == notification_id).values(
        email_sent=Notification.email_sent + sent, email_failed=Notification.email_failed + failed))
