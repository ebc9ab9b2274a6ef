"""`/admin/system` (the health figures, live on `admin`) and `/admin/connections` (every open socket; close one)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for

from ..live import channels
from ..models import Role
from ..permissions import role_required
from ..tournaments.web import live_url
from . import activity, charts, connections
from .blueprint import bp
from .forms import CloseConnectionForm


@bp.get("/system")
@role_required(Role.ADMIN)
def system():
    """System health: connections, traffic, dependencies, processes, recent 5xx, alerts."""
    monitor = current_app.extensions["monitoring"]
    charts = monitor.last_charts or monitor.charts()
    return render_template("monitoring/system.html", health_html=monitor.current().html, charts_html=charts.html,
                           live_url=live_url(channels.ADMIN))


@bp.get("/system/charts.css")
@role_required(Role.ADMIN)
def charts_css():
    """The health charts' stylesheet: pygal's inline <style>, served from this site for the CSP."""
    response = current_app.response_class(charts.stylesheet(), mimetype="text/css")
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/connections")
@role_required(Role.ADMIN)
def connections_page():
    """Open connections of every process, filtered and paged; `?format=json` (or Accept: application/json) for
    programs: {"connections": [...], "total", "page", "per_page"} (the seed's getActiveConnections)."""
    user = request.args.get("user", "")[:64]
    channel = request.args.get("channel", "")[:120]
    tournament = request.args.get("tournament", type=int)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10**6))
    rows, total = connections.active_connections(user=user, channel=channel, tournament=tournament, page=page)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(connections=[r.as_json() for r in rows], total=total, page=page,
                       per_page=connections.PER_PAGE)
    pages = max(1, -(-total // connections.PER_PAGE))
    # The unfiltered first page is the live one (`admin-connections` on `admin`, one render for every admin);
    # a filtered or later page keeps its rows and shows the live total with a link to load it again.
    is_live_view = not (user or channel or tournament is not None) and page == 1
    total_now = total if is_live_view else connections.active_connections(per_page=1)[1]
    return render_template("monitoring/connections.html", rows=rows, total=total, page=page, pages=pages,
                           filters={"user": user, "channel": channel, "tournament": tournament or ""},
                           form=CloseConnectionForm(),
                           close_codes=(connections.CLOSE_BY_ADMIN, connections.CLOSE_BANNED),
                           is_live_view=is_live_view, total_now=total_now, per_page=connections.PER_PAGE,
                           loaded_at=datetime.now(timezone.utc).strftime("%H:%M:%S"),
                           live_url=live_url(channels.ADMIN))


@bp.post("/connections/<session_id>/close")
@role_required(Role.ADMIN)
def close(session_id: str):
    """Close one connection with a reason; a ban closes with 4403, which the page does not reconnect from."""
    form = CloseConnectionForm()
    if not form.validate_on_submit():
        flash("The reason is too long, or the form expired; nothing was closed.", "error")
        return redirect(url_for("monitoring.connections_page")), 303
    if connections.close_connection(current_app, session_id[:64], form.reason.data or "", ban=bool(form.ban.data)):
        flash("The connection is being closed"
              + (" as banned: that page will not reconnect by itself." if form.ban.data else "."), "success")
    else:
        flash("That connection is not open any more.", "error")
    return redirect(url_for("monitoring.connections_page", **{k: v for k, v in request.args.items()
                                                              if k in ("user", "channel", "tournament", "page")}), 303)


@bp.get("/online")
@role_required(Role.ADMIN)
def online():
    """Who is online: signed-in users with an open socket, by role and by name, 50 a page."""
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10**6))
    users, total, by_role = activity.online_users(page)
    if request.args.get("format") == "json":
        return jsonify(users=[{"id": u.id, "name": u.name, "role": u.role.value, "sockets": u.sockets,
                               "last_seen_at": u.last_seen_at.isoformat() + "Z" if u.last_seen_at else None}
                              for u in users], total=total, by_role=by_role, page=page)
    return render_template("monitoring/online.html", users=users, total=total, by_role=by_role, page=page,
                           pages=max(1, -(-total // 50)))
