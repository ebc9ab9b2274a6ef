"""gunicorn as configured by gunicorn.conf.py: /metrics reports all workers as one set, and instances do not
share a control socket."""
from __future__ import annotations

import os
import signal
import time
import uuid
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
