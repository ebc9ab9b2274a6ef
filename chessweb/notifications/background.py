"""One thread per app for slow notification work off the request and off the live publisher: sending email
(with retries) and refreshing the admin's counts a moment after a broadcast went out."""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app

from ..extensions import db

log = logging.getLogger(__name__)
Task = Callable[[], None]


class Background:
    """Runs tasks at or after their due time, one at a time, each in an app context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Task]] = []
        self._order = itertools.count()
        self._running = 0
        self._thread: threading.Thread | None = None
        self._stopping = False

    def schedule(self, task: Task, delay: float = 0.0) -> None:
        with self._cond:
            if self._stopping:
                return
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._order), task))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        """Drop what is queued and end the thread after the task it is running (an app being torn down: its
        database may be gone). Email still owed is recorded per recipient, so nothing is sent twice."""
        with self._cond:
            self._heap.clear()
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until nothing is queued or running (tests). False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and not self._running, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(max(0.0, self._heap[0][0] - time.monotonic()) if self._heap else None)
                if self._stopping:
                    return
                _, _, task = heapq.heappop(self._heap)
                self._running += 1
            try:
                with self.app.app_context():
                    try:
                        task()
                    finally:
                        db.session.remove()
            except Exception:
                log.exception("notifications: background task failed")
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()


def background(app: Flask | None = None) -> Background:
    """This app's background worker (created on first use)."""
    target = app or current_app._get_current_object()  # type: ignore[attr-defined]
    worker = target.extensions.get("notifications_background")
    if worker is None:
        worker = target.extensions.setdefault("notifications_background", Background(target))
    return worker
