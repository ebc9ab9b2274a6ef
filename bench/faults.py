"""Faults under load: does every live page end at the committed state, and do healthy clients notice?

Serves the real app the production way (`gunicorn app:app`, 2 gevent workers, a private PostgreSQL and a
private Redis that this script starts on free ports and removes at the end), connects N WebSocket clients to
one tournament's standings (bench/faults_loadgen.py, in separate processes; they reconnect like the page does)
while the organizer enters a result a second through the round page's form. Then, one after the other:

- none      nothing (the control: how far the p99 of two quiet windows differ, the noise the other rows are
            read against);
- kill9     kill -9 a worker right after a result's POST returned (gunicorn forks a new one);
- redis     stop Redis for 10 s, then start it again (empty: nothing was saved);
- postgres  restart PostgreSQL (fast shutdown, start);
- stall     50 clients stop reading past the ping timeout, then read again (they must get a reconnecting
            close code and come back);
- pair      pair round 2 of a 300-player Swiss (chessweb.fide.simulation) through the arbiter's form;
- import    import a ~2 MB TRF through the import form.

After each: the share of clients whose last standings fragment is the committed state 5 s after the fault
ended (the last result whose POST returned 303), and the delivery latency p99 of healthy clients (those whose
connection was never closed in the phase) before the fault and during it. One table at the end.

`--soak-minutes M` then churns the clients (50 connects a second by default) for M minutes and prints each
worker's RSS every 30 s and its drift from the first sample.

    python bench/faults.py                              # 1,000 clients, every fault
    python bench/faults.py --clients 100 --faults kill9,stall --soak-minutes 2
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fanout import (HOST, RESULTS, ChessWeb, _csrf, child_pids, free_port, gray_state, http_request,  # noqa: E402
                    points_of, proc_rss, seed, standings_points)
from pairing_vs_sockets import Session  # noqa: E402

CHECK_AFTER = 5.0  # seconds after a fault ends at which every client must show the committed state
FAULTS = ("none", "kill9", "redis", "postgres", "stall", "pair", "import")


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --------------------------------------------------------------------------- servers

class Servers:
    """Private PostgreSQL and Redis (tests/servers.py), in a temporary directory."""

    def __init__(self, root: Path) -> None:
        from tests.servers import PrivatePostgres, PrivateRedis
        root.mkdir(parents=True, exist_ok=True)
        for folder in (root.parent, root):  # PostgreSQL runs as another account when this runs as root
            folder.chmod(0o755)
        self.postgres = PrivatePostgres(root / "postgresql").start()
        self.redis = PrivateRedis(root / "redis").start()

    def stop(self) -> None:
        for server in (self.redis, self.postgres):
            try:
                server.stop()
            except Exception as error:  # noqa: BLE001 - stopping what is left; say what failed
                print(f"stopping {type(server).__name__}: {error}", file=sys.stderr)


class Gunicorn:
    """`gunicorn app:app` with the repository's gunicorn.conf.py and `workers` gevent workers."""

    def __init__(self, env: dict[str, str], workers: int, clients: int, log: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = log
        self._log_file = log.open("wb")
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith("CHESSWEB_") and k not in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "app:app"], cwd=ROOT,
            env={**clean, **env, "BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": str(workers),
                 "WORKER_CONNECTIONS": str(clients + 500), "PYTHONPATH": str(ROOT)},
            stdout=self._log_file, stderr=subprocess.STDOUT)

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = now() + timeout
        while now() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            try:
                if http_request(self.port, "GET", "/healthz", timeout=5)[0] == 200 and \
                        len(self.worker_pids()) == self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        pids = self.worker_pids()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid in pids:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
        self._log_file.close()


# --------------------------------------------------------------------------- clients

