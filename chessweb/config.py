"""Configuration in layers: code defaults here, then instance/config.py, then the environment, then tests."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class ConfigError(RuntimeError):
    """The app cannot start with this configuration; the message says how to fix it."""


DEFAULTS: dict[str, Any] = {
    # "development" lets a missing SECRET_KEY be generated; anything else requires one.
    "ENV": "production",
    "SQLALCHEMY_DATABASE_URI": None,  # default: SQLite file in instance/
    "BROKER_URL": "memory://",
    "BROKER_PREFIX": "chessweb",  # Redis pub/sub channel and presence keys: one prefix per deployment
    # Cookies only over HTTPS, except in development and tests (None: decided in load()). A site served
    # over plain HTTP, e.g. on a club's LAN, sets CHESSWEB_SESSION_COOKIE_SECURE=false.
    "SESSION_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SECURE": None,
    # Number of trusted proxies in front of the app (X-Forwarded-For/-Proto/-Host); 0: none. Unset (None),
    # production refuses to start on a loopback-only bind, where a proxy must be in front (chessweb/proxies.py).
    "PROXY_FIX_X_FOR": None,
    # /metrics answers loopback only, unless this bearer token is configured and sent.
    "METRICS_TOKEN": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # token valid for the session: a long tournament day must not expire forms
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # uploads (TRF files) and forms
    "PAIRING_CHILD_MIN_PLAYERS": 50,  # Swiss fields this big are paired in a child process (chessweb.jobs)
    "PAIRING_TIMEOUT_SECONDS": 3600,  # ... which is killed after this long (a hung child, not a slow round)
    # TRF files this big are imported in a child process (chessweb.jobs), killed after the timeout
    "TRF_IMPORT_CHILD_MIN_BYTES": 16 * 1024,
    "TRF_IMPORT_TIMEOUT_SECONDS": 600,
    # Full-point byes an organizer may grant each player per tournament (the regulations decide; 0: none).
    "FULL_POINT_BYES_PER_PLAYER": 1,
    # A request body must arrive whole within this many seconds, and one address may be sending at most this
    # many bodies at once (chessweb/slowbody.py); the reverse proxy in front has its own, stricter limits.
    "REQUEST_BODY_TIMEOUT_SECONDS": 30,
    "REQUEST_BODIES_PER_ADDRESS": 20,
    # Failed logins (per email from one client address, and per address) heard at once; each further one
    # doubles the wait before the next attempt, from LOGIN_FIRST_WAIT_SECONDS up to the window. The owner
    # logging in from another address is never refused (chessweb/auth/throttle.py).
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "LOGIN_FAILURES_PER_EMAIL": 5,
    "LOGIN_FAILURES_PER_IP": 20,
    "LOGIN_FIRST_WAIT_SECONDS": 30,
    # Per client (account, else address) over all heavy public pages together: standings, scoreboard,
    # crosstable, exports (chessweb/ratelimit.py; Flask-Limiter notation, RATELIMIT_* settings apply).
    "RATELIMIT_HEAVY_PAGES": "60 per minute",
    # WebSocket limits and timing (see chessweb/realtime).
    "WS_ALLOWED_ORIGINS": [],  # besides the site's own origin
    "WS_MAX_MESSAGE_BYTES": 4096,
    "WS_MESSAGES_PER_SECOND": 10,
    "WS_MAX_CHANNELS": 32,
    "WS_PING_INTERVAL": 25,
    "WS_OUTBOX_SIZE": 256,
    "WS_SEND_TIMEOUT": 5.0,
    "WS_PERMESSAGE_DEFLATE": True,  # big frames compressed once per message, shared by every socket
    "FRAGMENT_CACHE_BYTES": 32 * 1024 * 1024,  # rendered page fragments per tournament revision, per process
    # The live renders of tournaments with this many registrations run in a long-lived child process per
    # serving process (chessweb/tournaments/render_process.py; 0: never), killed after the timeout.
    "LIVE_RENDER_CHILD_MIN_PLAYERS": 500,
    "LIVE_RENDER_TIMEOUT_SECONDS": 60,
    # Housekeeping: closed connection rows and published events are deleted after this many days (0: never).
    "WS_CONNECTION_RETENTION_DAYS": 7,
    "REALTIME_EVENT_RETENTION_DAYS": 30,
    # A consumer's claim on committed events lasts this long; then any process's sweep (run this often)
    # takes it over, so a process killed between claiming and publishing loses no update (chessweb/live).
    "LIVE_CLAIM_SECONDS": 3.0,
    "LIVE_SWEEP_SECONDS": 1.0,
    # Webhooks (chessweb/webhooks): failed tries are retried after BACKOFF * 2^(n-1) seconds, up to MAX_ATTEMPTS.
    # URLs whose host is or resolves to a loopback, private, link-local, multicast or reserved address are
    # refused at registration and again at every delivery; turn this on only where every receiver is on a
    # closed network you trust (the tests' receivers listen on 127.0.0.1).
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": False,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_BACKOFF_SECONDS": 30.0,
    "WEBHOOK_POLL_SECONDS": 5.0,
    # Notification email (Flask-Mailman): off unless MAIL_SERVER is set; links in emails start with SITE_URL.
    "MAIL_SERVER": None,
    "MAIL_DEFAULT_SENDER": "ChessWeb <noreply@localhost>",
    "SITE_URL": "http://localhost:5000",
}


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config from every layer and check what must be set."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    _from_environment(app)
    if test_config:
        app.config.update(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "chessweb.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    local = app.config["ENV"] == "development" or bool(app.config.get("TESTING"))
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[key] is None:
            app.config[key] = not local
    _ensure_secret_key(app)


def _from_environment(app: Flask) -> None:
    # The usual unprefixed names first, so CHESSWEB_* can still override them.
    for env_name, key in (("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("REDIS_URL", "BROKER_URL"),
                          ("SECRET_KEY", "SECRET_KEY")):
        if os.environ.get(env_name):
            app.config[key] = os.environ[env_name]
    app.config.from_prefixed_env("CHESSWEB")


def normalize_database_url(url: str) -> str:
    """Hosting providers hand out postgres:// URLs; SQLAlchemy wants a dialect+driver name."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Wait for the writer instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True}


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV"] != "development" and not app.config.get("TESTING"):
        raise ConfigError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random string, e.g.\n"
            "    export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')\n"
            "or put SECRET_KEY = '...' in instance/config.py. "
            "(For local development only, CHESSWEB_ENV=development generates one in instance/.)")
    # Development: a random key kept in instance/, so logins survive restarts. Never committed.
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
