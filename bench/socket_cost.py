"""What one WebSocket costs the process that holds it: memory per idle socket and CPU per recipient of a fan-out.

Serves the real app in one gunicorn gevent worker (`bench/socket_probe.py` wraps `app:app` with a loopback
control port), connects a few warm-up clients, then N more raw clients on one tournament's standings
(bench/fanout_loadgen.py) and reports:

- memory per idle socket: the worker's RSS growth over the N clients, after a gc, in KiB; and what grew,
  as Python objects per connection (and, with --trace, tracemalloc's top allocations by place);
- CPU per recipient: the worker's CPU time (user + system, getrusage) to fan M fragments of --bytes bytes of
  HTML out to the N sockets through the hub (Hub.deliver: outbox, writer, send), divided by M × N, as the
  median of --repeats rounds. Nothing else is in it: no request, no rendering, no database.
  With --profile, one more round runs under cProfile and its top functions are printed. Alternated with
  these rounds, the floor: the same frames with one non-blocking `send` per socket and nothing else (on
  loopback the kernel's receive path runs in the sender's system time, so the floor depends on the machine).

    python bench/socket_cost.py --clients 1000 --messages 20 --repeats 5
    python bench/socket_cost.py --clients 500 --trace 12      # where the memory goes (slower, more RSS)

Loopback only; every process it starts is stopped at the end. bench/fanout.py measures the whole path
(POST, render, delivery, latency) against a Flask-SocketIO peer.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import fanout  # bench/fanout.py: seeding, the server wrapper, the load generators

GOAL_KIB, GOAL_US = 40.0, 10.0


class Probe(fanout.ChessWeb):
    """The app behind gunicorn as fanout.py serves it, wrapped by socket_probe for the control port."""

    def __init__(self, tournament: fanout.Tournament, workdir: Path, clients: int, trace: int) -> None:
        super().__init__(tournament, workdir, clients)
        self.control_port = fanout.free_port()
        self.trace = trace

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CHESSWEB_", "SOCKET_PROBE_")) and k not in ("REDIS_URL", "DATABASE_URL",
                                                                                  "SECRET_KEY")}
        env.update({"DATABASE_URL": self.tournament.database_url, "SECRET_KEY": uuid.uuid4().hex,
                    "CHESSWEB_ENV": "production", "CHESSWEB_PROXY_FIX_X_FOR": "0",
                    "BIND": f"{fanout.HOST}:{self.port}", "WEB_CONCURRENCY": "1",
                    "WORKER_CONNECTIONS": str(self.clients + 1000),
                    "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
                    "SOCKET_PROBE_PORT": str(self.control_port),
                    "SOCKET_PROBE_CHANNEL": f"tournament:{self.tournament.tid}:standings"})
        if self.trace:
            env["SOCKET_PROBE_TRACE"] = str(self.trace)
        self.server = fanout.Server("probe", [sys.executable, "-m", "gunicorn", "--no-control-socket",
                                              "--timeout", "900", "socket_probe:app"], ROOT, env, self.workdir / "probe.log")
        self.server.wait_ready(self.port)
        self.control = socket.create_connection((fanout.HOST, self.control_port), timeout=600)
        self.replies = self.control.makefile("r")

    def ask(self, command: str) -> dict[str, Any]:
        self.control.sendall(command.encode() + b"\n")
        answer: dict[str, Any] = json.loads(self.replies.readline())
        if "error" in answer:
            raise RuntimeError(f"probe: {command}: {answer['error']}")
        return answer

    def stop(self) -> None:
        if getattr(self, "control", None) is not None:
            self.control.close()
        super().stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="idle sockets measured")
    parser.add_argument("--warmup", type=int, default=20, help="sockets connected before measuring")
    parser.add_argument("--messages", type=int, default=20, help="fragments per CPU round")
    parser.add_argument("--repeats", type=int, default=5, help="CPU rounds (the median is reported)")
    parser.add_argument("--bytes", type=int, default=2500, help="HTML bytes per fragment")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between connecting and measuring")
    parser.add_argument("--trace", type=int, default=0, help="tracemalloc frames (0: off; costs memory and CPU)")
    parser.add_argument("--profile", action="store_true", help="one more round under cProfile")
    parser.add_argument("--generators", type=int, default=1, help="load-generator processes")
    args = parser.parse_args()
    if not 1 <= args.clients <= 20000 or not 1 <= args.messages <= 1000 or not 1 <= args.repeats <= 50:
        parser.error("clients 1..20000, messages 1..1000, repeats 1..50")
    if not 100 <= args.bytes <= 60000:
        parser.error("bytes must be 100..60000")
    return args


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chessweb-socket-cost-"))
    database_url, _ = fanout.prepare_database("", workdir)
    tournament = fanout.seed(database_url, None)
    probe = Probe(tournament, workdir, args.clients + args.warmup, args.trace)
    warm: fanout.LoadGenerators | None = None
    clients: fanout.LoadGenerators | None = None
    try:
        probe.start()
        warm = fanout.LoadGenerators(probe, args.warmup, 1, workdir)
        warm.wait_ready(60)
        time.sleep(1)
        before = probe.ask("mark")
        clients = fanout.LoadGenerators(probe, args.clients, args.generators, workdir)
        ready = clients.wait_ready(120 + args.clients / 50)
        time.sleep(args.settle)
        grown = probe.ask("diff")
        kib = grown["rss_per_connection"] / 1024
        print(f"{ready['ready']} idle sockets (+{args.warmup} warm-up), {ready['failed']} failed; worker RSS "
              f"{before['rss'] / 2**20:.1f} -> {grown['rss'] / 2**20:.1f} MiB")
        print(f"memory per idle socket: {kib:.1f} KiB (goal ≤ {GOAL_KIB:.0f}), of which "
              f"{grown['greenlet_stack_per_connection'] / 1024:.1f} KiB is greenlets' saved C stacks")
        print("Python objects per connection:",
              ", ".join(f"{k} {v}" for k, v in list(grown["objects_per_connection"].items())[:25]))
        if args.trace:
            print(f"traced by tracemalloc: {grown['traced_per_connection'] / 1024:.1f} KiB per connection; top:")
            for entry in grown["top"][:25]:
                print(f"  {entry['bytes_per_connection']:>7} B  {entry['where']}")
        rounds, floors = [], []
        for _ in range(args.repeats):  # alternated, so both see the same load of a shared machine
            rounds.append(probe.ask(f"fanout {args.messages} {args.bytes}"))
            floors.append(probe.ask(f"floor {args.messages} {args.bytes}"))
        per = [r["cpu_per_recipient_us"] for r in rounds]
        floor = [r["cpu_per_recipient_us"] for r in floors]
        median, floor_median = statistics.median(per), statistics.median(floor)
        print(f"CPU per recipient ({rounds[0]['recipients']} recipients × {args.messages} fragments of "
              f"{rounds[0]['frame_bytes']} B, {args.repeats} rounds): median {median:.2f} µs "
              f"(rounds: {', '.join(f'{p:.2f}' for p in per)}; goal ≤ {GOAL_US:.0f})")
        print(f"  floor, one non-blocking send of the frame per socket and nothing else: median {floor_median:.2f} µs "
              f"(rounds: {', '.join(f'{p:.2f}' for p in floor)}); above the floor: {median - floor_median:.2f} µs")
        if args.profile:
            profiled = probe.ask(f"profile {args.messages} {args.bytes}")
            print(profiled["profile"])
        print(json.dumps({"memory_per_idle_socket_kib": round(kib, 1), "cpu_per_recipient_us": round(median, 2),
                          "cpu_rounds_us": [round(p, 2) for p in per],
                          "floor_us": round(floor_median, 2), "floor_rounds_us": [round(p, 2) for p in floor], "clients": ready["ready"],
                          "fragment_bytes": rounds[0]["frame_bytes"]}))
    finally:
        for generators in (clients, warm):
            if generators is not None:
                generators.kill()
        probe.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
