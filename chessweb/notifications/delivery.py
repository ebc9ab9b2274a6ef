"""Delivering committed notifications: publish after commit, render once per channel.

The one place notifications reach the live layer (`_after_commit` / `_publish`): they use the live core's
after-commit worker (chessweb.realtime), so swapping in another "publish after commit on any channel" API
means changing these two functions only.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from ..extensions import db
from ..models import Notification, Priority, User
from ..realtime import Event, Fragment, Message, realtime
from . import mail, preferences, push, render
from .background import background
from .channels import ALERTS, role_channel, tournament_channel, user_channel
from .urls import url_context

ADMIN_CHANNEL = "admin"
COUNTS_SETTLE_SECONDS = 2.0  # sockets reached are counted in batches; refresh the admin's row after this


def _after_commit(key: str, job: Callable[[], list[Message]]) -> None:
    realtime.after_commit(key, job)


def _publish(message: Message) -> None:
    realtime.publish(message)


# --------------------------------------------------------------------------- queued by the service

def personal_after_commit(notification_id: int) -> None:
    _after_commit(f"notice:{notification_id}", lambda: personal_messages(notification_id))


def broadcast_after_commit(notification_id: int) -> None:
    _after_commit(f"notice:{notification_id}", lambda: broadcast_messages(notification_id))


def withdrawn_after_commit(notification_id: int) -> None:
    def job() -> list[Message]:
        with url_context():
            messages: list[Message] = [render.alerts_fragment()]
        refresh_admin_row(notification_id)
        return messages
    _after_commit("notice:alerts", job)


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
    """A personal notice: toast (if real-time is on) and the new badge on `user:<id>`; email queued."""
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
    if prefs.email:
        mail.queue(notification.id, [user.id])
    if prefs.push:
        push.queue(notification.id, [user.id])
    return messages


def broadcast_messages(notification_id: int) -> list[Message]:
    """A broadcast: one toast render, one event per target channel; the emergency banner for CRITICAL."""
    from . import service
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.withdrawn_at is not None:
        return []
    targeted = service.count_targeted(notification)
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
    if mail.enabled() or push.enabled():
        recipients = list(db.session.scalars(service.recipients_query(notification).with_only_columns(User.id)))
        mail.queue(notification.id, recipients)
        push.queue(notification.id, recipients)
    background().schedule(lambda: refresh_admin_row(notification_id), COUNTS_SETTLE_SECONDS)
    refresh_admin_row(notification_id)
    return messages


def refresh_admin_row(notification_id: int) -> None:
    """Push a broadcast's row of the recent list (targets and counts) to the admins' pages."""
    from . import admin_view
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id is not None:
        return
    db.session.refresh(notification)
    with url_context():
        fragment: Fragment = admin_view.row_fragment(notification)
    _publish(fragment)

