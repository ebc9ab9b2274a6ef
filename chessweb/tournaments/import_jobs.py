"""A big TRF import in a child process (chessweb.jobs): what the import page calls.

Here, not in interchange.py: the child (chessweb.jobs) imports interchange, so interchange must not import jobs.
"""
from __future__ import annotations

import base64
import logging
import time

from flask import current_app

from .. import jobs
from ..extensions import db
from . import interchange
from .service import ServiceError

log = logging.getLogger(__name__)


def import_trf_job(data: bytes, organizer_id: int, *, is_public: bool = True,
                   planned_rounds: int | None = None) -> interchange.ImportedTrf:
    """`interchange.import_trf`, run in a child process (chessweb.jobs) for a file of `TRF_IMPORT_CHILD_MIN_BYTES`
    bytes or more, so that parsing it and writing its thousands of rows never freezes the sockets of this
    process (a 2 MB file takes seconds; issue "Nothing CPU-heavy in the process that holds the sockets"). Same
    answer, same errors: a refused file is the same ServiceError (400, nothing written). A smaller file, or an
    in-memory database the child cannot open, is imported here: a child costs about a second to start.

    A child that dies or passes `TRF_IMPORT_TIMEOUT_SECONDS` is a ServiceError (500) saying so; its transaction
    was not committed unless it died after the commit, hence "if the tournament is not in your list".

    On SQLite a child does not free this process from the database: only one connection writes at a time, and
    a write of this gevent worker (a socket's connection row, a result, a login) that finds the child's write
    transaction open waits for it inside sqlite3's busy wait, which blocks the worker's one OS thread and so
    every socket (up to the engine's 15 s timeout, then "database is locked"). `interchange.import_trf`
    therefore reads, checks and builds every row before its first write and then writes them in one
    transaction of a few bulk INSERTs: the worker's writes wait at most that transaction (2.5 CPU seconds for
    a 2 MB file, 93,000 rows, against 15.5 for the ORM flush before; `bench/trf_import_lock.py`). PostgreSQL
    has no such wait."""
    config = current_app.config
    database_url = jobs.database_url_for_child(config)
    if len(data) < int(config.get("TRF_IMPORT_CHILD_MIN_BYTES", 16 * 1024)) or database_url is None:
        return interchange.import_trf(data, organizer_id, is_public=is_public, planned_rounds=planned_rounds)
    # End this session's transaction first: it must hold no lock the child waits for (SQLite), and the reads
    # after the child's commit must not come from a snapshot taken before it (SQLite WAL).
    db.session.commit()
    started = time.monotonic()
    try:
        answer = jobs.run("import_trf", {
            "database_url": database_url, "data": base64.b64encode(data).decode(),
            "organizer_id": organizer_id, "is_public": is_public, "planned_rounds": planned_rounds,
        }, timeout=float(config.get("TRF_IMPORT_TIMEOUT_SECONDS", 600)))
    except jobs.JobFailed as error:
        log.error("%s", error)
        raise ServiceError("The import stopped unexpectedly. If the tournament is not in your list, try again.",
                           "trf", status=500) from None
    finally:
        db.session.expire_all()  # the child wrote; nothing this session holds may be taken as current
    if "refused" in answer:
        refused = answer["refused"]
        raise ServiceError(refused["message"], refused["field"], refused["status"])
    log.info("TRF import of %d bytes: tournament %d, in child %d, %.1f s", len(data), answer["tournament_id"],
             answer["pid"], time.monotonic() - started)
    return interchange.ImportedTrf(answer["tournament_id"], tuple(answer["warnings"]))
