"""When the garbage collector may pause a process that holds thousands of WebSockets.

CPython's full (generation 2) collection scans every container object the process holds. Each open socket
keeps hundreds (its greenlets' frames, simple-websocket's and wsproto's state, its outbox), so at 5,000
sockets a full collection took 0.44-0.47 s, and ran about every 17 s while results came in once a second:
every live update that met it waited that long (bench/fanout.py, 40 players, 5,000 spectators: it was the
whole p99, 590 ms against a p50 of 90 ms).

The policy: every `freeze_seconds` whatever survived is moved out of the collector's sight (`gc.freeze`, which
costs nothing), so the automatic collections only scan what was made since; every `full_seconds` everything is
taken back (`gc.unfreeze`) and collected once, which frees the reference cycles that were frozen meanwhile.
Reference counting still frees everything else at once, frozen or not: only garbage in cycles waits for the
full collection. Run it in the processes that hold the sockets (gunicorn.conf.py's post_worker_init).
"""
from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

#: how often what survived is frozen (seconds)
FREEZE_SECONDS = 10.0
#: how often everything is unfrozen and collected once (seconds); cycles frozen meanwhile wait this long
FULL_SECONDS = 900.0
#: a full collection that takes longer is logged
SLOW_FULL_SECONDS = 0.25


def start(freeze_seconds: float = FREEZE_SECONDS, full_seconds: float = FULL_SECONDS) -> threading.Thread:
    """Freeze what this process holds now, then keep to the policy above on a daemon thread (a greenlet under
    gevent). Returns the thread. ValueError unless 0 < freeze_seconds <= full_seconds."""
    if not 0 < freeze_seconds <= full_seconds:
        raise ValueError(f"need 0 < freeze_seconds <= full_seconds, got {freeze_seconds} and {full_seconds}")
    gc.freeze()
    thread = threading.Thread(target=_run, args=(freeze_seconds, full_seconds), name="gc-policy", daemon=True)
    thread.start()
    return thread


def _run(freeze_seconds: float, full_seconds: float) -> None:
    next_full = time.monotonic() + full_seconds
    while True:
        time.sleep(freeze_seconds)
        if time.monotonic() >= next_full:
            next_full = time.monotonic() + full_seconds
            collect_all()
        gc.freeze()


def collect_all() -> int:
    """Unfreeze, collect every generation once, freeze what is left; returns how many objects were unreachable."""
    started = time.monotonic()
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    elapsed = time.monotonic() - started
    if elapsed > SLOW_FULL_SECONDS:
        log.info("full garbage collection: %.2f s, %d unreachable objects freed", elapsed, found)
    return found
