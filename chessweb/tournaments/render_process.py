"""The live renders of very big tournaments, in a long-lived child process: the process holding the sockets only
waits for them (issue "CPU-heavy jobs run outside the process that holds the sockets").

A result in a 2,000-player Swiss re-renders the standings, the crosstable, every player's page and more: about
1.4 s of CPU, during which a gevent worker serves none of its sockets. So for a tournament with at least
`LIVE_RENDER_CHILD_MIN_PLAYERS` registrations (0: never), `RenderProcessArea` (the app's tournament area) hands
the batch of committed events to a `python -m chessweb.tournaments.render_process` child, which builds the app on
the same database (as the TRF import's child does, chessweb/jobs.py) and runs the very same
`live.publish_events`: the same messages, the same versions (read in one snapshot with their content), the
same bytes. The parent waits on the child's pipe (cooperative under gevent), puts the child's whole-page renders
into its own render cache (so the page views after the result are lookups, as after a render here), and
publishes the messages as before. A page view of such a tournament that misses the render cache has its
whole-page fragments rendered by the child too (`render_pages`): a first view of a 2,000-player standings page
is no stall either. An in-memory SQLite database, which a child cannot open, renders here.

One child per serving process, started at the first big render (about a second to import and build the app),
reused for every later one, one render at a time; it exits when its stdin closes (the parent stopped it, or
died). Protocol, JSON lines: the parent writes `{"database_url": ...}` once, then per render
`{"tournament": id, "events": [CommittedEvent as plain data]}` or `{"tournament": id, "pages": [names]}`; the
child answers each with one line per message (`realtime.messages.to_body`, which has a "kind"), then `{"shared":
[{"key": [tournament, revision, name], "fragment": index into the messages}], "pid": int, "cpu": seconds}`, or
only `{"error": "..."}`. The parent decodes the lines as they come and yields to the other greenlets every
`YIELD_EVERY` messages, so even the decoding of a 2,000-player answer (a few MB) is no long stall.

Failures: a render that raises in the child, a child that dies while rendering or passes
`LIVE_RENDER_TIMEOUT_SECONDS` (it is killed) raises RenderFailed. Nothing was published, so the `live`
consumer's claim stays and is retried when its lease runs out (chessweb/live/consumers.py), by a fresh child:
no update is lost, and a batch that kills its renderer never takes the sockets' process down with it. A child
found dead before a render (killed in between) is replaced at once, without a failure.
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from .. import jobs
from ..extensions import db
from ..live.channels import Channel
from ..live.consumers import CommittedEvent
from ..models import Registration
from ..realtime import Fragment, Message
from ..realtime.messages import from_body, to_body
from . import render_cache
from .live import (TournamentArea, header_fragment, publish_events, scoreboard_fragment,
                   standings_fragments)

log = logging.getLogger(__name__)

MODULE = "chessweb.tournaments.render_process"
# Whole-page fragment name (render_cache.Key) -> the live renderer that makes it, among others.
PAGE_FRAGMENTS: dict[str, Callable[[int], list[Fragment]]] = {
    "header": lambda t: [header_fragment(t)], "scoreboard": lambda t: [scoreboard_fragment(t)],
    **dict.fromkeys(("standings", "provisional_standings", "crosstable", "swiss_crosstable"), standings_fragments)}
DEFAULT_MIN_PLAYERS = 500
DEFAULT_TIMEOUT = 60.0
YIELD_EVERY = 50
RENDER_NICENESS = 5  # below the sockets' process, above pairing and import jobs (jobs.JOB_NICENESS)


class RenderFailed(RuntimeError):
    """The render process failed this render (it raised, died or timed out); nothing of it was published."""


@dataclass(frozen=True)
class Rendered:
    """One render's answer: the messages to publish, the render-cache entries ((tournament id, revision, name),
    html) it made, and the child's pid and CPU seconds."""
    messages: list[Message]
    shared: list[tuple[render_cache.Key, str]]
    pid: int
    cpu: float


