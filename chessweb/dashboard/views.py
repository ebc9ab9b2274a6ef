"""`/dashboard`: the page, rendered with the same macros the live fragments use (one spelling on every path)."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from ..live import channels
from ..models import Role
from ..tournaments.web import live_url
from . import live, queries
from .blueprint import bp


@bp.get("/dashboard")
@login_required
def index():
    """What is happening now: the overview and recent results for everyone, the signed-in user's own sections
    (player; organizer for organizers and admins). Live on `tournaments:all` and `user:<id>`."""
    user_id = current_user.id
    organizer = current_user.has_role(Role.ORGANIZER)
    return render_template(
        "dashboard/index.html",
        overview=queries.overview_context(live.watching), recent=queries.recent_results_context(),
        player=queries.player_context(user_id, live.Ranks()),
        organizer=queries.organizer_context(user_id) if organizer else None,
        live_url=live_url(channels.TOURNAMENTS_ALL, channels.user(user_id)))
