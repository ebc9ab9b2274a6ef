"""Publishing after commit: services queue render jobs (through the app's Storage, which knows when the
transaction commits); they run on a background worker, never before the commit and never after a rollback,
so the request returns at once. Periodic jobs (e.g. a sweep for work a dead process left) run on it too."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
import time

from flask import Flask

from . import metrics
from .messages import Message
from .failures import log_failure

log = logging.getLogger(__name__)
#: a job that runs longer is logged: the jobs run one at a time, so every live update queued behind it waited
SLOW_JOB_SECONDS = 0.25

Job = Callable[[], list[Message]]


class Worker:
    """One thread running jobs in an app context; a job waiting with the same key as a new one is replaced."""

    def __init__(self, app: Flask, publish: Callable[[Message], None]) -> None:
        self.app = app
        self._publish = publish
        self._cond = threading.Condition()
        self._pending: dict[str, Job] = {}
        self._running = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._periodic: dict[str, tuple[float, Job]] = {}  # key -> (interval in seconds, job)
        self._due: dict[str, float] = {}  # key -> time.monotonic() when it runs next

    def every(self, key: str, interval: float, job: Job) -> None:
        """Run `job` every `interval` seconds (first after one interval), queued like a submitted job."""
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        with self._cond:
            self._periodic[key] = (interval, job)
            self._due[key] = time.monotonic() + interval
            self._cond.notify_all()

    def run_soon(self, key: str) -> bool:
        """Run the periodic job `key` as soon as the thread is free, instead of at its next time (its period
        starts again from then). False when no periodic job has that key."""
        with self._cond:
            if key not in self._periodic:
                return False
            self._due[key] = time.monotonic()
            self._cond.notify_all()
            return True

    def start(self) -> None:
        with self._cond:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="realtime-publisher", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def submit(self, key: str, job: Job) -> None:
        with self._cond:
            # Re-inserted at the end: one run renders the state after every change queued so far.
            self._pending.pop(key, None)
            self._pending[key] = job
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (tests, shutdown). False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._running, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._stopping:
                        self._queue_due_periodic()
                    if self._pending or self._stopping:
                        break
                    wait = min(self._due.values(), default=time.monotonic() + 3600) - time.monotonic()
                    self._cond.wait(max(0.0, wait))
                if not self._pending:
                    return  # stopping, nothing left
                key = next(iter(self._pending))
                job = self._pending.pop(key)
                self._running = True
            try:
                self._execute(key, job)
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()

    def _queue_due_periodic(self) -> None:
        now = time.monotonic()
        for key, (interval, job) in self._periodic.items():
            if self._due[key] <= now:
                self._due[key] = now + interval
                self._pending.setdefault(key, job)

    def _execute(self, key: str, job: Job) -> None:
        started = time.monotonic()
        try:
            with self.app.app_context():
                messages = job()
                for message in messages or ():
                    self._publish(message)
        except Exception as error:
            metrics.JOB_FAILURES.inc()
            log_failure(log, "realtime: after-commit job %r failed", key, error=error)
        elapsed = time.monotonic() - started
        if elapsed > SLOW_JOB_SECONDS:  # every live update queued behind it waited as long
            log.warning("realtime: job %r took %.2f s", key, elapsed)
