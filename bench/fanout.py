"""Fan-out benchmark: N spectators watch a real Swiss's standings while an arbiter enters results.

Each run is PLAYERSxCLIENTS[wWORKERS] (issue 13's table: 40 players at 1,000, 5,000 and 10,000 spectators,
300 players at 1,000 and 5,000, and 50,000 across 4 workers). For each run it serves the real app
(`gunicorn app:app`, the gevent workers of gunicorn.conf.py; one worker: a SQLite file and the in-process
broker, as the embedded default; several: a private PostgreSQL and Redis, as the scale-out recipe), connects
N raw WebSocket clients split over load-generator processes (bench/fanout_loadgen.py, which offer
permessage-deflate as browsers do), logs in as the organizer through the login form and enters results
through the round page's result form (htmx POSTs). Then it runs the same load against two peers
broadcasting the same standings fragment, with the same worker count and Redis between workers:

- socketio:   a minimal Flask-SocketIO app on gevent (bench/peers/socketio_peer.py), what the issue compares to;
- websockets: the asyncio `websockets` library's own broadcast (bench/peers/websockets_peer.py), the floor.

Latency is what a spectator waits for: from just before a result's POST is sent (the arbiter's click) to the
moment each client has received the first standings fragment that reflects it (read from the fragment's
points, so the commit, rendering and delivery are inside the measurement). Results walk a cyclic Gray code
over four boards of a completed round 1 (the other boards keep 1-0), so every standings state within 81
results is distinct. KB/result is what one viewer received over the phase (on the wire: compressed where
the server compressed) divided by the results. Server CPU per recipient is the workers' CPU time over the
phase divided by the frames delivered in it (request handling and rendering included, so at small N it is
mostly the per-result cost); memory per connection is the workers' RSS growth while the clients connect,
divided by N, in KiB. bench/socket_cost.py measures the fan-out alone and where an idle socket's memory goes.

    python bench/fanout.py                                 # issue 13's table: every run, all three servers
    python bench/fanout.py --runs 40x1000,300x1000 --rates 1,2 --duration 20
    python bench/fanout.py --quick          # 40 players, 200 clients, 5 s per rate: a smoke run of a minute

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
BOARDS = 4  # the boards whose results change (the first four of round 1)
GRAY_PERIOD = 3 ** BOARDS  # results before a standings state repeats
RESULTS = ("1-0", "0-1", "1/2-1/2")
WON = {"1-0": (Fraction(1), Fraction(0)), "0-1": (Fraction(0), Fraction(1)),
       "1/2-1/2": (Fraction(1, 2), Fraction(1, 2))}
ORGANIZER_EMAIL, ORGANIZER_PASSWORD = "bench-organizer@chessweb.example", "bench-organizer-pass-2026"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
# Issue 13: p99 <= 1x the Flask-SocketIO peer's and <= 2x the asyncio reference's at every N; <= 0.5x the
# peer's at 10,000; <= 1.5 s at 50,000; <= 10 KB per result for a 300-player standings viewer; every message.
GOALS = {"p99_vs_socketio": 1.0, "p99_vs_websockets": 2.0, "p99_vs_socketio_at_10000": 0.5,
         "p99_ms_at_50000": 1500.0, "kb_per_result_at_300": 10.0, "delivery": 1.0}
DEFAULT_RUNS = "40x1000,40x5000,40x10000,300x1000,300x5000,40x50000w4"


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


def standings_points(html: str, numbers: frozenset[int] | None = None) -> tuple[tuple[int, Fraction], ...]:
    """Pairing number -> points, read from a standings fragment (its Live column while a round runs); only
    the pairing numbers in `numbers` when given (the players of the boards whose results change)."""
    live = ">Live</abbr>" in html
    return tuple(sorted((int(number), parse_points(live_points if live else pts))
                        for number, pts, live_points in ROW.findall(html)
                        if numbers is None or int(number) in numbers))


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
    """A server whose master process forks `workers` workers, where the sockets live (gunicorn, or the
    websockets peer's supervisor); `pids` are the workers, `pid` the first."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path,
                 workers: int = 1) -> None:
        self.name = name
        self.log = log
        self.workers = workers
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)
        self.pid = 0
        self.pids: list[int] = []

    def wait_ready(self, port: int, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = now() + timeout
        while now() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            try:
                status, _, _ = http_request(port, "GET", path)
                if status == 200:
                    workers = child_pids(self.process.pid)
                    if len(workers) == self.workers:
                        self.pids = sorted(workers)
                        self.pid = self.pids[0]
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
            for pid in self.pids:  # a worker the master did not take down
                if Path(f"/proc/{pid}").exists():
                    os.kill(pid, 9)
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
    fragment: str  # the standings fragment as seeded (the peers broadcast it)
    schema: str | None = None  # PostgreSQL: dropped at the end
    players: int = 2 * BOARDS

    @property
    def tracked(self) -> frozenset[int]:
        """The pairing numbers of the boards whose results change."""
        return frozenset(n for pair in self.pairings for n in pair)


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


def bench_organizer() -> Any:
    """The benchmark's organizer account (a models.User), made once per database; in an app context."""
    from sqlalchemy import select

    from chessweb.extensions import db
    from chessweb.models import NotificationPreference, Role, User
    organizer = db.session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
    if organizer is None:
        organizer = User(email=ORGANIZER_EMAIL, display_name="Bench Organizer", role=Role.ORGANIZER)
        organizer.set_password(ORGANIZER_PASSWORD)
        db.session.add(organizer)
        db.session.flush()
        db.session.add(NotificationPreference(user_id=organizer.id))
        db.session.commit()
    return organizer


def seed(database_url: str, schema: str | None, players: int = 2 * BOARDS) -> Tournament:
    """Migrate (once per database), then through the services: an organizer (once), a Swiss of `players`
    players, round 1 published and every board 1-0 (step 0 of the Gray code), so each benchmark result is a
    correction. The first BOARDS boards are the ones whose results change."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.models import Game, Registration, Round, TournamentFormat
    from chessweb.realtime import realtime
    from chessweb.tournaments import live, registration, results, rounds, settings
    from chessweb.tournaments.registration import PlayerDetails

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-seed", "BROKER_URL": "memory://"})
    if players < 2 * BOARDS or players % 2:
        raise ValueError(f"players must be even and at least {2 * BOARDS}")
    with app.app_context():
        upgrade()
        organizer = bench_organizer()
        tid = settings.create_tournament(settings.TournamentSettings(
            name=f"Fan-out Open ({players} players)", format=TournamentFormat.SWISS, start_date=date(2026, 5, 1),
            planned_rounds=5), organizer.id)
        for i in range(players):
            registration.add_player(tid, PlayerDetails(name=f"Player {i + 1:03d}", rating=2600 - 2 * i),
                                    organizer.id, account_email="")
        registration.assign_pairing_numbers(tid, organizer.id)
        rounds.publish_round(tid, rounds.pair_next_round(tid, organizer.id), organizer.id)
        games = list(db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tid)
                                        .order_by(Game.board)))
        assert len(games) == players // 2 and all(g.black_id is not None for g in games)
        numbers = dict(db.session.execute(select(Registration.id, Registration.pairing_number)
                                          .where(Registration.tournament_id == tid)).all())
        pairings = [(numbers[g.white_id], numbers[g.black_id]) for g in games[:BOARDS]]
        for game in games:
            results.set_result(tid, game.id, RESULTS[0], organizer.id)
        realtime.flush(60)
        fragment = live.standings_fragments(tid)[0].html
        tournament = Tournament(database_url, tid, [g.id for g in games[:BOARDS]], pairings, fragment, schema,
                                players)
        assert standings_points(fragment, tournament.tracked) == points_of(gray_state(0), pairings), \
            "standings do not parse"
        realtime.stop(app)
        db.session.remove()
        db.engine.dispose()
    return tournament


# --------------------------------------------------------------------------- the two targets

class Target:
    """How to serve, connect to and publish on one of the three servers; `workers` processes hold the
    sockets, with Redis between them (`redis_url`) when there are several."""
    name = ""
    protocol = ""

    def __init__(self, tournament: Tournament, workdir: Path, clients: int, workers: int = 1,
                 redis_url: str = "") -> None:
        self.tournament = tournament
        self.workdir = workdir
        self.port = free_port()
        self.clients = clients
        self.workers = workers
        self.redis_url = redis_url
        self.server: Server | None = None

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}-{self.tournament.players}x{self.clients}w{self.workers}.log"

    def worker_connections(self) -> int:
        """Per worker: all of them, had the kernel given every connection to one worker, up to what the
        open-files limit leaves."""
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        return min(self.clients + 1000, hard - 200)

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
                    "BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": str(self.workers),
                    "WORKER_CONNECTIONS": str(self.worker_connections()), "PYTHONPATH": str(ROOT)})
        if self.workers > 1:
            env.update({"REDIS_URL": self.redis_url, "CHESSWEB_BROKER_PREFIX": f"fanout-{uuid.uuid4().hex[:8]}"})
        self.server = Server(self.name, [sys.executable, "-m", "gunicorn", "--no-control-socket", "app:app"],
                             ROOT, env, self.log, self.workers)
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
        return standings_points(payload, self.tournament.tracked)


SEQ = re.compile(r'data-seq=\\?"(\d+)')


def peer_step(payload: str) -> int:
    """The post a peer's message answers (-1: its greeting, which precedes every post)."""
    match = SEQ.search(payload)
    if match is None:
        if len(payload) < 100:
            return -1
        raise ValueError(f"no data-seq in {payload[:200]!r}")
    return int(match.group(1))


class SocketIOPeer(Target):
    name = "socketio"
    protocol = "socketio"

    def start(self) -> None:
        fragment_file = self.workdir / "fragment.html"
        fragment_file.write_text(self.tournament.fragment, encoding="utf-8")
        env = {**os.environ, "PEER_FRAGMENT_FILE": str(fragment_file), "PYTHONPATH": str(ROOT / "bench" / "peers"),
               "PEER_REDIS_URL": self.redis_url if self.workers > 1 else ""}
        # cwd is the peer's folder, so gunicorn does not read the app's gunicorn.conf.py.
        self.server = Server(self.name, [
            sys.executable, "-m", "gunicorn", "--no-control-socket", "--worker-class", "gevent", "--workers",
            str(self.workers), "--worker-connections", str(self.worker_connections()), "--bind",
            f"{HOST}:{self.port}", "socketio_peer:app"], ROOT / "bench" / "peers", env, self.log, self.workers)
        self.server.wait_ready(self.port)

    def ws_path(self) -> str:
        return "/socket.io/?EIO=4&transport=websocket"

    def publish(self, step: int) -> int:
        status, _, _ = http_request(self.port, "POST", "/publish", {"seq": str(step)})
        return status

    def step_of(self, payload: str) -> tuple[int, ...] | int:
        return peer_step(payload)


class WebsocketsPeer(Target):
    name = "websockets"
    protocol = "chessweb"  # the first message is a greeting that marks the client as watching, as our snapshot

    def start(self) -> None:
        fragment_file = self.workdir / "fragment.html"
        fragment_file.write_text(self.tournament.fragment, encoding="utf-8")
        env = {**os.environ, "PEER_FRAGMENT_FILE": str(fragment_file), "REDIS_URL": self.redis_url}
        self.server = Server(self.name, [
            sys.executable, str(ROOT / "bench" / "peers" / "websockets_peer.py"), "--port", str(self.port),
            "--processes", str(self.workers)], ROOT, env, self.log, self.workers)
        self.server.wait_ready(self.port)

    def ws_path(self) -> str:
        return "/"

    def publish(self, step: int) -> int:
        status, _, _ = http_request(self.port, "GET", f"/publish?seq={step}")
        return status

    def step_of(self, payload: str) -> tuple[int, ...] | int:
        return peer_step(payload)


TARGETS: dict[str, type[Target]] = {"chessweb": ChessWeb, "socketio": SocketIOPeer, "websockets": WebsocketsPeer}


def _csrf(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


# --------------------------------------------------------------------------- load generators

class LoadGenerators:
    """`count` load-generator processes sharing `clients`; past 20,000 clients each one connects from its own
    loopback address (127.0.0.10, .11, ...), since one source address has one ephemeral port range (28,000
    ports here) towards the server."""

    def __init__(self, target: Target, clients: int, count: int, workdir: Path, deflate: bool = False) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        self.outputs: list[Path] = []
        share = [clients // count + (1 if i < clients % count else 0) for i in range(count)]
        for i, n in enumerate(share):
            out = workdir / f"recv-{target.name}-{clients}-{i}.json"
            self.outputs.append(out)
            self.processes.append(subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "fanout_loadgen.py"), "--port", str(target.port),
                 "--path", target.ws_path(), "--clients", str(n), "--protocol", target.protocol,
                 "--connect-timeout", str(60 + n / 50), "--out", str(out), *(["--deflate"] if deflate else []),
                 *(["--source", f"127.0.0.{10 + i}"] if clients > 20000 else [])],
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
            server_pids = target.server.pids
            rss_before = sum(proc_rss(pid) for pid in server_pids)
            generators = LoadGenerators(target, self.clients, self.generators(), target.workdir, args.deflate)
            connect = generators.wait_ready(timeout=120 + self.clients / 50)
            time.sleep(args.settle)
            rss_after = sum(proc_rss(pid) for pid in server_pids)
            for rate in args.rates:
                self.phases.append(self.run_phase(rate, server_pids, generators.pids))
            time.sleep(args.drain)
            received = generators.collect()
        finally:
            if generators is not None:
                generators.kill()
            target.stop()
        return self.analyse(received, connect, rss_before, rss_after)

    def generators(self) -> int:
        """--generators, or more where one process would pass the open-files limit."""
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        return max(self.args.generators, -(-self.clients // (hard - 500)))

    def publish(self) -> tuple[int, float, float, int]:
        self.step += 1
        sent = now()
        status = self.target.publish(self.step)
        return self.step, sent, now(), status

    def run_phase(self, rate: float, server_pids: list[int], loadgen_pids: list[int]) -> Phase:
        step, sent, _, status = self.publish()  # warm-up: not measured
        if status >= 400:
            raise RuntimeError(f"{self.target.name}: publishing failed with {status}")
        self.warmups.append((step, sent))
        time.sleep(self.args.drain)
        phase = Phase(rate)
        cpu0, gen0 = sum(proc_cpu(p) for p in server_pids), sum(proc_cpu(p) for p in loadgen_pids)
        phase.started = now()
        count = max(1, round(rate * self.args.duration))
        for i in range(count):
            delay = phase.started + i / rate - now()
            if delay > 0:
                time.sleep(delay)
            phase.sends.append(self.publish())
        time.sleep(self.args.drain)
        phase.ended = now()
        phase.server_cpu = sum(proc_cpu(p) for p in server_pids) - cpu0
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
        clients: list[list[tuple[float, int, int]]] = []  # per client: (received at, step, bytes on the wire)
        for part in received:
            steps = [self._place(self.target.step_of(p), by_state) for p in part["payloads"]]
            sizes = part["wire_sizes"]
            for frames in part["clients"]:
                if frames:
                    clients.append([(t, self._when(steps[n], t, by_state), sizes[n]) for t, n in frames])
        figures = []
        for phase in self.phases:
            figures.append(self._phase_figures(phase, clients, connect["ready"]))
        return {"target": self.target.name, "players": self.target.tournament.players,
                "workers": self.target.workers, "clients": self.clients, "connected": connect["ready"],
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

    def _phase_figures(self, phase: Phase, clients: list[list[tuple[float, int, int]]],
                       connected: int) -> dict[str, Any]:
        steps = [(step, sent) for step, sent, _, _ in phase.sends]
        latencies: list[float] = []
        per_step: dict[int, list[float]] = {step: [] for step, _ in steps}
        frames = wire = 0
        for received in clients:
            in_phase = [size for t, _, size in received if phase.started <= t <= phase.ended]
            frames += len(in_phase)
            wire += sum(in_phase)
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
            "kb_per_result": round(wire / expected / 1000, 2) if expected else None,
            "post_p50_ms": ms(quantile(post, 0.5)), "post_p99_ms": ms(quantile(post, 0.99)),
            "server_cpu_s": round(phase.server_cpu, 2),
            "server_cpu_per_recipient_us": round(1e6 * phase.server_cpu / frames, 1) if frames else None,
            "server_cpu_share": round(phase.server_cpu / wall, 3),
            "loadgen_cpu_share": round(phase.loadgen_cpu / wall, 3),
            "p50_growth": round(statistics.median(medians[-third:]) / statistics.median(medians[:third]), 2)
            if len(medians) >= 3 else None,
            # Per result, in order: its median and slowest latency (a slow result shows which one, and when).
            "per_result_ms": [(ms(statistics.median(v)), ms(max(v))) for _, v in sorted(per_step.items()) if v],
        }


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(1000 * value, 1)


# --------------------------------------------------------------------------- report

COLUMNS = [("target", "target", 10), ("players", "P", 4), ("clients", "N", 6), ("workers", "w", 2),
           ("rate", "rate/s", 6), ("p50_ms", "p50 ms", 8), ("p99_ms", "p99 ms", 8), ("max_ms", "max ms", 8),
           ("delivery", "deliv.", 7), ("frames_per_result", "frames/res", 10), ("kb_per_result", "KB/res", 7),
           ("post_p50_ms", "POST p50", 9), ("post_p99_ms", "POST p99", 9),
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


def _ratio(ours: Any, theirs: Any) -> float | None:
    return round(ours / theirs, 2) if ours and theirs else None


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per event size, spectator count, worker count and rate: ChessWeb beside both peers."""
    by_target = {(r["target"], r["players"], r["clients"], r["workers"], r["rate"]): r for r in rows}
    out = []
    for row in rows:
        if row["target"] != "chessweb":
            continue
        key = (row["players"], row["clients"], row["workers"], row["rate"])
        socketio, websockets = by_target.get(("socketio", *key), {}), by_target.get(("websockets", *key), {})
        out.append({"players": row["players"], "clients": row["clients"], "workers": row["workers"],
                    "rate": row["rate"], "p50_ms": row["p50_ms"], "p99_ms": row["p99_ms"],
                    "socketio_p99_ms": socketio.get("p99_ms"), "websockets_p99_ms": websockets.get("p99_ms"),
                    "vs_socketio": _ratio(row["p99_ms"], socketio.get("p99_ms")),
                    "vs_websockets": _ratio(row["p99_ms"], websockets.get("p99_ms")),
                    "delivery": row["delivery"], "connect_failed": row["connect_failed"],
                    "peer_delivery": min((p["delivery"] for p in (socketio, websockets) if p.get("delivery")),
                                         default=None),
                    "kb_per_result": row["kb_per_result"], "socketio_kb_per_result": socketio.get("kb_per_result"),
                    "cpu_per_recipient_us": row["server_cpu_per_recipient_us"],
                    "socketio_cpu_per_recipient_us": socketio.get("server_cpu_per_recipient_us"),
                    "kib_per_connection": row["memory_per_connection_kb"],
                    "socketio_kib_per_connection": socketio.get("memory_per_connection_kb")})
    return out


SUMMARY = [("players", "players", 7), ("clients", "N", 6), ("workers", "w", 2), ("rate", "rate/s", 6),
           ("p50_ms", "p50 ms", 7), ("p99_ms", "p99 ms", 7), ("socketio_p99_ms", "FSIO p99", 8),
           ("websockets_p99_ms", "ws p99", 7), ("vs_socketio", "÷FSIO", 6), ("vs_websockets", "÷ws", 6),
           ("delivery", "deliv.", 7), ("kb_per_result", "KB/res", 7), ("socketio_kb_per_result", "FSIO KB", 7),
           ("cpu_per_recipient_us", "µs/rcpt", 7), ("socketio_cpu_per_recipient_us", "FSIO µs", 7),
           ("kib_per_connection", "KiB/sock", 8), ("socketio_kib_per_connection", "FSIO KiB", 8)]


def print_summary(lines: list[dict[str, Any]]) -> None:
    print(" ".join(f"{title:>{width}}" for _, title, width in SUMMARY))
    for line in lines:
        print(" ".join(f"{_fmt(line.get(key)):>{width}}" for key, _, width in SUMMARY))


def goals(lines: list[dict[str, Any]]) -> list[str]:
    """Issue 13's verdicts, one per goal and line of the summary."""
    verdicts = []

    def verdict(text: str, ok: bool | None) -> None:
        if ok is not None:
            verdicts.append(f"{text}: {'met' if ok else 'MISSED'}")

    for line in lines:
        at = f"{line['players']} players, {line['clients']:,} spectators, {line['workers']} worker(s), {line['rate']}/s"
        vs_fsio, vs_ws = line["vs_socketio"], line["vs_websockets"]
        verdict(f"{at}: p99 {line['p99_ms']} ms is {vs_fsio} × Flask-SocketIO's (goal ≤ {GOALS['p99_vs_socketio']})",
                None if vs_fsio is None else vs_fsio <= GOALS["p99_vs_socketio"])
        verdict(f"{at}: p99 is {vs_ws} × the asyncio reference's (goal ≤ {GOALS['p99_vs_websockets']})",
                None if vs_ws is None else vs_ws <= GOALS["p99_vs_websockets"])
        if line["clients"] == 10000:
            verdict(f"{at}: p99 is {vs_fsio} × Flask-SocketIO's (goal at 10,000 ≤ "
                    f"{GOALS['p99_vs_socketio_at_10000']})",
                    None if vs_fsio is None else vs_fsio <= GOALS["p99_vs_socketio_at_10000"])
        if line["clients"] >= 50000:
            verdict(f"{at}: p99 {line['p99_ms']} ms (goal ≤ {GOALS['p99_ms_at_50000']:.0f} ms)",
                    line["p99_ms"] is not None and line["p99_ms"] <= GOALS["p99_ms_at_50000"])
        if line["players"] >= 300:
            verdict(f"{at}: a viewer receives {line['kb_per_result']} KB per result (goal ≤ "
                    f"{GOALS['kb_per_result_at_300']:.0f} KB)",
                    line["kb_per_result"] is not None and line["kb_per_result"] <= GOALS["kb_per_result_at_300"])
        verdict(f"{at}: delivery {line['delivery']} of spectator×result pairs, {line['connect_failed']} not "
                "connected", line["delivery"] == GOALS["delivery"] and line["connect_failed"] == 0)
    return verdicts


# --------------------------------------------------------------------------- main

@dataclass(frozen=True)
class RunSpec:
    players: int
    clients: int
    workers: int

    @classmethod
    def parse(cls, text: str) -> RunSpec:
        """PLAYERSxCLIENTS[wWORKERS], e.g. 300x5000 or 40x50000w4."""
        match = re.fullmatch(r"(\d+)x(\d+)(?:w(\d+))?", text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not PLAYERSxCLIENTS[wWORKERS]")
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=DEFAULT_RUNS,
                        help=f"comma-separated PLAYERSxCLIENTS[wWORKERS] (default {DEFAULT_RUNS})")
    parser.add_argument("--rates", default="1", help="results per second, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of results per rate")
    parser.add_argument("--targets", default="chessweb,socketio,websockets",
                        help="comma-separated: chessweb, socketio, websockets")
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes (at least)")
    parser.add_argument("--no-deflate", dest="deflate", action="store_false",
                        help="clients offer no permessage-deflate (browsers do offer it)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL for one-worker runs (default: SQLite)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between connecting and measuring")
    parser.add_argument("--drain", type=float, default=4.0, help="seconds to wait after the last result")
    parser.add_argument("--quick", action="store_true", help="40 players, 200 clients, 5 s per rate, short pauses")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (and the work directory)")
    parser.add_argument("--out", default="", help="JSON file (default bench/results/fanout-<date>.json)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.duration, args.settle, args.drain = "40x200", 5.0, 1.0, 1.5
    try:
        args.runs = [RunSpec.parse(r) for r in args.runs.split(",")]
    except ValueError as error:
        parser.error(str(error))
    args.rates = [float(r) for r in args.rates.split(",")]
    args.targets = [t.strip() for t in args.targets.split(",")]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if any(t not in TARGETS for t in args.targets):
        parser.error(f"targets are {', '.join(TARGETS)}")
    for run in args.runs:
        if not 1 <= run.workers <= 16 or run.players < 2 * BOARDS or run.players % 2 or run.players > 2000:
            parser.error(f"{run}: 1 to 16 workers, an even number of players from {2 * BOARDS} to 2,000")
        if not 1 <= run.clients / run.workers <= hard - 1000:
            parser.error(f"{run}: at most {hard - 1000} clients per worker (open-files limit {hard})")
    if not 1 <= args.generators <= 16:
        parser.error("1 to 16 load generators")
    if any(not 0 < r <= 20 for r in args.rates) or not 1 <= args.duration <= 600:
        parser.error("rates must be in (0, 20] per second and the duration 1 to 600 s")
    return args


class Databases:
    """Where each run's tournament lives: one-worker runs on a SQLite file (or --database-url), runs across
    workers on a private PostgreSQL with a private Redis between the workers (tests/servers.py). Each event
    size is seeded once per database; the Gray code goes on from where the last run left it."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.single_url, self.single_schema = prepare_database(args.database_url, workdir)
        self.private: Any = None
        self.tournaments: dict[tuple[bool, int], Tournament] = {}
        self.steps: dict[tuple[bool, int], int] = {}

    def tournament(self, run: RunSpec) -> tuple[Tournament, str]:
        """The run's tournament and the Redis URL its workers share ("" for one worker)."""
        scaled = run.workers > 1
        if scaled and self.private is None:
            from tests.servers import PrivatePostgres, PrivateRedis
            root = self.workdir / "servers"
            root.mkdir()
            for folder in (self.workdir, root):  # PostgreSQL runs as another account when this runs as root
                folder.chmod(0o755)
            self.private = (PrivatePostgres(root / "postgresql").start(), PrivateRedis(root / "redis").start())
        key = (scaled, run.players)
        if key not in self.tournaments:
            url, schema = (self.private[0].url, None) if scaled else (self.single_url, self.single_schema)
            self.tournaments[key] = seed(url, schema, run.players)
            print(f"{run.players} players on {'PostgreSQL' if scaled or schema else 'SQLite'}: standings fragment "
                  f"{len(self.tournaments[key].fragment.encode()):,} bytes", flush=True)
        return self.tournaments[key], self.private[1].url if scaled else ""

    def stop(self) -> None:
        if self.single_schema:
            drop_schema(self.args.database_url, self.single_schema)
        for server in reversed(self.private or ()):
            try:
                server.stop()
            except Exception as error:  # noqa: BLE001 - stopping what is left; say what failed
                print(f"stopping {type(server).__name__}: {error}", file=sys.stderr)


def main() -> None:
    args = parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers and load generators
    workdir = Path(tempfile.mkdtemp(prefix="chessweb-fanout-"))
    databases = Databases(args, workdir)
    started = datetime.now(UTC)
    runs: list[dict[str, Any]] = []
    print(f"{os.cpu_count()} CPUs; open-files limit {hard}; clients offer permessage-deflate: {args.deflate}",
          flush=True)
    try:
        for spec in args.runs:
            tournament, redis_url = databases.tournament(spec)
            key = (spec.workers > 1, spec.players)
            for name in args.targets:
                target = TARGETS[name](tournament, workdir, spec.clients, spec.workers, redis_url)
                run = Run(target, spec.clients, args, databases.steps.get(key, 0) if name == "chessweb" else 0)
                result = run.execute()
                if name == "chessweb":
                    databases.steps[key] = run.step
                runs.append(result)
                print_table(rows_of([result]))
                sys.stdout.flush()
    finally:
        databases.stop()
    rows = rows_of(runs)
    lines = summary(rows)
    print("\nAll runs:")
    print_table(rows)
    print("\nCPU/rcpt: the workers' CPU over a phase (POSTs and renders included) ÷ frames delivered; "
          "KiB/conn: RSS growth ÷ sockets; KB/res: what one viewer received per result, on the wire.")
    if lines:
        print("\nIssue 13's table: ChessWeb beside Flask-SocketIO (FSIO) and the asyncio `websockets` reference (ws), "
              "measured in this run; ÷: ChessWeb's p99 divided by the peer's (below 1: ChessWeb does better)")
        print_summary(lines)
    verdicts = goals(lines)
    if verdicts:
        print("\nGoals:")
        for line in verdicts:
            print("  " + line)
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"fanout-{started:%Y-%m-%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": started.isoformat(), "machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(), "open_files": hard},
        "args": {k: (v if k != "runs" else [str(r) for r in v]) for k, v in vars(args).items()
                 if k != "database_url"},
        "runs": runs, "summary": lines, "goals": verdicts}, indent=1))
    print(f"\nwritten to {out}")
    if args.keep_logs:
        print(f"server logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
