"""The admin's system health: every process's sample summed, rates from the history, thresholds -> alerts.

`tick` runs every HEALTH_INTERVAL seconds on each process's live-core worker: it writes this process's sample,
and the one process that wins the tick's lead sums every sample, records a history point, and renders the
`system-health` fragment on `admin` once, whatever the number of admins watching. If the sample store (Redis)
is unreachable, each process shows its own figures with the broker alert, delivered to its local sockets.

Thresholds (app.config): MONITOR_RSS_MB (memory of all processes, default 1024), MONITOR_ERROR_RATE (share of
5xx responses over the last minute, default 0.05), MONITOR_CPU_PERCENT (of one core, summed, default 90),
MONITOR_P99_MS (fan-out latency p99 over the last minute, milliseconds, default 250).
An alert is logged (WARNING) when it starts and when it clears, and `alert_hooks` are called with the same
transitions; the admins get a notice in the notification center for each raise and its end, once over all
processes (notify.py).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import text

from ..extensions import db
from ..live import channels
from ..live.fragments import fragment, url_context
from ..realtime import Fragment, Message
from . import charts, connections, notify, samples

log = logging.getLogger(__name__)

HEALTH_INTERVAL = 2.0  # seconds between two ticks
HEALTH_KEY = "system-health"
CHARTS_KEY = "system-charts"
TEMPLATE = "monitoring/_fragments.html"
RATE_WINDOW = 60.0  # seconds over which per-minute rates and the error rate are taken
TOP_CHANNELS = 5

#: called with (alert name, message, raised: bool) when an alert starts (True) or clears (False)
AlertHook = Callable[[str, str, bool], None]
alert_hooks: list[AlertHook] = []


def aggregate(process_samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum over processes of the cumulative counters and gauges, plus each process's own line.

    total["roles"]: {role: distinct users online}, the union of the processes' user ids, so a user with a tab
    on each of two processes counts once. total["fanout"]: writes per fan-out latency bucket, summed."""
    total: dict[str, Any] = {k: 0 for k in ("sockets", "anonymous", "connects", "delivered", "dropped",
                                            "slow_closes", "job_failures", "resyncs", "rss", "cpu", "requests",
                                            "errors5xx")}
    fanout = [0.0] * len(samples.FANOUT_BOUNDS)
    channel_counts: dict[str, int] = {}
    roles: dict[str, set[Any]] = {}  # users online by role: a user with sockets in two processes counts once
    errors: list[dict[str, Any]] = []
    for sample in process_samples:
        for key in total:
            total[key] += sample.get(key, 0)
        for role, ids in sample.get("roles", {}).items():
            if isinstance(ids, int):  # a process of the previous version (a count) during a rolling deploy
                ids = [(sample["server"], i) for i in range(ids)]
            roles.setdefault(role, set()).update(ids)
        for name, count in sample.get("channels", {}).items():
            channel_counts[name] = channel_counts.get(name, 0) + count
        errors += sample.get("recent_errors", [])
        for i, count in enumerate(sample.get("fanout", [])[:len(fanout)]):
            fanout[i] += count
    total["at"] = time.time()
    total["channels"] = len(channel_counts)
    total["roles"] = {role: len(ids) for role, ids in sorted(roles.items())}
    total["fanout"] = fanout
    top = sorted(channel_counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_CHANNELS]
    processes = [{"server": s["server"], "pid": s["pid"], "sockets": s["sockets"], "rss_mb": s["rss"] / 2**20,
                  "uptime": total["at"] - s["started"]} for s in sorted(process_samples, key=lambda s: s["server"])]
    errors.sort(key=lambda e: -e["at"])
    return {"total": total, "top_channels": top, "processes": processes, "recent_errors": errors[:10]}


