"""A page never shows an older state than it already showed (scoreboard-snapshot-goes-back).

Fresh pages load the scoreboard while results are entered and a round is published, with another page
keeping the server's snapshot cache warm. A MutationObserver installed before the page is parsed logs every
state of every live fragment (its data-version and the final results it shows); none may ever go back. The
old code sent the cached whole-scoreboard container, older than the page, on connect: one result fewer, or a
fresh round blank, for a moment."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chessweb.models import Role
from chessweb.realtime import realtime
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import wait_live

pytestmark = pytest.mark.slow

# Every live fragment on the page (nested rounds included): its version and how many final results it shows.
OBSERVE = """
window.__log = [];
const last = {};
function record() {
  const t = Math.round(performance.now());
  document.querySelectorAll('[data-version], section[id^="scoreboard-"], section[id^="tournament-header-"]')
    .forEach((el) => {
      const version = el.getAttribute('data-version');
      const state = [version === null ? null : Number(version), el.querySelectorAll('td.result strong').length];
      const key = JSON.stringify(state);
      if (last[el.id] !== key) { last[el.id] = key; window.__log.push([t, el.id, state[0], state[1]]); }
    });
}
new MutationObserver(record).observe(document, {childList: true, subtree: true, characterData: true, attributes: true});
document.addEventListener('DOMContentLoaded', record);
"""


def steps_back(log: list[list]) -> list[str]:
    """Each change of a fragment to a lower version or fewer final results than it showed before."""
    shown: dict[str, tuple[int | None, int]] = {}
    back = []
    for at, element_id, version, finals in log:
        if element_id in shown:
            old_version, old_finals = shown[element_id]
            if finals < old_finals or (version is not None and old_version is not None and version < old_version):
                back.append(f"{at} ms {element_id}: v{old_version}/{old_finals} results -> v{version}/{finals}")
        shown[element_id] = (version, finals)
    return back


def fresh_page(new_page, url: str) -> tuple[Page, list[str]]:
    page = new_page()
    page.add_init_script(OBSERVE)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(url, wait_until="commit")
    return page, frames


def finals(page: Page, tid: int, number: int):
    return page.locator(f"#scoreboard-{tid}-round-{number} td.result strong")


def test_fresh_pages_never_go_back_while_results_are_entered_and_rounds_published(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 8, name="No Going Back Open")
    start_round(tid, organizer)
    url = f"{live_server.url}/tournaments/{tid}/scoreboard"
    watcher = new_page()  # keeps the channel's snapshot cache warm, as the spectators in the hall do
    watcher.goto(url)
    wait_live(watcher)

    round1 = [g.id for g in games_of(tid, 1)]
    logs = []
    for first, second in ((round1[0], round1[1]), (round1[2], round1[3])):
        results.set_result(tid, first, "1-0", organizer.id)
        assert realtime.flush(10)
        page, _frames = fresh_page(new_page, url)
        results.set_result(tid, second, "0-1", organizer.id)  # while the fresh page loads and connects
        expect(finals(page, tid, 1)).to_have_count(round1.index(second) + 1)
        wait_live(page)
        page.wait_for_timeout(500)  # whatever the connect still sends has arrived
        logs.append(page.evaluate("window.__log"))

    # Right after a round is published: the old cached container had it blank.
    start_round(tid, organizer)
    assert realtime.flush(10)
    round2 = [g.id for g in games_of(tid, 2)]
    results.set_result(tid, round2[0], "1/2-1/2", organizer.id)
    page, _frames = fresh_page(new_page, url)
    results.set_result(tid, round2[1], "1-0", organizer.id)
    expect(finals(page, tid, 2)).to_have_count(2)
    expect(finals(page, tid, 1)).to_have_count(4)
    wait_live(page)
    page.wait_for_timeout(500)
    logs.append(page.evaluate("window.__log"))

    for log in logs:
        assert log, "the observer saw nothing"
        assert steps_back(log) == [], "a fresh page went back:\n" + "\n".join(steps_back(log))
    expect(finals(watcher, tid, 2)).to_have_count(2)  # and the page that watched all along ends current


def test_a_fresh_page_is_not_sent_again_what_it_already_shows(app, live_server, new_page):
    """The whole scoreboard went out on every connect, although the page had just been rendered with it."""
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 8, name="Quiet Open")
    start_round(tid, organizer)
    url = f"{live_server.url}/tournaments/{tid}/scoreboard"
    watcher = new_page()
    watcher.goto(url)
    wait_live(watcher)
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
    assert realtime.flush(10)

    page, frames = fresh_page(new_page, url)
    wait_live(page)
    page.wait_for_timeout(700)
    assert not [f for f in frames if f'id="scoreboard-{tid}"' in f or f'id="scoreboard-{tid}-round-1"' in f]
    assert steps_back(page.evaluate("window.__log")) == []

    # Still live: the next result arrives as usual.
    results.set_result(tid, games_of(tid, 1)[1].id, "0-1", organizer.id)
    expect(finals(page, tid, 1)).to_have_count(2)
