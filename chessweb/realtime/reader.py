"""simple-websocket's reader thread and wake-up event, made cheap under gevent (its `thread_class`/`event_class`).

simple-websocket reads each socket in a thread of its own and wakes the socket's writer with an Event. Under
gevent's monkey-patching those are a `threading.Thread` (its name, its own Events, a Condition and locks, and a
gevent Greenlet) and a `threading.Event` (a Condition over a lock), where a Greenlet and gevent's own Event do.
Without gevent (the development server, tests) the standard classes are used, as simple-websocket would.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any


def gevent_patched(module: str) -> bool:
    """Whether gevent's monkey-patching replaced the standard `module` ("threading", "socket") in this process.

    Never imports gevent: a process that patches imported `gevent.monkey` at its start, and in any other one the
    answer is no. Importing it here, lazily and from a request's thread, let another thread see the module half
    initialized (no `is_module_patched` yet) and fail."""
    monkey = sys.modules.get("gevent.monkey")
    is_patched = getattr(monkey, "is_module_patched", None)
    return bool(is_patched is not None and is_patched(module))


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
        if gevent_patched("threading"):
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
    if gevent_patched("threading"):
        from gevent.event import Event
        return Event()
    return threading.Event()
