"""Open WebSocket connections of every process, as the live core records them (WebSocketConnection rows), and
closing one from the admin page, wherever it lives.

A close is carried out by the process holding the socket: directly when that is this process, otherwise
through the sample store (Redis list `monitor:close:<server>`), which the owner reads on its next health tick
(about 2 s). Close codes (RFC 6455 §7.4.2, 4000-4999 for applications): CLOSE_BY_ADMIN (4000) and CLOSE_BANNED
(4403); browsers do not reconnect on either (static/js/app.js reconnects only on 1001, 1005, 1006, 1011-1014)
and the page says it was disconnected and offers a reload.

Live (`admin` channel): `connections_fragment` renders the totals and the first page of the unfiltered list as
two fragments, `admin-connections` (the table) and `admin-connections-total` (one sentence). The health tick's
leading process renders them at most once per tick (about 2 s), and only when the set of open connections
changed or one changed its channels (`connections_state`), whatever the number of admins watching. A filtered
or paged view keeps the rows it was loaded with and shows the live total only, with a link to load it again."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import time

from flask import Flask
from sqlalchemy import String, cast, func, or_, select

from ..extensions import db
from ..live import channels
from ..live.fragments import fragment
from ..models import User, WebSocketConnection
from ..realtime import Fragment

CLOSE_BY_ADMIN = 4000
CLOSE_BANNED = 4403
PER_PAGE = 50
TABLE_KEY = "admin-connections"
TOTAL_KEY = "admin-connections-total"
TEMPLATE = "monitoring/_connections.html"
MAX_REASON = 100  # characters: a close frame's reason is at most 123 bytes (RFC 6455 §5.5)


@dataclass(frozen=True)
class ConnectionRow:
    session_id: str
    user_id: int | None
    user: str | None  # display name; None for an anonymous visitor
    ip: str
    user_agent: str
    connected_at: datetime
    last_ping_at: datetime
    subscriptions: tuple[str, ...]
    server: str

    def as_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "user_id": self.user_id, "user": self.user, "ip": self.ip,
                "user_agent": self.user_agent, "connected_at": self.connected_at.isoformat() + "Z",
                "last_ping_at": self.last_ping_at.isoformat() + "Z", "subscriptions": list(self.subscriptions),
                "server": self.server}


def active_connections(*, user: str = "", channel: str = "", tournament: int | None = None, page: int = 1,
                       per_page: int = PER_PAGE) -> tuple[list[ConnectionRow], int]:
    """(one page of open connections, newest first, how many match) filtered by `user` (display name, part of
    it, or "anonymous"), `channel` (exact name) and `tournament` (any of its channels). `page` starts at 1."""
    query = select(WebSocketConnection, User.display_name).outerjoin(User, WebSocketConnection.user_id == User.id) \
        .where(WebSocketConnection.active)
    if user.strip().lower() == "anonymous":
        query = query.where(WebSocketConnection.user_id.is_(None))
    elif user.strip():
        query = query.where(func.lower(User.display_name).contains(user.strip().lower(), autoescape=True))
    # Subscriptions are a JSON list of names; a name in it is spelled "name" in its text on every database.
    text = cast(WebSocketConnection.subscriptions, String)
    if channel:
        query = query.where(text.contains(f'"{channel}"', autoescape=True))
    if tournament is not None:
        query = query.where(or_(text.contains(f'"tournament:{tournament}"', autoescape=True),
                                text.contains(f'"tournament:{tournament}:', autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(WebSocketConnection.connected_at.desc(), WebSocketConnection.id.desc())
                              .limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return [ConnectionRow(session_id=c.session_id, user_id=c.user_id, user=name, ip=c.ip, user_agent=c.user_agent,
                          connected_at=c.connected_at, last_ping_at=c.last_ping_at,
                          subscriptions=tuple(c.subscriptions or ()), server=c.server_id)
            for c, name in rows], int(total)


def connections_state() -> tuple[int, int, int, int]:
    """(how many connections are open, the sum of their row ids, the highest id, the total length of their
    subscription lists): a different value whenever a connection opened or closed since (ids are never
    reused) or changed its channels (a row is recorded at connect and its channels a batch later, so the
    table must not keep a new row without them), read in one query."""
    count, total, highest, channels_length = db.session.execute(
        select(func.count(WebSocketConnection.id), func.coalesce(func.sum(WebSocketConnection.id), 0),
               func.coalesce(func.max(WebSocketConnection.id), 0),
               func.coalesce(func.sum(func.length(cast(WebSocketConnection.subscriptions, String))), 0))
        .where(WebSocketConnection.active)).one()
    return int(count or 0), int(total or 0), int(highest or 0), int(channels_length or 0)


def connections_fragments() -> list[Fragment]:
    """[`admin-connections`, `admin-connections-total`] on `admin`: the newest PER_PAGE open connections of the
    unfiltered list and how many there are, the same for every admin (versioned in microseconds since the
    epoch, read before the rows). Needs an app context with a request (url_for); the caller lends one."""
    version = time.time_ns() // 1000
    rows, total = active_connections()
    data = {"total": total, "per_page": PER_PAGE, "connections": [r.as_json() for r in rows]}
    context = {"rows": rows, "total": total, "per_page": PER_PAGE}
    return [fragment(channels.ADMIN, TABLE_KEY, version, TEMPLATE, "connections_table", context, data),
            fragment(channels.ADMIN, TOTAL_KEY, version, TEMPLATE, "connections_total", {"total": total},
                     {"total": total})]


def close_connection(app: Flask, session_id: str, reason: str, *, ban: bool) -> bool:
    """Ask the process holding connection `session_id` to close it with CLOSE_BANNED or CLOSE_BY_ADMIN and
    `reason` (trimmed to MAX_REASON). False when no open connection has that id."""
    row = db.session.scalar(select(WebSocketConnection).where(WebSocketConnection.session_id == session_id,
                                                              WebSocketConnection.active))
    if row is None:
        return False
    code = CLOSE_BANNED if ban else CLOSE_BY_ADMIN
    reason = " ".join(reason.split())[:MAX_REASON] or ("banned" if ban else "closed by an administrator")
    monitor = app.extensions["monitoring"]
    if row.server_id == app.extensions["realtime"].server_id:
        return close_local(app, session_id, code, reason) or True
    monitor.store.request_close(row.server_id, {"session_id": session_id, "code": code, "reason": reason})
    return True


def close_local(app: Flask, session_id: str, code: int, reason: str) -> bool:
    """Close this process's connection `session_id`; False when it holds none by that id."""
    for connection in app.extensions["realtime"].connections():
        if connection.session_id == session_id:
            connection.request_close(code, reason)
            return True
    return False
