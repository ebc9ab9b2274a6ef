"""Telling an outage (the database or Redis away for a while) from a fault, and logging an outage once.

The live core's background loops (after-commit jobs, sweeps, presence, connection records, snapshots) retry
on their own. During a PostgreSQL restart or a Redis outage each of them would log the same traceback every
second. `log_failure` logs a fault with its traceback, as before, but an outage as one warning line per
(logger, message) every OUTAGE_LOG_SECONDS, with how many repeats it left out.
"""
from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import exc as sql

OUTAGE_LOG_SECONDS = 30.0
_last: dict[tuple[str, str], tuple[float, int]] = {}  # (logger, message) -> (when last logged, repeats since)
_lock = threading.Lock()


def database_unavailable(error: BaseException) -> bool:
    """True if `error` means the database cannot be reached now (it restarts, fails over, refuses connections,
    its pool is exhausted, or SQLite's file is locked), as opposed to a fault in a query."""
    if isinstance(error, sql.TimeoutError):  # the connection pool's: every connection is busy
        return True
    if isinstance(error, sql.DBAPIError):
        if error.connection_invalidated:
            return True
        orig = error.orig
        module = type(orig).__module__ if orig is not None else ""
        if module.startswith("psycopg"):  # psycopg's OperationalError/InterfaceError: SQLSTATE classes 08, 57
            return True
        return "database is locked" in str(orig)
    return False


def broker_unavailable(error: BaseException) -> bool:
    """True if `error` is redis-py's "cannot reach Redis now" (connection refused or reset, timeout, loading)."""
    return type(error).__module__.startswith("redis") and type(error).__name__ in (
        "ConnectionError", "TimeoutError", "BusyLoadingError")


def log_failure(logger: logging.Logger, message: str, *args: object, error: BaseException) -> None:
    """Log a failure of a background loop that will be retried: `logger.exception`-like for a fault; for an
    outage (`database_unavailable`, `broker_unavailable`) one warning line without traceback, at most once
    per OUTAGE_LOG_SECONDS for the same logger and message."""
    if not (database_unavailable(error) or broker_unavailable(error)):
        logger.error(message, *args, exc_info=error)
        return
    key = (logger.name, message)
    now = time.monotonic()
    with _lock:
        last, repeats = _last.get(key, (float("-inf"), 0))
        if now - last < OUTAGE_LOG_SECONDS:
            _last[key] = (last, repeats + 1)
            return
        _last[key] = (now, 0)
    first_line = (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]
    suffix = f" (and {repeats} more like it)" if repeats else ""
    logger.warning(message + ": %s unavailable: %s%s", *args,
                   "database" if database_unavailable(error) else "Redis", first_line[:200], suffix)
