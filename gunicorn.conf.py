"""gunicorn settings, read automatically from the working directory (`gunicorn app:app`).

The gevent worker holds no OS thread per WebSocket (threaded workers hold two, and stop answering
plain HTTP once sockets outnumber threads). No `preload_app`: psycopg 3 picks its wait function when
imported, and imported before gevent patches the process it would block every greenlet during a query.

Each instance keeps its own Prometheus directory (multiprocess mode: /metrics of any worker reports the sum
of all workers) and has no control socket unless CONTROL_SOCKET names a path for it: gunicorn's default
is one file per user, which the first instance to stop deletes under the others.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

    from flask import Flask
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
# Above the sockets plus plain HTTP requests one worker is meant to hold (open-files limit permitting).
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "12000"))
bind = os.environ.get("BIND", "127.0.0.1:" + os.environ.get("PORT", "5000"))
accesslog = "-"
graceful_timeout = 10

control_socket_disable = not os.environ.get("CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["CONTROL_SOCKET"]

# prometheus_client reads this when it is first imported, in the workers (forked after this file ran).
# Made here unless the operator names one; removed at exit only if made here (this file runs again on HUP).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["METRICS_DIR_MADE_BY_GUNICORN_CONF"] = tempfile.mkdtemp(
        prefix="chessweb-metrics-")


def on_starting(server: Arbiter) -> None:  # noqa: ARG001 - gunicorn's hook signature
    """Start from empty metric files: the counters of an earlier run under the same directory are not ours."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))


#: sent by the master to the other workers when one exits: "sweep now". A worker ignores it until its handler
#: is installed (gunicorn's own handler of SIGWINCH in a worker does nothing), so a worker still booting
#: when it arrives is not harmed, as it would be by SIGUSR2, whose default action ends the process.
SWEEP_SIGNAL = signal.SIGWINCH


def child_exit(server: Arbiter, worker: Worker) -> None:
    """A dead worker's sockets are no longer open: drop its live gauges (its counters stay in the sums).
    Then tell the other workers to sweep now: a worker killed between a commit and its publish (the OOM
    killer, the timeout's SIGKILL) leaves claimed events that every page would otherwise wait for until the
    next periodic sweep (up to LIVE_SWEEP_SECONDS), and its clients are reconnecting to them meanwhile."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
    for pid in list(server.WORKERS):
        if pid != worker.pid:
            try:
                os.kill(pid, SWEEP_SIGNAL)
            except ProcessLookupError:  # exited too; reaped next
                pass


def on_exit(server: Arbiter) -> None:  # noqa: ARG001 - gunicorn's hook signature
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    if directory == os.environ.get("METRICS_DIR_MADE_BY_GUNICORN_CONF"):
        shutil.rmtree(directory, ignore_errors=True)


def post_worker_init(worker: Worker) -> None:
    """On SIGTERM (a stop, a deploy, the old workers of a HUP) close this worker's WebSockets with 1012 at once.

    gunicorn's own handler only stops the accept loop and then waits up to graceful_timeout for requests to
    end, which a WebSocket never does: browsers would hold a dead-but-open socket that long, then see 1006.
    Closed with 1012, they reconnect to another worker right away, and this worker exits once they are gone.
    """
    import gevent

    # gevent records, for every greenlet, the stack that spawned it and its parent (for debugging tools only):
    # a dozen frame records and a dict per greenlet, and each WebSocket holds two greenlets for its lifetime.
    gevent.config.track_greenlet_tree = False
    # A full garbage collection scans every object of every socket (0.45 s at 5,000): the app loaded now,
    # and what survives, are frozen out of its sight, and all of it collected once in a while instead.
    from chessweb.realtime import collector
    collector.start(float(os.environ.get("CHESSWEB_GC_FREEZE_SECONDS") or collector.FREEZE_SECONDS),
                    float(os.environ.get("CHESSWEB_GC_FULL_SECONDS") or collector.FULL_SECONDS))
    _route_app_logs()
    _refuse_an_unthought_proxy(worker)
    stop_accepting = worker.handle_exit  # alive = False; the run loop then closes the listeners

    def handle_exit(sig: int, frame: FrameType | None) -> None:
        stop_accepting(sig, frame)
        gevent.spawn(_close_websockets, worker)  # no blocking work inside a signal handler

    signal.signal(signal.SIGTERM, handle_exit)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn had it: SIGTERM must not interrupt system calls

    def sweep_now(sig: int, frame: FrameType | None) -> None:  # noqa: ARG001 - a signal handler's signature
        gevent.spawn(_sweep_now, worker)  # no locks inside a signal handler

    signal.signal(SWEEP_SIGNAL, sweep_now)
    signal.siginterrupt(SWEEP_SIGNAL, False)


def _route_app_logs() -> None:
    """Send the app's own log records (`chessweb.*`: a failing socket loop, a snapshot that could not be
    read, a cache healed) to gunicorn's error log. Without a handler, Python drops everything below WARNING
    and prints the rest without time or process, so the live core's warnings reached no operator."""
    import logging

    error_log = logging.getLogger("gunicorn.error")
    app_log = logging.getLogger("chessweb")
    if not app_log.handlers:
        for handler in error_log.handlers:
            app_log.addHandler(handler)
        app_log.setLevel(logging.INFO)
        app_log.propagate = False


def _refuse_an_unthought_proxy(worker: Worker) -> None:
    """Production on loopback only means a proxy on this host: without PROXY_FIX_X_FOR every visitor would be
    127.0.0.1 (chessweb/proxies.py). Exit with gunicorn's boot-error code, so the master stops with the reason."""
    import sys

    from chessweb.proxies import refusal_for_binds
    config = getattr(getattr(worker, "wsgi", None), "config", None)
    reason = refusal_for_binds(config, worker.cfg.bind) if config is not None else None
    if reason:
        worker.log.critical(reason)
        sys.exit(3)  # gunicorn.arbiter.Arbiter.WORKER_BOOT_ERROR: the master halts instead of respawning


def worker_int(worker: Worker) -> None:
    """SIGINT or SIGQUIT: gunicorn exits this worker 0.1 s after this hook; the close frames go out meanwhile."""
    _close_websockets(worker)


def worker_exit(server: Arbiter, worker: Worker) -> None:  # noqa: ARG001 - gunicorn's hook signature
    """Stop the live core and retire this worker's connection rows now instead of after three missed
    heartbeats (a socket still open at the end of the graceful timeout was cut without a close frame)."""
    from chessweb.realtime import realtime
    app = _live_app(worker)
    if app is not None:
        realtime.stop(app)


def _close_websockets(worker: Worker) -> None:
    from chessweb.realtime import realtime
    app = _live_app(worker)
    if app is not None:
        realtime.shutdown(app)


def _sweep_now(worker: Worker) -> None:
    from chessweb.live.consumers import sweep_soon
    app = _live_app(worker)
    if app is not None and "live_consumers" in app.extensions:
        sweep_soon(app)


def _live_app(worker: Worker) -> Flask | None:
    """The worker's app, if it loaded and runs the live core."""
    app = getattr(worker, "wsgi", None)
    return app if app is not None and "realtime" in getattr(app, "extensions", {}) else None
