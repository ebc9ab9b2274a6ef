"""Fan-out benchmark: N WebSocket clients watch one tournament's standings while results are entered.

For each client count it serves the real app (`gunicorn app:app`, the gevent worker of gunicorn.conf.py, one
worker, the in-process broker, a SQLite file or --database-url), connects N raw WebSocket clients split over
load-generator processes (bench/fanout_loadgen.py), logs in as the organizer through the login form and
enters results through the round page's result form (htmx POSTs), one and then two per second. Then it runs
the same load against a minimal Flask-SocketIO peer (bench/peers/socketio_peer.py) broadcasting the same
fragment, and prints our figures as ratios of the peer's.

Latency is measured from just before a result's POST is sent to the moment each client receives the first
standings fragment that reflects it (read from the fragment's points, so rendering and delivery are inside
the measurement). Results walk a cyclic Gray code over the four boards of a completed round 1, so every
standings state within 81 results is distinct. Server CPU per recipient is the worker's CPU time over the
phase divided by the fragments delivered in it (request handling and rendering included, so at small N it is
mostly the per-result cost); memory per connection is the worker's RSS growth while the clients connect, divided
by N, in KiB. bench/socket_cost.py measures the fan-out alone (CPU per recipient beside the floor of one `send`
per socket) and where the memory of an idle socket goes.

    python bench/fanout.py --clients 1000,5000,10000 --rates 1,2 --duration 20
    python bench/fanout.py --quick          # 200 clients, 5 s per rate: a smoke run of under a minute

Loopback only; every process it starts is stopped at the end. Figures go to stdout and to
bench/results/fanout-<date>.json.
"""
from __future__ import annotations

import argparse
import bisect
import http.client
import json
import os
import platform
import re
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
BOARDS = 4  # an eight-player Swiss: four games in round 1
GRAY_PERIOD = 3 ** BOARDS  # results before a standings state repeats
RESULTS = ("1-0", "0-1", "1/2-1/2")
WON = {"1-0": (Fraction(1), Fraction(0)), "0-1": (Fraction(0), Fraction(1)),
       "1/2-1/2": (Fraction(1, 2), Fraction(1, 2))}
ORGANIZER_EMAIL, ORGANIZER_PASSWORD = "bench-organizer@chessweb.example", "bench-organizer-pass-2026"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
GOALS = {"p99_vs_peer_at_10000": 0.6, "p99_ms_at_5000": 400.0, "delivery": 1.0}


def now() -> float:
    """CLOCK_MONOTONIC: one clock for every process on this host (the load generators use it too)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# --------------------------------------------------------------------------- the result sequence

def gray_state(step: int) -> tuple[int, ...]:
    """Board results after `step` results (modular ternary Gray code; step 0 is every board 1-0)."""
    i = step % GRAY_PERIOD
    digits = [(i // 3 ** j) % 3 for j in range(BOARDS + 1)]
    return tuple((digits[j] - digits[j + 1]) % 3 for j in range(BOARDS))


def gray_change(step: int) -> tuple[int, str]:
    """The one board whose result changes at `step` (>= 1), and its new result."""
    before, after = gray_state(step - 1), gray_state(step)
    board = next(j for j in range(BOARDS) if before[j] != after[j])
    return board, RESULTS[after[board]]


def points_of(state: tuple[int, ...], pairings: list[tuple[int, int]]) -> tuple[tuple[int, Fraction], ...]:
    """Each pairing number's score for a board-result state, as the standings show it."""
    points: dict[int, Fraction] = {}
    for (white, black), code in zip(pairings, state):
        points[white], points[black] = WON[RESULTS[code]]
    return tuple(sorted(points.items()))


ROW = re.compile(r'<span class="pno">(\d+)</span>[^<]*(?:</a>)?</td>\s*<td class="rtg">[^<]*</td>\s*'
                 r'<td(?: class="score")?><strong>([^<]*)</strong></td>\s*<td>([^<]*)</td>')


def standings_points(html: str) -> tuple[tuple[int, Fraction], ...]:
    """Pairing number -> points, read from a standings fragment (its Live column while a round runs)."""
    live = ">Live</abbr>" in html
    return tuple(sorted((int(number), parse_points(live_points if live else pts))
                        for number, pts, live_points in ROW.findall(html)))


