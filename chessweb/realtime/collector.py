"""When the garbage collector may pause a process that holds thousands of WebSockets.

CPython's full (generation 2) collection scans every container object the process holds. Each open socket
keeps hundreds (its greenlets' frames, simple-websocket's and wsproto's state, its outbox), so at 5,000
sockets a full collection took 0.44-0.47 s, and ran about every 17 s while results came in once a second:
every live update that met it waited that long (bench/fanout.py, 40 players, 5,000 spectators: it was the
whole p99, 590 ms against a p50 of 90 ms).

The policy: every `freeze_seconds` whatever survived is moved out of the collector's sight (`gc.freeze`, which
costs nothing), so the automatic collections only scan what was made since. Everything is taken back
(`gc.unfreeze`) and collected once when the frozen objects have grown by GROWTH since the last such full
collection, or `full_seconds` after it: that frees the reference cycles frozen meanwhile. Reference counting
still frees everything else at once, frozen or not; only garbage in cycles waits, and a closed socket leaves
some (about 7 KB): with the growth bound, what waits stays within a quarter of what the process really holds,
whatever the churn (with a fixed 15 minutes alone, 50 reconnects a second grew a worker by 22 MB a minute).
So a process whose audience is steady pauses rarely, and one with churn pauses often, but briefly in
proportion to what it holds. Run it in the processes that hold the sockets (gunicorn.conf.py).
"""
from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

#: how often what survived is frozen (seconds)
FREEZE_SECONDS = 10.0
#: at the latest, how often everything is unfrozen and collected once (seconds)
FULL_SECONDS = 900.0
#: sooner, once the frozen objects outnumber those left after the last full collection by this factor
GROWTH = 1.25
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
    kept = gc.get_freeze_count()  # what the last full collection left (here: the program itself)
    while True:
        time.sleep(freeze_seconds)
        gc.freeze()
        if time.monotonic() >= next_full or gc.get_freeze_count() > GROWTH * kept:
            collect_all()
            next_full = time.monotonic() + full_seconds
            kept = gc.get_freeze_count()


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
