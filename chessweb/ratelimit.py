"""Per-client request limits on the public pages that cost the most to build (Flask-Limiter).

A big event's standings, scoreboard, crosstable and exports cost up to seconds of CPU each, in the process that
holds the WebSockets; a dozen anonymous refreshes stalled every socket of a worker (case
anonymous-heavy-page-cpu). Live pages update themselves over the WebSocket, so a person has no reason to
reload them often: past RATELIMIT_HEAVY_PAGES (shared by all these pages) a client gets 429 with Retry-After.

A client is its account when logged in (so an arbiter's hall-wide NAT is not shared with spectators), else
its address (the client's, with PROXY_FIX_X_FOR set; chessweb/proxies.py). Counters live in Redis when the
app has one (REDIS_URL: every process counts together), else in this process's memory; if Redis fails, pages
are served unlimited rather than refused (RATELIMIT_SWALLOW_ERRORS).
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

# Endpoints whose rendering grows with the size of the event.
HEAVY_ENDPOINTS = ("tournaments.scoreboard", "tournaments.standings", "tournaments.crosstable",
                   "tournaments.export_trf", "tournaments.export_pgn", "api.tournament", "api.standings")
SCOPE = "heavy-pages"


def client_key() -> str:
    """`user:<id>` when logged in, else the client's address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def heavy_pages_limit() -> str:
    """The configured limit, read per request, in Flask-Limiter's notation ("60 per minute;600 per hour")."""
    return str(current_app.config["RATELIMIT_HEAVY_PAGES"])


def init_app(app: Flask) -> Limiter:
    """Attach a limiter to `app` and limit its HEAVY_ENDPOINTS; call after the blueprints are registered."""
    broker = str(app.config.get("BROKER_URL") or "")
    app.config.setdefault("RATELIMIT_STORAGE_URI", broker if broker.startswith(("redis://", "rediss://"))
                          else "memory://")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config.get('BROKER_PREFIX', 'chessweb')}:limits")
    limiter = Limiter(client_key, app=app)
    shared = limiter.shared_limit(heavy_pages_limit, scope=SCOPE, methods=["GET", "HEAD"])  # HEAD runs the view too
    for endpoint in HEAVY_ENDPOINTS:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    return limiter
