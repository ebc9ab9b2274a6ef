"""Consumers of committed events: every event reaches every consumer, across processes, and a process killed
between claiming events and publishing them loses nothing (kill9-after-commit-update-lost)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from chessweb import create_app, events, live
from chessweb.extensions import db
from chessweb.live import Consumer, channels
from chessweb.models import EventType, PendingEvent, RealtimeEvent, Role, utcnow
from chessweb.realtime import Fragment, realtime
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_channels import connect_sequence, open_ws, read_json

ROOT = Path(__file__).resolve().parents[2]
LEASE = 1.0  # seconds a claim holds (tests use short ones; the default is 3)
SWEEP = 0.2
BOUND = 10.0  # "within a bound": lease + sweep + rendering, with room for a loaded machine


# "Once" holds while every claim is finished within its lease. On a loaded machine, a finish that waits for
# SQLite's write lock (two apps on one file) can pass a 1 s lease, and then a sweep rightly takes the claim
# over (at least once, by design): the test of "once" leases for longer than any such wait.
ONCE_LEASE = 5.0


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, "LIVE_CLAIM_SECONDS": getattr(request, "param", LEASE), "LIVE_SWEEP_SECONDS": SWEEP}


@pytest.fixture
def organizer(app):
    return make_user(Role.ORGANIZER, name="Olga Organizer")


def pending(consumer: str = live.LIVE_CONSUMER) -> list[PendingEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(PendingEvent).where(PendingEvent.consumer == consumer)))


def finished(consumer: str = live.LIVE_CONSUMER) -> bool:
    """Wait (within BOUND) until the consumer has no pending event: it finishes a claim after publishing."""
    deadline = time.monotonic() + BOUND
    while pending(consumer):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_process_killed_between_claim_and_publish_loses_nothing(app, organizer, live_server, database_url):
    tid = setup_tournament(organizer, 6, name="Kill Nine Open")
    start_round(tid, organizer)
    realtime.flush()
    game = games_of(tid, 1)[0]
    with open_ws(live_server, channels.tournament(tid, "standings"), channels.game(game.id)) as ws:
        connect_sequence(ws)
        crashed = subprocess.run(
            [sys.executable, "-m", "tests.live.crash_after_claim", database_url, str(tid), str(game.id),
             str(organizer.id)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        killed_at = time.monotonic()
        assert crashed.returncode == -9, crashed.stdout + crashed.stderr
        assert crashed.stdout.startswith("claimed "), crashed.stdout + crashed.stderr
        dead_server = crashed.stdout.split()[1]
        # The result is committed, its events claimed by the dead process and published by nobody (yet).
        result_events = db.session.scalars(select(RealtimeEvent.id).where(
            RealtimeEvent.scope == channels.tournament(tid), RealtimeEvent.type == EventType.GAME_COMPLETED)).all()
        assert len(result_events) == 1
        claimed = {row.event_id: row.claimed_by for row in pending()}
        # Still the dead process's claim, unless this process's periodic sweep already took it over (a local
        # process that is gone loses its claims at once; on a loaded machine the sweep can come first).
        assert claimed.get(result_events[0]) in (dead_server, app.extensions["realtime"].server_id)

        # This process's sweep takes the claim over once its lease ran out, and publishes.
        while True:
            message = read_json(ws)
            if message.get("key") == f"game-{game.id}" and message["data"]["result"] == "1-0":
                break
        healed_after = time.monotonic() - killed_at
    assert healed_after < BOUND
    assert finished()
    # Processed once every consumer (live, notifications, webhooks) has taken over the dead claim and finished.
    deadline = time.monotonic() + BOUND
    while not db.session.get(RealtimeEvent, result_events[0]).processed and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.rollback()
    assert db.session.get(RealtimeEvent, result_events[0]).processed


def test_a_claim_of_a_killed_process_of_this_host_is_taken_over_without_waiting_for_its_lease(app, organizer):
    """gunicorn's workers share a host: a worker killed right after its commit holds its claims for a whole lease
    (3 s), during which nobody publishes the result. The sweep takes over the claims of a local process that is
    gone at once; those of a running process, or of another host, wait for their lease as before."""
    handled: list[int] = []
    live.register_consumer(app, Consumer("probe", lambda batch: handled.extend(e.id for e in batch)))
    user = make_user(Role.PARTICIPANT, name="Pia Player")
    ids = []
    for n in range(3):
        ids.append(events.record_event(channels.user(user.id), EventType.SYSTEM_ANNOUNCEMENT,
                                       entity_type="notification", entity_id=n, payload={"n": n}).id)
        db.session.commit()
    assert finished("probe") and sorted(handled) == ids
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # exited and reaped: its pid is free
    host = socket.gethostname()[:80]
    claimants = [f"{host}:{gone.pid}:dead", f"{host}:{os.getppid()}:alive", f"elsewhere:{gone.pid}:other"]
    lease = utcnow() + timedelta(seconds=60)
    handled.clear()
    for event_id, claimant in zip(ids, claimants):
        db.session.add(PendingEvent(consumer="probe", event_id=event_id, scope=channels.user(user.id),
                                    claimed_by=claimant, claimed_until=lease))
    db.session.commit()
    deadline = time.monotonic() + BOUND  # far inside the 60 s lease: taken over by the sweep (every SWEEP s)
    while not handled:
        assert time.monotonic() < deadline, "the dead process's claim waited for its lease"
        time.sleep(0.05)
    time.sleep(10 * SWEEP)  # room for a wrong takeover of the others
    assert handled == [ids[0]]  # the dead local claimant's only
    assert sorted(row.event_id for row in pending("probe")) == ids[1:]


def test_events_committed_by_a_process_that_died_before_its_job_ran_are_swept(app, organizer, live_server):
    """No after-commit job at all (killed right after the commit): the reservation runs out, a sweep publishes."""
    tid = setup_tournament(organizer, 4, name="Swept Cup")
    start_round(tid, organizer)
    realtime.flush()
    game = games_of(tid, 1)[0]
    with open_ws(live_server, channels.game(game.id)) as ws:
        connect_sequence(ws)
        # What the dead process left: the committed result and its events, pending, their job never run.
        realtime_after_commit = realtime.after_commit
        realtime.after_commit = lambda key, job: None  # type: ignore[method-assign]
        try:
            results.set_result(tid, game.id, "0-1", organizer.id)
        finally:
            realtime.after_commit = realtime_after_commit  # type: ignore[method-assign]
        own = app.extensions["realtime"].server_id
        assert pending() and all(row.claimed_by == own for row in pending())
        started = time.monotonic()
        while (message := read_json(ws)).get("key") != f"game-{game.id}" or message["data"]["result"] != "0-1":
            pass
    assert time.monotonic() - started < BOUND
    assert finished()


@pytest.mark.parametrize("app_config", [ONCE_LEASE], indirect=True, ids=["lease-5s"])
def test_every_consumer_sees_every_event_once_across_processes(app, app_config, organizer):
    """Two apps (as two processes would: each its own server id, worker and sweep) on one database, each
    with the same two consumers; events committed through both. Each consumer handles each event once."""
    other = create_app(app_config)
    seen: dict[str, list[tuple[str, int]]] = {"audit": [], "mail": []}
    lock = threading.Lock()

    def recorder(name: str, process: str):
        def handle(batch):
            with lock:
                seen[name].extend((process, e.id) for e in batch)
        return handle

    for process, application in (("a", app), ("b", other)):
        for name in seen:
            live.register_consumer(application, Consumer(name, recorder(name, process)))
    user = make_user(Role.PARTICIPANT, name="Pia Player")
    ids = []
    try:
        for n in range(6):
            application = app if n % 2 else other
            with application.app_context():
                event = events.record_event(channels.user(user.id), EventType.SYSTEM_ANNOUNCEMENT,
                                            entity_type="notification", entity_id=n, payload={"n": n})
                ids.append(event.id)
                db.session.commit()
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline and not all(len(v) >= len(ids) for v in seen.values()):
            time.sleep(0.05)
        time.sleep(ONCE_LEASE + 10 * SWEEP)  # room for a wrong second handling (a sweep taking over a live claim)
        for name, handled in seen.items():
            assert sorted(event_id for _process, event_id in handled) == sorted(ids), name
        assert finished("audit") and finished("mail")
    finally:
        realtime.stop(other)
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_failing_consumer_is_retried_and_does_not_hold_up_the_others(app, organizer):
    attempts: list[int] = []
    delivered: list[int] = []

    def flaky(batch):
        attempts.append(len(batch))
        if len(attempts) == 1:
            raise RuntimeError("mail server down")
        delivered.extend(e.id for e in batch)

    live.register_consumer(app, Consumer("flaky", flaky))
    event = events.record_event(channels.SYSTEM, EventType.SYSTEM_ANNOUNCEMENT, entity_type="announcement",
                                payload={"text": "Round 3 starts at 15:00"})
    db.session.commit()
    realtime.start(app)
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline and not delivered:
        time.sleep(0.05)
    assert delivered == [event.id] and len(attempts) == 2
    assert finished() and finished("flaky")


def test_record_event_refuses_what_is_not_a_channel(app):
    with pytest.raises(ValueError, match="not a channel"):
        events.record_event("tournament:07", EventType.SYSTEM_ANNOUNCEMENT, entity_type="x")
    with pytest.raises(ValueError, match="not a channel"):
        events.record_event("everyone", EventType.SYSTEM_ANNOUNCEMENT, entity_type="x")
    db.session.rollback()
    assert db.session.scalar(select(RealtimeEvent.id)) is None


def test_publish_after_commit_reaches_user_and_system_channels_and_not_on_rollback(app, live_server):
    pia = make_user(Role.PARTICIPANT, name="Pia Player")
    from .test_channels import session_cookie
    with open_ws(live_server, channels.user(pia.id), channels.SYSTEM, cookie=session_cookie(app, pia)) as ws:
        connect_sequence(ws)
        db.session.execute(select(1))  # inside a transaction, as a service would be
        live.publish_after_commit(Fragment(channel=channels.user(pia.id), key="unread", version=1, html="<b>1</b>",
                                           data={"unread": 1}))
        db.session.rollback()  # dropped with the transaction
        db.session.execute(select(1))
        live.publish_after_commit(Fragment(channel=channels.user(pia.id), key="unread", version=2, html="<b>2</b>",
                                           data={"unread": 2}),
                                  # a shape of the contract (the frame plugin checks every frame read)
                                  Fragment(channel=channels.SYSTEM, key="emergency-alerts", version=1,
                                           html="<p>hi</p>", data={"alerts": []}))
        realtime.flush()
        ws.send(json.dumps({"type": "ping", "id": "before-commit"}))
        assert read_json(ws) == {"type": "pong", "id": "before-commit"}  # nothing before the commit
        db.session.commit()
        first, second = read_json(ws), read_json(ws)
    assert (first["key"], first["data"]) == ("unread", {"unread": 2})
    assert (second["key"], second["data"]) == ("emergency-alerts", {"alerts": []})
