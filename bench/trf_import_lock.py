"""How long a big TRF import holds SQLite's write lock, and what the serving worker feels meanwhile (issue #14).

On SQLite (WAL) one connection at a time may write: while the import's transaction holds the write lock,
every write of the gevent worker (a WebSocket's connection row, a result, a login) waits for it, and that
wait blocks the worker's only OS thread, so all of its sockets.

`lock` (default): a ~2 MB TRF (bench/faults.py `make_trf`: 2,000 players, 91 rounds, 93,000 rows) imported
into a migrated SQLite file, --repeat times, two ways:
- in this process (`interchange.import_trf`, what the child runs), with engine events timing its phases:
  before the first write statement (reading, checking, building), and first write to the end of the commit;
- through the real child process (`chessweb.jobs` task `import_trf`), while a probe in this process tries
  `BEGIN IMMEDIATE` with no wait every 2 ms on its own connection: from the first refused try to the last
  is how long the child held the write lock, as any other writer sees it.
Prints the median of each figure.

`healthz`: the production setup (`gunicorn app:app`, one gevent worker, tests/processes.py AppProcess) on a
SQLite file; during the import of the same file through the import form, a client polls `/healthz` every
20 ms and another opens a WebSocket every 100 ms (each connect writes a connection row in the worker).
Prints /healthz and WebSocket-connect latency p50/p99/max during the import.

    python bench/trf_import_lock.py --repeat 3
    python bench/trf_import_lock.py healthz

Measured on a shared 2-core machine under heavy load (load average 15-27, so wall clocks are long), 2.00 MB,
medians of 3: the write transaction took 15.5 CPU seconds (ORM flush of every object) before the two-phase
import, 2.5 after; the child held the lock 46 s wall before, 16 s after; the worker's /healthz max during the
import was 40.6 s before, 6.0 s after (a single run each).
"""
from __future__ import annotations

import argparse
import base64
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from faults import make_trf

ORGANIZER_EMAIL = "lock-bench@example.org"
PASSWORD = "bench-password-1"


def migrated(path: Path) -> int:
    """A migrated SQLite file at `path` with an organizer; answers the organizer's id."""
    from flask_migrate import upgrade

    from chessweb import create_app
    from chessweb.auth.accounts import create_user
    from chessweb.extensions import db
    from chessweb.models import Role

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "BROKER_URL": "memory://"})
    with app.app_context():
        upgrade()
        organizer = create_user(ORGANIZER_EMAIL, "Lock Bench", PASSWORD, Role.ORGANIZER)
        db.session.commit()
        oid = organizer.id
        db.session.remove()
        db.engine.dispose()
    return oid


