"""Reads as of one moment of the database, for renders whose fragments carry a version.

A render reads the version first and its rows after; with each statement seeing the newest commit (SQLite's
autocommit reads, PostgreSQL's READ COMMITTED) a change committed in between lands in the content but not in
the version. Inside `one_snapshot()` every read sees the same committed state, so a fragment's version names
exactly the state it shows.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.pool import StaticPool

from ..extensions import db

_INSIDE = "chessweb.live.one_snapshot"  # key in Session.info while a snapshot is open
_SHARED = "chessweb.live.one_snapshot.shared"  # key in Session.info: reads shared within the open snapshot


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run the reads inside in one read-only transaction with a stable snapshot, rolled back at the end.

    SQLite: an explicit `BEGIN` (deferred), whose first read fixes the snapshot; in WAL mode writers go on
    committing meanwhile (sqlite.org/isolation.html). PostgreSQL: `REPEATABLE READ`, one snapshot for the whole
    transaction (PostgreSQL manual, 13.2.2). Whatever the session held is rolled back first, so do not write in
    it before; nested uses share the outer snapshot. An in-memory SQLite database, one connection shared by
    every thread (a test fixture, never a server), reads without a snapshot."""
    session = db.session()
    if session.info.get(_INSIDE):
        yield
        return
    session.rollback()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif engine.dialect.name == "sqlite" and not isinstance(engine.pool, StaticPool):
        session.connection().exec_driver_sql("BEGIN")
    session.info[_INSIDE] = True
    session.info[_SHARED] = {}
    try:
        yield
    finally:
        session.info.pop(_INSIDE, None)
        session.info.pop(_SHARED, None)
        session.rollback()


def shared_reads() -> dict[Any, Any] | None:
    """A dict that lives as long as the open `one_snapshot()`, None outside one.

    Every read inside a snapshot sees the same committed state, so what one render of the batch loaded (a
    tournament with its players, rounds and games) can serve the other renders of that batch as it is."""
    session = db.session()
    return session.info.get(_SHARED) if session.info.get(_INSIDE) else None
