"""Creating notifications: personal ones for players (from tournament changes) and broadcasts from the
notification center. Both only write rows in the caller's transaction; rendering, publishing and email
happen after commit (see delivery.py), so a request never waits for the fan-out or for SMTP."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ..events import record_event
from ..extensions import db
from ..live import channels
from ..models import (EventType, Notification, NotificationAudience, NotificationType, Priority, Role,
                      Tournament, User, utcnow)
from . import delivery, mail, outgoing, preferences, push
from .kinds import group_of

TITLE_MAX = 120
MESSAGE_MAX = 2000
MAX_CHOSEN_USERS = 500
ALERT_LIFETIME = timedelta(hours=24)  # an emergency alert not withdrawn disappears after this


class NotificationError(ValueError):
    """Input the notification center refuses: `message` for people, `field` names the form field, `status`
    the HTTP status (400 bad input, 403 not allowed)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# --------------------------------------------------------------------------- personal

def notify_user(user_id: int, kind: str, title: str, message: str, *, source_event_id: int, link: str = "",
                tournament_id: int | None = None, data: dict[str, Any] | None = None) -> Notification | None:
    """Store a personal notification for one user, unless they turned its group off (then None).

    `source_event_id`: the RealtimeEvent of the change it tells of, in the same transaction. The
    `notifications` consumer delivers the notice (toast on `user:<id>`, unread badge) when it handles that
    event, after the commit and at least once whatever process dies; email and push are owed on the row
    (outgoing.py).
    """
    group = group_of(kind)
    prefs = preferences.load(user_id)
    if not prefs.wants(group):
        return None
    notification = Notification(kind=kind, title=title[:TITLE_MAX], message=message[:MESSAGE_MAX],
                                type=NotificationType.INFO, priority=Priority.NORMAL, category=group,
                                recipient_id=user_id, link=link[:200], tournament_id=tournament_id,
                                data=data or {}, targeted_count=1, target_roles=[], target_user_ids=[user_id],
                                outgoing_due=(prefs.email and mail.enabled()) or (prefs.push and push.enabled()),
                                source_event_id=source_event_id)
    db.session.add(notification)
    db.session.flush()
    return notification


# --------------------------------------------------------------------------- broadcasts

@dataclass
class Broadcast:
    """What the notification center's form asks for (strings as typed; `send` checks them)."""
    title: str
    message: str
    type: str = NotificationType.INFO.value
    priority: str = Priority.NORMAL.value
    roles: list[str] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    tournament_id: int | None = None


def send(broadcast: Broadcast, sender: User) -> Notification:
    """Validate and store a broadcast: one Notification, one audience row per target (never per recipient).

    Raises NotificationError (nothing written) for bad input (400) or a target the sender may not reach (403).
    CRITICAL is the emergency alert: it goes to everyone, anonymous visitors included, whatever the targets.
    """
    title, message = broadcast.title.strip(), broadcast.message.strip()
    if not title:
        raise NotificationError("Give the notification a title.", "title")
    if len(title) > TITLE_MAX:
        raise NotificationError(f"The title is {len(title)} characters; at most {TITLE_MAX} fit.", "title")
    if not message:
        raise NotificationError("Write a message.", "message")
    if len(message) > MESSAGE_MAX:
        raise NotificationError(f"The message is {len(message)} characters; at most {MESSAGE_MAX} fit.", "message")
    try:
        kind = NotificationType(broadcast.type)
    except ValueError:
        raise NotificationError(f"Unknown type {broadcast.type!r}; use one of "
                                f"{', '.join(t.value for t in NotificationType)}.", "type") from None
    try:
        priority = Priority(broadcast.priority)
    except ValueError:
        raise NotificationError(f"Unknown priority {broadcast.priority!r}; use one of "
                                f"{', '.join(p.value for p in Priority)}.", "priority") from None
    roles = list(dict.fromkeys(broadcast.roles))
    for role in roles:
        if role not in Role.__members__:
            raise NotificationError(f"Unknown role {role!r}; use one of {', '.join(Role.__members__)}.", "roles")
    user_ids = list(dict.fromkeys(broadcast.user_ids))
    if len(user_ids) > MAX_CHOSEN_USERS:
        raise NotificationError(f"At most {MAX_CHOSEN_USERS} chosen users; target a role instead.", "users")
    if user_ids:
        known = set(db.session.scalars(select(User.id).where(User.id.in_(user_ids))))
        missing = [str(uid) for uid in user_ids if uid not in known]
        if missing:
            raise NotificationError(f"No user with id {', '.join(missing)}.", "users")
    tournament = None
    if broadcast.tournament_id is not None:
        tournament = db.session.get(Tournament, broadcast.tournament_id)
        if tournament is None:
            raise NotificationError(f"No tournament with id {broadcast.tournament_id}.", "tournament")
    critical = priority is Priority.CRITICAL
    _check_sender(sender, roles, user_ids, tournament, critical)
    if not (roles or user_ids or tournament or critical):
        raise NotificationError("Choose whom to send it to: roles, users or a tournament.", "roles")

    now = utcnow()
    notification = Notification(title=title, message=message, type=kind, priority=priority,
                                category=None if critical else "system_alerts", kind="",
                                target_roles=roles, target_user_ids=user_ids,
                                tournament_id=tournament.id if tournament else None, created_by_id=sender.id,
                                created_at=now, expires_at=now + ALERT_LIFETIME if critical else None, data={},
                                outgoing_due=outgoing.enabled())
    db.session.add(notification)
    db.session.flush()
    audience = ([("everyone", "")] if critical else
                [("role", r) for r in roles] + [("user", str(u)) for u in user_ids]
                + ([("tournament", str(tournament.id))] if tournament else []))
    db.session.add_all(NotificationAudience(notification_id=notification.id, kind=k, value=v) for k, v in audience)
    # Durable delivery: the `notifications` consumer publishes it after the commit, even if this process dies.
    # The live core also credits the sockets it reached to this row.
    record = record_event(channels.SYSTEM, EventType.SYSTEM_ANNOUNCEMENT, entity_type=delivery.NOTICE_EVENT,
                          entity_id=notification.id, payload={"notification": notification.id}, actor_id=sender.id)
    notification.realtime_event_id = record.id
    return notification


