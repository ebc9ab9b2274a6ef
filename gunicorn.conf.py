"""gunicorn settings, read automatically from the working directory (`gunicorn app:app`).

The gevent worker holds no OS thread per WebSocket (threaded workers hold two, and stop answering
plain HTTP once sockets outnumber threads). No `preload_app`: psycopg 3 picks its wait function when
imported, and imported before gevent patches the process it would block every greenlet during a query.
"""
import os

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
# Above the sockets plus plain HTTP requests one worker is meant to hold (open-files limit permitting).
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "12000"))
bind = os.environ.get("BIND", "127.0.0.1:" + os.environ.get("PORT", "5000"))
accesslog = "-"
graceful_timeout = 10


def worker_exit(server, worker):  # noqa: ANN001, ARG001 - gunicorn's hook signature
    """Retire this worker's connection rows now instead of after three missed heartbeats.

    Its sockets were cut at the end of the graceful timeout; browsers see 1006 and reconnect to
    another worker, which sends them the current state."""
    from chessweb.realtime import realtime
    app = getattr(worker, "wsgi", None)
    if app is not None and "realtime" in getattr(app, "extensions", {}):
        realtime.stop(app)
