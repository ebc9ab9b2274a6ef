"""Benchmark of the standings API of a big event: a cached answer (304 on If-None-Match) against a full one.

Imports a simulated 300-player, 9-round Swiss (chessweb.fide.simulation, written as TRF and imported through the
service), serves the real app on a local port (werkzeug, one thread) and asks
GET /api/v1/tournaments/<id>/standings over one keep-alive HTTP connection: first without a validator (the
standings computed and serialized), then with the ETag it answered (304). Prints medians and p95 against the
goal (a 304 in under 50 ms).

    python bench/api_standings.py [--players 300] [--rounds 9] [--requests 200]
    DATABASE_URL=postgresql://... python bench/api_standings.py   # default: a temporary SQLite file
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOAL_304_S = 0.050


def seed(database_url: str, players: int, rounds: int) -> tuple[object, int]:
    from flask_migrate import upgrade

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.fide.simulation import simulate_swiss
    from chessweb.fide.trf import write_trf
    from chessweb.models import Role, User
    from chessweb.tournaments.interchange import import_trf

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-api", "BROKER_URL": "memory://",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        organizer = User(email="bench-api@example.org", display_name="Bench API", role=Role.ORGANIZER)
        organizer.set_password("bench-api-password")
        db.session.add(organizer)
        db.session.commit()
        trf = write_trf(simulate_swiss(players, rounds, 2026))
        tid = import_trf(trf, organizer.id).tournament_id
    return app, tid


def timed(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return time.perf_counter() - start, response.status, response.headers.get("ETag", "")


def report(name: str, seconds: list[float]) -> float:
    median = statistics.median(seconds)
    p95 = sorted(seconds)[int(0.95 * (len(seconds) - 1))]
    print(f"  {name:<34} median {median * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms   (n={len(seconds)})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory() as workdir:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.db"
        app, tid = seed(database_url, args.players, args.rounds)
        server = make_server("127.0.0.1", 0, app, threaded=False)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
            path = f"/api/v1/tournaments/{tid}/standings"
            _, status, etag = timed(conn, path, {})
            assert status == 200 and etag, (status, etag)
            full = [timed(conn, path, {})[0] for _ in range(max(5, args.requests // 20))]
            cached = []
            for _ in range(args.requests):
                seconds, status, _ = timed(conn, path, {"If-None-Match": etag})
                assert status == 304, status
                cached.append(seconds)
        finally:
            server.shutdown()
        print(f"standings API, {args.players} players x {args.rounds} rounds, "
              f"{'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'}")
        full_median = report("200 (computed, serialized)", full)
        cached_median = report("304 (If-None-Match, same revision)", cached)
        print(f"  304 is {cached_median / GOAL_304_S:.0%} of the {GOAL_304_S * 1000:.0f} ms goal; "
              f"{full_median / cached_median:.0f}x cheaper than a full answer")


if __name__ == "__main__":
    main()
