"""The header's round countdown runs on the server's clock, not the device's (issue 10, B.2): a phone whose clock is
five hours fast still counts down to a round two hours ahead, shown in the tournament's time zone."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from chessweb.extensions import db
from chessweb.models import Role, Tournament

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament

pytestmark = pytest.mark.slow


def test_the_countdown_trusts_the_server_clock(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, rounds_planned=3, name="Clock Open")
    start = (datetime.now(ZoneInfo("Europe/Oslo")) + timedelta(hours=2)).replace(second=0, microsecond=0)
    tournament = db.session.get(Tournament, tid)
    tournament.time_zone, tournament.round_schedule = "Europe/Oslo", start.strftime("%Y-%m-%d %H:%M")
    db.session.commit()

    page = new_page()
    page.clock.install(time=datetime.now(UTC) + timedelta(hours=5))  # the device's clock is 5 h fast
    page.goto(f"{live_server.url}/tournaments/{tid}")
    clock = page.locator(".round-clock")
    expect(clock.locator("time")).to_have_text(f"{start.strftime('%Y-%m-%d %H:%M')} {start.tzname()}")
    expect(clock.locator(".countdown")).to_have_attribute("data-state", "upcoming")
    expect(clock.locator(".countdown")).to_have_text(re.compile(r"^· in 1 h 5\d min$|^· in 2 h 0 min$"))