class RenderProcess:
    """The parent's handle on one long-lived render child (started at the first `render`). Thread-safe: renders
    take turns. `timeout`: seconds one render (a first one's start included) may take before the child is
    killed."""

    def __init__(self, database_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._database_url = database_url
        self._timeout = timeout
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The running child's pid (None before the first render or after `stop`)."""
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def render(self, tournament_id: int, events: Sequence[CommittedEvent]) -> Rendered:
        """`live.publish_events(tournament_id, events)`, rendered by the child. Raises RenderFailed."""
        request = {"tournament": tournament_id, "events": [_plain(e) for e in events]}
        with self._lock:
            return self._exchange(request)

    def render_pages(self, tournament_id: int, revision: int, names: Sequence[str]) -> dict[str, str]:
        """The whole-page fragments `names` (of `PAGE_FRAGMENTS`) of a tournament at `revision` or newer, for a
        page view that missed the render cache: {name: html}, also put in the cache. Rendered by the child, unless
        a view that took its turn first left them in the cache (twelve cold views of one page cost one render).
        Raises RenderFailed."""
        unknown = set(names) - set(PAGE_FRAGMENTS)
        if unknown:
            raise ValueError(f"not page fragments: {sorted(unknown)}")
        cache = render_cache.cache()
        with self._lock:
            found = {name: cache.get((tournament_id, revision, name)) for name in names}
            if None not in found.values():
                return found  # type: ignore[return-value]
            rendered = self._exchange({"tournament": tournament_id, "pages": list(names)})
        newest: dict[str, tuple[int, str]] = {}
        for key, html in rendered.shared:
            cache.put(key, html)
            tid, at, name = key
            if tid == tournament_id and at >= revision and name in names:
                newest[name] = (at, html)
        missing = set(names) - set(newest)
        if missing:
            raise RenderFailed(f"render of tournament {tournament_id}: the render process did not render "
                               f"{sorted(missing)}")
        return {name: html for name, (_at, html) in newest.items()}

    def _exchange(self, request: dict[str, Any]) -> Rendered:
        """Send one request to the child and read its answer (the caller holds the lock). Raises RenderFailed."""
        tournament_id = request["tournament"]
        child = self._send((json.dumps(request) + "\n").encode())
        watchdog = threading.Timer(self._timeout, child.kill)  # a greenlet under gevent
        watchdog.start()
        messages: list[Message] = []
        try:
            assert child.stdout is not None
            while (line := child.stdout.readline()):  # cooperative under gevent
                body = json.loads(line)
                if "kind" not in body:
                    break
                messages.append(from_body(body))
                if len(messages) % YIELD_EVERY == 0:
                    time.sleep(0)  # under gevent: let the sockets run between pieces of a long answer
            else:
                self._discard()
                raise RenderFailed(f"render of tournament {tournament_id}: the render process died or passed "
                                   f"{self._timeout:g} s; the claim is retried by a fresh one")
            if "error" in body:
                raise RenderFailed(f"render of tournament {tournament_id} failed in the render process: "
                                   f"{body['error']}")
            shared = [(_key(entry["key"]), _html(messages[entry["fragment"]])) for entry in body["shared"]]
            return Rendered(messages, shared, int(body["pid"]), float(body["cpu"]))
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:  # MessageError: a ValueError
            self._discard()
            raise RenderFailed(f"render of tournament {tournament_id}: the render process broke the "
                               f"protocol ({error})") from None
        finally:
            watchdog.cancel()

    def stop(self) -> None:
        """End the child (it exits when its stdin closes; killed after 5 s). A later `render` starts a new one."""
        with self._lock:
            self._discard(grace=5.0)

    def _send(self, request: bytes) -> subprocess.Popen[bytes]:
        """Write the request to the running child, or to a fresh one if it is gone (killed since the last render)."""
        for attempt in (1, 2):
            child = self._child
            if child is None or child.poll() is not None:
                self._discard()
                child = self._start()
            try:
                assert child.stdin is not None
                child.stdin.write(request)
                child.stdin.flush()
                return child
            except OSError as error:  # a child dead but not yet reaped: its pipe is broken
                self._discard()
                if attempt == 2:
                    raise RenderFailed(f"the render process does not take requests ({error})") from None
        raise AssertionError("unreachable")

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            child = jobs.start_child(MODULE, what="render process", niceness=RENDER_NICENESS)  # stderr: our log
        except jobs.JobFailed as error:
            raise RenderFailed(str(error)) from None
        assert child.stdin is not None
        child.stdin.write((json.dumps({"database_url": self._database_url}) + "\n").encode())
        self._child = child
        atexit.register(self.stop)
        log.info("render process %d started", child.pid)
        return child

    def _discard(self, grace: float = 0.0) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        atexit.unregister(self.stop)
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()  # stdin closed: the child's loop ends
        try:
            child.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        if child.poll() is None:
            child.kill()
            child.wait()


def _plain(event: CommittedEvent) -> dict[str, Any]:
    plain = dataclasses.asdict(event)
    plain["created_at"] = event.created_at.isoformat()
    return plain


def _event(plain: dict[str, Any]) -> CommittedEvent:
    return CommittedEvent(**{**plain, "created_at": datetime.fromisoformat(plain["created_at"])})


def _key(key: list[Any]) -> render_cache.Key:
    tournament_id, revision, name = key
    return int(tournament_id), int(revision), str(name)


def _html(message: Message) -> str:
    if not isinstance(message, Fragment):
        raise TypeError(f"a shared render points at a {type(message).__name__}")
    return message.html


# --------------------------------------------------------------------------- the parent's side in the app

class RenderProcessArea(TournamentArea):
    """The tournament area, rendering the batches of big tournaments in the app's render process (see above)."""

    def publish(self, tournament_id: int, events: Sequence[CommittedEvent]) -> Iterable[Message]:
        process = process_for(tournament_id)
        if process is None:
            return super().publish(tournament_id, events)
        started = time.monotonic()
        rendered = process.render(tournament_id, events)
        cache = render_cache.cache()
        for key, html in rendered.shared:
            cache.put(key, html)
        log.debug("tournament %d: %d messages rendered by process %d in %.2f s (%.2f s CPU)", tournament_id,
                  len(rendered.messages), rendered.pid, time.monotonic() - started, rendered.cpu)
        return rendered.messages

    def presence(self, channel: Channel, watching: int) -> list[Message]:
        # A big tournament's batches render every player page in the child: nothing to re-send, and one page
        # rendered here would cost the process holding the sockets the whole standings computation.
        if channel.part == "player" and channel.id is not None and process_for(channel.id) is not None:
            return []
        return super().presence(channel, watching)


def init_app(app: Flask) -> None:
    """Give `app` its render process handle (app.extensions["render_process"]; None for an in-memory database).
    No child starts before the first big render."""
    url = jobs.database_url_for_child(app.config)
    timeout = float(app.config.get("LIVE_RENDER_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT)
    app.extensions["render_process"] = RenderProcess(url, timeout) if url is not None else None


def process_for(tournament_id: int) -> RenderProcess | None:
    """The render process to render this tournament's batches in: the app's, when the tournament has at least
    `LIVE_RENDER_CHILD_MIN_PLAYERS` registrations (one count); None (render here) otherwise."""
    process: RenderProcess | None = current_app.extensions.get("render_process")
    threshold = int(current_app.config.get("LIVE_RENDER_CHILD_MIN_PLAYERS", DEFAULT_MIN_PLAYERS))
    if process is None or threshold <= 0:
        return None
    players = db.session.scalar(select(func.count()).select_from(Registration)
                                .where(Registration.tournament_id == tournament_id)) or 0
    return process if players >= threshold else None


def render_pages(tournament_id: int, revision: int, names: Sequence[str]) -> dict[str, str]:
    """For a page view that missed the render cache: the fragments `names` of a big tournament (see
    `process_for`) rendered by the render process, {name: html} at `revision` or newer; {} when the tournament is
    small, there is no render process, or it failed (logged): the view then renders them itself."""
    process = process_for(tournament_id)
    if process is None:
        return {}
    try:
        return process.render_pages(tournament_id, revision, names)
    except RenderFailed as error:
        log.warning("page fragments rendered in the serving process: %s", error)
        return {}


def stop(app: Flask) -> None:
    """Stop `app`'s render process, if one runs (process shutdown, tests)."""
    process = app.extensions.get("render_process")
    if process is not None:
        process.stop()


# --------------------------------------------------------------------------- the child's side

def page_fragments(tournament_id: int, names: Sequence[str]) -> list[Message]:
    """The live fragments that hold the whole-page fragments `names` (each renders into the render cache)."""
    makers = dict.fromkeys(PAGE_FRAGMENTS[name] for name in names)  # the standings channel renders four at once
    return [fragment for make in makers for fragment in make(tournament_id)]


class _Recording(render_cache.RenderCache):
    """The child's render cache: keeps nothing, notes every entry offered (for the parent's cache)."""

    def __init__(self) -> None:
        super().__init__(0)
        self.offered: list[tuple[render_cache.Key, str]] = []

    def put(self, key: render_cache.Key, html: str) -> None:
        self.offered.append((key, html))


def _serve() -> int:
    """The child: build the app on the parent's database, then answer render requests until stdin closes."""
    from .. import create_app  # here: nothing imports the composition root at module level
    from ..live.fragments import url_context

    protocol = jobs.protocol_stdout()
    setup = json.loads(sys.stdin.buffer.readline())
    app = create_app({"SQLALCHEMY_DATABASE_URI": setup["database_url"], "SECRET_KEY": secrets.token_hex(32),
                      "BROKER_URL": "memory://", "LIVE_RENDER_CHILD_MIN_PLAYERS": 0})
    recording = _Recording()
    app.extensions["fragment_cache"] = recording
    for line in sys.stdin.buffer:
        cpu = time.process_time()
        request = json.loads(line)
        with app.app_context(), url_context():
            try:
                tournament_id = int(request["tournament"])
                if "pages" in request:
                    messages = page_fragments(tournament_id, request["pages"])
                else:
                    messages = list(publish_events(tournament_id, [_event(e) for e in request["events"]]))
                index = {id(m.html): i for i, m in enumerate(messages) if isinstance(m, Fragment)}
                lines = [json.dumps(to_body(m)) for m in messages]
                answer: dict[str, Any] = {
                    "shared": [{"key": list(key), "fragment": index[id(html)]} for key, html in recording.offered
                               if id(html) in index],
                    "pid": os.getpid(), "cpu": time.process_time() - cpu}
            except Exception as error:  # reported to the parent, which raises it: the claim is retried
                log.exception("render of tournament %s failed", request.get("tournament"))
                lines, answer = [], {"error": f"{type(error).__name__}: {error}"}
            finally:
                recording.offered.clear()
                db.session.remove()
        protocol.write("".join(line + "\n" for line in lines) + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
