"""The app as `gunicorn app:app` serves it, plus a loopback control port for bench/socket_cost.py.

Loaded by gunicorn as `socket_probe:app` (with bench/ on PYTHONPATH), so the sockets live in a real gevent
worker. A greenlet answers one-line commands on 127.0.0.1:$SOCKET_PROBE_PORT, each with one JSON line:

    mark              gc, then RSS (bytes) and, with SOCKET_PROBE_TRACE set, a tracemalloc snapshot
    diff              gc, RSS and the allocations grown since `mark`, grouped by where they were made
    fanout M BYTES    publish M fragments of about BYTES bytes of HTML on $SOCKET_PROBE_CHANNEL through the
                      hub, wait until every connection wrote them, and report the worker's CPU seconds
    profile M BYTES   the same under cProfile; the top functions by own time come back as text
    floor M BYTES     the floor: the same frames sent with one non-blocking `send` per socket, nothing else

Bench only: never part of the app.
"""
from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import pstats
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import greenlet

TRACE = int(os.environ.get("SOCKET_PROBE_TRACE") or 0)  # frames per traceback; tracing starts at `mark`

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app import app

_state: dict[str, Any] = {}


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _types() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def _greenlet_stacks() -> int:
    """Bytes of C stack saved on the heap by the greenlets switched out now (greenlet's `_stack_saved`)."""
    return sum(o._stack_saved for o in gc.get_objects() if isinstance(o, greenlet.greenlet))


def mark() -> dict[str, Any]:
    gc.collect()
    _state["rss"] = _rss()
    _state["types"] = _types()
    _state["stacks"] = _greenlet_stacks()
    if TRACE:
        tracemalloc.stop()
        tracemalloc.start(TRACE)  # only what is allocated from now on is traced: the growth
        _state["snapshot"] = tracemalloc.take_snapshot()
    return {"rss": _state["rss"]}


def diff(limit: int = 40) -> dict[str, Any]:
    gc.collect()
    core = app.extensions["realtime"]
    n = max(1, len(core.connections()))
    out: dict[str, Any] = {"rss": _rss(), "connections": len(core.connections())}
    out["rss_per_connection"] = (out["rss"] - _state["rss"]) / n
    out["greenlet_stack_per_connection"] = (_greenlet_stacks() - _state["stacks"]) / n
    grown = _types() - _state["types"]
    out["objects_per_connection"] = {name: round(count / n, 2) for name, count in grown.most_common(limit)}
    if TRACE:
        snapshot = tracemalloc.take_snapshot()
        filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
        stats = snapshot.filter_traces(filters).compare_to(_state["snapshot"].filter_traces(filters), "traceback")
        top = []
        for stat in stats[:limit]:
            frames = [f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback)][:7]  # innermost first
            top.append({"bytes_per_connection": round(stat.size_diff / n), "count": stat.count_diff,
                        "where": " < ".join(frames)})
        out["traced_per_connection"] = sum(s.size_diff for s in stats) / n
        out["top"] = top
    return out


def core_channels(connection: Any) -> set[str]:
    """The channels a connection is attached to in its hub."""
    hub = app.extensions["realtime"].hub
    return {channel for channel, members in hub._channels.items() if connection in members}


def fanout(messages: int, size: int, profile: bool = False, floor: bool = False) -> dict[str, Any]:
    import gevent

    from chessweb.realtime import Fragment
    from chessweb.realtime.frames import text_frame
    core = app.extensions["realtime"]
    channel = os.environ["SOCKET_PROBE_CHANNEL"]
    recipients = core.hub.local_count(channel)
    base = _state.get("version", 10 ** 15)
    filler = "x" * max(0, size - 120)
    fragments = [Fragment(channel, "probe", base + i,
                          f'<section id="probe" hx-swap-oob="true" data-version="{base + i}"><p>{i} {filler}</p>'
                          f"</section>") for i in range(messages)]
    _state["version"] = base + messages
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    if profiler:
        profiler.enable()
    if floor:
        # The floor: the same frames, one non-blocking send per socket, nothing else (a frame the kernel does
        # not take at once is not retried, so the floor can only be lower than a real delivery).
        sockets = [c._raw for c in core.connections() if channel in core_channels(c)]
        frames = [text_frame(f.html.encode()) for f in fragments]
    for n, fragment in enumerate(fragments):
        if floor:
            frame = frames[n]
            for sock in sockets:
                try:
                    sock.send(frame, 0, 0.0)
                except OSError:
                    pass
        else:
            core.hub.deliver(fragment)
        while any(len(c.outbox) or c._unsent is not None for c in core.connections()):
            gevent.sleep(0.002)
    if profiler:
        profiler.disable()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out: dict[str, Any] = {"recipients": recipients, "messages": messages, "frame_bytes": len(fragments[0].html),
                           "cpu_s": cpu, "user_s": after.ru_utime - before.ru_utime,
                           "system_s": after.ru_stime - before.ru_stime, "wall_s": time.monotonic() - started,
                           "cpu_per_recipient_us": 1e6 * cpu / max(1, recipients * messages)}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(30)
        out["profile"] = text.getvalue()
    return out


def _serve(port: int) -> None:
    from gevent.server import StreamServer

    def handle(sock: Any, _addr: Any) -> None:
        reader = sock.makefile("r")
        for line in reader:
            words = line.split()
            if not words:
                continue
            try:
                if words[0] == "mark":
                    answer = mark()
                elif words[0] == "diff":
                    answer = diff()
                elif words[0] in ("fanout", "profile", "floor"):
                    answer = fanout(int(words[1]), int(words[2]), profile=words[0] == "profile",
                                    floor=words[0] == "floor")
                else:
                    answer = {"error": f"unknown command {words[0]!r}"}
            except Exception as exc:  # noqa: BLE001 - reported to the orchestrator, which stops
                answer = {"error": repr(exc)}
            sock.sendall((json.dumps(answer) + "\n").encode())

    StreamServer(("127.0.0.1", port), handle).start()


if os.environ.get("SOCKET_PROBE_PORT"):
    _serve(int(os.environ["SOCKET_PROBE_PORT"]))
