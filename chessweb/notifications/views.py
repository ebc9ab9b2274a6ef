"""The inbox and the preferences (pages and JSON for programs), confirming a result from a notice, and
dismissing emergency alerts."""
from __future__ import annotations

import time
from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import delete

from ..errors import rerender_on_csrf_error
from ..extensions import db
from ..models import Notification, PushSubscription
from ..tournaments.service import ServiceError
from . import channels, delivery, inbox, mail, preferences, push
from .blueprint import bp
from .forms import ActionForm, PreferencesForm
from .kinds import CHANNELS, GROUPS
from .render import as_data

DISMISSED = "dismissed_alerts"  # session key: emergency alerts this visitor dismissed


def page_channels_for_current_user() -> list[str]:
    return channels.page_channels(current_user)


def header_context() -> dict[str, Any]:
    """For base.html: the unread count and the alerts in force (minus those this visitor dismissed).
    Computed once per request, however many templates ask."""
    if "notice_header" in g:
        return g.notice_header
    dismissed = set(session.get(DISMISSED, []))
    alerts = [n for n in inbox.active_alerts() if n.id not in dismissed]
    at = time.time_ns() // 1000  # read before counting: the count is at least as new as its stamp
    unread, seen = inbox.unread_state(current_user) if current_user.is_authenticated else (0, 0)
    g.notice_header = {"unread": unread, "alerts": alerts, "at": at, "seen": seen}
    return g.notice_header


# --------------------------------------------------------------------------- inbox

def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        abort(400, description="page must be a number from 1")
    return int(raw)


@bp.get("/notifications", endpoint="inbox")
@login_required
def inbox_page():
    number = _page_number()
    unread_only = request.args.get("unread") == "1"
    items, more = inbox.page(current_user, number, unread_only=unread_only)
    return render_template("notifications/inbox.html", items=items, number=number, more=more,
                           unread_only=unread_only, action_form=ActionForm())


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description="The form has expired; reload the page and try again.")
    if not inbox.mark_read(current_user, notification_id):
        abort(404)
    delivery.badge_after_commit(current_user.id)
    db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if _safe_next(target) else url_for("notifications.inbox"), code=303)


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400, description="The form has expired; reload the page and try again.")
    inbox.mark_all_read(current_user)
    delivery.badge_after_commit(current_user.id)
    db.session.commit()
    flash("Every notification is marked read.", "success")
    return redirect(url_for("notifications.inbox"), code=303)


def _safe_next(target: str) -> bool:
    return target.startswith("/") and not target.startswith("//")


@bp.post("/notifications/<int:notification_id>/confirm")
@login_required
def confirm(notification_id: int):
    """Confirm the result a notice asks about (from the toast or the inbox); marks the notice read."""
    from ..tournaments import results
    return _answer_report(notification_id, results.confirm_result, "Result confirmed.")


@bp.post("/notifications/<int:notification_id>/dispute")
@login_required
def dispute(notification_id: int):
    """Dispute the result a notice asks about (an arbiter decides); marks the notice read."""
    from ..tournaments import results
    return _answer_report(notification_id, results.dispute_result, "Report disputed. An arbiter will decide.")


def _answer_report(notification_id: int, answer, done: str):
    """Confirm or dispute the report the notice showed: a report changed since (the game's revision moved on)
    is a 409 saying so, as on the game page (tournaments.results.check_game_shown)."""
    if not ActionForm().validate_on_submit():
        return _answer("The form has expired; reload the page and try again.", 400)
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != current_user.id or not notification.data.get("game"):
        abort(404)
    shown = notification.data.get("version")
    try:
        answer(notification.tournament_id, int(notification.data["game"]), current_user.id,
               shown_revision=shown if isinstance(shown, int) else None)
    except ServiceError as error:
        return _answer(error.message, error.status)
    inbox.mark_read(current_user, notification_id)
    delivery.badge_after_commit(current_user.id)
    db.session.commit()
    return _answer(done, 200)


def _answer(message: str, status: int):
    if request.headers.get("HX-Request"):
        return render_template("notifications/_answer.html", message=message, ok=status < 400), status
    flash(message, "success" if status < 400 else "error")
    return redirect(url_for("notifications.inbox"), code=303)


@bp.post("/alerts/<int:notification_id>/dismiss")
def dismiss_alert(notification_id: int):
    """Hide an emergency alert for this visitor (logged in or not) on the pages they load from now on."""
    if not ActionForm().validate_on_submit():
        abort(400, description="The form has expired; reload the page and try again.")
    dismissed = [i for i in session.get(DISMISSED, []) if isinstance(i, int)][-20:]
    if notification_id not in dismissed:
        dismissed.append(notification_id)
    session[DISMISSED] = dismissed
    if current_user.is_authenticated:
        inbox.mark_read(current_user, notification_id)
        delivery.badge_after_commit(current_user.id)
        db.session.commit()
    if request.headers.get("HX-Request"):
        return "", 204
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("tournaments.index"), code=303)


