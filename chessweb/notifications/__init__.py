"""Notifications: personal notices for players, the inbox and preferences, the admin notification center,
emergency alerts, and email. Created in the transaction of the change (service, triggers), delivered after
commit (delivery, mail).

Modules: kinds (types and preference groups), preferences, service (create, broadcast, withdraw), triggers (from
recorded tournament events), inbox (queries, lazy read state), channels (live channel names and subscriptions),
render (fragments), delivery (after commit), outgoing (email and push owed, resumed after a crash), mail, push,
background, views, admin_view.
"""
from __future__ import annotations

from flask import Flask

from .blueprint import bp


def init_app(app: Flask) -> None:
    """Register the pages, the email extension, the session hook that turns events into notifications, and
    the `notifications` consumer that publishes broadcasts. Call after live.init_app (the live area is
    NotificationsArea in notifications/live.py, registered there)."""
    from flask_mailman import Mail

    from ..extensions import db
    from . import admin_view, delivery, outgoing, triggers, views  # noqa: F401  (routes)
    # Real SMTP in tests too (Flask-Mailman would otherwise keep test mail in memory).
    app.config.setdefault("MAIL_BACKEND", "smtp")
    app.config.setdefault("MAIL_TIMEOUT", 10)
    app.config.setdefault("MAIL_ATTEMPTS", 3)
    app.config.setdefault("MAIL_RETRY_SECONDS", 1.0)
    # A claimed email still "sending" after this long belongs to a dead worker (above every attempt's timeout).
    app.config.setdefault("MAIL_CLAIM_SECONDS", 300)
    # Email and push owed: claimed for a lease, renewed per batch; the sweep takes what nobody claimed after
    # the grace period or what a dead process left (notifications/outgoing.py).
    app.config.setdefault("OUTGOING_LEASE_SECONDS", 600)
    app.config.setdefault("OUTGOING_GRACE_SECONDS", 60)
    app.config.setdefault("OUTGOING_SWEEP_SECONDS", 30)
    Mail(app)
    app.register_blueprint(bp)
    views.register_cli(app)
    triggers.install(db.session)
    delivery.register(app)
    outgoing.register(app)

    @app.context_processor
    def notification_context() -> dict:
        return {"notice_page_channels": views.page_channels_for_current_user,
                "notice_header": views.header_context}
