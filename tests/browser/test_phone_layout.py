"""Phones first (issue 10): at 360 px the site header is one line with the rest behind a "Menu" disclosure that
opens with a tap, JavaScript or not; tables keep the player's name and points in view while the rest of the
row scrolls inside the table."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chessweb.models import Role

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from .test_live_pages import log_in

pytestmark = pytest.mark.slow

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
HEADER_MAX = 64  # px: one line of header on a phone


def header_height(page) -> float:
    return page.locator("header.site-header").bounding_box()["height"]


def test_the_header_is_one_line_on_a_phone_and_its_menu_opens_with_a_tap(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna Longname-Organiser")
    tid = setup_tournament(organizer, 6, rounds_planned=3, name="Header Open")
    start_round(tid, organizer)
    links = ["Tournaments", "Dashboard", "New tournament", "Notify players", "API tokens"]

    page = new_page(**PHONE)
    log_in(page, live_server.url, organizer.email)
    page.goto(f"{live_server.url}/tournaments/{tid}/scoreboard")
    assert header_height(page) <= HEADER_MAX
    header = page.locator("header.site-header")
    for name in links:
        expect(header.get_by_role("link", name=name, exact=True)).to_be_hidden()
    header.get_by_text("Menu", exact=True).tap()
    for name in links:
        expect(header.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    expect(header.get_by_role("button", name="Log out")).to_be_in_viewport()
    assert header_height(page) <= HEADER_MAX  # the open menu drops over the page; the bar stays one line
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Without JavaScript the disclosure works the same: it is a plain <details>.
    guest = new_page(java_script_enabled=False, **PHONE)
    guest.goto(f"{live_server.url}/tournaments/{tid}")
    assert header_height(guest) <= HEADER_MAX
    bar = guest.locator("header.site-header")
    expect(bar.get_by_role("link", name="Log in")).to_be_hidden()
    bar.get_by_text("Menu", exact=True).tap()
    for name in ("Tournaments", "Log in"):
        expect(bar.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    expect(bar.get_by_role("button", name="Register")).to_be_in_viewport()

    # On a desktop the links stand in the bar, no menu to open.
    desktop = new_page(viewport={"width": 1280, "height": 800})
    desktop.goto(f"{live_server.url}/tournaments/{tid}")
    expect(desktop.locator("header.site-header").get_by_text("Menu", exact=True)).to_be_hidden()
    for name in ("Tournaments", "Log in"):
        expect(desktop.locator("header.site-header").get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(desktop.locator("header.site-header").get_by_role("button", name="Register")).to_be_visible()