# --------------------------------------------------------------------------- preferences

@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
@rerender_on_csrf_error
def preferences_page():
    current = preferences.load(current_user.id)
    form = PreferencesForm(data=current.as_dict()) if request.method == "GET" else PreferencesForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("notifications/preferences.html", form=form, groups=GROUPS, channels=CHANNELS,
                                   email_enabled=mail.enabled(), push_key=_push_key()), 400
        preferences.save(current_user.id, {name: getattr(form, name).data for name, _ in GROUPS + CHANNELS})
        delivery.preferences_changed_after_commit(current_user.id)
        db.session.commit()
        flash("Preferences saved.", "success")
        return redirect(url_for("notifications.preferences_page"), code=303)
    return render_template("notifications/preferences.html", form=form, groups=GROUPS, channels=CHANNELS,
                           email_enabled=mail.enabled(), push_key=_push_key())


def _push_key() -> str | None:
    return current_app.config.get("VAPID_PUBLIC_KEY") if push.enabled() else None


# --------------------------------------------------------------------------- JSON for programs

@bp.get("/notifications/api/preferences")
@login_required
def api_preferences():
    # The CSRF token goes with it: changes (PUT) must send it back in the X-CSRFToken header.
    return jsonify(preferences=preferences.load(current_user.id).as_dict(), email_enabled=mail.enabled(),
                   push_public_key=current_app.config.get("VAPID_PUBLIC_KEY") if push.enabled() else None,
                   csrf_token=generate_csrf())


@bp.route("/notifications/api/preferences", methods=["PUT", "PATCH", "POST"])
@login_required
def api_update_preferences():
    """JSON object of switches to change, e.g. {"pairing_updates": false}; unknown names or non-booleans: 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return jsonify(error="Send a JSON object of preference switches, e.g. {\"email\": false}."), 400
    unknown = sorted(set(body) - set(preferences.FIELDS))
    if unknown:
        return jsonify(error=f"Unknown preference(s): {', '.join(unknown)}; known: "
                             f"{', '.join(preferences.FIELDS)}."), 400
    wrong = sorted(name for name, value in body.items() if not isinstance(value, bool))
    if wrong:
        return jsonify(error=f"Preferences are true or false: {', '.join(wrong)}."), 400
    saved = preferences.save(current_user.id, body)
    delivery.preferences_changed_after_commit(current_user.id)
    db.session.commit()
    return jsonify(preferences=saved.as_dict(), email_enabled=mail.enabled())


@bp.get("/notifications/api/notifications")
@login_required
def api_notifications():
    number = _page_number()
    items, more = inbox.page(current_user, number, unread_only=request.args.get("unread") == "1")
    return jsonify(notifications=[{**as_data(i.notification), "read": i.read} for i in items], page=number,
                   more=more, unread=inbox.unread_count(current_user))


# --------------------------------------------------------------------------- Web Push

@bp.get("/push-sw.js")
def service_worker():
    """The push service worker, served from the site root so its scope covers every page."""
    response = current_app.send_static_file("js/push-sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/notifications/api/push-subscriptions", methods=["POST", "DELETE"])
@login_required
def api_push_subscription():
    """Store (POST) or forget (DELETE) this browser's PushSubscription.toJSON(): {endpoint, keys: {p256dh, auth}}."""
    if not push.enabled():
        return jsonify(error="Push is off on this server (no VAPID keys are configured)."), 409
    body = request.get_json(silent=True)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("endpoint"), str) or not isinstance(keys, dict):
        return jsonify(error="Send the subscription as JSON: {\"endpoint\": ..., \"keys\": {\"p256dh\": ..., "
                             "\"auth\": ...}}."), 400
    if request.method == "DELETE":
        db.session.execute(delete(PushSubscription).where(PushSubscription.endpoint == body["endpoint"],
                                                          PushSubscription.user_id == current_user.id))
        db.session.commit()
        return jsonify(ok=True)
    try:
        push.subscribe(current_user.id, body["endpoint"], str(keys.get("p256dh", "")), str(keys.get("auth", "")))
    except ValueError as error:
        return jsonify(error=str(error)), 400
    db.session.commit()
    return jsonify(ok=True), 201


def register_cli(app) -> None:  # noqa: ANN001 - Flask
    """`flask notifications vapid`: print a new VAPID key pair as settings."""
    import click
    from flask.cli import AppGroup

    group = AppGroup("notifications", help="Notification settings.")

    @group.command("vapid")
    def vapid() -> None:
        """Make a VAPID key pair for Web Push; put the two lines in the environment or instance/config.py."""
        private, public = push.make_keys()
        click.echo(f"CHESSWEB_VAPID_PRIVATE_KEY={private}")
        click.echo(f"CHESSWEB_VAPID_PUBLIC_KEY={public}")
        click.echo("# and CHESSWEB_VAPID_SUBJECT=mailto:you@your.club (how push services reach you)")

    app.cli.add_command(group)
