"""A standings spectator of a bigger event gets each result as one compressed frame (permessage-deflate, the same
bytes for every socket) and, after a series of results, shows exactly the table a fresh GET shows."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from chessweb.models import Role
from chessweb.tournaments import queries, results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

pytestmark = pytest.mark.slow

# The element's DOM as HTML; htmx drops the hx-swap-oob marker of what it swapped in, so it is left out.
DOM = "el => { const copy = el.cloneNode(true); copy.removeAttribute('hx-swap-oob'); return copy.outerHTML; }"


def test_after_a_series_of_results_the_live_table_is_the_fresh_table(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 30, name="Big Open")
    start_round(tid, organizer)
    base = live_server.url
    spectator = new_page()
    spectator.goto(f"{base}/tournaments/{tid}/standings")
    expect(spectator.locator(".live-indicator")).to_have_attribute("data-state", "live", timeout=10_000)
    deadline = time.monotonic() + 10  # "live" is shown on the handshake; the server lists it a moment later
    while not (connections := app.extensions["realtime"].connections()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connections and all(c.deflate for c in connections)  # chromium offered it; the frames are shared

    section = spectator.locator(f"#standings-{tid}")
    for game, result in zip(games_of(tid, 1)[:6], ["1-0", "0-1", "1/2-1/2", "1-0", "0-1", "1-0"]):
        results.set_result(tid, game.id, result, organizer.id)
    revision = queries.load_tournament(tid).revision
    expect(section).to_have_attribute("data-version", str(revision), timeout=10_000)
    assert spectator.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload

    fresh = new_page()
    fresh.goto(f"{base}/tournaments/{tid}/standings")
    live_html = section.evaluate(DOM)
    assert live_html == fresh.locator(f"#standings-{tid}").evaluate(DOM)
    assert live_html.count("<tr") == 31  # the header row and every player
