"""Does a big pairing starve everything else the worker serves? /healthz latency while a round is paired.

Serves the real app (`gunicorn app:app`, one gevent worker, production settings, a SQLite file) holding a
300-player Swiss whose round 2 is the hard kind (random round-1 results: gacrux's blossom matching), logs in as
the organizer, and POSTs "pair next round" while another connection GETs /healthz every 50 ms. It does this
twice, from the same database file: with the pairing in the web process (CHESSWEB_PAIRING_CHILD_MIN_PLAYERS set
above the field, as before chessweb.jobs) and in a child process (the default). It prints /healthz medians,
p99 and worst, idle and during the pairing, and the POST's own time.

    python bench/pairing_vs_sockets.py [--players 300] [--seed 5] [--results coin]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fanout import (HOST, ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, _csrf, bench_organizer,  # noqa: E402 - bench/ is on the path
                    free_port, http_request)

from tournament_engine import MISHAPS, RESULTS  # noqa: E402

from chessweb.fide.simulation import simulate_swiss  # noqa: E402
from chessweb.fide.trf import write_trf  # noqa: E402

PROBE_INTERVAL_S = 0.05


def seed_database(path: Path, trf: str) -> int:
    """A migrated SQLite file with the organizer and the imported tournament; returns its id."""
    from flask_migrate import upgrade

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.realtime import realtime
    from chessweb.tournaments import interchange

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench", "BROKER_URL": "memory://"})
    with app.app_context():
        upgrade()
        organizer = bench_organizer()
        tid = interchange.import_trf(trf, organizer.id)
        if "realtime" in app.extensions:
            realtime.stop(app)
        db.session.remove()
        db.engine.dispose()
    return tid


class Session:
    """One logged-in browser: cookies kept between requests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None,
                timeout: float = 900.0) -> tuple[int, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, headers, text = http_request(self.port, method, path, body, {"Cookie": cookie} if cookie else {},
                                             timeout=timeout)
        for line in headers["set-cookie"].splitlines():
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, text

    def login(self) -> None:
        _, html = self.request("GET", "/auth/login")
        status, _ = self.request("POST", "/auth/login", {"csrf_token": _csrf(html), "email": ORGANIZER_EMAIL,
                                                         "password": ORGANIZER_PASSWORD})
        if status != 303:
            raise RuntimeError(f"login failed with {status}")


def probe(port: int, stop: threading.Event, into: list[float]) -> None:
    """GET /healthz every PROBE_INTERVAL_S until `stop`; each latency in seconds."""
    while not stop.is_set():
        start = time.perf_counter()
        try:
            status, _, _ = http_request(port, "GET", "/healthz", timeout=900)
        except ConnectionError:  # the worker was killed: the request waited for nothing
            status = 0
        into.append(time.perf_counter() - start)
        if status not in (200, 0):
            raise RuntimeError(f"/healthz answered {status}")
        stop.wait(PROBE_INTERVAL_S)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_mode(name: str, database: Path, tid: int, workdir: Path, extra_env: dict[str, str]) -> dict[str, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CHESSWEB_") and k not in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY")}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": uuid.uuid4().hex,
                "CHESSWEB_ENV": "production", "BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": "1",
                "PYTHONPATH": str(ROOT), **extra_env})
    server = Server(name, [sys.executable, "-m", "gunicorn", "--no-control-socket", "app:app"], ROOT, env,
                    workdir / f"{name.replace(' ', '-')}.log")
    try:
        server.wait_ready(port)
        arbiter = Session(port)
        arbiter.login()
        _, html = arbiter.request("GET", f"/tournaments/{tid}/manage")
        token = _csrf(html)
        idle: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe, args=(port, stop, idle))
        prober.start()
        time.sleep(3)
        stop.set()
        prober.join()
        during: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe, args=(port, stop, during))
        prober.start()
        start = time.perf_counter()
        try:
            status, _ = arbiter.request("POST", f"/tournaments/{tid}/rounds", {"csrf_token": token})
        except ConnectionError:  # gunicorn killed the worker mid-pairing (its 30 s timeout)
            status = 0
        post = time.perf_counter() - start
        stop.set()
        prober.join()
        if status not in (303, 0):
            raise RuntimeError(f"pairing answered {status}:\n{server.tail()}")
    finally:
        server.stop()
    return {"post": post, "killed": status == 0, "idle_p50": statistics.median(idle), "idle_p99": percentile(idle, 0.99),
            "p50": statistics.median(during), "p99": percentile(during, 0.99), "max": max(during),
            "samples": len(during)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--results", choices=sorted(RESULTS), default="coin")
    args = parser.parse_args()

    history = simulate_swiss(args.players, 9, args.seed, mishaps=MISHAPS, results=RESULTS[args.results], played=1)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        seeded = workdir / "seeded.sqlite3"
        tid = seed_database(seeded, write_trf(history))
        print(f"/healthz every {PROBE_INTERVAL_S * 1000:.0f} ms while round 2 of a {args.players}-player Swiss "
              f"({args.results} results, seed {args.seed}) is paired; one gevent worker, SQLite")
        print("  pairing runs           | POST wall | /healthz idle p50 / p99 | during pairing p50 / p99 / worst"
              " (samples)")
        for name, extra in (("in the web process", {"CHESSWEB_PAIRING_CHILD_MIN_PLAYERS": "1000000"}),
                            ("in a child process", {})):
            database = workdir / f"{name.replace(' ', '-')}.sqlite3"
            shutil.copyfile(seeded, database)
            row = run_mode(name, database, tid, workdir, extra)
            post = f"{row['post']:7.2f} s" + (" (worker killed by gunicorn's timeout, no pairing)"
                                                 if row["killed"] else "")
            print(f"  {name:22s} | {post} | {row['idle_p50'] * 1000:8.1f} / {row['idle_p99'] * 1000:6.1f} ms"
                  f"      | {row['p50'] * 1000:8.1f} / {row['p99'] * 1000:7.1f} / {row['max'] * 1000:7.1f} ms "
                  f"({row['samples']})")


if __name__ == "__main__":
    main()
