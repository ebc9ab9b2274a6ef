"""The live indicator tells the truth about the socket (ws-ping-timeout-1008-no-reconnect, browser half).

htmx reconnects on 1001/1005/1006/1011-1014 and never on 1008 or 4xxx. When the server closes with a code
htmx will not come back from, the page must not claim "Reconnecting…" for ever: it says it stopped and
offers a reload."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.tournaments import settings

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from .test_live_pages import wait_live

pytestmark = pytest.mark.slow


def test_a_page_the_server_will_not_take_back_says_so_and_offers_a_reload(app, live_server, new_page,
                                                                          page_problems):
    page_problems.allowed += ["404"]  # after the reload: the tournament is private now
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="Soon Private Open")
    start_round(tid, organizer)
    spectator = new_page()
    spectator.goto(f"{live_server.url}/tournaments/{tid}/standings")
    wait_live(spectator)

    t = db.session.get(Tournament, tid)
    settings.update_tournament(tid, settings.TournamentSettings(
        name=t.name, format=t.format, start_date=t.start_date, planned_rounds=t.planned_rounds,
        time_control=t.time_control, venue=t.venue, is_public=False, tiebreaks=tuple(t.tiebreak_list),
        tiebreak_edition=t.tiebreak_edition, top_seed_colour=t.top_seed_colour), organizer.id)

    indicator = spectator.locator(".live-indicator")
    expect(indicator).to_have_attribute("data-state", "closed")  # closed with 1008: htmx will not reconnect
    expect(indicator).to_contain_text("Disconnected")
    reload = indicator.get_by_role("button", name="Reload")
    expect(reload).to_be_visible()
    spectator.wait_for_timeout(1500)  # longer than htmx's first reconnect delay: it stays put
    expect(indicator).to_have_attribute("data-state", "closed")
    with spectator.expect_navigation():
        reload.click()
    expect(spectator.get_by_role("heading", name="Soon Private Open")).to_have_count(0)


def test_a_stalled_page_closed_with_a_reconnect_code_comes_back_live(app, live_server, new_page):
    """1001 (what a ping timeout now sends) and 1013 (too slow) are codes htmx reconnects on."""
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="Stall Open")
    spectator = new_page()
    spectator.goto(f"{live_server.url}/tournaments/{tid}")
    wait_live(spectator)
    # Every state the indicator takes, as it takes it: a reconnect can be over between two polls of expect().
    spectator.evaluate("""() => { window.liveStates = []; const el = document.querySelector('.live-indicator');
        new MutationObserver(() => window.liveStates.push(el.dataset.state))
            .observe(el, {attributes: true, attributeFilter: ['data-state']}); }""")
    core = app.extensions["realtime"]
    from chessweb.realtime.connection import CLOSE_GOING_AWAY
    for connection in core.connections():
        connection.request_close(CLOSE_GOING_AWAY, "ping timeout")
    deadline = time.monotonic() + 10  # polled from here: the page's policy refuses eval'd predicates
    while not spectator.evaluate("window.liveStates.includes('reconnecting')"):
        assert time.monotonic() < deadline, spectator.evaluate("window.liveStates")
        spectator.wait_for_timeout(50)
    wait_live(spectator)
    assert spectator.evaluate("performance.getEntriesByType('navigation').length") == 1
