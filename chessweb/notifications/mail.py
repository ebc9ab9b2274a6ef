"""Email for notifications, through Flask-Mailman (SMTP, MAIL_* settings). Off when MAIL_SERVER is unset.

Messages are sent by the background worker after commit, each tried up to MAIL_ATTEMPTS times with a
growing pause; the notification counts what was sent and what failed for good."""
from __future__ import annotations

import logging

from flask import current_app, render_template
from flask_mailman import EmailMessage
from sqlalchemy import select

from ..extensions import db
from ..models import Notification, User
from . import preferences
from .admin_rows import refresh_admin_list
from .audience import add_email_counts
from .background import background
from .urls import url_context

log = logging.getLogger(__name__)


def enabled() -> bool:
    """Email is on when an SMTP server is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def queue(notification_id: int, user_ids: list[int]) -> None:
    """Send the notification to these users (those who keep email on), off the request path."""
    if not enabled() or not user_ids:
        return
    worker = background()
    for start in range(0, len(user_ids), 100):
        batch = user_ids[start:start + 100]
        worker.schedule(lambda b=batch: _send_batch(notification_id, b))


def _send_batch(notification_id: int, user_ids: list[int]) -> None:
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return
    group = notification.category
    prefs = preferences.load_many(user_ids)
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    sent = failed = 0
    for user in users:
        wants = prefs[user.id].email and (group is None or prefs[user.id].wants(group))
        if not wants:
            continue
        if _send_with_retries(notification, user):
            sent += 1
        else:
            failed += 1
    add_email_counts(notification_id, sent, failed)
    db.session.commit()
    refresh_admin_list(notification_id)


def _send_with_retries(notification: Notification, user: User) -> bool:
    import time
    attempts = max(1, int(current_app.config.get("MAIL_ATTEMPTS", 3)))
    pause = float(current_app.config.get("MAIL_RETRY_SECONDS", 1.0))
    message = build_message(notification, user)
    for attempt in range(1, attempts + 1):
        try:
            message.send()
            return True
        except Exception as exc:  # SMTP and socket errors alike: retried, then counted as failed
            log.warning("notifications: email %s to user %s failed (attempt %s/%s): %s", notification.id,
                        user.id, attempt, attempts, exc)
            if attempt < attempts:
                time.sleep(pause * attempt)
    return False


def build_message(notification: Notification, user: User) -> EmailMessage:
    """The email: plain text (nothing in it is HTML), with the link and the preferences link as full URLs."""
    base = (current_app.config.get("SITE_URL") or "").rstrip("/")
    with url_context():
        from flask import url_for
        preferences_link = base + url_for("notifications.preferences_page")
        body = render_template("notifications/email.txt", n=notification, user=user,
                               link=(base + notification.link) if notification.link.startswith("/")
                               else notification.link, preferences_link=preferences_link)
    subject = f"[ChessWeb] {notification.title}".replace("\n", " ").replace("\r", " ")
    return EmailMessage(subject=subject, body=body, to=[user.email],
                        from_email=current_app.config.get("MAIL_DEFAULT_SENDER") or "chessweb@localhost")
