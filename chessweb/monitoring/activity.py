"""User activity: `last_seen_at` kept current (throttled) and who is online (users with an open socket).

`last_seen_at` is written at most once per LAST_SEEN_SECONDS per user (config LAST_SEEN_SECONDS, default 300):
a per-process memory of the last write first, then one conditional UPDATE, in its own short transaction after
the response is built, never inside the request's."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_login import current_user
from sqlalchemy import func, or_, select, update
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Role, User, WebSocketConnection, utcnow

LAST_SEEN_SECONDS = 300.0
_written: dict[int, float] = {}  # user id -> monotonic time of this process's last write
_lock = threading.Lock()


def install(app: Flask) -> None:
    """Touch the signed-in user's `last_seen_at` after each request (throttled)."""
    every = float(app.config.get("LAST_SEEN_SECONDS") or LAST_SEEN_SECONDS)

    @app.after_request
    def _seen(response: Response) -> Response:
        if response.status_code < 500 and current_user and current_user.is_authenticated:
            touch(int(current_user.id), every)
        return response


def touch(user_id: int, every: float = LAST_SEEN_SECONDS) -> bool:
    """Set `user_id`'s last_seen_at to now unless it was set less than `every` seconds ago. True if written."""
    now = time.monotonic()
    with _lock:
        if now - _written.get(user_id, -1e18) < every:
            return False
        _written[user_id] = now
        if len(_written) > 100_000:  # forget the oldest half rather than grow without bound
            for key in sorted(_written, key=_written.get)[:50_000]:
                del _written[key]
    at = utcnow()
    with db.engine.begin() as connection:  # its own transaction: the request's is finished or untouched
        result = connection.execute(update(User).where(
            User.id == user_id, or_(User.last_seen_at.is_(None), User.last_seen_at < at - timedelta(seconds=every)))
            .values(last_seen_at=at))
    return bool(result.rowcount)


@dataclass(frozen=True)
class OnlineUser:
    id: int
    name: str
    role: Role
    sockets: int
    last_seen_at: datetime | None


def online_users(page: int = 1, per_page: int = 50) -> tuple[list[OnlineUser], int, dict[str, int]]:
    """(one page of signed-in users with an open socket, by name; how many there are; {role: users online})."""
    sockets = func.count(WebSocketConnection.id)
    base = select(User.id, User.display_name, User.role, User.last_seen_at, sockets.label("sockets")) \
        .join(WebSocketConnection, WebSocketConnection.user_id == User.id) \
        .where(WebSocketConnection.active).group_by(User.id, User.display_name, User.role, User.last_seen_at)
    by_role = dict(db.session.execute(
        select(User.role, func.count(func.distinct(User.id))).join(WebSocketConnection, WebSocketConnection.user_id == User.id)
        .where(WebSocketConnection.active).group_by(User.role)).all())
    total = sum(by_role.values())
    rows = db.session.execute(base.order_by(User.display_name).limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return ([OnlineUser(id=r.id, name=r.display_name, role=r.role, sockets=int(r.sockets), last_seen_at=r.last_seen_at)
             for r in rows], int(total), {role.value: int(by_role.get(role, 0)) for role in Role})
