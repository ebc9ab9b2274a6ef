"""System monitoring for administrators: `/admin/system` (health figures pushed on `admin` every ~2 s).

    monitoring.init_app(app)   # in create_app, after live.init_app

See health.py for the tick, the thresholds and the alert hook; samples.py for what one process measures.
"""
from __future__ import annotations

from flask import Flask

from ..realtime import realtime
from . import activity, health, samples, store
from .blueprint import bp
from . import views  # noqa: F401  (registers the routes on bp)

__all__ = ["bp", "init_app", "monitor_of"]


def init_app(app: Flask) -> health.Monitor:
    """Count requests and 5xx, and run the health tick on the live core's worker every HEALTH_INTERVAL s."""
    samples.install_error_log(app)
    activity.install(app)
    url = app.config.get("BROKER_URL") or "memory://"
    prefix = app.config.get("BROKER_PREFIX") or "chessweb"
    sample_store = store.RedisSampleStore(url, prefix) if url.startswith("redis") else store.MemorySampleStore()
    core = app.extensions["realtime"]
    monitor = health.Monitor(app, sample_store, core.hub.receive)
    app.extensions["monitoring"] = monitor
    realtime.every("monitoring:health", float(app.config.get("MONITOR_INTERVAL_SECONDS") or health.HEALTH_INTERVAL),
                   monitor.tick, app=app)
    return monitor


def monitor_of(app: Flask) -> health.Monitor:
    """The Monitor `init_app` installed."""
    monitor: health.Monitor = app.extensions["monitoring"]
    return monitor