class Clients:
    """Load-generator processes; `states()` asks each for its clients' last fragments."""

    def __init__(self, port: int, path: str, clients: int, generators: int, workdir: Path) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        self.outputs: list[Path] = []
        self.sizes = [clients // generators + (1 if i < clients % generators else 0) for i in range(generators)]
        self.payloads: list[list[str]] = [[] for _ in self.sizes]
        for i, n in enumerate(self.sizes):
            out = workdir / f"recv-{i}.json"
            self.outputs.append(out)
            self.processes.append(subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "faults_loadgen.py"), "--port", str(port), "--path", path,
                 "--clients", str(n), "--out", str(out)], cwd=ROOT / "bench",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))

    def send(self, line: str) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(line + "\n")
            process.stdin.flush()

    def states(self) -> tuple[list[str | None], list[bool], int]:
        """Each client's last payload (None: nothing yet), whether it is open, how many gave up for good."""
        self.send("state")
        last: list[str | None] = []
        opened: list[bool] = []
        stopped = 0
        for i, process in enumerate(self.processes):
            assert process.stdout is not None
            report = json.loads(process.stdout.readline())
            self.payloads[i].extend(report["new_payloads"])
            last.extend(self.payloads[i][n] if n >= 0 else None for n in report["last"])
            opened.extend(report["open"])
            stopped += report["stopped"]
        return last, opened, stopped

    def stall(self, count: int, seconds: float) -> None:
        share = [count // len(self.sizes) + (1 if i < count % len(self.sizes) else 0) for i in range(len(self.sizes))]
        for process, n in zip(self.processes, share):
            assert process.stdin is not None
            process.stdin.write(f"stall {n} {seconds}\n")
            process.stdin.flush()

    def churn(self, per_second: float) -> None:
        self.send(f"churn {per_second / len(self.processes)}")

    def finish(self) -> list[dict[str, Any]]:
        self.send("stop")
        for process in self.processes:
            process.wait(300)
        return [json.loads(out.read_text()) for out in self.outputs]

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()


# --------------------------------------------------------------------------- the organizer's results

class Publisher:
    """Enters a result a second through the round page's form (fanout.ChessWeb's publish) on a thread;
    remembers when each step was posted and which was the last the server committed (303)."""

    def __init__(self, target: ChessWeb) -> None:
        self.target = target
        self.step = 0
        self.committed = 0
        self.posted: list[tuple[float, int]] = []  # (time, step) of every 303
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def one(self) -> bool:
        """Post the next result; True when committed."""
        with self._lock:
            step = self.step + 1
            at = now()
            try:
                status = self.target.publish(step)
            except OSError as error:
                status, reason = 0, f"{type(error).__name__}"
            else:
                reason = str(status)
            if status == 303 or status == 200:
                self.step = self.committed = step
                self.posted.append((at, step))
                return True
            self.failures.append(reason)
            try:  # a stale version (409) or a lost session: read the round page again
                self.target.prepare()
            except (OSError, RuntimeError) as error:
                self.failures.append(f"prepare: {type(error).__name__}")
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            started = now()
            self.one()
            self._stop.wait(max(0.0, 1.0 - (now() - started)))


# --------------------------------------------------------------------------- the run

@dataclass
class Phase:
    name: str
    before: tuple[float, float]
    during: tuple[float, float]
    ended: float
    committed_step: int
    share: float
    converged_after: float | None
    stopped: int
    notes: str = ""
    p99_before: float | None = None
    p99_during: float | None = None
    healthy: int = 0


@dataclass
class Bench:
    args: argparse.Namespace
    workdir: Path
    phases: list[Phase] = field(default_factory=list)

    def setup(self) -> None:
        self.servers = Servers(self.workdir / "servers")
        self.database_url = self.servers.postgres.url
        self.tournament = seed(self.database_url, None)
        self.pairings = self.tournament.pairings
        wanted = self.args.faults.split(",")
        self.big_tid = seed_big_swiss(self.database_url, self.args.pair_players) if "pair" in wanted else 0
        self.trf = make_trf(self.args.trf_bytes) if "import" in wanted else b""
        env = {"DATABASE_URL": self.database_url, "REDIS_URL": self.servers.redis.url,
               "SECRET_KEY": uuid.uuid4().hex, "CHESSWEB_ENV": "production", "CHESSWEB_PROXY_FIX_X_FOR": "0",
               "CHESSWEB_SESSION_COOKIE_SECURE": "false", "CHESSWEB_WS_PING_INTERVAL": str(self.args.ping_interval),
               "CHESSWEB_BROKER_PREFIX": f"faults-{uuid.uuid4().hex[:8]}"}
        self.server = Gunicorn(env, self.args.workers, self.args.clients, self.workdir / "gunicorn.log")
        self.server.wait_ready()
        target = ChessWeb(self.tournament, self.workdir, self.args.clients)
        target.port = self.server.port
        target.prepare()
        self.publisher = Publisher(target)
        self.clients = Clients(self.server.port, f"/ws?channel=tournament:{self.tournament.tid}:standings",
                               self.args.clients, self.args.generators, self.workdir)
        self.arbiter = Session(self.server.port)
        self.arbiter.login()

    def expected(self, step: int) -> tuple:
        return points_of(gray_state(step), self.pairings)

    def committed_points(self) -> tuple:
        """The standings points of the results the database holds (the truth: a POST that answered 500 may
        still have committed)."""
        from sqlalchemy import create_engine, select

        from chessweb.config import normalize_database_url
        from chessweb.models import Game
        if getattr(self, "_engine", None) is None:
            self._engine = create_engine(normalize_database_url(self.database_url), pool_pre_ping=True)
        table = Game.__table__
        with self._engine.connect() as conn:
            results = dict(conn.execute(select(table.c.id, table.c.result)
                                        .where(table.c.id.in_(self.tournament.games))).all())
        state = tuple(RESULTS.index(str(getattr(results[g], "value", results[g]))) for g in self.tournament.games)
        return points_of(state, self.pairings)

    def share_at_committed(self) -> tuple[float, int]:
        last, opened, stopped = self.clients.states()
        want = self.committed_points()
        self.answered_but_differs = want != self.expected(self.publisher.committed)
        good = [payload is not None and standings_points(payload) == want for payload in last]
        self.behind_open = sum(1 for g, o in zip(good, opened) if o and not g)  # connected, yet older state
        self.not_open = sum(1 for o in opened if not o)
        return sum(good) / len(last), stopped

    def wait_all_connected(self, timeout: float) -> None:
        deadline = now() + timeout
        while now() < deadline:
            _, opened, _ = self.clients.states()
            if all(opened):
                return
            time.sleep(1)
        print(f"  {sum(not o for o in opened)} clients not connected after {timeout:.0f} s", flush=True)

    def phase(self, name: str, fault: Callable[[], str]) -> None:
        print(f"- {name}: baseline {self.args.baseline:.0f} s", flush=True)
        self.publisher.start()
        before_start = now()
        time.sleep(self.args.baseline)
        during_start = now()
        print(f"- {name}: fault", flush=True)
        try:
            notes = fault()
        finally:
            self.publisher.stop()
        ended = now()
        committed = self.publisher.committed
        time.sleep(max(0.0, ended + CHECK_AFTER - now()))
        share, stopped = self.share_at_committed()
        if self.answered_but_differs:
            notes += "; the database holds a result whose POST did not answer 303"
        if share < 1.0:
            notes += f"; at +5 s: {self.not_open} not connected, {self.behind_open} connected but behind"
        converged: float | None = CHECK_AFTER if share == 1.0 else None
        while converged is None and now() < ended + 60:
            time.sleep(1)
            late, stopped = self.share_at_committed()
            if late == 1.0:
                converged = now() - ended
        self.phases.append(Phase(name, (before_start, during_start), (during_start, ended), ended, committed,
                                 share, converged, stopped, notes))
        print(f"  {100 * share:.1f}% at the committed state {CHECK_AFTER:.0f} s after the fault ended "
              f"({'all' if converged else 'not all'} within {converged or 60:.0f} s); {notes}", flush=True)
        self.wait_all_connected(30)

    # ----------------------------------------------------------------- the faults

    def kill9(self) -> str:
        time.sleep(self.args.fault_seconds / 2)
        victim = random.choice(self.server.worker_pids())
        for _ in range(5):
            if self.publisher.one():  # the commit; then at once the kill
                break
        os.kill(victim, signal.SIGKILL)
        time.sleep(self.args.fault_seconds / 2)  # results go on through the survivor and the new worker
        return f"worker {victim} killed after step {self.publisher.committed}"

    def none(self) -> str:
        time.sleep(self.args.fault_seconds)
        return f"nothing for {self.args.fault_seconds:.0f} s (the noise)"

    def redis(self) -> str:
        self.servers.redis.executor.stop()
        time.sleep(10)
        self.servers.redis.executor.start()
        return "Redis down 10 s"

    def postgres(self) -> str:
        started = now()
        self.servers.postgres.executor.stop()
        self.servers.postgres.executor.start()
        return f"PostgreSQL down {now() - started:.1f} s"

    def stall(self) -> str:
        seconds = 2 * self.args.ping_interval + 2
        count = min(50, self.args.clients // 2)
        self.clients.stall(count, seconds)
        time.sleep(seconds)
        return f"{count} clients stalled {seconds:.0f} s (ping every {self.args.ping_interval} s)"

    def pair(self) -> str:
        tid = self.big_tid
        _, html = self.arbiter.request("GET", f"/tournaments/{tid}/manage")
        started = now()
        status, _ = self.arbiter.request("POST", f"/tournaments/{tid}/rounds", {"csrf_token": _csrf(html)})
        while now() < started + 300:
            if self.arbiter.request("GET", f"/tournaments/{tid}/rounds/2")[0] == 200:
                break
            time.sleep(0.5)
        else:
            return f"POST answered {status}; round 2 not there after 300 s"
        return f"{self.args.pair_players}-player round 2 paired in {now() - started:.1f} s (POST {status})"

    def import_trf(self) -> str:
        _, html = self.arbiter.request("GET", "/tournaments/import")
        started = now()
        status, body = multipart_post(self.arbiter, "/tournaments/import", {"csrf_token": _csrf(html),
                                      "is_public": "y"}, "trf", "big.trf", self.trf)
        said = re.search(r'class="(?:field-error|form-errors|flash[^"]*)"[^>]*>\s*(?:<p>)?([^<]+)', body)
        why = f" ({said.group(1).strip()[:120]})" if status != 303 and said else ""
        return f"{len(self.trf) / 1e6:.2f} MB TRF: {status}{why} in {now() - started:.1f} s"

    # ----------------------------------------------------------------- latency, afterwards

    def latencies(self, dumps: list[dict[str, Any]]) -> None:
        """Per phase: the p99 over healthy clients of (first receipt of a step's state - its POST time)."""
        records: list[tuple[dict[tuple, list[float]], list[float]]] = []
        for dump in dumps:
            points = [standings_points(p) for p in dump["payloads"]]
            for received, closes in zip(dump["clients"], dump["closes"]):
                arrivals: dict[tuple, list[float]] = {}
                for at, n in received:
                    arrivals.setdefault(points[n], []).append(at)
                records.append((arrivals, [at for at, _ in closes]))
        posted = self.publisher.posted
        for phase in self.phases:
            for label, (start, end) in (("before", phase.before), ("during", phase.during)):
                window_end = phase.ended + CHECK_AFTER if label == "during" else end
                healthy = [rec for rec, closes in records if not any(start <= c <= window_end for c in closes)]
                values: list[float] = []
                for at, step in posted:
                    if not start <= at < end:
                        continue
                    want = self.expected(step)
                    for arrivals in healthy:
                        times = arrivals.get(want, [])
                        i = bisect.bisect_left(times, at)
                        if i < len(times) and times[i] - at < 60:
                            values.append(times[i] - at)
                p99 = percentile(values, 0.99)
                setattr(phase, f"p99_{label}", p99)
                if label == "during":
                    phase.healthy = len(healthy)

    def table(self) -> str:
        lines = [f"{self.args.clients} clients, {self.args.workers} gevent workers, private PostgreSQL + Redis; "
                 f"a result a second",
                 f"{'fault':9} {'at committed state +5 s':>24} {'all by':>7} {'healthy':>8} {'p99 before':>11} "
                 f"{'p99 during':>11}  notes"]
        for p in self.phases:
            by = f"{p.converged_after:.0f} s" if p.converged_after is not None else ">60 s"
            lines.append(f"{p.name:9} {100 * p.share:23.1f}% {by:>7} {p.healthy:8d} {_ms(p.p99_before):>11} "
                         f"{_ms(p.p99_during):>11}  {p.notes}" + (f"; {p.stopped} clients gave up" if p.stopped else ""))
        return "\n".join(lines)

    # ----------------------------------------------------------------- soak

    def soak(self, minutes: float) -> list[tuple[float, list[int]]]:
        self.clients.churn(self.args.churn_rate)
        self.publisher.start()
        series: list[tuple[float, list[int]]] = []
        started = now()
        try:
            while True:
                series.append((now() - started, [proc_rss(pid) for pid in sorted(self.server.worker_pids())]))
                print(f"  {series[-1][0] / 60:5.1f} min  RSS " +
                      "  ".join(f"{rss / 2**20:6.1f} MB" for rss in series[-1][1]), flush=True)
                if now() - started >= minutes * 60:
                    break
                time.sleep(min(30.0, max(0.0, minutes * 60 - (now() - started))))
        finally:
            self.publisher.stop()
            self.clients.churn(0)
        return series

    def teardown(self) -> None:
        if getattr(self, "_engine", None) is not None:
            self._engine.dispose()
        for name, method in (("clients", "kill"), ("server", "stop"), ("servers", "stop")):
            try:
                if hasattr(self, name):
                    getattr(getattr(self, name), method)()
            except Exception as error:  # noqa: BLE001 - clean up the rest anyway
                print(f"teardown: {error}", file=sys.stderr)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def multipart_post(session: Session, path: str, fields: dict[str, str], file_field: str, filename: str,
                   content: bytes) -> tuple[int, str]:
    """A multipart/form-data POST (RFC 7578) with the session's cookies."""
    import http.client
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: text/plain\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection(HOST, session.port, timeout=300)
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in session.cookies.items())})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def seed_big_swiss(database_url: str, players: int) -> int:
    """A `players`-player Swiss with round 1 played (random results), imported for the bench organizer."""
    from sqlalchemy import select
    from tournament_engine import MISHAPS, RESULTS

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.fide.simulation import simulate_swiss
    from chessweb.fide.trf import write_trf
    from chessweb.models import User
    from chessweb.realtime import realtime
    from chessweb.tournaments import interchange
    from fanout import ORGANIZER_EMAIL

    trf = write_trf(simulate_swiss(players, 9, 5, mishaps=MISHAPS, results=RESULTS["coin"], played=1))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "BROKER_URL": "memory://"})
    with app.app_context():
        organizer = db.session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
        imported = interchange.import_trf(trf, organizer.id)
        tid = getattr(imported, "tournament_id", imported)
        if "realtime" in app.extensions:
            realtime.flush(30)
            realtime.stop(app)
        db.session.remove()
        db.engine.dispose()
    return int(tid)


