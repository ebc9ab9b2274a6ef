"""The `/ws` route: handshake checks before the upgrade, then a LiveSession on the socket."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from flask_sock import Sock
from simple_websocket import Server

from .connection import UserInfo
from .session import LiveSession

bp = Blueprint("realtime", __name__)
sock = Sock()  # only its route decorator is used: the route belongs to `bp`, which init_app registers

FORMATS = ("html", "json")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


def _netloc(scheme: str, netloc: str) -> str:
    """host[:port] without the scheme's default port, lowercased."""
    netloc = netloc.lower()
    default = _DEFAULT_PORTS.get(scheme)
    return netloc[:-len(default) - 1] if default and netloc.endswith(":" + default) else netloc


def origin_allowed(origin: str, host: str, scheme: str, allowed: list[str] | tuple[str, ...]) -> bool:
    """Same site (Origin's host:port equals the Host the browser connected to) or explicitly allowed."""
    origin = origin.strip().rstrip("/").lower()
    if origin in {entry.strip().rstrip("/").lower() for entry in allowed}:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # includes "null" (sandboxed frames, file:// pages)
    # The scheme may differ behind a TLS-terminating proxy; the host is what tells sites apart.
    return _netloc(parts.scheme, parts.netloc) == _netloc(scheme, host)


@bp.before_request
def check_handshake() -> None:
    """Refuse before upgrading: wrong Origin (403), unknown format (400). Turn off compression unless enabled."""
    config = current_app.config
    origin = request.headers.get("Origin")
    # Browsers always send Origin on a WebSocket handshake, so a page on another site trying to use this
    # visitor's cookies (cross-site WebSocket hijacking) is refused here. A program without an Origin header
    # is let through: it can only present credentials it already holds, and could forge the header anyway.
    if origin is not None and not origin_allowed(origin, request.host, request.scheme,
                                                 config.get("WS_ALLOWED_ORIGINS") or ()):
        abort(403, description="This origin may not open a live connection.")
    if request.args.get("format", "html") not in FORMATS:
        abort(400, description="format must be html or json")
    if "since" in request.args and _since() is None:
        abort(400, description="since must be a version: a whole number from 0 to 2^63-1")
    if not config.get("WS_PERMESSAGE_DEFLATE"):
        # simple-websocket accepts permessage-deflate whenever offered. Big frames are compressed once per
        # message and shared (frames.py), so it costs no CPU per socket; this turns it off altogether.
        request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


@sock.route("/ws", bp=bp)  # type: ignore[untyped-decorator]  # flask-sock has no type hints
def ws(ws: Server) -> None:
    """A live connection: `?channel=...` (repeatable), `format=html` (default, for htmx) or `json`, and
    `since=<version>` (optional): the version the page was rendered at, so its snapshot skips what it shows."""
    core = current_app.extensions["realtime"]
    user = user_info(current_user)
    core.storage.release()  # loading the user used the database; the socket must not keep a connection
    session = LiveSession(ws, core, user=user, fmt=request.args.get("format", "html"),
                          channels=request.args.getlist("channel"), ip=request.remote_addr or "",
                          user_agent=request.headers.get("User-Agent", ""), since=_since())
    session.run()


def _since() -> int | None:
    """`?since=<version>`: the version the page was rendered at (see Hub.current); None when absent or bad."""
    raw = request.args.get("since")
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if value < 1 << 63 else None


def user_info(user: object) -> UserInfo:
    """The parts of Flask-Login's user the live core needs, as a plain value."""
    if not getattr(user, "is_authenticated", False):
        role = getattr(user, "role", None)
        return UserInfo(id=None, role=getattr(role, "value", role))
    role = getattr(user, "role", None)
    return UserInfo(id=int(user.get_id()), role=getattr(role, "value", role))  # type: ignore[attr-defined]
