"""Notifications as an area of the live layer: its channel names are parsed in chessweb/live/channels.py and
routed to NotificationsArea; a tournament's notices channel is re-checked with its other channels when the
tournament turns private; and a broadcast survives the death of the process that committed it (the
`notifications` consumer of another process publishes it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from chessweb import live
from chessweb.extensions import db
from chessweb.live import channels
from chessweb.models import Role, Tournament
from chessweb.notifications.live import NotificationsArea
from chessweb.tournaments.live import TournamentArea

from ..conftest import make_user
from ..live.test_channels import WAIT, connect_sequence, open_ws, read_until, session_cookie
from ..tournaments.conftest import setup_tournament

ROOT = Path(__file__).resolve().parents[2]


def test_notification_channels_are_parsed_once_and_owned_by_the_notifications_area(app):
    router = live.router_of(app)
    owners = {name: router.owner(name)[0] for name in
              ("alerts", "system:role:ARBITER", "tournament:7:notices", "user:3", "system", "admin")}
    # One area (SiteArea stacks the dashboard's and monitoring's parts on NotificationsArea) owns them all.
    assert len({id(area) for area in owners.values()}) == 1
    assert all(isinstance(area, NotificationsArea) for area in owners.values())
    assert isinstance(router.owner("tournament:7")[0], TournamentArea)
    assert channels.parse("system:role:ARBITER").part == "ARBITER"
    assert channels.role("ARBITER") == "system:role:ARBITER"
    assert channels.tournament(7, "notices") == "tournament:7:notices"
    for bad in ("system:role:arbiter", "system:role:", "tournament:07:notices", "alerts:1"):
        assert channels.parse(bad) is None and router.owner(bad) is None
    with pytest.raises(ValueError):
        channels.role("arbiter")
    # The privacy re-check list of a tournament names its notices channel too.
    assert "tournament:7:notices" in channels.tournament_channels(7)


def test_a_private_tournaments_notices_are_refused_to_strangers(app, organizer, live_server):
    tid = setup_tournament(organizer, 4, name="Closed Club Cup")
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    stranger = make_user(Role.PARTICIPANT, name="Curious Carl")
    for cookie in (None, session_cookie(app, stranger)):
        with open_ws(live_server, f"tournament:{tid}:notices", cookie=cookie) as ws:
            sequence = connect_sequence(ws)
        assert [m["channel"] for m in sequence if m["type"] == "error"] == [f"tournament:{tid}:notices"]
        assert sequence[-1]["channels"] == []
    with open_ws(live_server, f"tournament:{tid}:notices", cookie=session_cookie(app, organizer)) as ws:
        assert connect_sequence(ws)[-1]["channels"] == [f"tournament:{tid}:notices"]


def test_going_private_cuts_off_a_stranger_who_only_listens_to_the_notices(app, organizer, live_server):
    from chessweb.tournaments import settings
    tid = setup_tournament(organizer, 4, name="Open Cup")
    with open_ws(live_server, f"tournament:{tid}:notices") as stranger:
        assert connect_sequence(stranger)[-1]["channels"] == [f"tournament:{tid}:notices"]
        t = db.session.get(Tournament, tid)
        settings.update_tournament(tid, settings.TournamentSettings(
            name="Closed Club Cup", format=t.format, start_date=t.start_date, planned_rounds=t.planned_rounds,
            time_control=t.time_control, venue=t.venue, is_public=False, tiebreaks=tuple(t.tiebreak_list),
            tiebreak_edition=t.tiebreak_edition, top_seed_colour=t.top_seed_colour), organizer.id)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                stranger.recv(timeout=WAIT)
    assert closed.value.rcvd.code == 1008


CRASHING_SENDER = """
import json, os, signal, sys
from sqlalchemy import event
from chessweb import create_app
from chessweb.extensions import db
from chessweb.models import User
from chessweb.notifications import service

app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    # Killed the moment the commit is done: before any after-commit job of this process can run.
    event.listen(db.session, "after_commit", lambda session: os.kill(os.getpid(), signal.SIGKILL), insert=True)
    admin = db.session.get(User, int(sys.argv[2]))
    service.send(service.Broadcast(title="Evacuate", message="Now", priority="CRITICAL"), admin)
    db.session.commit()
print("not killed")
"""


def test_an_alert_committed_by_a_process_that_died_at_once_is_published_by_another(app, app_config, live_server):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    with open_ws(live_server, "alerts") as anonymous:
        first = connect_sequence(anonymous)
        assert next(m for m in first if m.get("key") == "emergency-alerts")["data"] == {"alerts": []}
        config = {**app_config, "LIVE_CLAIM_SECONDS": 1}
        child = subprocess.run([sys.executable, "-c", CRASHING_SENDER, json.dumps(config), str(admin.id)],
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                               text=True, timeout=60)
        assert child.returncode == -9, child.stderr  # SIGKILL, after the commit
        # This process's sweep finds the claim the dead one left and publishes the banner.
        shown, _ = read_until(anonymous, lambda m: m.get("key") == "emergency-alerts" and m["data"]["alerts"])
    assert shown["data"]["alerts"][0]["title"] == "Evacuate"
