"""One process's figures, read cheaply every tick: sockets, counters of the live core, RSS, CPU, recent 5xx.

Counters are cumulative (since the process started); rates are differences between two ticks (health.py)."""
from __future__ import annotations

import collections
import os
import threading
import time
import uuid
from typing import Any

import psutil
from flask import Flask, g, request
from werkzeug.wrappers import Response

from ..realtime import metrics

RECENT_ERRORS = 10  # 5xx kept per process
_STARTED = time.time()
_process = psutil.Process(os.getpid())
_errors: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECENT_ERRORS)
_errors_lock = threading.Lock()
_requests = [0, 0]  # [requests answered, of which 5xx], cumulative


def _value(counter: Any) -> float:
    return float(counter._value.get())  # prometheus_client keeps the number there; reading it takes no lock


def fanout_buckets() -> list[float]:
    """This process's fan-out latency histogram (realtime/metrics.py FANOUT_LATENCY): the number of writes in each
    bucket since the process started, one count per bound of FANOUT_BOUNDS (not cumulative over the bounds,
    the last one is +Inf). Read without the histogram's lock, like `_value`."""
    return [float(bucket.get()) for bucket in metrics.FANOUT_LATENCY._buckets]


#: upper bounds (seconds) of the fan-out latency buckets, the last one +Inf
FANOUT_BOUNDS: list[float] = list(metrics.FANOUT_LATENCY._upper_bounds)


def process_sample(app: Flask) -> dict[str, Any]:
    """{"server", "pid", "sockets", "anonymous", "roles": {role: [ids of the users with a socket here]},
    "channels": {name: count}, "connects", "delivered", "dropped",
    "slow_closes", "job_failures", "resyncs", "rss" (bytes), "cpu" (seconds of CPU used), "started" (epoch s),
    "requests", "errors5xx", "recent_errors": [...], "fanout": [writes per latency bucket, FANOUT_BOUNDS]} for
    this process, now."""
    core = app.extensions["realtime"]
    connections = core.connections()
    anonymous = 0
    users: dict[str | None, set[int]] = {}
    for connection in connections:  # one pass: this loop is most of a tick's cost at 10,000 sockets
        user = connection.user
        if user.id is None:
            anonymous += 1
        else:
            users.setdefault(user.role, set()).add(user.id)
    cpu = _process.cpu_times()
    with _errors_lock:
        recent = list(_errors)
        requests, errors = _requests
    return {"server": core.server_id, "pid": os.getpid(), "at": time.time(), "sockets": len(connections),
            "anonymous": anonymous,
            "roles": {str(role): sorted(ids) for role, ids in users.items()}, "channels": core.hub.local_counts(),
            "connects": _value(metrics.CONNECTIONS_TOTAL), "delivered": _value(metrics.MESSAGES_DELIVERED),
            "dropped": sum(_value(c) for c in metrics.DROPPED.values()),
            "slow_closes": sum(_value(c) for c in metrics.SLOW_CLOSES.values()),
            "job_failures": _value(metrics.JOB_FAILURES), "resyncs": _value(metrics.BROKER_RESYNCS),
            "rss": _process.memory_info().rss, "cpu": cpu.user + cpu.system, "started": _STARTED,
            "requests": requests, "errors5xx": errors, "recent_errors": recent, "fanout": fanout_buckets()}


def install_error_log(app: Flask) -> None:
    """Count every response and keep the last 5xx of this process: request id, method, path, status, and the
    exception's class name as the summary (never a stack trace; the log has those, under the same id)."""

    @app.before_request
    def _request_id() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]

    @app.after_request
    def _count(response: Response) -> Response:
        with _errors_lock:
            _requests[0] += 1
            if response.status_code >= 500:
                _requests[1] += 1
                _errors.appendleft({"at": time.time(), "request_id": getattr(g, "request_id", ""),
                                    "method": request.method, "path": request.path[:120],
                                    "status": response.status_code,
                                    "summary": getattr(g, "error_summary", "server error")})
        response.headers.setdefault("X-Request-Id", getattr(g, "request_id", ""))
        return response
