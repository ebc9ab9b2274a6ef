"""`admin` with the system health and the open connections: an admin's socket gets the last tick's figures
and the current connections table when it connects."""
from __future__ import annotations

from flask import current_app

from ..dashboard.live import DashboardUserArea
from ..live.channels import KIND_ADMIN, Channel
from ..realtime import Fragment
from . import connections


class MonitoringArea(DashboardUserArea):
    """`system`, `admin`, `user:<id>` as the dashboard serves them, plus the health fragment on `admin`."""

    def snapshot(self, channel: Channel) -> list[Fragment]:
        out = list(super().snapshot(channel))
        if channel.kind == KIND_ADMIN and "monitoring" in current_app.extensions:
            monitor = current_app.extensions["monitoring"]
            out += [monitor.current(), monitor.last_charts or monitor.charts(), *connections.connections_fragments()]
        return out