def system_notice(title: str, message: str, *, type: NotificationType = NotificationType.ERROR,
                  priority: Priority = Priority.HIGH) -> Notification:
    """Store a broadcast from the system itself (no sender) to every ADMIN, for the admin system health's
    alerts (chessweb/monitoring/notify.py). Delivered like the notification center's broadcasts: a committed
    event that the `notifications` consumer publishes after the commit, so it survives a broker outage (it is
    in the admins' inbox at once, and on their pages when the broker carries it).

    Not CRITICAL: that priority is the emergency alert, shown to everyone, anonymous visitors included.
    ValueError for an empty or too long title or message (nothing written)."""
    title, message = title.strip(), message.strip()
    if not title or len(title) > TITLE_MAX or not message or len(message) > MESSAGE_MAX:
        raise ValueError(f"a system notice needs a title of 1 to {TITLE_MAX} characters and a message of 1 to "
                         f"{MESSAGE_MAX}")
    if priority is Priority.CRITICAL:
        raise ValueError("a system notice to admins cannot be CRITICAL: that is the emergency alert to everyone")
    notification = Notification(title=title, message=message, type=type, priority=priority,
                                category="system_alerts", kind="", target_roles=[Role.ADMIN.value],
                                target_user_ids=[], created_at=utcnow(), data={}, outgoing_due=outgoing.enabled())
    db.session.add(notification)
    db.session.flush()
    db.session.add(NotificationAudience(notification_id=notification.id, kind="role", value=Role.ADMIN.value))
    record = record_event(channels.SYSTEM, EventType.SYSTEM_ANNOUNCEMENT, entity_type=delivery.NOTICE_EVENT,
                          entity_id=notification.id, payload={"notification": notification.id})
    notification.realtime_event_id = record.id
    return notification


def _check_sender(sender: User, roles: list[str], user_ids: list[int], tournament: Tournament | None,
                  critical: bool) -> None:
    """Admins send anything; organizers only to their own tournament's players and spectators."""
    if sender.role == Role.ADMIN:
        return
    if sender.role != Role.ORGANIZER:
        raise NotificationError("Only admins and organizers send notifications.", status=403)
    if roles or user_ids or critical:
        raise NotificationError("Organizers send to the players and spectators of their own tournaments only.",
                                "roles", status=403)
    if tournament is not None and tournament.organizer_id != sender.id:
        raise NotificationError("This tournament is not yours; you may notify your own tournaments only.",
                                "tournament", status=403)


def withdraw(notification_id: int, actor: User) -> Notification:
    """Withdraw a broadcast (an emergency alert disappears from every page). Admins any; organizers their own."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id is not None:
        raise NotificationError("No such notification.", status=404)
    if actor.role != Role.ADMIN and notification.created_by_id != actor.id:
        raise NotificationError("You may withdraw your own notifications only.", status=403)
    if notification.withdrawn_at is None:
        notification.withdrawn_at = utcnow()
        record_event(channels.ALERTS, EventType.SYSTEM_ANNOUNCEMENT, entity_type=delivery.WITHDRAWN_EVENT,
                     entity_id=notification.id, actor_id=actor.id)
    return notification
