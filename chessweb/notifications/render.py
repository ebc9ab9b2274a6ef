"""Rendering notification fragments: each broadcast once, the badge once per user it changed for."""
from __future__ import annotations

import re
import time
from typing import Any

from flask import get_template_attribute

from ..models import Notification
from ..realtime import Fragment
from . import inbox
from .channels import ALERTS, user_channel

TEMPLATE = "notifications/_fragments.html"
_WHITESPACE = re.compile(r"\s{2,}")


def _render(macro: str, **context: Any) -> str:
    return _WHITESPACE.sub(" ", str(get_template_attribute(TEMPLATE, macro)(**context))).strip()


def version_now() -> int:
    """A fragment version for notification state: microseconds since the epoch."""
    # No revision counter here: microseconds keep later renders newer (as the watching count does).
    return time.time_ns() // 1000


def toast_html(notification: Notification, *, unread_delta: int = 1) -> str:
    """The toast of a notification; the page adds `unread_delta` to its badge only if the badge's count has not
    seen this notification yet (its id is newer than the newest id the count saw: notifications.js)."""
    return _render("toast", n=notification, unread_delta=unread_delta, at=version_now())


def reconnect_html() -> str:
    """Tells a page to reopen its live connection (notifications.js), e.g. after a change of preferences."""
    return '<div hx-swap-oob="beforeend:#toasts"><div class="toast" role="status" data-reconnect="1">' \
           'Notification preferences updated.</div></div>'


def as_data(notification: Notification) -> dict[str, Any]:
    """The notification for JSON clients (the same fields as /notifications/api/notifications)."""
    return {"id": notification.id, "kind": notification.kind, "title": notification.title,
            "message": notification.message, "type": notification.type.value,
            "priority": notification.priority.value, "group": notification.category, "link": notification.link,
            "tournament": notification.tournament_id, "data": notification.data or {},
            "created_at": notification.created_at.isoformat() + "Z",
            "expires_at": notification.expires_at.isoformat() + "Z" if notification.expires_at else None,
            "withdrawn": notification.withdrawn_at is not None}


def badge_fragment(user: Any) -> Fragment:
    """The unread badge of one user, on their own channel (so the connect snapshot carries it)."""
    version = version_now()  # taken before counting: the count is at least as new as its stamp
    count, seen = inbox.unread_state(user)
    return Fragment(channel=user_channel(user.id), key="notice-badge-state", version=version,
                    html=_render("badge_state", count=count, at=version, seen=seen), data={"unread": count})


def alerts_fragment() -> Fragment:
    """Every emergency alert in force, one fragment for everyone on the alerts channel."""
    items = inbox.active_alerts()
    return Fragment(channel=ALERTS, key="emergency-alerts", version=version_now(), html=_render("alerts", items=items),
                    data={"alerts": [as_data(n) for n in items]})
