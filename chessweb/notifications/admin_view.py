"""The notification center: `/admin/notifications` for admins (anyone, any role, any user, any tournament,
emergency alerts) and organizers (their own tournaments' players and spectators only)."""
from __future__ import annotations

import re
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..errors import rerender_on_csrf_error
from ..extensions import db
from ..models import Notification, Role, Tournament, User
from ..permissions import role_required
from . import mail, service

from .admin_rows import recent, rows_context
from .blueprint import bp
from .forms import ActionForm, SendForm

SEARCH_LIMIT = 20
_IDS = re.compile(r"^\s*\d{1,9}(\s*,\s*\d{1,9})*\s*$")


def _tournaments() -> list[Tournament]:
    query = select(Tournament).order_by(Tournament.start_date.desc(), Tournament.id.desc())
    if current_user.role != Role.ADMIN:
        query = query.where(Tournament.organizer_id == current_user.id)
    return list(db.session.scalars(query.limit(200)))


def _recent() -> list[Notification]:
    return recent(None if current_user.role == Role.ADMIN else current_user.id)


def search_users(term: str) -> list[User]:
    """Users whose name or email contains `term` (case-insensitive), at most SEARCH_LIMIT."""
    term = term.strip()[:100]
    if not term:
        return []
    pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(db.session.scalars(select(User).where(or_(
        func.lower(User.display_name).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\")))
        .order_by(User.display_name).limit(SEARCH_LIMIT)))


def _render(form: SendForm, status: int = 200, chosen: list[User] | None = None):
    # Only admins look people up: an organizer's reach is their own tournaments.
    term = request.args.get("q", "") if current_user.role == Role.ADMIN else ""
    return render_template("notifications/admin.html", form=form, tournaments=_tournaments(),
                           rows=rows_context(_recent()), found=search_users(term), term=term,
                           chosen=chosen or [], action_form=ActionForm(), email_enabled=mail.enabled(),
                           is_admin=current_user.role == Role.ADMIN), status


@bp.get("/admin/notifications")
@role_required(Role.ORGANIZER)
def center():
    return _render(SendForm(formdata=None))


@bp.get("/admin/notifications/users")
@role_required(Role.ADMIN)
def user_search():
    """JSON for the search box: [{id, name, email}]."""
    return jsonify(users=[{"id": u.id, "name": u.display_name, "email": u.email}
                          for u in search_users(request.args.get("q", ""))])


@bp.post("/admin/notifications")
@role_required(Role.ORGANIZER)
@rerender_on_csrf_error
def send():
    form = SendForm()
    raw_users = ",".join(v for v in request.form.getlist("users") if v.strip())
    if not form.validate_on_submit():
        return _render(form, 400)
    if raw_users and not _IDS.match(raw_users):
        form.users.errors = ["User ids are numbers separated by commas."]
        return _render(form, 400)
    broadcast = service.Broadcast(
        title=form.title.data or "", message=form.message.data or "", type=form.type.data,
        priority=form.priority.data, roles=list(form.roles.data or []),
        user_ids=[int(v) for v in raw_users.split(",")] if raw_users else [], tournament_id=form.tournament.data)
    try:
        notification = service.send(broadcast, current_user)
    except service.NotificationError as error:
        db.session.rollback()
        target = getattr(form, {"users": "users", "tournament": "tournament"}.get(error.field or "", error.field or ""),
                         None)
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            flash(error.message, "error")
        return _render(form, error.status)
    db.session.commit()
    flash(f"Sent: {notification.title}", "success")
    return redirect(url_for("notifications.center"), code=303)


@bp.post("/admin/notifications/<int:notification_id>/withdraw")
@role_required(Role.ORGANIZER)
def withdraw(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description="The form has expired; reload the page and try again.")
    try:
        service.withdraw(notification_id, current_user)
    except service.NotificationError as error:
        abort(error.status, description=error.message)
    db.session.commit()
    if request.headers.get("HX-Request"):
        return "", 204
    flash("Withdrawn.", "success")
    return redirect(url_for("notifications.center"), code=303)
