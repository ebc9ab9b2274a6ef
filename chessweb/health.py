"""Liveness for load balancers and Prometheus metrics for operators."""
from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from . import __version__
from .extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """JSON status: version and whether the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, don't crash: this page exists to say what is wrong
        db.session.rollback()
        database = f"error: {type(exc).__name__}"
    ok = database == "ok"
    return jsonify(status="ok" if ok else "degraded", version=__version__, database=database), (200 if ok else 503)


@bp.get("/metrics")
def metrics():
    """Prometheus text format, for a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`.

    Closed by default: without a token configured it answers nobody, except this machine in development
    (behind a same-host proxy every request looks local, so "loopback only" would open it to the world).
    Under gunicorn the figures are those of all workers together (prometheus_client multiprocess mode).
    """
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
            abort(403, description="Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.")
    elif not (current_app.config["ENV"] == "development" and _is_loopback(request.remote_addr)):
        abort(403, description="Metrics are closed: set METRICS_TOKEN and send it as a Bearer token to scrape them.")
    # The type already names its charset; Flask's `mimetype=` would append a second one.
    return Response(generate_latest(_registry()), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _registry() -> CollectorRegistry:
    """This process's registry, or under gunicorn (PROMETHEUS_MULTIPROC_DIR set) one over every worker's files."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


csrf.exempt(bp)
