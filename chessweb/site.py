"""The site-wide channels (`system`, `admin`, `user:<id>`, `alerts`, `system:role:<ROLE>`,
`tournament:<id>:notices`) are owned by one area, since a channel kind has exactly one owner. Each feature
adds its part by subclassing `CommonArea` and calling `super()` first; this class stacks them (Python's
method resolution order runs monitoring, then the dashboard, then notifications, then CommonArea)."""
from __future__ import annotations

from .monitoring.area import MonitoringArea
from .notifications.live import NotificationsArea


class SiteArea(MonitoringArea, NotificationsArea):
    """Notifications' channels and rules, with the dashboard's user sections and the admin's system health."""
    kinds = NotificationsArea.kinds
