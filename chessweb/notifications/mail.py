"""Email for notifications, through Flask-Mailman (SMTP, MAIL_* settings). Off when MAIL_SERVER is unset.

Messages are sent by the background worker after commit (batches queued by outgoing.py, which resumes them
after a crash), each tried up to MAIL_ATTEMPTS times with a
growing pause; the notification counts what was sent and what failed for good.

Each (notification, user) email is sent at most once, whatever runs the batch again (a retried consumer claim
after a crash, a second queueing): a NotificationEmail row is claimed and committed before the SMTP send (the
unique key makes a second claim fail) and marked sent or failed after it, together with the notification's
count. A claim left "sending" by a worker that died is not sent again (the message may already have left):
after MAIL_CLAIM_SECONDS the next run of that batch counts it failed."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, render_template
from flask_mailman import EmailMessage
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Notification, NotificationEmail, User, utcnow
from . import preferences
from .admin_rows import refresh_admin_list
from .audience import add_email_counts
from .urls import url_context

log = logging.getLogger(__name__)


def enabled() -> bool:
    """Email is on when an SMTP server is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_batch(notification_id: int, user_ids: list[int]) -> None:
    """Email the notification to these users (ids; those who keep email and its group on), each at most once:
    users already claimed for it are skipped. Safe to run again after a crash or alongside another run.
    SMTP failures are retried (MAIL_ATTEMPTS), then counted; database errors propagate."""
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return
    group = notification.category
    prefs = preferences.load_many(user_ids)
    users = db.session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id)).all()
    for user in users:
        wants = prefs[user.id].email and (group is None or prefs[user.id].wants(group))
        if not wants or not _claim(notification_id, user.id):
            continue
        _mark(notification_id, user.id, "sent" if _send_with_retries(notification, user) else "failed")
    refresh_admin_list(notification_id)


def _claim(notification_id: int, user_id: int) -> bool:
    """Commit this worker's claim to send one email; False when it was claimed before (sent, failed, or being
    sent). A claim a dead worker left "sending" for MAIL_CLAIM_SECONDS is counted failed, never resent."""
    db.session.add(NotificationEmail(notification_id=notification_id, user_id=user_id, state="sending"))
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
    stale = utcnow() - timedelta(seconds=float(current_app.config.get("MAIL_CLAIM_SECONDS", 300)))
    if db.session.execute(update(NotificationEmail).where(
            NotificationEmail.notification_id == notification_id, NotificationEmail.user_id == user_id,
            NotificationEmail.state == "sending", NotificationEmail.updated_at < stale)
            .values(state="failed", updated_at=utcnow())).rowcount:
        log.warning("notifications: email %s to user %s was interrupted by a crash; not sent again",
                    notification_id, user_id)
        add_email_counts(notification_id, 0, 1)
    db.session.commit()
    return False


def _mark(notification_id: int, user_id: int, state: str) -> None:
    """Record the outcome of a claimed send and count it, in one commit (only if the claim is still ours)."""
    if db.session.execute(update(NotificationEmail).where(
            NotificationEmail.notification_id == notification_id, NotificationEmail.user_id == user_id,
            NotificationEmail.state == "sending").values(state=state, updated_at=utcnow())).rowcount:
        add_email_counts(notification_id, int(state == "sent"), int(state == "failed"))
    db.session.commit()


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
