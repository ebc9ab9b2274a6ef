"""Background loops log a fault with its traceback, and an outage (database or Redis unreachable) as one line
per half minute, whatever the number of retries."""
from __future__ import annotations

import logging

import pytest
import redis
from sqlalchemy import create_engine, text

from chessweb.realtime import failures

from ..conftest import free_port


def refused_database_error() -> Exception:
    engine = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing")
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001 - the real error a refused connection gives
        return error
    finally:
        engine.dispose()
    raise AssertionError("nobody listens on a free port")


def refused_redis_error() -> Exception:
    try:
        redis.Redis(port=free_port(), socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("nobody listens on a free port")


@pytest.fixture
def fresh_throttle(monkeypatch):
    monkeypatch.setattr(failures, "_last", {})


def test_an_outage_is_one_line_without_traceback_per_period(caplog, fresh_throttle, monkeypatch):
    log = logging.getLogger("failures_test.loop")
    error = refused_database_error()
    assert failures.database_unavailable(error)
    with caplog.at_level(logging.INFO, logger="failures_test.loop"):
        for _ in range(20):  # a loop retrying every second during a restart
            failures.log_failure(log, "job %r failed", "standings", error=error)
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage().startswith("job 'standings' failed: database unavailable: ")
    caplog.clear()
    monkeypatch.setattr(failures, "OUTAGE_LOG_SECONDS", 0.0)  # the period is over
    with caplog.at_level(logging.INFO, logger="failures_test.loop"):
        failures.log_failure(log, "job %r failed", "standings", error=error)
    assert caplog.records[0].getMessage().endswith("(and 19 more like it)")


def test_redis_away_is_an_outage_too(caplog, fresh_throttle):
    error = refused_redis_error()
    assert failures.broker_unavailable(error) and not failures.database_unavailable(error)
    with caplog.at_level(logging.INFO, logger="failures_test.loop"):
        for _ in range(3):
            failures.log_failure(logging.getLogger("failures_test.loop"), "presence update failed", error=error)
    assert [r.getMessage().split(":")[1].strip() for r in caplog.records] == ["Redis unavailable"]


def test_a_fault_keeps_its_traceback_every_time(caplog, fresh_throttle):
    with caplog.at_level(logging.INFO, logger="failures_test.loop"):
        for _ in range(2):
            try:
                {}["missing"]
            except KeyError as error:
                failures.log_failure(logging.getLogger("failures_test.loop"), "job failed", error=error)
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.ERROR]
    assert all(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
