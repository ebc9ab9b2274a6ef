"""Delivering committed notifications: publish after commit, render once per channel.

Two ways, by what a loss would cost:
- Broadcasts and withdrawals must survive a crash (an emergency banner that never shows, or never goes):
  `service` records a RealtimeEvent for each (entity_type NOTICE_EVENT / WITHDRAWN_EVENT) in the transaction,
  and the `notifications` consumer (registered by `register`, chessweb/live/consumers.py) renders and
  publishes them after the commit, at least once, taken over by another process if this one dies.
- Personal notices are delivered by the same consumer, with the event of the change they tell of
  (Notification.source_event_id): a toast and the new badge on `user:<id>`, at least once.
- The badge after marking read and a change of preferences are per-user and best effort (`_after_commit`, on
  the live core's after-commit worker): a page that missed a badge gets the current one on its next connect
  (NotificationsArea.snapshot).
Email and push are owed durably either way: the creating transaction marks them, and outgoing.py sends them
after commit or, when this process died first, from any process's sweep.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask
from sqlalchemy import select, update

from .. import live
from ..extensions import db
from ..live import CommittedEvent, Consumer
from ..models import Notification, Priority, User
from ..realtime import Event, Message, realtime
from . import outgoing, preferences, render
from .admin_rows import refresh_admin_list
from .audience import count_targeted
from .background import background
from .channels import ALERTS, role_channel, tournament_channel, user_channel
from .urls import url_context

COUNTS_SETTLE_SECONDS = 2.0  # sockets reached are counted in batches; refresh the admin's row after this
CONSUMER = "notifications"
NOTICE_EVENT = "notification"  # RealtimeEvent.entity_type of a broadcast sent (entity_id: the notification)
WITHDRAWN_EVENT = "notification_withdrawn"  # ... of a broadcast withdrawn
SENT_TIMEOUT = 10.0  # seconds to wait for published messages to leave the process before finishing a claim


def register(app: Flask) -> None:
    """Register the `notifications` consumer (call in create_app after live.init_app)."""
    live.register_consumer(app, Consumer(CONSUMER, handle_events))


def handle_events(events: Sequence[CommittedEvent]) -> None:
    """The consumer: publish every broadcast sent or withdrawn in these committed events, and the personal
    notices the changes they record gave rise to (Notification.source_event_id).
    Raises TimeoutError when the messages did not leave the process (the claim is retried)."""
    published = False
    personal = db.session.scalars(select(Notification.id).where(
        Notification.source_event_id.in_([e.id for e in events]), Notification.recipient_id.is_not(None))
        .order_by(Notification.id)).all()
    for notification_id in personal:
        messages = personal_messages(notification_id)
        for message in messages:
            _publish(message)
        published = published or bool(messages)
    for committed in events:
        if committed.entity_id is None:
            continue
        if committed.entity_type == NOTICE_EVENT:
            messages = broadcast_messages(committed.entity_id)
        elif committed.entity_type == WITHDRAWN_EVENT:
            messages = withdrawn_messages(committed.entity_id)
        else:
            continue
        for message in messages:
            _publish(message)
        published = published or bool(messages)
    if published and not realtime.sent(SENT_TIMEOUT):
        raise TimeoutError("notification messages did not leave the process in time; the claim will be retried")


def _after_commit(key: str, job: Callable[[], list[Message]]) -> None:
    realtime.after_commit(key, job)


def _publish(message: Message) -> None:
    realtime.publish(message)


# --------------------------------------------------------------------------- queued by the service

def withdrawn_messages(notification_id: int) -> list[Message]:
    """A broadcast withdrawn: the banner as it is now (without it), and the admins' row."""
    with url_context():
        messages: list[Message] = [render.alerts_fragment()]
    refresh_admin_list(notification_id)
    return messages


def badge_after_commit(user_id: int) -> None:
    """After marking read: the user's badge on every open page."""
    def job() -> list[Message]:
        user = db.session.get(User, user_id)
        if user is None:
            return []
        with url_context():
            return [render.badge_fragment(user)]
    _after_commit(f"notice:badge:{user_id}", job)


def preferences_changed_after_commit(user_id: int) -> None:
    """The user's open pages reconnect (their subscriptions follow the new preferences) and get the badge."""
    def job() -> list[Message]:
        user = db.session.get(User, user_id)
        if user is None:
            return []
        with url_context():
            badge = render.badge_fragment(user)
            html = render.reconnect_html()
        return [badge, Event(channel=user_channel(user_id), type="preferences",
                             data={"preferences": preferences.load(user_id).as_dict()}, html=html)]
    _after_commit(f"notice:preferences:{user_id}", job)


# --------------------------------------------------------------------------- the jobs (worker thread)

def personal_messages(notification_id: int) -> list[Message]:
    """A personal notice: toast (if real-time is on) and the new badge on `user:<id>`; email and push queued."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id is None:
        return []
    user = db.session.get(User, notification.recipient_id)
    if user is None:
        return []
    prefs = preferences.load(user.id)
    messages: list[Message] = []
    with url_context():
        messages.append(render.badge_fragment(user))
        if prefs.realtime:
            messages.append(Event(channel=user_channel(user.id), type="notification",
                                  data=render.as_data(notification), html=render.toast_html(notification,
                                                                                           unread_delta=0)))
    if notification.outgoing_due:  # email or push owed (one UPDATE to lease it; none when both are off)
        outgoing.deliver(notification.id)
    return messages


def broadcast_messages(notification_id: int) -> list[Message]:
    """A broadcast: one toast render, one event per target channel; the emergency banner for CRITICAL."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.withdrawn_at is not None:
        return []
    targeted = count_targeted(notification)
    db.session.execute(update(Notification).where(Notification.id == notification_id)
                       .values(targeted_count=targeted))
    db.session.commit()
    notification = db.session.get_one(Notification, notification_id)
    with url_context():
        html = render.toast_html(notification)
        data = render.as_data(notification)
        messages: list[Message] = []
        if notification.priority is Priority.CRITICAL:
            messages.append(render.alerts_fragment())
            channels = [ALERTS]
        else:
            channels = [role_channel(role) for role in notification.target_roles]
            if notification.tournament_id is not None:
                channels.append(tournament_channel(notification.tournament_id))
            chosen = preferences.load_many(list(notification.target_user_ids or []))
            channels += [user_channel(uid) for uid, prefs in chosen.items() if prefs.wants("system_alerts", "realtime")]
    messages += [Event(channel=channel, type="notification", data=data, html=html,
                       event_id=notification.realtime_event_id) for channel in channels]
    if notification.outgoing_due:  # email or push owed (one UPDATE to lease it; none when both are off)
        outgoing.deliver(notification.id)
    background().schedule(lambda: refresh_admin_list(notification_id), COUNTS_SETTLE_SECONDS)
    refresh_admin_list(notification_id)
    return messages
