"""Publishing after commit: services queue render jobs; they run on a background worker once the
transaction has committed, never before and never after a rollback, so the request returns at once."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from . import metrics
from .messages import Message

log = logging.getLogger(__name__)

Job = Callable[[], list[Message]]
Submit = Callable[[str, Job], None]
_PENDING = "chessweb.realtime.after_commit"  # key in Session.info: {(submit, key): job}, in queueing order


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
                self._cond.wait_for(lambda: self._pending or self._stopping)
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

    def _execute(self, key: str, job: Job) -> None:
        try:
            with self.app.app_context():
                messages = job()
                for message in messages or ():
                    self._publish(message)
        except Exception:
            metrics.JOB_FAILURES.inc()
            log.exception("realtime: after-commit job %r failed", key)


def queue_after_commit(session: Session, submit: Submit, key: str, job: Job) -> None:
    """Remember `job` on the session's current transaction; `submit(key, job)` is called after commit.

    Jobs with the same key in one transaction are one job (the last), whether or not the worker is running yet."""
    pending = session.info.setdefault(_PENDING, {})
    pending.pop((submit, key), None)
    pending[(submit, key)] = job


def install_session_hooks(session_target: Any) -> None:
    """Listen on a scoped_session/sessionmaker (once per target) for commit and transaction end."""
    if event.contains(session_target, "after_commit", _after_commit):
        return
    event.listen(session_target, "after_commit", _after_commit)
    event.listen(session_target, "after_transaction_end", _after_transaction_end)


def _after_commit(session: Session) -> None:
    for (submit, key), job in session.info.pop(_PENDING, {}).items():
        submit(key, job)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without commit (rollback, close): its jobs are dropped. A rolled-back
    # savepoint keeps them: jobs render the state as committed, so an extra run publishes nothing false.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