def parse_points(text: str) -> Fraction:
    text = text.strip()
    half = text.endswith("½")
    whole = text[:-1] if half else text
    return Fraction(int(whole or 0)) + (Fraction(1, 2) if half else 0)


# --------------------------------------------------------------------------- processes and /proc

def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss(pid: int) -> int:
    """Resident set size in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent:
                children.append(int(entry.name))
    return children


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """A gunicorn server with one gevent worker; `pid` is the worker, where the sockets live."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)
        self.pid = 0

    def wait_ready(self, port: int, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = now() + timeout
        while now() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            try:
                status, _, _ = http_request(port, "GET", path)
                if status == 200:
                    workers = child_pids(self.process.pid)
                    if len(workers) == 1:
                        self.pid = workers[0]
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)
            if self.pid and Path(f"/proc/{self.pid}").exists():  # a worker the master did not take down
                os.kill(self.pid, 9)
        finally:
            self._log_file.close()


def http_request(port: int, method: str, path: str, body: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 30.0) -> tuple[int, dict[str, str], str]:
    """One request on a fresh loopback connection: (status, headers, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        data = urlencode(body).encode() if body is not None else None
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        cookies = [value for name, value in response.getheaders() if name.lower() == "set-cookie"]
        return response.status, {"set-cookie": "\n".join(cookies)}, text
    finally:
        connection.close()


# --------------------------------------------------------------------------- the database and the tournament

@dataclass
class Tournament:
    database_url: str
    tid: int
    games: list[int]  # game id per board
    pairings: list[tuple[int, int]]  # (white, black) pairing numbers per board
    fragment: str  # the standings fragment as seeded (the peer broadcasts it)
    schema: str | None = None  # PostgreSQL: dropped at the end


def prepare_database(database_url: str | None, workdir: Path) -> tuple[str, str | None]:
    """A SQLite file in the work directory, or a fresh schema on the given PostgreSQL."""
    if not database_url:
        return f"sqlite:///{workdir / 'bench.sqlite3'}", None
    from sqlalchemy import create_engine, text

    from chessweb.config import normalize_database_url
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(normalize_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in database_url else "?"
    return f"{normalize_database_url(database_url)}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(database_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    from chessweb.config import normalize_database_url
    engine = create_engine(normalize_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def seed(database_url: str, schema: str | None) -> Tournament:
    """Migrate, then through the services: an organizer, an eight-player Swiss, round 1 published and
    every board 1-0 (step 0 of the Gray code), so each benchmark result is a correction."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.models import Game, NotificationPreference, Registration, Role, Round, TournamentFormat, User
    from chessweb.realtime import realtime
    from chessweb.tournaments import live, registration, results, rounds, settings
    from chessweb.tournaments.registration import PlayerDetails

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-seed", "BROKER_URL": "memory://"})
    with app.app_context():
        upgrade()
        organizer = User(email=ORGANIZER_EMAIL, display_name="Bench Organizer", role=Role.ORGANIZER)
        organizer.set_password(ORGANIZER_PASSWORD)
        db.session.add(organizer)
        db.session.flush()
        db.session.add(NotificationPreference(user_id=organizer.id))
        db.session.commit()
        tid = settings.create_tournament(settings.TournamentSettings(
            name="Fan-out Open", format=TournamentFormat.SWISS, start_date=date(2026, 5, 1), planned_rounds=5),
            organizer.id)
        for i in range(2 * BOARDS):
            registration.add_player(tid, PlayerDetails(name=f"Player {i + 1:02d}", rating=2400 - 20 * i),
                                    organizer.id, account_email="")
        registration.assign_pairing_numbers(tid, organizer.id)
        rounds.publish_round(tid, rounds.pair_next_round(tid, organizer.id), organizer.id)
        games = list(db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tid)
                                        .order_by(Game.board)))
        assert len(games) == BOARDS and all(g.black_id is not None for g in games)
        numbers = dict(db.session.execute(select(Registration.id, Registration.pairing_number)
                                          .where(Registration.tournament_id == tid)).all())
        pairings = [(numbers[g.white_id], numbers[g.black_id]) for g in games]
        for game in games:
            results.set_result(tid, game.id, RESULTS[0], organizer.id)
        realtime.flush(30)
        fragment = live.standings_fragments(tid)[0].html
        assert standings_points(fragment) == points_of(gray_state(0), pairings), "standings do not parse"
        game_ids = [g.id for g in games]
        realtime.stop(app)
        db.session.remove()
        db.engine.dispose()
    return Tournament(database_url, tid, game_ids, pairings, fragment, schema)