def quantile(q: float, counts: list[float], bounds: list[float]) -> float | None:
    """The `q` quantile (0..1) of a histogram, in the unit of `bounds`, or None when it is empty.

    counts: observations per bucket (not cumulative over the bounds); bounds: each bucket's upper bound, rising,
    the last one +Inf. Interpolated linearly inside the bucket, the first bucket starting at 0; in the +Inf
    bucket the answer is the highest finite bound. The rule of Prometheus' histogram_quantile."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    below, lower = 0.0, 0.0
    for count, upper in zip(counts, bounds):
        if count > 0 and below + count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * (rank - below) / count
        below += count
        if upper != float("inf"):
            lower = upper
    return lower


def rates(now: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, float | None]:
    """Per-minute and per-second rates from the newest history point about RATE_WINDOW seconds old (or the
    oldest there is); counters that went down (a process restarted) count as 0.

    `fanout_p50_ms` / `fanout_p99_ms`: the fan-out latency (a message handed to the hub until its frame is
    written to a socket) of the writes since that point, from the difference of the histograms summed over
    processes (milliseconds; None when nothing was written)."""
    past = None
    for point in history:  # newest first
        past = point
        if now["at"] - point["at"] >= RATE_WINDOW:
            break
    if past is None or now["at"] <= past["at"]:
        return {"connects_per_min": 0.0, "disconnects_per_min": 0.0, "messages_per_s": 0.0, "error_rate": 0.0,
                "fanout_p50_ms": None, "fanout_p99_ms": None}
    span = now["at"] - past["at"]

    def delta(key: str) -> float:
        return max(0.0, now[key] - past.get(key, 0))

    connects = delta("connects")
    disconnects = max(0.0, connects - (now["sockets"] - past.get("sockets", 0)))
    requests = delta("requests")
    old = past.get("fanout") or []
    fanout = [max(0.0, count - (old[i] if i < len(old) else 0.0)) for i, count in enumerate(now.get("fanout", []))]
    p50, p99 = (quantile(q, fanout, samples.FANOUT_BOUNDS) for q in (0.5, 0.99))
    return {"connects_per_min": connects * 60 / span, "disconnects_per_min": disconnects * 60 / span,
            "messages_per_s": delta("delivered") / span,
            "error_rate": delta("errors5xx") / requests if requests else 0.0,
            "cpu_percent": delta("cpu") * 100 / span,
            "fanout_p50_ms": None if p50 is None else p50 * 1000, "fanout_p99_ms": None if p99 is None else p99 * 1000}


def check(app: Flask, figures: dict[str, Any], broker_ok: bool, database_ok: bool) -> list[dict[str, str]]:
    """The alerts the figures raise: [{"name", "message"}]."""
    alerts = []
    if not broker_ok:
        alerts.append({"name": "broker", "message": "The broker (Redis) is unreachable: other processes do not "
                                                     "get updates and figures are this process's only."})
    if not database_ok:
        alerts.append({"name": "database", "message": "The database does not answer."})
    rss_mb = figures["total"]["rss"] / 2**20
    if rss_mb > float(app.config.get("MONITOR_RSS_MB") or 1024):
        alerts.append({"name": "memory", "message": f"Processes use {rss_mb:.0f} MB of memory."})
    rate = figures["rates"]["error_rate"]
    if rate > float(app.config.get("MONITOR_ERROR_RATE") or 0.05):
        alerts.append({"name": "errors", "message": f"{rate:.0%} of responses in the last minute were errors."})
    p99 = figures["rates"].get("fanout_p99_ms")
    if p99 is not None and p99 > float(app.config.get("MONITOR_P99_MS") or 250):
        alerts.append({"name": "latency", "message": f"Fan-out latency p99 over the last minute is {p99:.0f} ms."})
    cpu = figures["rates"].get("cpu_percent", 0.0)
    if cpu > float(app.config.get("MONITOR_CPU_PERCENT") or 90):
        alerts.append({"name": "cpu", "message": f"Processes use {cpu:.0f}% of a core."})
    return alerts


class Monitor:
    """Per process: the sample store, the alerts currently raised (for the transitions) and the tick."""

    def __init__(self, app: Flask, store: Any, deliver_locally: Callable[[Message], None]) -> None:
        self.app = app
        self.store = store
        self.deliver_locally = deliver_locally
        self.raised: set[str] = set()
        self.announced: set[str] = set()  # alerts whose raise is on record for the admins (notify.py)
        self.last: Fragment | None = None
        self._last_at = 0.0  # time.monotonic() of the render of `last`
        self.last_charts: Fragment | None = None
        self._resyncs: float | None = None  # the summed resync count at the last tick
        self.last_resync_at: float | None = None  # epoch seconds at which the count was last seen rising
        self._charts_due = 0.0
        # connections.connections_state() last pushed
        self._connections_state: tuple[int, int, int, int] | None = None
        # False in a command-line process (`flask seed-demo`): it serves no one, and its own CPU is no alert.
        self.enabled = True

    def tick(self) -> list[Message]:
        """Sample, and if this process leads the tick, render the health fragment (returned for publishing)."""
        if not self.enabled:
            return []
        sample = samples.process_sample(self.app)
        try:
            self.store.write(sample)
            for request in self.store.take_closes(sample["server"]):
                self._close(request)
            if not self.store.lead(sample["server"], HEALTH_INTERVAL):
                return []
            process_samples, history, broker_ok = self.store.samples(), self.store.history(), True
        except Exception as exc:  # the store is Redis and Redis is away: show what this process knows
            log.debug("monitoring: sample store unreachable: %s", exc)
            process_samples, history, broker_ok = [sample], [], False
        health = self._render(process_samples, history, broker_ok)
        out: list[Message] = [health, *self.connections_changed()]
        if broker_ok and time.monotonic() >= self._charts_due:
            self._charts_due = time.monotonic() + charts.CHART_EVERY
            out.append(self.charts(history))
        if not broker_ok:
            for message in out:  # the broker cannot carry them; this process's admins still see them
                self.deliver_locally(message)
            return []
        return out

    def connections_changed(self) -> list[Fragment]:
        """The `/admin/connections` fragments (connections.connections_fragments) when the set of open
        connections changed since the last ones this process rendered, else []: at most one render per tick."""
        try:
            state = connections.connections_state()
            if state == self._connections_state:
                return []
            with url_context():
                out = connections.connections_fragments()
            self._connections_state = state
            return out
        except Exception:
            log.exception("monitoring: the connections table could not be rendered")
            return []
        finally:
            db.session.remove()

    def charts(self, history: list[dict[str, Any]] | None = None) -> Fragment:
        """The `system-charts` fragment: the last 30 minutes (the store's history) drawn as SVG."""
        version = time.time_ns() // 1000
        if history is None:
            try:
                history = self.store.history()
            except Exception:
                history = []
        points = list(reversed(history))
        with url_context():
            self.last_charts = fragment(channels.ADMIN, CHARTS_KEY, version, TEMPLATE, "charts",
                                        {"charts": charts.health_charts(points) if len(points) > 1 else None},
                                        {"points": len(points)})
        return self.last_charts

    def _close(self, request: dict[str, Any]) -> None:
        connections.close_local(self.app, str(request.get("session_id")), int(request["code"]),
                                str(request.get("reason", ""))[:connections.MAX_REASON])

    def current(self) -> Fragment:
        """The health fragment for a page or a new socket: the one this process rendered less than a tick ago,
        else one rendered now from the store. Only the leading process renders on a tick, so another
        process's own last fragment may be minutes old."""
        if self.last is not None and time.monotonic() - self._last_at < HEALTH_INTERVAL:
            return self.last
        sample = samples.process_sample(self.app)
        try:
            self.store.write(sample)
            return self._render(self.store.samples(), self.store.history(), True, record=False)
        except Exception:
            return self._render([sample], [], False, record=False)

    def _render(self, process_samples: list[dict[str, Any]], history: list[dict[str, Any]],
                broker_ok: bool, *, record: bool = True) -> Fragment:
        version = time.time_ns() // 1000
        figures = aggregate(process_samples)
        figures["rates"] = rates(figures["total"], history)
        if self._resyncs is not None and figures["total"]["resyncs"] > self._resyncs:
            self.last_resync_at = figures["total"]["at"]
        self._resyncs = figures["total"]["resyncs"]
        figures["last_resync"] = (time.strftime("%H:%M:%S", time.gmtime(self.last_resync_at))
                                  if self.last_resync_at is not None else None)
        database_ok, query_ms = _database()
        point = {k: figures["total"][k] for k in ("at", "sockets", "anonymous", "connects", "delivered",
                                                  "requests", "errors5xx", "cpu", "rss", "fanout")}
        if broker_ok and record:
            try:
                self.store.push_history(point)
            except Exception:
                broker_ok = False
        alerts = check(self.app, figures, broker_ok, database_ok)
        if record:  # only the ticks raise and clear alerts; a page view must not call the hooks
            self._transitions(alerts)
            # Without the store a process sees only itself: it must not take the others for dead.
            self._announce(alerts, {s["server"] for s in process_samples} if broker_ok else None)
        context = {"figures": figures, "alerts": alerts, "broker": {"kind": _broker_kind(self.app), "ok": broker_ok},
                   "database": {"ok": database_ok, "query_ms": query_ms}}
        data = {"total": figures["total"], "rates": figures["rates"], "processes": figures["processes"],
                "top_channels": figures["top_channels"], "alerts": alerts, "broker_ok": broker_ok,
                "database_ok": database_ok, "query_ms": query_ms, "recent_errors": figures["recent_errors"]}
        with url_context():
            self.last = fragment(channels.ADMIN, HEALTH_KEY, version, TEMPLATE, "health", context, data)
        self._last_at = time.monotonic()
        return self.last

    def _transitions(self, alerts: list[dict[str, str]]) -> None:
        now = {a["name"]: a["message"] for a in alerts}
        for name in now.keys() - self.raised:
            log.warning("ALERT raised: %s: %s", name, now[name])
            _call_hooks(name, now[name], True)
        for name in self.raised - now.keys():
            log.warning("ALERT cleared: %s", name)
            _call_hooks(name, "", False)
        self.raised = set(now)


    def _announce(self, alerts: list[dict[str, str]], live_servers: set[str] | None) -> None:
        """Tell the admins of each raise and its end, once over all processes (notify.py); what the database
        refused is tried again on the next tick. `live_servers`: the processes with a sample now (None when
        unknown), whose announced alerts are theirs to clear; those of other processes are cleared here."""
        server = self.app.extensions["realtime"].server_id
        now = {a["name"]: a["message"] for a in alerts}
        for name in sorted(now.keys() - self.announced):
            if notify.raised(name, now[name], server):
                self.announced.add(name)
        for name in sorted(self.announced - now.keys()):
            if notify.cleared(name, server):
                self.announced.discard(name)
        if live_servers is not None:
            for name, other in notify.orphans(live_servers | {server}):
                if name not in now:
                    notify.cleared(name, other)
        db.session.remove()


def _call_hooks(name: str, message: str, raised: bool) -> None:
    for hook in alert_hooks:
        try:
            hook(name, message, raised)
        except Exception:
            log.exception("monitoring: alert hook failed")


def _database() -> tuple[bool, float | None]:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        return True, (time.perf_counter() - started) * 1000
    except Exception:
        return False, None
    finally:
        db.session.remove()


def _broker_kind(app: Flask) -> str:
    url = app.config.get("BROKER_URL") or "memory://"
    return "Redis" if url.startswith("redis") else "in-process"
