"""A broadcast's row in the notification center's recent list (targets, sockets reached, read, email
counts), rendered for the page and pushed on `admin` when its counts change."""
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


def row_context(notification: Notification) -> dict[str, Any]:
    """Targets and counts of one broadcast, for its row in the recent list."""
    delivered = db.session.scalar(select(RealtimeEvent.delivered_count)
                                  .where(RealtimeEvent.id == notification.realtime_event_id)) or 0
    targets = (["everyone (emergency alert)"] if notification.priority.value == "CRITICAL" else
               [f"role {r}" for r in notification.target_roles]
               + ([f"{len(notification.target_user_ids)} chosen user(s)"] if notification.target_user_ids else [])
               + ([f"tournament {notification.tournament_id}"] if notification.tournament_id else []))
    return {"n": notification, "targets": targets, "delivered": delivered, "read": inbox.read_count(notification)}


def row_fragment(notification: Notification) -> Fragment:
    context = row_context(notification)
    html = str(get_template_attribute("notifications/_admin.html", "row")(**context))
    return Fragment(channel=ADMIN_CHANNEL, key=f"notice-row-{notification.id}", version=version_now(), html=html,
                    data={"notification": notification.id, "targeted": notification.targeted_count,
                          "delivered": context["delivered"], "read": context["read"],
                          "email_sent": notification.email_sent, "email_failed": notification.email_failed})


def refresh_admin_row(notification_id: int) -> None:
    """Push a broadcast's row of the recent list (targets and counts) to the admins' pages."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id is not None:
        return
    db.session.refresh(notification)
    with url_context():
        fragment: Fragment = row_fragment(notification)
    realtime.publish(fragment)