# --------------------------------------------------------------------------- the two targets

class Target:
    """How to serve, connect to and publish on one of the two servers."""
    name = ""
    protocol = ""

    def __init__(self, tournament: Tournament, workdir: Path, clients: int) -> None:
        self.tournament = tournament
        self.workdir = workdir
        self.port = free_port()
        self.clients = clients
        self.server: Server | None = None

    def start(self) -> None:
        raise NotImplementedError

    def ws_path(self) -> str:
        raise NotImplementedError

    def prepare(self) -> None:
        """Whatever must happen once before publishing (log in)."""

    def publish(self, step: int) -> int:
        """Send result `step`; returns the HTTP status."""
        raise NotImplementedError

    def step_of(self, payload: str) -> tuple[int, ...] | int:
        """The step a payload reflects: an exact step, or a standings state to be placed in time."""
        raise NotImplementedError

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


class ChessWeb(Target):
    name = "chessweb"
    protocol = "chessweb"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CHESSWEB_") and k not in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY")}
        env.update({"DATABASE_URL": self.tournament.database_url, "SECRET_KEY": uuid.uuid4().hex,
                    "CHESSWEB_ENV": "production", "CHESSWEB_PROXY_FIX_X_FOR": "0",  # direct clients, no proxy
                    "BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": "1",
                    "WORKER_CONNECTIONS": str(self.clients + 1000), "PYTHONPATH": str(ROOT)})
        self.server = Server(self.name, [sys.executable, "-m", "gunicorn", "--no-control-socket", "app:app"],
                             ROOT, env, self.workdir / f"{self.name}-{self.clients}.log")
        self.server.wait_ready(self.port)

    def ws_path(self) -> str:
        return f"/ws?channel=tournament:{self.tournament.tid}:standings"

    def prepare(self) -> None:
        """Log in through the login form; keep the session cookie and the CSRF token of the round page."""
        self.cookies: dict[str, str] = {}
        _, _, html = self._request("GET", "/auth/login")
        status, _, _ = self._request("POST", "/auth/login", {
            "csrf_token": _csrf(html), "email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD})
        if status != 303:
            raise RuntimeError(f"login failed with {status}")
        _, _, html = self._request("GET", f"/tournaments/{self.tournament.tid}/rounds/1")
        self.csrf = _csrf(html)
        # Each board's form carries the version it shows; the row htmx swaps in carries the next one.
        self.versions = {int(game): version for game, version in re.findall(
            r'action="/tournaments/\d+/games/(\d+)/result".*?name="version" value="(\d+)"', html, re.DOTALL)}

    def _request(self, method: str, path: str, body: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, response_headers, text = http_request(self.port, method, path, body,
                                                      {**(headers or {}), **({"Cookie": cookie} if cookie else {})})
        for line in response_headers["set-cookie"].splitlines():
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, response_headers, text

    def publish(self, step: int) -> int:
        board, result = gray_change(step)
        game = self.tournament.games[board]
        status, _, row = self._request("POST", f"/tournaments/{self.tournament.tid}/games/{game}/result",
                                       {"csrf_token": self.csrf, "result": result, "reason": f"bench step {step}",
                                        "version": self.versions.get(game, "")}, {"HX-Request": "true"})
        shown = re.search(r'name="version" value="(\d+)"', row)
        if shown:
            self.versions[game] = shown.group(1)
        return status

    def step_of(self, payload: str) -> tuple[int, ...] | int:
        return standings_points(payload)


class SocketIOPeer(Target):
    name = "socketio"
    protocol = "socketio"

    def start(self) -> None:
        fragment_file = self.workdir / "fragment.html"
        fragment_file.write_text(self.tournament.fragment, encoding="utf-8")
        env = {**os.environ, "PEER_FRAGMENT_FILE": str(fragment_file), "PYTHONPATH": str(ROOT / "bench" / "peers")}
        # cwd is the peer's folder, so gunicorn does not read the app's gunicorn.conf.py.
        self.server = Server(self.name, [
            sys.executable, "-m", "gunicorn", "--no-control-socket", "--worker-class", "gevent", "--workers", "1",
            "--worker-connections", str(self.clients + 1000), "--bind", f"{HOST}:{self.port}",
            "socketio_peer:app"], ROOT / "bench" / "peers", env, self.workdir / f"{self.name}-{self.clients}.log")
        self.server.wait_ready(self.port)

    def ws_path(self) -> str:
        return "/socket.io/?EIO=4&transport=websocket"

    def publish(self, step: int) -> int:
        status, _, _ = http_request(self.port, "POST", "/publish", {"seq": str(step)})
        return status

    def step_of(self, payload: str) -> tuple[int, ...] | int:
        match = re.search(r'data-seq=\\"(\d+)\\"', payload)
        if match is None:
            raise ValueError(f"no data-seq in {payload[:200]!r}")
        return int(match.group(1))


def _csrf(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


# --------------------------------------------------------------------------- load generators

class LoadGenerators:
    def __init__(self, target: Target, clients: int, count: int, workdir: Path) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        self.outputs: list[Path] = []
        share = [clients // count + (1 if i < clients % count else 0) for i in range(count)]
        for i, n in enumerate(share):
            out = workdir / f"recv-{target.name}-{clients}-{i}.json"
            self.outputs.append(out)
            self.processes.append(subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "fanout_loadgen.py"), "--port", str(target.port),
                 "--path", target.ws_path(), "--clients", str(n), "--protocol", target.protocol,
                 "--connect-timeout", str(60 + n / 50), "--out", str(out)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        reports = [self._line(p, timeout) for p in self.processes]
        return {"ready": sum(r["ready"] for r in reports), "failed": sum(r["failed"] for r in reports),
                "connect_seconds": max(r["connect_seconds"] for r in reports),
                "failures": [f for r in reports for f in r["failures"]][:5]}

    @staticmethod
    def _line(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        if not ready:
            raise RuntimeError("a load generator did not report in time")
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"a load generator exited ({process.wait()})")
        return dict(json.loads(line))

    def collect(self) -> list[dict[str, Any]]:
        """Stop them and read what each client received."""
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("stop\n")
            process.stdin.flush()
        for process in self.processes:
            self._line(process, 120)
            process.wait(30)
        return [json.loads(out.read_text()) for out in self.outputs]

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)


# --------------------------------------------------------------------------- one run

@dataclass
class Phase:
    rate: float
    sends: list[tuple[int, float, float, int]] = field(default_factory=list)  # step, sent, returned, status
    started: float = 0.0
    ended: float = 0.0
    server_cpu: float = 0.0
    loadgen_cpu: float = 0.0


class Run:
    def __init__(self, target: Target, clients: int, args: argparse.Namespace, step: int) -> None:
        self.target = target
        self.clients = clients
        self.args = args
        self.step = step  # results sent so far (chessweb: the Gray code position of the database)
        self.phases: list[Phase] = []
        self.warmups: list[tuple[int, float]] = []

    def execute(self) -> dict[str, Any]:
        target, args = self.target, self.args
        target.start()
        generators: LoadGenerators | None = None
        try:
            assert target.server is not None
            target.prepare()
            time.sleep(1)
            server_pid = target.server.pid
            rss_before = proc_rss(server_pid)
            generators = LoadGenerators(target, self.clients, args.generators, target.workdir)
            connect = generators.wait_ready(timeout=120 + self.clients / 50)
            time.sleep(args.settle)
            rss_after = proc_rss(server_pid)
            for rate in args.rates:
                self.phases.append(self.run_phase(rate, server_pid, generators.pids))
            time.sleep(args.drain)
            received = generators.collect()
        finally:
            if generators is not None:
                generators.kill()
            target.stop()
        return self.analyse(received, connect, rss_before, rss_after)

    def publish(self) -> tuple[int, float, float, int]:
        self.step += 1
        sent = now()
        status = self.target.publish(self.step)
        return self.step, sent, now(), status

    def run_phase(self, rate: float, server_pid: int, loadgen_pids: list[int]) -> Phase:
        step, sent, _, status = self.publish()  # warm-up: not measured
        if status >= 400:
            raise RuntimeError(f"{self.target.name}: publishing failed with {status}")
        self.warmups.append((step, sent))
        time.sleep(self.args.drain)
        phase = Phase(rate)
        cpu0, gen0 = proc_cpu(server_pid), sum(proc_cpu(p) for p in loadgen_pids)
        phase.started = now()
        count = max(1, round(rate * self.args.duration))
        for i in range(count):
            delay = phase.started + i / rate - now()
            if delay > 0:
                time.sleep(delay)
            phase.sends.append(self.publish())
        time.sleep(self.args.drain)
        phase.ended = now()
        phase.server_cpu = proc_cpu(server_pid) - cpu0
        phase.loadgen_cpu = sum(proc_cpu(p) for p in loadgen_pids) - gen0
        return phase

    # ----------------------------------------------------------------- the figures

    def analyse(self, received: list[dict[str, Any]], connect: dict[str, Any], rss_before: int,
                rss_after: int) -> dict[str, Any]:
        sent_at = {step: sent for phase in self.phases for step, sent, _, _ in phase.sends}
        sent_at.update(dict(self.warmups))
        by_state: dict[Any, list[tuple[float, int]]] = {}
        if self.target.name == "chessweb":
            pairings = self.target.tournament.pairings
            for step, sent in sorted(sent_at.items()):
                by_state.setdefault(points_of(gray_state(step), pairings), []).append((sent, step))
        clients: list[list[tuple[float, int]]] = []
        for part in received:
            steps = [self._place(self.target.step_of(p), by_state) for p in part["payloads"]]
            for frames in part["clients"]:
                if frames:
                    clients.append([(t, self._when(steps[n], t, by_state)) for t, n in frames])
        figures = []
        for phase in self.phases:
            figures.append(self._phase_figures(phase, clients, connect["ready"]))
        return {"target": self.target.name, "clients": self.clients, "connected": connect["ready"],
                "connect_failed": connect["failed"], "connect_seconds": round(connect["connect_seconds"], 2),
                "connect_failures": connect["failures"], "memory_per_connection_kb":
                    round((rss_after - rss_before) / max(1, connect["ready"]) / 1024, 1),
                "server_rss_mb": round(rss_after / 2 ** 20, 1),
                "closed_by_server": sum(p["closed_by_server"] for p in received),
                "loadgen_failures": sum(p["failed"] for p in received) - connect["failed"],
                "phases": figures}

    @staticmethod
    def _place(state: tuple[int, ...] | int, by_state: dict[Any, list[tuple[float, int]]]) -> Any:
        return state if isinstance(state, int) else by_state.get(state, [])

    @staticmethod
    def _when(placed: Any, at: float, by_state: dict[Any, list[tuple[float, int]]]) -> int:
        """A frame's step: exact for the peer; for a standings state, the newest result sent before it came
        with that state (-1: a state no result produced, i.e. the seeded one)."""
        if isinstance(placed, int):
            return placed
        i = bisect.bisect_right(placed, (at, float("inf"))) - 1
        return placed[i][1] if i >= 0 else -1

    def _phase_figures(self, phase: Phase, clients: list[list[tuple[float, int]]], connected: int) -> dict[str, Any]:
        steps = [(step, sent) for step, sent, _, _ in phase.sends]
        latencies: list[float] = []
        per_step: dict[int, list[float]] = {step: [] for step, _ in steps}
        frames = 0
        for received in clients:
            frames += sum(1 for t, _ in received if phase.started <= t <= phase.ended)
            j = 0
            for step, sent in steps:
                while j < len(received) and received[j][1] < step:
                    j += 1
                if j == len(received):
                    break
                latency = received[j][0] - sent
                latencies.append(latency)
                per_step[step].append(latency)
        expected = connected * len(steps)
        latencies.sort()
        medians = [statistics.median(v) for _, v in sorted(per_step.items()) if v]
        third = max(1, len(medians) // 3)
        post = sorted(returned - sent for _, sent, returned, _ in phase.sends)
        wall = phase.ended - phase.started
        return {
            "rate": phase.rate, "results": len(steps),
            "failed_posts": sum(1 for *_, status in phase.sends if status >= 400),
            "p50_ms": ms(quantile(latencies, 0.50)), "p99_ms": ms(quantile(latencies, 0.99)),
            "max_ms": ms(latencies[-1] if latencies else None),
            "delivery": round(len(latencies) / expected, 5) if expected else None,
            "frames_per_result": round(frames / expected, 3) if expected else None,
            "post_p50_ms": ms(quantile(post, 0.5)), "post_p99_ms": ms(quantile(post, 0.99)),
            "server_cpu_s": round(phase.server_cpu, 2),
            "server_cpu_per_recipient_us": round(1e6 * phase.server_cpu / frames, 1) if frames else None,
            "server_cpu_share": round(phase.server_cpu / wall, 3),
            "loadgen_cpu_share": round(phase.loadgen_cpu / wall, 3),
            "p50_growth": round(statistics.median(medians[-third:]) / statistics.median(medians[:third]), 2)
            if len(medians) >= 3 else None,
        }


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(1000 * value, 1)


# --------------------------------------------------------------------------- report

COLUMNS = [("target", "target", 9), ("clients", "N", 6), ("rate", "rate/s", 6), ("p50_ms", "p50 ms", 8),
           ("p99_ms", "p99 ms", 8), ("max_ms", "max ms", 8), ("delivery", "deliv.", 7),
           ("frames_per_result", "frames/res", 10), ("post_p50_ms", "POST p50", 9), ("post_p99_ms", "POST p99", 9),
           ("server_cpu_per_recipient_us", "CPU/rcpt µs", 11), ("server_cpu_share", "srv CPU", 8),
           ("memory_per_connection_kb", "KiB/conn", 8), ("loadgen_cpu_share", "gen CPU", 8),
           ("p50_growth", "growth", 7)]


def rows_of(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**{k: v for k, v in run.items() if k != "phases"}, **phase} for run in runs for phase in run["phases"]]


def print_table(rows: list[dict[str, Any]]) -> None:
    print(" ".join(f"{title:>{width}}" for _, title, width in COLUMNS))
    for row in rows:
        print(" ".join(f"{_fmt(row.get(key)):>{width}}" for key, _, width in COLUMNS))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ours divided by the peer's, per client count and rate (below 1: we do better)."""
    peer = {(r["clients"], r["rate"]): r for r in rows if r["target"] == "socketio"}
    out = []
    for row in rows:
        other = peer.get((row["clients"], row["rate"]))
        if row["target"] != "chessweb" or other is None:
            continue
        entry: dict[str, Any] = {"clients": row["clients"], "rate": row["rate"]}
        for key in ("p50_ms", "p99_ms", "max_ms", "server_cpu_per_recipient_us", "memory_per_connection_kb",
                    "loadgen_cpu_share"):
            entry[key] = round(row[key] / other[key], 2) if row.get(key) and other.get(key) else None
        out.append(entry)
    return out


def goals(rows: list[dict[str, Any]], ratio_rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    ours = [r for r in rows if r["target"] == "chessweb"]
    for entry in ratio_rows:
        if entry["clients"] == 10000 and entry["p99_ms"] is not None:
            ok = entry["p99_ms"] <= GOALS["p99_vs_peer_at_10000"]
            lines.append(f"p99 at 10,000 and {entry['rate']}/s is {entry['p99_ms']} × the peer's "
                         f"(goal ≤ {GOALS['p99_vs_peer_at_10000']}): {'met' if ok else 'MISSED'}")
    for row in ours:
        if row["clients"] == 5000 and row["p99_ms"] is not None:
            ok = row["p99_ms"] < GOALS["p99_ms_at_5000"]
            lines.append(f"p99 at 5,000 and {row['rate']}/s is {row['p99_ms']} ms (goal < 400): "
                         f"{'met' if ok else 'MISSED'}")
    for row in ours:
        ok = row["delivery"] == 1.0 and row["connect_failed"] == 0
        lines.append(f"delivery at {row['clients']} and {row['rate']}/s: {row['delivery']} of client×result pairs, "
                     f"{row['connect_failed']} clients not connected: {'met' if ok else 'MISSED'}")
    for row in ours:
        if row["clients"] == 10000 and row["rate"] == 2 and row["p50_growth"] is not None:
            ok = row["p50_growth"] <= 1.5
            lines.append(f"2/s at 10,000: median latency of the last third of results / first third = "
                         f"{row['p50_growth']} (goal: no growth, ≤ 1.5): {'met' if ok else 'MISSED'}")
    return lines


# --------------------------------------------------------------------------- main

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1000,5000,10000", help="comma-separated client counts")
    parser.add_argument("--rates", default="1,2", help="results per second, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of results per rate")
    parser.add_argument("--targets", default="chessweb,socketio", help="chessweb, socketio or both")
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between connecting and measuring")
    parser.add_argument("--drain", type=float, default=4.0, help="seconds to wait after the last result")
    parser.add_argument("--quick", action="store_true", help="200 clients, 5 s per rate, short pauses")
    parser.add_argument("--out", default="", help="JSON file (default bench/results/fanout-<date>.json)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.duration, args.settle, args.drain = "200", 5.0, 1.0, 1.5
    args.clients = [int(c) for c in args.clients.split(",")]
    args.rates = [float(r) for r in args.rates.split(",")]
    args.targets = [t.strip() for t in args.targets.split(",")]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if any(t not in ("chessweb", "socketio") for t in args.targets):
        parser.error("targets are chessweb and socketio")
    if any(not 1 <= c <= hard - 500 for c in args.clients):
        parser.error(f"client counts must be between 1 and {hard - 500} (one server process, open-files limit {hard})")
    if any(c / args.generators > hard - 100 for c in args.clients) or not 1 <= args.generators <= 8:
        parser.error("too many clients per load generator; raise --generators (1 to 8)")
    if any(not 0 < r <= 20 for r in args.rates) or not 1 <= args.duration <= 600:
        parser.error("rates must be in (0, 20] per second and the duration 1 to 600 s")
    return args


def main() -> None:
    args = parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers and load generators
    workdir = Path(tempfile.mkdtemp(prefix="chessweb-fanout-"))
    database_url, schema = prepare_database(args.database_url, workdir)
    started = datetime.now(UTC)
    runs: list[dict[str, Any]] = []
    step = 0
    try:
        tournament = seed(database_url, schema)
        print(f"standings fragment: {len(tournament.fragment.encode())} bytes; database: "
              f"{'PostgreSQL' if schema else 'SQLite'}; {os.cpu_count()} CPUs; open-files limit {hard}", flush=True)
        for clients in args.clients:
            for name in args.targets:
                target = (ChessWeb if name == "chessweb" else SocketIOPeer)(tournament, workdir, clients)
                run = Run(target, clients, args, step if name == "chessweb" else 0)
                result = run.execute()
                if name == "chessweb":
                    step = run.step
                runs.append(result)
                print_table(rows_of([result]))
                sys.stdout.flush()
    finally:
        if schema:
            drop_schema(args.database_url, schema)
    rows = rows_of(runs)
    ratio_rows = ratios(rows)
    print("\nAll runs:")
    print_table(rows)
    if ratio_rows:
        print("\nChessWeb ÷ Flask-SocketIO peer (below 1: ChessWeb does better):")
        print(f"{'N':>6} {'rate/s':>6} {'p50':>6} {'p99':>6} {'max':>6} {'CPU/rcpt':>9} {'KiB/conn':>8} {'gen CPU':>8}")
        for r in ratio_rows:
            print(f"{r['clients']:>6} {r['rate']:>6} {_fmt(r['p50_ms']):>6} {_fmt(r['p99_ms']):>6} "
                  f"{_fmt(r['max_ms']):>6} {_fmt(r['server_cpu_per_recipient_us']):>9} "
                  f"{_fmt(r['memory_per_connection_kb']):>8} {_fmt(r['loadgen_cpu_share']):>8}")
    print("\nCPU/rcpt: the worker's CPU over a phase (POSTs and renders included) ÷ frames delivered; "
          "KiB/conn: RSS growth ÷ sockets. The fan-out alone: bench/socket_cost.py.")
    verdicts = goals(rows, ratio_rows)
    if verdicts:
        print("\nGoals:")
        for line in verdicts:
            print("  " + line)
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"fanout-{started:%Y-%m-%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": started.isoformat(), "machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(), "open_files": hard},
        "args": {k: v for k, v in vars(args).items() if k != "database_url"},
        "database": "postgresql" if schema else "sqlite",
        "fragment_bytes": len(tournament.fragment.encode()), "runs": runs, "ratios": ratio_rows,
        "goals": verdicts}, indent=1))
    print(f"\nwritten to {out}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
