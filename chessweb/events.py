"""Recording a change: every service that changes what live pages show records an event row in the same
transaction. `record_change` is for a tournament (under `lock_tournament`, which bumps its revision);
`record_event` for any scope (`user:<id>`, `system`, `admin`, `tournaments:all`, ...).

Nothing here calls the live layer: it sees the new rows itself (a session hook in chessweb/live/consumers.py)
and, after the commit only, each consumer handles them: the live pages' consumer renders and publishes the
fragments they change."""
from __future__ import annotations

from typing import Any

from sqlalchemy import update

from .extensions import db
from .live import channels
from .models import EventType, RealtimeEvent, Tournament


def lock_tournament(tournament_id: int) -> Tournament:
    """Bump the revision first, so concurrent changes to one tournament serialize on its row.

    The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before anything is read,
    so the state read afterwards is current and no other writer can slip in between.
    """
    bumped = db.session.execute(
        update(Tournament).where(Tournament.id == tournament_id)
        .values(revision=Tournament.revision + 1).returning(Tournament.revision)).scalar_one_or_none()
    if bumped is None:
        raise LookupError(f"tournament {tournament_id} does not exist")
    # Whatever this session read before the lock (the view's game, the players) may have changed since:
    # forget it all, so the service validates against the state it now holds the lock on.
    db.session.expire_all()
    return db.session.get_one(Tournament, tournament_id)


def record_change(tournament: Tournament, event_type: EventType, *, entity_type: str, entity_id: int | None,
                  payload: dict[str, Any] | None = None, actor_id: int | None = None,
                  target_user_ids: list[int] | None = None) -> RealtimeEvent:
    """Add the event row for a change made under `lock_tournament` in the current transaction."""
    return record_event(channels.tournament(tournament.id), event_type, entity_type=entity_type,
                        entity_id=entity_id, payload=payload, actor_id=actor_id, target_user_ids=target_user_ids,
                        tournament_id=tournament.id)


def record_event(scope: str, event_type: EventType, *, entity_type: str, entity_id: int | None = None,
                 payload: dict[str, Any] | None = None, actor_id: int | None = None,
                 target_user_ids: list[int] | None = None, tournament_id: int | None = None) -> RealtimeEvent:
    """Add an event row to the current transaction, for the channel `scope` (a name from live/channels.py).

    Once the transaction commits, every consumer (live pages, notifications, ...) handles it, at least once
    even if this process dies; on a rollback it never existed. ValueError for a scope that is not a channel.
    `payload` must be JSON (it is stored and sent to JSON clients)."""
    if channels.parse(scope) is None:
        raise ValueError(f"not a channel: {scope!r}")
    event = RealtimeEvent(type=event_type, entity_type=entity_type, entity_id=entity_id, scope=scope,
                          tournament_id=tournament_id, payload=payload or {}, created_by_id=actor_id,
                          target_user_ids=target_user_ids or [])
    db.session.add(event)
    db.session.flush()
    return event
