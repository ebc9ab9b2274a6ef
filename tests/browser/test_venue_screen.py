"""The venue screen (issue 10, B.3) in a real browser at 1920×1080: it cycles pairings and standings with the
period asked for, results arrive with no refresh, and the round countdown stays on top."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import wait_live

pytestmark = pytest.mark.slow


def test_the_venue_screen_cycles_and_updates_live(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 6, rounds_planned=3, name="Hall Open")
    start = (datetime.now(ZoneInfo("Europe/Oslo")) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    tournament = db.session.get(Tournament, tid)
    tournament.time_zone, tournament.round_schedule = "Europe/Oslo", start.strftime("%Y-%m-%d %H:%M")
    db.session.commit()
    start_round(tid, organizer)

    screen = new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{live_server.url}/tournaments/{tid}/screen?period=5")
    wait_live(screen)
    pairings, standings = screen.locator("[data-panel=pairings]"), screen.locator("[data-panel=standings]")
    expect(pairings).to_be_visible()
    expect(standings).to_be_hidden()
    expect(screen.locator(".round-clock .countdown")).to_have_attribute("data-state", "upcoming")
    # Readable from 5 m: body text of at least 28 px on a 1080p screen.
    assert screen.evaluate("parseFloat(getComputedStyle(document.querySelector('.screen-panel table')).fontSize)") >= 28

    first = games_of(tid, 1)[0]
    cell = screen.locator(f"#scoreboard-{tid}-round-1 tbody tr").nth(0).locator("td.result")
    started = time.perf_counter()
    results.set_result(tid, first.id, "1-0", organizer.id)
    expect(cell).to_have_text("1–0")
    result_ms = (time.perf_counter() - started) * 1000
    expect(standings).to_be_visible(timeout=7_000)  # the next panel after the period
    expect(pairings).to_be_hidden()
    expect(standings.locator(f"#standings-{tid} tbody tr")).to_have_count(6)
    assert screen.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert screen.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    print(f"\ndelays ms: result committed -> venue screen {result_ms:.0f}")


def test_the_period_is_clamped_and_private_tournaments_stay_private(app, client):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 2, rounds_planned=1, name="Screen Open")
    for asked, used in [("1", 5), ("30", 30), ("99999999", 15), ("abc", 15), ("100000", 300)]:
        html = client.get(f"/tournaments/{tid}/screen?period={asked}").get_data(as_text=True)
        assert f'data-period="{used}"' in html, asked
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    assert client.get(f"/tournaments/{tid}/screen").status_code == 404
