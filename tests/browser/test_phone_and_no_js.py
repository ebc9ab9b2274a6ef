"""Phones and pages without JavaScript (issue 10, B.4): a phone spectator at 390×844 follows results live
without sideways scrolling; with JavaScript off a page says it is not live (no endless "Connecting…"), and a
result saved through the plain form is confirmed where the arbiter is, not scrolled out of view."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from chessweb.models import Role
from chessweb.tournaments import results

from ..conftest import PASSWORD, make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import wait_live

pytestmark = pytest.mark.slow


def test_a_phone_spectator_follows_results_live(app, live_server, browser, page_problems):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 8, rounds_planned=3, name="Phone Open")
    start_round(tid, organizer)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        page_problems.watch(phone)
        phone.goto(f"{live_server.url}/tournaments/{tid}/scoreboard")
        wait_live(phone)
        cell = phone.locator(f"#scoreboard-{tid}-round-1 tbody tr").nth(0).locator("td.result")
        started = time.perf_counter()
        results.set_result(tid, games_of(tid, 1)[0].id, "0-1", organizer.id)
        expect(cell).to_have_text("0–1")
        print(f"\ndelays ms: result committed -> phone spectator {(time.perf_counter() - started) * 1000:.0f}")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        header = phone.locator("header.site-header").bounding_box()
        assert header["height"] < 844 / 4, header  # the header stays compact on a phone
    finally:
        context.close()


def test_without_javascript_the_page_says_so_and_shows_the_answer_in_view(app, live_server, browser, page_problems):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 30, rounds_planned=3, name="No Script Open")
    start_round(tid, organizer)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page_problems.watch(page)
        page.goto(f"{live_server.url}/auth/login")
        page.get_by_label("Email").fill(organizer.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/tournaments/{tid}/rounds/1")
        expect(page.get_by_text("Not updating live without JavaScript")).to_be_visible()
        expect(page.get_by_text("Connecting…")).to_be_hidden()
        last = len(games_of(tid, 1))
        row = page.locator(f"#board-{last}")
        row.get_by_label(f"Result of board {last}").select_option("1/2-1/2")
        row.get_by_role("button", name="Save").click()
        expect(page.locator(f"#board-{last} td.result")).to_contain_text("½–½")
        flash = page.get_by_text("Result saved.")
        expect(flash).to_be_in_viewport()
        expect(page.locator(f"#board-{last}")).to_be_in_viewport()
    finally:
        context.close()
