"""`/admin/system`: the health figures, live on `admin` (the page shows the last tick's fragment)."""
from __future__ import annotations

from flask import current_app, render_template

from ..live import channels
from ..models import Role
from ..permissions import role_required
from ..tournaments.web import live_url
from .blueprint import bp


@bp.get("/system")
@role_required(Role.ADMIN)
def system():
    """System health: connections, traffic, dependencies, processes, recent 5xx, alerts."""
    monitor = current_app.extensions["monitoring"]
    charts = monitor.last_charts or monitor.charts()
    return render_template("monitoring/system.html", health_html=monitor.current().html, charts_html=charts.html,
                           live_url=live_url(channels.ADMIN))
