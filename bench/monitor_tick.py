"""Cost of the admin health sampler per tick at N open sockets, as a share of one core.

Builds the real app (SQLite in a temporary file, in-process broker), puts N stand-in connections (user or
anonymous, one to three channels each) in the live core's connection set and hub, and times `Monitor.tick`
(sample, sum, render the health fragment; charts redrawn every CHART_EVERY seconds, measured apart).

    python bench/monitor_tick.py --sockets 1000,10000 --ticks 50

Prints per N: the median tick in ms, the chart redraw in ms, and the share of one core at one tick every
HEALTH_INTERVAL seconds plus one chart every CHART_EVERY seconds (the budget is 1%).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chessweb import create_app  # noqa: E402
from chessweb.monitoring import charts, health  # noqa: E402
from chessweb.realtime import UserInfo  # noqa: E402


@dataclass(eq=False)
class StandIn:
    """What the sampler reads of a connection."""
    session_id: str
    user: UserInfo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", default="1000,10000")
    parser.add_argument("--ticks", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                          "BROKER_URL": "memory://"})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            core = app.extensions["realtime"]
            monitor = app.extensions["monitoring"]
            for n in (int(x) for x in args.sockets.split(",")):
                stand_ins = [StandIn(f"s{i}", UserInfo(id=i if i % 3 else None, role="PARTICIPANT" if i % 3 else None))
                             for i in range(n)]
                core._connections = set(stand_ins)
                core.hub._channels = {f"tournament:{t}": set(stand_ins[t::50]) for t in range(1, 51)}
                core.hub._channels["tournaments:all"] = set(stand_ins)
                times = []
                for _ in range(args.ticks):
                    monitor.store._history.insert(0, {"at": time.time() - 2, "sockets": n, "anonymous": 0,
                                                      "connects": 0, "delivered": 0, "requests": 0,
                                                      "errors5xx": 0, "cpu": 0.0, "rss": 0})
                    started = time.perf_counter()
                    monitor.tick()
                    times.append(time.perf_counter() - started)
                history = list(reversed(monitor.store.history()))
                started = time.perf_counter()
                charts.health_charts(history)
                chart = time.perf_counter() - started
                tick = statistics.median(times)
                share = tick / health.HEALTH_INTERVAL + chart / charts.CHART_EVERY
                print(f"{n:>6} sockets: tick median {tick * 1000:.2f} ms, charts {chart * 1000:.1f} ms "
                      f"({len(history)} points), {share:.2%} of one core")
            core._connections = set()
            core.hub._channels = {}


if __name__ == "__main__":
    main()
