"""Announcement benchmark: N WebSocket clients watch a tournament while an admin sends announcements to
everyone in it through the notification center's form.

It serves the real app (gunicorn, one gevent worker, as bench/fanout.py does), connects N raw clients to
`tournament:<id>` and `tournament:<id>:notices` (a spectator's page; an announcement to the tournament is
published on the second, rendered once), logs in as an admin through the login form and POSTs
/admin/notifications at the given rate.
Latency runs from just before each POST to the moment each client receives that announcement's toast;
the admin's request time is the POST's round trip. The request must not grow with the number of targets
(it writes one notification, one audience row and one event row, whatever N is).

    python bench/announce.py --clients 5000,10000 --rates 1 --duration 20
    python bench/announce.py --quick          # 200 clients, 5 s: a smoke run

Prints medians and p99 per client count, and the ratio of the admin's request time at the largest N to the
smallest. Loopback only; every process it starts is stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fanout import (ChessWeb, Run, Tournament, _csrf, drop_schema, prepare_database,  # noqa: E402
                          print_table, rows_of)

ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@chessweb.example", "bench-admin-pass-2026"
GOALS_MS = {5000: 300.0, 10000: 600.0}  # p99 delivery on 2 cores (issue 8)
STEP = re.compile(r"Announcement (\d+)\b")


def seed(database_url: str, schema: str | None) -> Tournament:
    """Migrate; an admin, an organizer and one public tournament (the channel needs nothing more)."""
    from flask_migrate import upgrade

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.models import Role, TournamentFormat, User
    from chessweb.realtime import realtime
    from chessweb.tournaments import settings

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-seed", "BROKER_URL": "memory://"})
    with app.app_context():
        upgrade()
        admin = User(email=ADMIN_EMAIL, display_name="Bench Admin", role=Role.ADMIN)
        admin.set_password(ADMIN_PASSWORD)
        organizer = User(email="bench-org@chessweb.example", display_name="Bench Organizer", role=Role.ORGANIZER)
        organizer.set_password(ADMIN_PASSWORD)
        db.session.add_all([admin, organizer])
        db.session.commit()
        tid = settings.create_tournament(settings.TournamentSettings(
            name="Announce Open", format=TournamentFormat.SWISS, start_date=date(2026, 5, 1), planned_rounds=5),
            organizer.id)
        realtime.stop(app)
        db.session.remove()
        db.engine.dispose()
    return Tournament(database_url, tid, [], [], "", schema)


class Announce(ChessWeb):
    name = "announce"

    def ws_path(self) -> str:
        # What a spectator's tournament page joins; the header's snapshot tells the client it is subscribed.
        tid = self.tournament.tid
        return f"/ws?channel=tournament:{tid}&channel=tournament:{tid}:notices"

    def prepare(self) -> None:
        self.cookies: dict[str, str] = {}
        _, _, html = self._request("GET", "/auth/login")
        status, _, _ = self._request("POST", "/auth/login", {
            "csrf_token": _csrf(html), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        if status != 303:
            raise RuntimeError(f"login failed with {status}")
        _, _, html = self._request("GET", "/admin/notifications")
        self.csrf = _csrf(html)

    def publish(self, step: int) -> int:
        status, _, _ = self._request("POST", "/admin/notifications", {
            "csrf_token": self.csrf, "title": f"Announcement {step}", "message": "Round 5 starts 15 minutes late",
            "type": "ANNOUNCEMENT", "priority": "NORMAL", "tournament": str(self.tournament.tid)})
        return status

    def step_of(self, payload: str) -> int:
        match = STEP.search(payload)
        return int(match.group(1)) if match else -1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="5000,10000")
    parser.add_argument("--rates", default="1", help="announcements per second, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--drain", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.duration, args.settle, args.drain = "200", 5.0, 1.0, 1.5
    args.clients = [int(c) for c in args.clients.split(",")]
    args.rates = [float(r) for r in args.rates.split(",")]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if any(not 1 <= c <= hard - 500 for c in args.clients) or not 1 <= args.generators <= 8:
        parser.error(f"client counts must be between 1 and {hard - 500}; generators 1 to 8")
    if any(not 0 < r <= 10 for r in args.rates) or not 1 <= args.duration <= 600:
        parser.error("rates must be in (0, 10] per second and the duration 1 to 600 s")
    return args


def main() -> None:
    args = parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    workdir = Path(tempfile.mkdtemp(prefix="chessweb-announce-"))
    database_url, schema = prepare_database(args.database_url, workdir)
    runs: list[dict[str, Any]] = []
    step = 0
    try:
        tournament = seed(database_url, schema)
        for clients in args.clients:
            run = Run(Announce(tournament, workdir, clients), clients, args, step)
            result = run.execute()
            step = run.step
            runs.append(result)
            print_table(rows_of([result]))
            sys.stdout.flush()
    finally:
        if schema:
            drop_schema(args.database_url, schema)
    rows = rows_of(runs)
    print()
    for row in rows:
        goal = GOALS_MS.get(row["clients"])
        verdict = "" if goal is None or row["p99_ms"] is None else \
            f" (goal ≤ {goal:.0f} ms: {'met' if row['p99_ms'] <= goal else 'MISSED'})"
        print(f"{row['clients']} sockets at {row['rate']}/s: delivery p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms"
              f"{verdict}; admin request p50 {row['post_p50_ms']} ms, p99 {row['post_p99_ms']} ms; "
              f"delivered {row['delivery']}")
    if len(rows) >= 2 and rows[0]["post_p50_ms"] and rows[-1]["post_p50_ms"]:
        print(f"admin request median at {rows[-1]['clients']} / at {rows[0]['clients']} sockets: "
              f"{rows[-1]['post_p50_ms'] / rows[0]['post_p50_ms']:.2f} (goal: about 1)")
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"announce-{date.today()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": datetime.now(UTC).isoformat(), "runs": runs}, indent=1))
    print(f"figures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
