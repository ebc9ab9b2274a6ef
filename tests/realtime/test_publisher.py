"""Publishing after commit, against the real database: never before commit, never after a rollback,
off the request path, coalesced per key, and a failing job does not stop the worker."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.models import Role, User
from chessweb.realtime import Fragment, realtime

from ..conftest import PASSWORD_HASH
from .conftest import WAIT, open_json, recv_json


def add_user(name: str) -> User:
    user = User(email=f"{name}@example.org", display_name=name, role=Role.PARTICIPANT, password_hash=PASSWORD_HASH)
    db.session.add(user)
    db.session.flush()
    return user


class CountingJob:
    """Renders the number of accounts as the database has it when the job runs."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def __call__(self) -> list[Fragment]:
        self.threads.append(threading.get_ident())
        count = db.session.scalar(select(func.count(User.id)))
        return [Fragment(channel="game:1", key="accounts", version=count, html=f"<b>{count}</b>",
                         data={"accounts": count})]


def nothing_arrived(ws) -> bool:
    """True when the next message on the socket is the reply to a ping sent now."""
    ws.send(json.dumps({"type": "ping", "id": "probe"}))
    return recv_json(ws) == {"type": "pong", "id": "probe"}


def test_a_job_runs_after_commit_in_the_background_and_sees_the_committed_state(clients, live_app):
    ws, _ = open_json(clients, "game:1")
    job = CountingJob()
    add_user("anna")
    realtime.after_commit("accounts", job)
    assert realtime.flush(WAIT)
    assert job.threads == [] and nothing_arrived(ws)  # not before commit
    db.session.commit()
    assert recv_json(ws)["data"] == {"accounts": 1}
    assert job.threads and job.threads[0] != threading.get_ident()


def test_a_rolled_back_transaction_publishes_nothing(clients, live_app):
    ws, _ = open_json(clients, "game:1")
    job = CountingJob()
    add_user("bert")
    realtime.after_commit("accounts", job)
    db.session.rollback()
    db.session.commit()  # a later commit must not run the dropped job either
    assert realtime.flush(WAIT)
    assert job.threads == [] and nothing_arrived(ws)
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_closing_the_session_without_commit_drops_the_job(live_app):
    job = CountingJob()
    add_user("carl")
    realtime.after_commit("accounts", job)
    db.session.close()
    add_user("dora")
    db.session.commit()
    assert realtime.flush(WAIT)
    assert job.threads == []


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs(clients, live_app):
    ws, _ = open_json(clients, "game:1")
    job = CountingJob()
    add_user("emil")
    realtime.after_commit("accounts", job)
    savepoint = db.session.begin_nested()
    add_user("fritz")
    savepoint.rollback()
    db.session.commit()
    assert recv_json(ws)["data"] == {"accounts": 1}


def test_jobs_with_one_key_in_one_transaction_run_once(live_app):
    job = CountingJob()
    add_user("gina")
    for _ in range(5):
        realtime.after_commit("accounts", job)
    db.session.commit()
    assert realtime.flush(WAIT)
    assert len(job.threads) == 1


def test_a_waiting_job_is_replaced_by_a_newer_one_with_the_same_key(live_app):
    release = threading.Event()
    started = threading.Event()
    runs: list[str] = []

    def blocker():
        started.set()
        release.wait(WAIT)
        return []

    worker = live_app.extensions["realtime"].worker
    realtime.start(live_app)
    worker.submit("block", blocker)
    assert started.wait(WAIT)
    for n in range(3):
        worker.submit("accounts", lambda n=n: runs.append(f"run {n}") or [])
    worker.submit("other", lambda: runs.append("other") or [])
    release.set()
    assert realtime.flush(WAIT)
    assert runs == ["run 2", "other"]


def test_commit_returns_while_the_job_is_still_running(live_app):
    release = threading.Event()
    started = threading.Event()

    def slow_job():
        started.set()
        release.wait(WAIT)
        return []

    add_user("hans")
    realtime.after_commit("slow", slow_job)
    db.session.commit()  # returns although the job cannot finish until released below
    assert started.wait(WAIT)
    assert not release.is_set()
    release.set()
    assert realtime.flush(WAIT)


def test_a_failing_job_is_logged_and_the_worker_goes_on(clients, live_app, caplog):
    ws, _ = open_json(clients, "game:1")

    def broken():
        raise RuntimeError("template missing")

    add_user("ida")
    realtime.after_commit("broken", broken)
    realtime.after_commit("accounts", CountingJob())
    db.session.commit()
    assert recv_json(ws)["data"] == {"accounts": 1}
    assert "after-commit job 'broken' failed" in caplog.text


def test_a_slow_job_is_logged(clients, live_app, caplog):
    """Jobs run one at a time: every live update queued behind a slow one waits as long, so it is named (a
    0.5 s live job, every 17 s, was how a full garbage collection showed itself)."""
    import time

    from chessweb.realtime import publisher
    ws, _ = open_json(clients, "game:1")

    def slow() -> list:
        time.sleep(publisher.SLOW_JOB_SECONDS + 0.1)
        return []

    add_user("jon")
    realtime.after_commit("slow", slow)
    realtime.after_commit("accounts", CountingJob())
    db.session.commit()
    assert recv_json(ws)["data"] == {"accounts": 1}
    assert "job 'slow' took" in caplog.text


def test_after_commit_outside_an_app_context_says_so():
    with pytest.raises(RuntimeError, match="application context"):
        realtime.after_commit("x", list)
