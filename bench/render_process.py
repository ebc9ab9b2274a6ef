"""What a result in a big Swiss costs the process holding the sockets, with the live render in that process and in
the render process (chessweb/tournaments/render_process.py), medians.

A Swiss of N players (simulated, 5 of 7 rounds played; default 2,000) is imported into a fresh SQLite database.
Results of the last round are then corrected one at a time through the results service, and for each, the events
it committed are handed to the tournament area of two apps on that database, as the `live` consumer does:

- here:  LIVE_RENDER_CHILD_MIN_PLAYERS beyond the field: `publish_events` renders in the serving process;
- child: the threshold at 500: the render process renders, the serving process waits (cooperatively under gevent),
         decodes the answer and fills its render cache.

Per result: the serving process's CPU for the render (under gevent, a stretch of CPU without a switch is a
stall of every socket of the worker: here the whole render is one; with the child, the decode of its answer is
cut into pieces of YIELD_EVERY messages with a switch between),
and the wall time from the events to the messages (end to end, child included). Publishing the messages costs
the same either way and is not counted. The render process's start (once per serving process) is shown apart.

    python bench/render_process.py [--players 2000] [--results 5] [--seed 7]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from standings_transport import imported_event, rotation_pairing

from chessweb.fide.simulation import simulate_swiss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--results", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.live import consumers, router_of
    from chessweb.live.fragments import url_context
    from chessweb.models import RealtimeEvent
    from chessweb.realtime import realtime
    from chessweb.tournaments import render_process, results

    history = simulate_swiss(args.players, 7, args.seed, played=5,
                             pair=None if args.players <= 300 else rotation_pairing)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        base = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-render", "BROKER_URL": "memory://",
                "LIVE_RENDER_CHILD_MIN_PLAYERS": 1}  # the writer's own live renders go to its child, unmeasured
        writer = create_app(base)
        here = create_app({**base, "LIVE_RENDER_CHILD_MIN_PLAYERS": 10**9})
        child = create_app({**base, "LIVE_RENDER_CHILD_MIN_PLAYERS": 500})
        apps = {"here": here, "child": child}
        try:
            with writer.app_context():
                oid, tid, games = imported_event(history)
            with child.app_context():
                started = time.perf_counter()
                child.extensions["render_process"].render(tid, [])  # start it: once per serving process
                start_s = time.perf_counter() - started
            figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in apps}
            flips = {"1-0": "0-1", "0-1": "1/2-1/2", "1/2-1/2": "1-0"}
            for game_id, result in games[:args.results]:
                with writer.app_context():
                    after = db.session.scalar(select(func.max(RealtimeEvent.id))) or 0
                    results.set_result(tid, game_id, flips.get(result, "1-0"), oid, "benchmark: a result corrected")
                    realtime.flush(120)
                    events = [consumers._committed(row) for row in db.session.scalars(
                        select(RealtimeEvent).where(RealtimeEvent.id > after).order_by(RealtimeEvent.id))]
                    db.session.remove()
                for name, app in apps.items():
                    with app.app_context(), url_context():
                        area = next(a for a in router_of(app).areas if isinstance(a, render_process.RenderProcessArea))
                        cpu, wall = time.process_time(), time.perf_counter()
                        messages = list(area.messages(events))  # yielded as rendered: render them all
                        figures[name].append((time.process_time() - cpu, time.perf_counter() - wall,
                                              float(len(messages))))
                        db.session.remove()
            with child.app_context():
                child_pid = child.extensions["render_process"].pid
        finally:
            for app in (writer, here, child):
                with app.app_context():
                    render_process.stop(app)
                    if "realtime" in app.extensions:
                        realtime.stop(app)
                    db.session.remove()
                    db.engine.dispose()

    print(f"{args.players}-player Swiss, {args.results} results, medians per result "
          f"(render process {child_pid}, started in {start_s * 1000:.0f} ms once)")
    print("  render in      | serving process CPU (stall: all / in pieces) | end to end | messages")
    for name, label in (("here", "serving process"), ("child", "render process")):
        rows = figures[name]
        print(f"  {label:15s}| {statistics.median(r[0] for r in rows) * 1000:10.0f} ms"
              f"{'':34s}| {statistics.median(r[1] for r in rows) * 1000:7.0f} ms | "
              f"{statistics.median(r[2] for r in rows):6.0f}")


if __name__ == "__main__":
    main()
