"""Phones first (issue 10): at 360 px the site header is one line with the rest behind a "Menu" disclosure that
opens with a tap, JavaScript or not; tables keep the player's name and points in view while the rest of the
row scrolls inside the table."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chessweb.models import Role, TournamentFormat

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


# Scrolls the first visible table region on the page to its right end, then reports, for the first row, each
# wanted cell's box and whether it is the element seen at its centre (not scrolled out, not covered).
SCROLLED_CELLS = """([table, cells]) => {
  const region = [...document.querySelectorAll('main .overflow-auto')]
    .find(r => r.querySelector(table) && r.checkVisibility());
  region.scrollLeft = region.scrollWidth;
  const row = region.querySelector(table + ' tbody tr');
  return {scrolls: region.scrollWidth > region.clientWidth, scrolled: region.scrollLeft,
          cells: [...row.querySelectorAll(cells)].map(c => {
    const r = c.getBoundingClientRect();
    const seen = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {text: c.textContent.trim(), left: r.left, right: r.right, seen: !!seen && c.contains(seen)};
  })};
}"""


def test_tables_keep_name_and_points_in_view_on_a_phone(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    long_names = [make_user(Role.PARTICIPANT, name=f"Maximiliana Konstantinopolskaya-Vanderbilt {i}") for i in range(6)]
    swiss = setup_tournament(organizer, 6, rounds_planned=5, accounts=long_names, name="Sticky Swiss")
    start_round(swiss, organizer)
    robin = setup_tournament(organizer, 6, TournamentFormat.ROUND_ROBIN, name="Sticky Robin")
    start_round(robin, organizer)
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    checks = [(f"/tournaments/{swiss}/standings", "table.standings", "td.name, td.score", 2),
              (f"/tournaments/{swiss}/crosstable", "table.crosstable", "td.name, td.score", 2),
              (f"/tournaments/{robin}/crosstable", "table.crosstable", "td.name, td.score-end", 2),
              (f"/tournaments/{robin}/standings", "table.standings", "td.name, td.score", 2),
              (f"/tournaments/{swiss}/scoreboard", "table.pairings", "td.player, td.pts", 4)]
    lost = []
    for path, table, cells, count in checks:
        page.goto(live_server.url + path)
        found = page.evaluate(SCROLLED_CELLS, [table, cells])
        assert len(found["cells"]) == count, (path, found)
        if table != "table.pairings":  # the pairings fit (names wrap); every other table has more to scroll to
            assert found["scrolls"], f"{path}: the table did not need to scroll, so this checks nothing"
        for cell in found["cells"]:
            if cell["left"] < 0 or cell["right"] > 360 + 0.5 or not cell["seen"]:
                lost.append(f"{path}: {cell} (table scrolled {found['scrolled']} px)")
    assert not lost, "\n".join(lost)