class Phases:
    """An engine event on `engine`: when the first write statement ran, and how many ran."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self, engine) -> None:
        from sqlalchemy import event
        self.first_write: float | None = None
        self.first_cpu = 0.0
        self.committed: float | None = None
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        self._engine = engine

    def _statement(self, _conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith(self.WRITES):
            self.statements += 1
            if self.first_write is None:
                self.first_write, self.first_cpu = time.perf_counter(), time.process_time()

    def remove(self) -> None:
        from sqlalchemy import event
        event.remove(self._engine, "before_cursor_execute", self._statement)


def in_process(path: Path, organizer_id: int, data: bytes) -> tuple[float, float, float, float]:
    """(seconds before the first write, seconds from the first write to the end of the commit, total, and the
    CPU seconds of this process in the write transaction: the wall clock of a loaded machine says little)."""
    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.realtime import realtime
    from chessweb.tournaments import interchange

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "BROKER_URL": "memory://"})
    with app.app_context():
        phases = Phases(db.engine)
        try:
            started = time.perf_counter()
            interchange.import_trf(data, organizer_id)
            ended, cpu_ended = time.perf_counter(), time.process_time()
        finally:
            phases.remove()
            if "realtime" in app.extensions:  # the commit started the live core: its threads write too
                realtime.stop(app)
            db.session.remove()
            db.engine.dispose()
    assert phases.first_write is not None
    return phases.first_write - started, ended - phases.first_write, ended - started, cpu_ended - phases.first_cpu


class LockProbe(threading.Thread):
    """Tries `BEGIN IMMEDIATE` without waiting every `every` seconds; remembers when it was refused."""

    def __init__(self, path: Path, every: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.path, self.every = path, every
        self.refused: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            while not self.done.is_set():
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    connection.execute("ROLLBACK")
                except sqlite3.OperationalError:
                    self.refused.append(time.perf_counter())
                time.sleep(self.every)
        finally:
            connection.close()

    def held(self) -> float:
        return self.refused[-1] - self.refused[0] if self.refused else 0.0


def in_child(path: Path, organizer_id: int, data: bytes) -> tuple[float, float, float]:
    """(seconds before the lock was first refused to others, seconds it stayed refused, total) of the child."""
    from chessweb import jobs

    probe = LockProbe(path)
    probe.start()
    started = time.perf_counter()
    try:
        answer = jobs.run("import_trf", {"database_url": f"sqlite:///{path}", "data": base64.b64encode(data).decode(),
                                         "organizer_id": organizer_id, "is_public": True, "planned_rounds": None},
                          timeout=600)
    finally:
        ended = time.perf_counter()
        probe.done.set()
        probe.join()
    assert "tournament_id" in answer, answer
    assert probe.refused, "the probe never saw the lock held"
    return probe.refused[0] - started, probe.held(), ended - started


def lock(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="chessweb-lock-") as folder:
        _lock(args, Path(folder))


def _lock(args: argparse.Namespace, workdir: Path) -> None:
    path = workdir / "bench.sqlite3"
    organizer_id = migrated(path)
    data = make_trf(args.trf_bytes)
    players = data.count(b"\n001 ")
    print(f"{len(data) / 1e6:.2f} MB TRF, {players} players, SQLite file in {workdir}", flush=True)
    here, there = [], []
    for run in range(args.repeat):
        here.append(in_process(path, organizer_id, data))
        print(f"  run {run + 1} in process: before first write {here[-1][0]:.2f} s, write transaction "
              f"{here[-1][1]:.2f} s ({here[-1][3]:.2f} s CPU), total {here[-1][2]:.2f} s", flush=True)
        there.append(in_child(path, organizer_id, data))
        print(f"  run {run + 1} child: lock free for {there[-1][0]:.2f} s, held {there[-1][1]:.2f} s, "
              f"total {there[-1][2]:.2f} s", flush=True)

    def median(rows: list[tuple[float, ...]], i: int) -> float:
        return statistics.median(r[i] for r in rows)
    print(f"\nmedians of {args.repeat} runs ({len(data) / 1e6:.2f} MB):")
    print(f"  in process: before the first write {median(here, 0):.2f} s; first write to commit "
          f"{median(here, 1):.2f} s ({median(here, 3):.2f} s CPU); total {median(here, 2):.2f} s")
    print(f"  child:      write lock held {median(there, 1):.2f} s (free for the first {median(there, 0):.2f} s); "
          f"job total {median(there, 2):.2f} s")


# --------------------------------------------------------------------------- /healthz under gunicorn

def _percentiles(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label}: no samples"
    ordered = sorted(values)

    def p(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
    return (f"  {label}: {len(values)} samples, p50 {1000 * p(0.5):.0f} ms, p99 {1000 * p(0.99):.0f} ms, "
            f"max {1000 * ordered[-1]:.0f} ms")


def healthz(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="chessweb-lock-") as folder:
        _healthz(args, Path(folder))


def _healthz(args: argparse.Namespace, workdir: Path) -> None:
    from urllib.request import urlopen

    from websockets.sync.client import connect

    from tests.processes import AppProcess, Browser
    from tests.tournaments.test_import_jobs import multipart

    path = workdir / "bench.sqlite3"
    migrated(path)
    data = make_trf(args.trf_bytes)
    server = AppProcess("lock", {"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": uuid.uuid4().hex,
                                 "CHESSWEB_ENV": "production", "CHESSWEB_SESSION_COOKIE_SECURE": "false"}, workdir)
    try:
        server.wait_ready()
        browser = Browser(server.url)
        login = urlencode({"csrf_token": browser.token("/auth/login"), "email": ORGANIZER_EMAIL,
                           "password": PASSWORD}).encode()
        assert browser.post("/auth/login", login, "application/x-www-form-urlencoded") == 303
        body, content_type = multipart({"csrf_token": browser.token("/tournaments/import"), "is_public": "y"},
                                       "trf", "big.trf", data)
        done = threading.Event()
        health: list[float] = []
        sockets: list[float] = []
        failures: list[str] = []

        def poll_health() -> None:
            while not done.is_set():
                sent = time.perf_counter()
                try:
                    with urlopen(f"{server.url}/healthz", timeout=120) as response:
                        json.loads(response.read())
                    health.append(time.perf_counter() - sent)
                except OSError as error:
                    failures.append(f"healthz: {error}")
                time.sleep(0.02)

        def open_sockets() -> None:
            while not done.is_set():
                sent = time.perf_counter()
                try:
                    with connect(f"{server.ws_url}/ws?format=json", open_timeout=120, compression=None) as ws:
                        assert json.loads(ws.recv(timeout=120))["type"] == "connected"
                    sockets.append(time.perf_counter() - sent)
                except Exception as error:  # noqa: BLE001 - counted and printed
                    failures.append(f"ws: {error}")
                time.sleep(0.1)

        pollers = [threading.Thread(target=poll_health), threading.Thread(target=open_sockets)]
        for poller in pollers:
            poller.start()
        time.sleep(1.0)
        baseline = len(health), len(sockets)
        started = time.perf_counter()
        status = browser.post("/tournaments/import", body, content_type, timeout=300)
        took = time.perf_counter() - started
        done.set()
        for poller in pollers:
            poller.join()
        print(f"{len(data) / 1e6:.2f} MB TRF imported through the form: {status} in {took:.1f} s "
              "(one gevent worker, SQLite)")
        print(_percentiles("/healthz during the import", health[baseline[0]:]))
        print(_percentiles("WebSocket connect during the import", sockets[baseline[1]:]))
        if failures:
            print(f"  {len(failures)} failures: {failures[:3]}")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=("lock", "healthz"), default="lock")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trf-bytes", type=int, default=2_000_000)
    args = parser.parse_args()
    (lock if args.mode == "lock" else healthz)(args)


if __name__ == "__main__":
    main()
