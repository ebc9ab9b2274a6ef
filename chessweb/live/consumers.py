"""Consumers of committed events: each one (live pages, notifications, later webhooks) sees every
RealtimeEvent once, across processes, and no crash loses one.

How: when a transaction flushes a new RealtimeEvent, a PendingEvent row per registered consumer is added to
the same transaction, already *claimed* by the committing process for one lease (claimed_by, claimed_until =
now + LIVE_CLAIM_SECONDS). After the commit, that process's job reads its claimed rows, hands the events to
the consumer, and only when the consumer returned deletes the rows (one write per job, no separate claim).
A process killed before that leaves the rows claimed; once the lease has run out, the sweep of any process
(every LIVE_SWEEP_SECONDS) claims them for itself (one UPDATE, so two processes never both take a row) and
handles them. So every event is handled at least once per consumer; a second handling happens only after a
crash or a handler slower than the lease, and is harmless for the live pages (fragments carry versions).
"""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, event, exists, or_, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import PendingEvent, RealtimeEvent, utcnow
from ..realtime import realtime
from . import channels
from ..realtime.failures import log_failure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommittedEvent:
    """A committed RealtimeEvent as consumers see it (a plain value, no database session attached).

    scope: the channel it belongs to, e.g. `tournament:7`, `user:3`, `system`; type: an EventType value."""
    id: int
    type: str
    scope: str
    entity_type: str
    entity_id: int | None
    payload: dict[str, Any]
    target_user_ids: list[int]
    actor_id: int | None
    created_at: datetime


Handler = Callable[[list[CommittedEvent]], None]


@dataclass
class Consumer:
    """A named consumer. `handle(events)` runs on the live core's background worker in an app context, with
    the events of one claim in id order; raising leaves them claimed, to be retried when the lease runs out."""
    name: str
    handle: Handler


@dataclass
class Consumers:
    """The consumers of one app and the settings of their claims."""
    lease: timedelta
    server_id: str
    registered: dict[str, Consumer] = field(default_factory=dict)

    def register(self, consumer: Consumer) -> None:
        """Add a consumer; from now on every new event is pending for it too. ValueError for a taken name."""
        if not consumer.name or len(consumer.name) > 40:
            raise ValueError(f"a consumer name is 1 to 40 characters, got {consumer.name!r}")
        if consumer.name in self.registered:
            raise ValueError(f"consumer {consumer.name!r} is already registered")
        self.registered[consumer.name] = consumer

    # ----------------------------------------------------------------- one claim, one handling

    def run(self, name: str, scope: str | None = None, *, expired_only: bool = False,
            dead: set[str] | frozenset[str] = frozenset()) -> int:
        """Hand this consumer's events to it and finish them: the events of `scope` this process committed
        (its after-commit job), or, with `expired_only` (the sweep), every row whose lease ran out or whose
        claimant is in `dead` (server ids), which it claims first. Returns how many events were handled;
        exceptions of the handler propagate, leaving the rows claimed until the lease ends."""
        consumer = self.registered[name]
        ids = self._claim_expired(name, dead) if expired_only else self._own(name, scope)
        if not ids:
            return 0
        rows = db.session.scalars(select(RealtimeEvent).where(RealtimeEvent.id.in_(ids))
                                  .order_by(RealtimeEvent.id)).all()
        events = [_committed(row) for row in rows]
        db.session.rollback()  # no transaction held while the consumer works
        consumer.handle(events)
        self._finish(name, ids)
        return len(events)

    def sweep(self) -> int:
        """Handle, for every consumer, the events whose claim ran out (a dead or stuck process) or whose claimant
        is a process of this host that is gone (killed: its claim is not waited out); returns how many."""
        handled = 0
        # One cheap read first: on SQLite an UPDATE takes the database's write lock even when it matches
        # nothing, and the sweep runs every second in every process.
        now = utcnow()
        claims = db.session.execute(
            select(PendingEvent.consumer, PendingEvent.claimed_by, PendingEvent.claimed_until < now).distinct()
            .where(or_(PendingEvent.claimed_until < now, PendingEvent.claimed_by.like(f"{_HOST}:%")))).all()
        db.session.rollback()
        dead = {claimant for _name, claimant, ran_out in claims if not ran_out and _local_process_gone(claimant)}
        due = {name for name, claimant, ran_out in claims if ran_out or claimant in dead}
        for name in [name for name in self.registered if name in due]:
            try:
                handled += self.run(name, expired_only=True, dead=dead)
            except Exception as error:
                log_failure(log, "live consumers: sweep of %r failed; retried when the lease runs out", name,
                            error=error)
                db.session.rollback()
        return handled

    def _own(self, name: str, scope: str | None) -> list[int]:
        """The rows this process claimed when it committed them (a read: the claim was part of the commit)."""
        query = select(PendingEvent.event_id).where(PendingEvent.consumer == name,
                                                    PendingEvent.claimed_by == self.server_id)
        if scope is not None:
            query = query.where(PendingEvent.scope == scope)
        return sorted(db.session.scalars(query).all())

    def _claim_expired(self, name: str, dead: set[str] | frozenset[str] = frozenset()) -> list[int]:
        now = utcnow()
        taken = PendingEvent.claimed_until < now
        if dead:
            taken = or_(taken, PendingEvent.claimed_by.in_(sorted(dead)))
        ids = db.session.scalars(
            update(PendingEvent).where(PendingEvent.consumer == name, taken)
            .values(claimed_by=self.server_id, claimed_until=now + self.lease)
            .returning(PendingEvent.event_id)).all()
        db.session.commit()
        return sorted(ids)

    def _finish(self, name: str, ids: list[int]) -> None:
        # Only our own claims: if the lease ran out meanwhile and another process took them, it finishes them.
        db.session.execute(delete(PendingEvent).where(PendingEvent.consumer == name,
                                                      PendingEvent.event_id.in_(ids),
                                                      PendingEvent.claimed_by == self.server_id))
        # An event is processed once no consumer has it pending any more.
        db.session.execute(update(RealtimeEvent).where(
            RealtimeEvent.id.in_(ids),
            ~exists(select(PendingEvent.event_id).where(PendingEvent.event_id == RealtimeEvent.id)))
            .values(processed=True))
        db.session.commit()