def make_trf(size: int) -> bytes:
    """A valid TRF-16 file of about `size` bytes (from 2 KB) that the importer accepts: a round robin paired on
    the Berger tables (chessweb.fide.berger; no opponent twice), coin-toss results, written with XXR.

    Each player's 001 line holds about 90 bytes plus 10 a round. Up to about 100 KB the round robin is finished
    (n players, n - 1 rounds). Above that the field is the importer's largest, 2,000 players
    (chessweb.fide.trf.MAX_PLAYERS; fewer below 200 KB), of whom the first rounds of the 1,999 are played: about
    size / (2,000 * 10) rounds, 91 for 2 MB, so every score stays at or under 99.5 points (the most the TRF's
    four-column points field holds, TRF-16 columns 81-84; the writer refuses more). A Swiss would not do for a
    big file: the importer takes at most 30 Swiss rounds (chessweb.fide.trf.MAX_SWISS_ROUNDS), about 0.8 MB with
    2,000 players.
    Keep `size` within the upload cap (MAX_CONTENT_LENGTH, 2 MiB) for a file the form accepts.
    Raises ValueError for a size that needs more than 99 rounds of 2,000 players (over about 2.2 MB)."""
    import random

    from chessweb.fide.berger import berger_round
    from chessweb.fide.crosstable import Crosstable, TournamentType, game_entries
    from chessweb.fide.simulation import coin_result, generate_players
    from chessweb.fide.trf import MAX_PLAYERS, write_trf
    line, block = 91, 10  # bytes of a player line before its rounds (with the newline), and per round
    players = max(4, int((size / block) ** 0.5))
    players += players % 2  # even: no bye
    rounds = players - 1  # a finished round robin: at most 99 rounds (up to 100 players), so at most 99 points
    if players > 100:
        rounds = max(1, round((size / MAX_PLAYERS - line) / block))
        players = min(MAX_PLAYERS, size // (line + block * rounds))
        players -= players % 2
    if rounds > 99:
        raise ValueError(f"{size} bytes need {rounds} rounds of {players} players: a score could pass 99.5 points")
    rng = random.Random(7)
    field = generate_players(players, rng)
    ratings = {p.number: p.rating for p in field}
    entries: dict[int, list] = {p.number: [] for p in field}
    for round_no in range(1, rounds + 1):
        for board in berger_round(players, round_no).boards:  # an even field: nobody has the bye
            result = coin_result(ratings[board.white], ratings[board.black], rng)
            for number, entry in game_entries(round_no, board.white, board.black, result).items():
                entries[number].append(entry)
    table = Crosstable(players=field, entries={n: tuple(es) for n, es in entries.items()}, planned_rounds=players - 1,
                       kind=TournamentType.ROUND_ROBIN, name=f"Generated round robin, {rounds} rounds")
    return write_trf(table).encode()


def main(argv: list[str] | None = None) -> Bench:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes")
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--baseline", type=float, default=8.0, help="seconds of results before each fault")
    parser.add_argument("--fault-seconds", type=float, default=6.0,
                        help="kill9: results around the kill; none: its length")
    parser.add_argument("--ping-interval", type=int, default=5, help="WS_PING_INTERVAL of the server, seconds")
    parser.add_argument("--pair-players", type=int, default=300)
    parser.add_argument("--trf-bytes", type=int, default=2_000_000)
    parser.add_argument("--soak-minutes", type=float, default=0.0)
    parser.add_argument("--churn-rate", type=float, default=50.0, help="soak: client connects a second")
    args = parser.parse_args(argv)
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    workdir = Path(tempfile.mkdtemp(prefix="chessweb-faults-"))
    bench = Bench(args, workdir)
    try:
        print(f"setting up ({args.clients} clients) in {workdir}", flush=True)
        bench.setup()
        bench.wait_all_connected(60 + args.clients / 50)
        runs = {"none": bench.none, "kill9": bench.kill9, "redis": bench.redis, "postgres": bench.postgres,
                "stall": bench.stall, "pair": bench.pair, "import": bench.import_trf}
        for name in faults:
            bench.phase(name, runs[name])
        series = bench.soak(args.soak_minutes) if args.soak_minutes else []
        dumps = bench.clients.finish()
        bench.latencies(dumps)
        print("\n" + bench.table())
        if bench.publisher.failures:
            print(f"result POSTs that failed (during faults): {len(bench.publisher.failures)}: "
                  f"{', '.join(sorted(set(bench.publisher.failures)))}")
        if series:
            print("\nSoak: worker RSS (MB) every 30 s, churning "
                  f"{args.churn_rate:.0f} connects/s over {args.clients} clients")
            for at, values in series:
                print(f"  {at / 60:5.1f} min  " + "  ".join(f"{v / 2**20:7.1f}" for v in values))
            first, half, last = series[0][1], series[len(series) // 2][1], series[-1][1]
            if len(first) == len(half) == len(last):
                # A worker forked during the faults (kill9) starts small and fills its caches (the render cache
                # is bounded by FRAGMENT_CACHE_BYTES, 32 MiB) in the first minutes: the second half shows a leak.
                print("  drift, whole soak: " + "  ".join(f"{100 * (b - a) / a:+.1f}%" for a, b in zip(first, last)))
                print("  drift, second half: " + "  ".join(f"{100 * (b - a) / a:+.1f}%" for a, b in zip(half, last)))
        bench.series = series  # type: ignore[attr-defined]
        gunicorn_log = bench.server.log.read_text(errors="replace")
        bench.tracebacks = gunicorn_log.count("Traceback")  # type: ignore[attr-defined]
        if bench.tracebacks:  # type: ignore[attr-defined]
            print(f"\ngunicorn logged {bench.tracebacks} tracebacks; log in {bench.server.log}")  # type: ignore
    finally:
        bench.teardown()
    return bench


if __name__ == "__main__":
    main()
