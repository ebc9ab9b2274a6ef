"""A user's inbox as a query: personal notifications plus the broadcasts whose audience includes them.
Read state is lazy: a "read through" mark per user and a receipt per notification read one by one."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, and_, cast, delete, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import (Notification, NotificationAudience, NotificationReadMark, Priority, Registration, User,
                      UserNotification, utcnow)
from . import preferences
from .audience import recipients_query

PAGE_SIZE = 20


@dataclass(frozen=True)
class InboxItem:
    notification: Notification
    read: bool


def visible_to(user: User) -> ColumnElement[bool]:
    """Notifications in `user`'s inbox: theirs, or a live broadcast whose audience includes them (and the
    system-alerts group is on, or it is an emergency alert)."""
    audience = select(NotificationAudience.notification_id).where(or_(
        NotificationAudience.kind == "everyone",
        and_(NotificationAudience.kind == "role", NotificationAudience.value == user.role.value),
        and_(NotificationAudience.kind == "user", NotificationAudience.value == str(user.id)),
        and_(NotificationAudience.kind == "tournament", NotificationAudience.value.in_(
            select(cast(Registration.tournament_id, String)).where(Registration.user_id == user.id)))))
    broadcast = and_(Notification.recipient_id.is_(None), Notification.withdrawn_at.is_(None),
                     Notification.created_at >= user.created_at, Notification.id.in_(audience))
    if not preferences.load(user.id).system_alerts:
        broadcast = and_(broadcast, Notification.priority == Priority.CRITICAL)
    return or_(Notification.recipient_id == user.id, broadcast)


def _read_through(user_id: int) -> int:
    return db.session.scalar(select(NotificationReadMark.read_through_id)
                             .where(NotificationReadMark.user_id == user_id)) or 0


def _is_read(user_id: int, mark: int) -> ColumnElement[bool]:
    return or_(Notification.id <= mark, exists().where(UserNotification.user_id == user_id,
                                                       UserNotification.notification_id == Notification.id))


def unread_count(user: User) -> int:
    """How many notifications in the inbox are unread (what the header badge shows)."""
    return unread_state(user)[0]


def unread_state(user: User) -> tuple[int, int]:
    """(unread count, id of the newest notification in the inbox, 0 when empty), read in one query: the page
    adds a broadcast's toast to the count only if its id is newer than the newest one the count saw."""
    mark = _read_through(user.id)
    count, newest = db.session.execute(select(
        func.count(Notification.id).filter(~_is_read(user.id, mark)), func.max(Notification.id))
        .where(visible_to(user))).one()
    return int(count or 0), int(newest or 0)


def page(user: User, number: int = 1, *, unread_only: bool = False) -> tuple[list[InboxItem], bool]:
    """One page of the inbox, newest first, and whether there is a next page."""
    mark = _read_through(user.id)
    read = _is_read(user.id, mark).label("read")
    query = select(Notification, read).where(visible_to(user))
    if unread_only:
        query = query.where(~_is_read(user.id, mark))
    rows = db.session.execute(query.order_by(Notification.id.desc())
                              .offset((max(1, number) - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return [InboxItem(n, bool(r)) for n, r in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one notification read; False when it is not in this user's inbox. The caller commits."""
    if db.session.scalar(select(Notification.id).where(Notification.id == notification_id, visible_to(user))) is None:
        return False
    if notification_id > _read_through(user.id) and db.session.scalar(select(UserNotification.id).where(
            UserNotification.user_id == user.id, UserNotification.notification_id == notification_id)) is None:
        db.session.add(UserNotification(user_id=user.id, notification_id=notification_id, read_at=utcnow()))
        db.session.flush()
    return True


def mark_all_read(user: User) -> None:
    """Everything in the inbox now is read: one row per user, whatever the number of notifications."""
    newest = db.session.scalar(select(func.max(Notification.id)).where(visible_to(user))) or 0
    row = db.session.get(NotificationReadMark, user.id)
    if row is None:
        db.session.add(NotificationReadMark(user_id=user.id, read_through_id=newest))
    else:
        row.read_through_id = max(row.read_through_id, newest)
    # Receipts below the mark say nothing more.
    db.session.execute(delete(UserNotification).where(UserNotification.user_id == user.id,
                                                      UserNotification.notification_id <= newest))
    db.session.flush()


def read_count(notification: Notification) -> int:
    """How many of the users a notification targets have read it (receipts, plus marks past it)."""
    receipts = db.session.scalar(select(func.count(UserNotification.id))
                                 .where(UserNotification.notification_id == notification.id)) or 0
    targeted = recipients_query(notification).with_only_columns(User.id)
    marks = db.session.scalar(select(func.count(NotificationReadMark.user_id)).where(
        NotificationReadMark.read_through_id >= notification.id, NotificationReadMark.user_id.in_(targeted))) or 0
    return int(receipts + marks)


def active_alerts() -> list[Notification]:
    """Emergency alerts in force now: CRITICAL, not withdrawn, not expired; newest first."""
    now = utcnow()
    return list(db.session.scalars(select(Notification).where(
        Notification.priority == Priority.CRITICAL, Notification.recipient_id.is_(None),
        Notification.withdrawn_at.is_(None), or_(Notification.expires_at.is_(None), Notification.expires_at > now))
        .order_by(Notification.id.desc()).limit(5)))