_HOST = socket.gethostname()[:80]  # as in realtime.core.make_server_id: "<host>:<pid>:<tag>"


def _local_process_gone(server_id: str | None) -> bool:
    """True if `server_id` names a process of this host that no longer runs (killed, or exited and not yet
    reaped). Any doubt (another host, a pid that exists, an unreadable id) is False: the lease decides then.
    Processes of one deployment that share a host name share its pid space (gunicorn's workers do)."""
    host, _, rest = (server_id or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (owned by another user)
        return False
    try:  # a zombie: dead, its parent has not reaped it yet (proc(5): the state follows the ")" of the name)
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _committed(row: RealtimeEvent) -> CommittedEvent:
    return CommittedEvent(id=row.id, type=str(row.type.value if hasattr(row.type, "value") else row.type),
                          scope=row.scope, entity_type=row.entity_type, entity_id=row.entity_id,
                          payload=dict(row.payload or {}), target_user_ids=list(row.target_user_ids or []),
                          actor_id=row.created_by_id, created_at=row.created_at)


# --------------------------------------------------------------------------- wiring

def install(app: Flask, consumers: Consumers, sweep_seconds: float) -> None:
    """Keep the app's consumers in app.extensions["live_consumers"], watch sessions for new events, and sweep
    every `sweep_seconds` on the live core's worker (which every serving process starts)."""
    app.extensions["live_consumers"] = consumers
    if not event.contains(db.session, "before_flush", _before_flush):
        event.listen(db.session, "before_flush", _before_flush)
    realtime.every(SWEEP_JOB, sweep_seconds, lambda: _sweep(consumers), app=app)


#: the periodic job of the sweep (realtime.every); `sweep_soon` runs it at once
SWEEP_JOB = "live-consumers:sweep"


def sweep_soon(app: Flask) -> bool:
    """Sweep now rather than at the next period: another process of this host just died (gunicorn's master
    says so when it reaps a worker), and the events it committed but had not published wait for a sweep.
    The sweep takes them over at once (see `_local_process_gone`). False when `app` has no sweep."""
    return realtime.run_soon(SWEEP_JOB, app)


def of(app: Flask) -> Consumers:
    """The consumers of `app` (KeyError when the live layer is not installed)."""
    consumers: Consumers = app.extensions["live_consumers"]
    return consumers


def _sweep(consumers: Consumers) -> list[Any]:
    consumers.sweep()
    return []


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """A new event row: make it pending for every consumer, claimed by this process, and run them after the
    commit."""
    new_events = [obj for obj in session.new if isinstance(obj, RealtimeEvent)]
    if not new_events:
        return
    consumers: Consumers | None = current_app.extensions.get("live_consumers")
    if consumers is None or not consumers.registered:
        return
    claimed_until = utcnow() + consumers.lease
    for row in new_events:
        if not row.scope:  # a row made without record_event: a tournament's, or everyone's
            row.scope = channels.tournament(row.tournament_id) if row.tournament_id else channels.SYSTEM
        for name in consumers.registered:
            session.add(PendingEvent(event=row, consumer=name, scope=row.scope, claimed_by=consumers.server_id,
                                     claimed_until=claimed_until))
        for name in consumers.registered:
            realtime.after_commit(f"consumer:{name}:{row.scope}",
                                  _job(consumers, name, row.scope))


def _job(consumers: Consumers, name: str, scope: str) -> Callable[[], list[Any]]:
    def job() -> list[Any]:
        consumers.run(name, scope)
        return []
    return job
