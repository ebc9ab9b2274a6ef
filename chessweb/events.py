"""Recording a change: every service that changes what live pages show calls `record_change` once per
transaction step. It locks and bumps the tournament's revision, writes the RealtimeEvent row, and
(after commit only) has the live layer render and publish the affected fragments."""
from __future__ import annotations

from typing import Any

from sqlalchemy import update

from .extensions import db
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
    event = RealtimeEvent(type=event_type, entity_type=entity_type, entity_id=entity_id,
                          tournament_id=tournament.id, payload=payload or {}, created_by_id=actor_id,
                          target_user_ids=target_user_ids or [])
    db.session.add(event)
    db.session.flush()
    _publish_after_commit(tournament.id)
    return event


def _publish_after_commit(tournament_id: int) -> None:
    # The live layer claims every unpublished event of the tournament after commit, so one job per
    # tournament (coalesced) publishes this one too; a rollback drops the job with the row.
    from . import live  # imported here: live renders templates that import the tournament read models
    live.tournament_changed(tournament_id)
