"""simple-websocket's reader thread and event (chessweb/realtime/reader.py): a gevent Greenlet and its Event
under gevent's monkey-patching, in a fresh interpreter; the standard classes otherwise. The sockets themselves are
served this way by every gunicorn test (tests/test_gunicorn.py, tests/live/test_faults.py)."""
from __future__ import annotations

import subprocess
import sys
import threading
import types
from pathlib import Path

from chessweb.realtime import reader

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
from gevent import monkey
monkey.patch_all()
import threading, gevent, greenlet
from chessweb.realtime import reader

ran = []
event = reader.reader_event()
assert type(event).__module__.startswith("gevent"), type(event)
threads = threading.active_count()
thread = reader.ReaderThread(target=lambda: (ran.append(greenlet.getcurrent()), event.set()))
thread.name = thread.name.replace("x", "y")  # what simple-websocket does with it
thread.start()
assert threading.active_count() == threads, "a threading.Thread was made"
assert event.wait(5) is True and event.is_set()
assert ran and isinstance(ran[0], gevent.Greenlet) and ran[0] is not greenlet.getcurrent()
thread.join(5)
assert not thread.is_alive()
event.clear()
assert event.wait(0.01) is False
print("ok")
"""


def test_under_gevent_the_reader_is_a_greenlet_and_the_event_gevents():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr


def test_without_gevent_they_are_a_daemon_thread_and_a_threading_event():
    woke = reader.reader_event()
    assert isinstance(woke, threading.Event)
    seen: list[threading.Thread] = []
    thread = reader.ReaderThread(target=lambda: (seen.append(threading.current_thread()), woke.set()))
    thread.start()
    assert woke.wait(5) and seen[0] is not threading.current_thread() and seen[0].daemon
    thread.join(5)
    assert not thread.is_alive()


def test_every_socket_of_the_app_gets_them(app):
    options = app.config["SOCK_SERVER_OPTIONS"]  # flask-sock passes these to each simple_websocket.Server
    assert options["thread_class"] is reader.ReaderThread and options["event_class"] is reader.reader_event


def test_asking_never_imports_gevent_and_a_half_imported_monkey_counts_as_unpatched(monkeypatch):
    """Found in CI: the reader imported gevent.monkey lazily in a request's thread, and the slow-body middleware,
    in another thread, found it half initialized (no `is_module_patched` yet): a 500 on a login POST."""
    probe = ("import sys; from chessweb.realtime import reader; "
             "assert reader.gevent_patched('threading') is False and 'gevent.monkey' not in sys.modules; print('ok')")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr
    monkeypatch.setitem(sys.modules, "gevent.monkey", types.ModuleType("gevent.monkey"))  # as while importing
    assert reader.gevent_patched("socket") is False and reader.gevent_patched("threading") is False
