"""simple-websocket's reader thread and wake-up event, made cheap under gevent (its `thread_class`/`event_class`).

simple-websocket reads each socket in a thread of its own and wakes the socket's writer with an Event. Under
gevent's monkey-patching those are a `threading.Thread` (its name, its own Events, a Condition and locks, and a
gevent Greenlet) and a `threading.Event` (a Condition over a lock), where a Greenlet and gevent's own Event do.
Without gevent (the development server, tests) the standard classes are used, as simple-websocket would.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("threading"))


class ReaderThread:
    """`thread_class` for simple_websocket.Server: a gevent Greenlet under gevent, else a daemon thread.

    Offers what simple-websocket and Connection use of a Thread: `name`, `start()`, `join(timeout)` and
    `is_alive()`. The reader ends when its loop returns, that is when the socket closes."""
    __slots__ = ("_runner", "_target", "name")

    def __init__(self, target: Callable[[], Any]) -> None:
        self._target = target
        self._runner: Any = None
        self.name = "simple-websocket reader"

    def start(self) -> None:
        if _gevent_patched():
            import gevent
            self._runner = gevent.spawn(self._target)
        else:
            self._runner = threading.Thread(target=self._target, name=self.name, daemon=True)
            self._runner.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the reader has ended, at most `timeout` seconds (None: for ever)."""
        if self._runner is not None:
            self._runner.join(timeout)

    def is_alive(self) -> bool:
        runner = self._runner
        if runner is None:
            return False
        return runner.is_alive() if isinstance(runner, threading.Thread) else not runner.dead


def reader_event() -> Any:
    """`event_class` for simple_websocket.Server: gevent's Event under gevent, else `threading.Event`. Both have
    `set`, `clear`, `is_set` and `wait(timeout) -> bool` (True when set)."""
    if _gevent_patched():
        from gevent.event import Event
        return Event()
    return threading.Event()
