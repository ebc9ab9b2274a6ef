"""The notification center's recent list (each broadcast's targets, sockets reached, read and email counts),
rendered for the page and pushed on `admin` as one fragment, `notice-recent`, whenever a broadcast is sent,
withdrawn or its counts change: rendered once per change, whatever the number of admins watching, so every
admin's open page shows a new broadcast (anyone's) without a reload, and the connect snapshot carries it."""
from __future__ import annotations

from typing import Any

from flask import get_template_attribute
from sqlalchemy import select

from ..extensions import db
from ..live.channels import ADMIN as ADMIN_CHANNEL
from ..models import Notification, RealtimeEvent
from ..realtime import Fragment, realtime
from . import inbox
from .render import version_now
from .urls import url_context

RECENT = 30  # broadcasts in the recent list, newest first
RECENT_KEY = "notice-recent"  # the fragment key, and the id of the list's <tbody> is "recent-notifications"


def recent(created_by_id: int | None = None) -> list[Notification]:
    """The newest RECENT broadcasts (personal notices are not listed); only `created_by_id`'s when given
    (an organizer sees their own)."""
    query = select(Notification).where(Notification.recipient_id.is_(None)).order_by(Notification.id.desc())
    if created_by_id is not None:
        query = query.where(Notification.created_by_id == created_by_id)
    return list(db.session.scalars(query.limit(RECENT)))


def row_context(notification: Notification, delivered: int | None = None) -> dict[str, Any]:
    """Targets and counts of one broadcast, for its row in the recent list: {n, targets: [str], delivered:
    sockets reached, read: users who read it}. `delivered` is looked up when not given."""
    if delivered is None:
        delivered = db.session.scalar(select(RealtimeEvent.delivered_count)
                                      .where(RealtimeEvent.id == notification.realtime_event_id)) or 0
    targets = (["everyone (emergency alert)"] if notification.priority.value == "CRITICAL" else
               [f"role {r}" for r in notification.target_roles]
               + ([f"{len(notification.target_user_ids)} chosen user(s)"] if notification.target_user_ids else [])
               + ([f"tournament {notification.tournament_id}"] if notification.tournament_id else []))
    return {"n": notification, "targets": targets, "delivered": delivered, "read": inbox.read_count(notification)}


def rows_context(notifications: list[Notification]) -> list[dict[str, Any]]:
    """row_context of each, with the sockets reached read in one query."""
    event_ids = [n.realtime_event_id for n in notifications if n.realtime_event_id is not None]
    delivered: dict[int, int] = {}
    if event_ids:
        delivered = {event_id: count for event_id, count in db.session.execute(
            select(RealtimeEvent.id, RealtimeEvent.delivered_count).where(RealtimeEvent.id.in_(event_ids)))}
    return [row_context(n, delivered.get(n.realtime_event_id) or 0) for n in notifications]


def recent_fragment() -> Fragment:
    """The admins' recent list (every sender's broadcasts) as one fragment on `admin`: the whole <tbody>, and
    for programs {"rows": [{notification, targeted, delivered, read, email_sent, email_failed}]} newest first.
    Needs a request or url context (the rows' withdraw links)."""
    version = version_now()  # taken before reading: the list is at least as new as its stamp
    db.session.expire_all()  # counts written by other sessions and processes
    rows = rows_context(recent())
    html = str(get_template_attribute("notifications/_admin.html", "recent")(rows=rows))
    return Fragment(channel=ADMIN_CHANNEL, key=RECENT_KEY, version=version, html=html,
                    data={"rows": [{"notification": r["n"].id, "targeted": r["n"].targeted_count,
                                    "delivered": r["delivered"], "read": r["read"], "email_sent": r["n"].email_sent,
                                    "email_failed": r["n"].email_failed} for r in rows]})


def refresh_admin_list(notification_id: int) -> None:
    """A broadcast was sent, withdrawn or its counts changed: push the recent list to every admin's page
    (nothing for a personal notice, which the list does not show)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id is not None:
        return
    with url_context():
        fragment = recent_fragment()
    realtime.publish(fragment)
