"""Email and push owed for a notification, delivered at least once whatever process dies.

The notification row itself is the durable marker: `Notification.outgoing_due` is set in the transaction
that creates it (when email or push is on), so a crash before the after-commit job or the consumer ran loses
nothing. The process that delivers it first takes a lease (`outgoing_lease_until`, one UPDATE, so two
processes never both start it), runs the batches on the background worker, renews the lease after each batch
and clears the marker after the last. The sweep (every OUTGOING_SWEEP_SECONDS in every serving process)
takes notifications still due that nobody claimed within OUTGOING_GRACE_SECONDS, or whose lease ran out,
and delivers them again.

Delivering again is safe for email: each (notification, user) email is claimed before it is sent
(NotificationEmail, see mail.py), so nobody gets it twice. A push batch cut short by a crash may reach a
device twice; a push is a reminder of what the inbox holds, so a repeat beats a loss.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Notification, User, utcnow
from . import mail, push
from .audience import recipients_query
from ..realtime import realtime
from .background import background

log = logging.getLogger(__name__)
BATCH = 100  # recipients per background task (the lease is renewed after each)
SWEEP_LIMIT = 50  # notifications taken per sweep


def register(app: Flask) -> None:
    """Run the sweep every OUTGOING_SWEEP_SECONDS on the live core's worker (every serving process has one)."""
    realtime.every("notifications:outgoing", float(app.config["OUTGOING_SWEEP_SECONDS"]),
                   lambda: _sweep_job(), app=app)


def _sweep_job() -> list:
    if enabled():
        sweep()
    return []


def enabled() -> bool:
    """Whether anything goes out besides the live pages (SMTP or VAPID configured)."""
    return mail.enabled() or push.enabled()


def deliver(notification_id: int) -> bool:
    """Take the lease on this notification's email and push and queue them on the background worker.
    False when nothing is due or another process holds the lease. Runs after commit (never in a request)."""
    if not _claim(notification_id):
        return False
    notification = db.session.get_one(Notification, notification_id)
    if notification.withdrawn_at is not None:  # withdrawn before it went out: no email, no push
        _finish(notification_id)
        return False
    recipients = list(db.session.scalars(recipients_query(notification).with_only_columns(User.id)
                                         .order_by(User.id)))
    failed: list[BaseException] = []

    def batch(user_ids: list[int]) -> None:
        try:
            _send_batch(notification_id, user_ids)
        except Exception as exc:  # the database went away, say: finish leaves it due for the sweep
            failed.append(exc)
            raise

    worker = background()
    for start in range(0, len(recipients), BATCH):
        worker.schedule(lambda b=recipients[start:start + BATCH]: batch(b))
    worker.schedule(lambda: None if failed else _finish(notification_id))
    return True


def sweep() -> int:
    """Deliver what a dead process (or a lost after-commit job) left due; returns how many were taken."""
    config = current_app.config
    now = utcnow()
    unclaimed_since = now - timedelta(seconds=float(config["OUTGOING_GRACE_SECONDS"]))
    due = list(db.session.scalars(
        select(Notification.id).where(
            Notification.outgoing_due.is_(True),
            or_(Notification.outgoing_lease_until < now,
                Notification.outgoing_lease_until.is_(None) & (Notification.created_at < unclaimed_since)))
        .order_by(Notification.id).limit(SWEEP_LIMIT)))
    db.session.rollback()  # end the read before the claims
    taken = 0
    for notification_id in due:
        if deliver(notification_id):
            log.info("notifications: resuming email and push of notification %s", notification_id)
            taken += 1
    return taken


def _claim(notification_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.outgoing_due.is_(True),
               or_(Notification.outgoing_lease_until.is_(None), Notification.outgoing_lease_until < now))
        .values(outgoing_lease_until=_lease_end())).rowcount
    db.session.commit()
    return bool(claimed)


def _lease_end():  # noqa: ANN202 - a datetime
    return utcnow() + timedelta(seconds=float(current_app.config["OUTGOING_LEASE_SECONDS"]))


def _send_batch(notification_id: int, user_ids: list[int]) -> None:
    if mail.enabled():
        mail.send_batch(notification_id, user_ids)
    if push.enabled():
        push.send_batch(notification_id, user_ids)
    db.session.execute(update(Notification).where(Notification.id == notification_id,
                                                  Notification.outgoing_due.is_(True))
                       .values(outgoing_lease_until=_lease_end()))
    db.session.commit()


def _finish(notification_id: int) -> None:
    db.session.execute(update(Notification).where(Notification.id == notification_id)
                       .values(outgoing_due=False, outgoing_lease_until=None))
    db.session.commit()
