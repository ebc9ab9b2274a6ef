"""Provisional standings and a player's page in real browsers: a result entered during a round re-ranks the
provisional table and updates the player's page within a second, and no fragment ever goes back; the switch
to the official standings works without a reload."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from chessweb.models import Role
from chessweb.realtime import realtime
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import wait_live
from .test_no_going_back import steps_back

pytestmark = pytest.mark.slow

# Every live fragment root: its data-version, logged on every change (the second value is unused here).
OBSERVE = """
window.__log = [];
const last = {};
function record() {
  const t = Math.round(performance.now());
  document.querySelectorAll('[data-version]').forEach((el) => {
    const key = el.getAttribute('data-version');
    if (last[el.id] !== key) { last[el.id] = key; window.__log.push([t, el.id, Number(key), 0]); }
  });
}
new MutationObserver(record).observe(document, {childList: true, subtree: true, attributes: true});
document.addEventListener('DOMContentLoaded', record);
"""


def watched(new_page, url: str, frames: list[str] | None = None) -> Page:
    page = new_page()
    page.add_init_script(OBSERVE)
    if frames is not None:
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(url)
    wait_live(page)
    return page


def test_provisional_standings_and_player_page_follow_each_result(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 8, name="Provisional Open")
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    start_round(tid, organizer)
    assert realtime.flush(10)
    boards = games_of(tid, 2)
    hero = boards[-1].black  # 0 points after round 1: a win moves them up the provisional table
    base = f"{live_server.url}/tournaments/{tid}"
    standings = watched(new_page, f"{base}/standings")
    player_frames: list[str] = []
    player = watched(new_page, f"{base}/players/{hero.pairing_number}", player_frames)
    provisional = standings.locator(f"#provisional-standings-{tid}")
    expect(provisional).to_contain_text("round 2 in progress, 0 of 4 results")
    expect(player.locator('[data-field="points"]')).to_have_text("0")

    delays = {"standings": [], "player": []}
    for done, (game, result) in enumerate(((boards[-1], "0-1"), (boards[0], "1/2-1/2")), start=1):
        started = time.monotonic()
        results.set_result(tid, game.id, result, organizer.id)
        # The delays are printed (a figure, not an assertion): the suite shares two cores among its workers.
        expect(provisional).to_contain_text(f"{done} of 4 results")
        delays["standings"].append(time.monotonic() - started)
        expect(player.locator('[data-field="points"]')).to_have_text("1")
        delays["player"].append(time.monotonic() - started)
    print("delays (s):", {k: [round(d, 3) for d in v] for k, v in delays.items()})

    # The hero won: ranked among the leaders now, and the player page shows the win and the game's parts.
    ranked = [int(n) for n in re.findall(r'data-number="(\d+)"', provisional.inner_html())]
    assert ranked.index(hero.pairing_number) < 4
    expect(player.locator('tr[data-round="2"] td.result')).to_have_text("1")
    expect(player.locator('details[data-tiebreak="SB"]')).to_contain_text(boards[-1].white.name)

    # The player's page gets its own fragment, not the other players' pages.
    pages = set(re.findall(rf'id=\\?"player-{tid}-(\d+)', "".join(player_frames)))
    assert pages == {str(hero.pairing_number)}, pages

    # The switch: official standings after round 1 without a reload, and back.
    standings.get_by_role("link", name=re.compile("^Official")).click()
    expect(standings.locator(f"#standings-views-{tid}")).to_have_attribute("data-view", "official")
    expect(standings.locator(f"#standings-{tid}")).to_be_visible()
    expect(provisional).to_be_hidden()
    assert "view=official" in standings.url
    standings.get_by_role("link", name=re.compile("^Provisional")).click()
    expect(standings.locator(f"#provisional-standings-{tid}")).to_be_visible()

    for page in (standings, player):
        log = page.evaluate("window.__log")
        assert log and steps_back(log) == [], "\n".join(steps_back(log))


def test_name_and_points_stay_in_view_on_a_360px_phone(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 8, name="Phone Open")
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    start_round(tid, organizer)
    results.set_result(tid, games_of(tid, 2)[0].id, "1-0", organizer.id)
    assert realtime.flush(10)
    phone = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    base = f"{live_server.url}/tournaments/{tid}"
    for path, table, name_column, points_column in (
            ("standings", "table.standings.provisional", 3, 5),
            ("standings?view=official", f"#standings-{tid} table.standings", 3, 5),
            ("crosstable", "table.crosstable.swiss", 2, 3),
            ("players/1", "table.player-rounds", 2, 4)):
        phone.goto(f"{base}/{path}")
        row = phone.locator(f"{table} tbody tr").first
        for column in (name_column, points_column):
            box = row.locator(f"td:nth-child({column})").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (path, column, box)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
