"""Liveness for load balancers and Prometheus metrics for operators."""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
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
    """Prometheus text format: connection and delivery counters of this process (operators only)."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
            abort(403)
    elif not ipaddress.ip_address(request.remote_addr or "0.0.0.0").is_loopback:
        abort(403, description="Metrics are served to this machine only; set METRICS_TOKEN to scrape remotely.")
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


csrf.exempt(bp)
