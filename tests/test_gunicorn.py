"""gunicorn as configured by gunicorn.conf.py: /metrics reports all workers as one set, and instances do not
share a control socket."""
from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from datetime import timedelta
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import psutil
import pytest
from websockets.sync.client import connect

from .processes import WAIT, AppProcess

pytestmark = pytest.mark.slow


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "SECRET_KEY": uuid.uuid4().hex, "CHESSWEB_ENV": "production", **extra}


def sockets_of(pid: int, port: int) -> int:
    """Established connections on the app's port held by process `pid`."""
    return sum(1 for c in psutil.Process(pid).net_connections("tcp")
               if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)


def wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """This process sweeps too, and is on the same host: it must not take over a killed worker's claims."""
    return {**app_config, "LIVE_SWEEP_SECONDS": 3600}


@pytest.fixture
def two_workers(app, database_url: str, tmp_path: Path) -> Iterator[AppProcess]:
    process = AppProcess("two-workers", production_env(database_url), tmp_path, workers=2)
    try:
        process.wait_ready()
        wait_for(lambda: len(process.worker_pids()) == 2, "two workers")
        yield process
    finally:
        process.stop()


def test_every_scrape_reports_the_sockets_of_all_workers(two_workers):
    """metrics-exposure: each scrape used to read the one worker that served it (452, 531, ... of 1,000)."""
    server = two_workers
    with ExitStack() as stack:
        # Open sockets until both workers hold some (the kernel picks the worker that accepts).
        while True:
            ws = stack.enter_context(connect(f"{server.ws_url}/ws?format=json", open_timeout=WAIT,
                                             compression=None))
            ws.recv(timeout=WAIT)  # the connected reply: the session is counted
            held = {pid: sockets_of(pid, server.port) for pid in server.worker_pids()}
            if all(held.values()) and sum(held.values()) >= 4:
                break
            assert sum(held.values()) < 40, f"the workers never shared the sockets: {held}"
        total = sum(held.values())
        for _ in range(10):  # whichever worker answers
            assert server.metric("chessweb_ws_connections_open") == total
            assert server.metric('chessweb_ws_sockets{state="anonymous"}') == total
        accepted = server.metric("chessweb_ws_connections_total")
        assert accepted == total

        # A worker killed outright: its sockets are gone from the gauge, its counts stay in the counters.
        victim = max(held, key=held.get)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: server.metric("chessweb_ws_connections_open") == total - held[victim],
                 "the killed worker's sockets to leave the gauge")
        assert server.metric("chessweb_ws_connections_total") == accepted  # never backwards


def test_no_control_socket_unless_named(app, database_url: str, tmp_path: Path):
    """Every gunicorn on a host used to share $HOME/.gunicorn/gunicorn.ctl: stopping one removed it for all."""
    home = tmp_path / "home"
    home.mkdir()
    named = tmp_path / "b.ctl"
    a = AppProcess("a", production_env(database_url, HOME=str(home), XDG_RUNTIME_DIR=""), tmp_path)
    b = AppProcess("b", production_env(database_url, HOME=str(home), XDG_RUNTIME_DIR="",
                                       CONTROL_SOCKET=str(named)), tmp_path)
    try:
        a.wait_ready()
        b.wait_ready()
        assert not (home / ".gunicorn").exists()
        assert named.is_socket()
        a.stop()
        assert named.is_socket()  # stopping one instance leaves the other's socket alone
    finally:
        a.stop()
        b.stop()


def test_a_killed_worker_is_swept_up_by_the_others_at_once(app, database_url: str, tmp_path: Path):
    """kill9-after-commit-update-lost: events a worker committed and was killed before publishing waited for the
    others' next periodic sweep. Now the master, reaping it, tells the others to sweep at once: with a sweep
    period and a lease of 60 s here, only that can publish them within seconds."""
    from sqlalchemy import select, update

    from chessweb import events, live
    from chessweb.extensions import db
    from chessweb.live import channels
    from chessweb.models import EventType, PendingEvent, Role, utcnow

    from .conftest import make_user

    server = AppProcess("sweep-on-exit", production_env(database_url, CHESSWEB_LIVE_SWEEP_SECONDS="60",
                                                        CHESSWEB_LIVE_CLAIM_SECONDS="60"), tmp_path, workers=2)
    try:
        server.wait_ready()
        wait_for(lambda: len(server.worker_pids()) == 2, "two workers")
        with ExitStack() as stack:
            while True:  # a socket on each worker: each one's live core (and its sweep) runs
                ws = stack.enter_context(connect(f"{server.ws_url}/ws?format=json", open_timeout=WAIT,
                                                 compression=None))
                ws.recv(timeout=WAIT)
                held = {pid: sockets_of(pid, server.port) for pid in server.worker_pids()}
                if all(held.values()):
                    break
                assert sum(held.values()) < 40, f"the workers never shared the sockets: {held}"
            victim, survivor = server.worker_pids()
            user = make_user(Role.PARTICIPANT, name="Sam Swept")
            event = events.record_event(channels.user(user.id), EventType.SYSTEM_ANNOUNCEMENT,
                                        entity_type="notification", entity_id=1, payload={})
            # As the victim left it: committed, claimed by it for a whole lease, published by nobody.
            db.session.execute(update(PendingEvent).where(PendingEvent.event_id == event.id).values(
                claimed_by=f"{socket.gethostname()[:80]}:{victim}:killed",
                claimed_until=utcnow() + timedelta(seconds=60)))
            db.session.commit()
            time.sleep(1)  # were it to happen without the kill, it would show now
            assert db.session.scalar(select(PendingEvent.claimed_by).where(
                PendingEvent.event_id == event.id, PendingEvent.consumer == live.LIVE_CONSUMER)) is not None
            db.session.rollback()
            os.kill(victim, signal.SIGKILL)

            def published() -> bool:
                db.session.rollback()
                return db.session.scalar(select(PendingEvent.claimed_by).where(
                    PendingEvent.event_id == event.id, PendingEvent.consumer == live.LIVE_CONSUMER)) is None
            t0 = time.monotonic(); wait_for(published, "the survivor to sweep the killed worker's claim"); print("SWEPT after", time.monotonic() - t0, server.worker_pids(), victim, survivor); print(server.tail())
            assert psutil.pid_exists(survivor)
    finally:
        server.stop()
