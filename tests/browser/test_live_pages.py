"""Live pages in real browsers: an arbiter enters results, a spectator's pages change without a reload,
and a spectator who was offline sees everything it missed as soon as it is back."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from chessweb.models import Role

from ..conftest import PASSWORD, make_user
from ..realtime.conftest import wait_for
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

pytestmark = pytest.mark.slow


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Attached, not visible: on a phone the Log out button waits behind the header's closed "Menu".
    expect(page.locator("header form[action$='/auth/logout']")).to_be_attached()


LABELS = {"1-0": "1–0", "0-1": "0–1", "1/2-1/2": "½–½"}


def enter(page: Page, board: int, result: str) -> None:
    """The arbiter's result form for one board (htmx posts it and swaps the row)."""
    row = page.locator(f"#board-{board}")
    row.get_by_label(f"Result of board {board}").select_option(result)
    row.get_by_role("button", name="Save").click()
    # The row's "Saved" lasts only until the page's own live update redraws the table; the result stays.
    expect(row.locator("td.result")).to_contain_text(LABELS[result])


def wait_live(page: Page) -> None:
    expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live", timeout=10_000)


@pytest.fixture
def event(app, live_server):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 8, name="Live Open")
    start_round(tid, organizer)
    return {"tid": tid, "organizer": organizer, "games": [g.id for g in games_of(tid, 1)]}


def test_results_reach_a_spectator_live_and_after_being_offline(event, live_server, new_page, browser):
    base, tid = live_server.url, event["tid"]
    arbiter = new_page()
    log_in(arbiter, base, event["organizer"].email)
    arbiter.goto(f"{base}/tournaments/{tid}/rounds/1")

    spectator_scoreboard = new_page()
    spectator_scoreboard.goto(f"{base}/tournaments/{tid}/scoreboard")
    # A second device: htmx closes the socket of a hidden tab, so two tabs of one browser would not both be live.
    spectator_standings = new_page()
    spectator_standings.goto(f"{base}/tournaments/{tid}/standings")
    for page in (spectator_scoreboard, spectator_standings):
        wait_live(page)

    board1 = spectator_scoreboard.locator(f"#scoreboard-{tid}-round-1 tbody tr").nth(0).locator("td.result")
    expect(board1).to_have_text("–")
    leader_live = spectator_standings.locator(f"#standings-{tid} tbody tr").nth(0).locator("td").nth(5)
    expect(leader_live).to_have_text("0")

    started = time.monotonic()
    enter(arbiter, 1, "1-0")
    expect(board1).to_have_text("1–0")
    scoreboard_delay = time.monotonic() - started
    expect(leader_live).to_have_text("1")
    standings_delay = time.monotonic() - started
    print(f"\nresult entered -> spectator scoreboard {scoreboard_delay * 1000:.0f} ms, "
          f"standings {standings_delay * 1000:.0f} ms (includes the arbiter's own request)")
    assert spectator_scoreboard.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload

    # The spectators go offline; two more results are entered meanwhile.
    spectators = (spectator_scoreboard.context, spectator_standings.context)
    for context in spectators:
        context.set_offline(True)
    for page in (spectator_scoreboard, spectator_standings):
        expect(page.locator(".live-indicator")).to_have_attribute("data-state", "offline")
    enter(arbiter, 2, "0-1")
    enter(arbiter, 3, "1/2-1/2")
    expect(board1).to_have_text("1–0")  # still the page as it was: nothing arrived while offline
    expect(spectator_scoreboard.locator(f"#scoreboard-{tid}-round-1 tbody tr").nth(1).locator("td.result")
           ).to_have_text("–")
    for context in spectators:
        context.set_offline(False)

    rows = spectator_scoreboard.locator(f"#scoreboard-{tid}-round-1 tbody tr")
    expect(rows.nth(1).locator("td.result")).to_have_text("0–1", timeout=20_000)
    expect(rows.nth(2).locator("td.result")).to_have_text("½–½")
    expect(spectator_scoreboard.locator(f"#scoreboard-{tid}-round-1 h2")).to_contain_text("3 of 4 results")
    standings_rows = spectator_standings.locator(f"#standings-{tid} tbody tr")
    expect(standings_rows.filter(has_text="½")).to_have_count(2, timeout=20_000)
    for page in (spectator_scoreboard, spectator_standings):
        wait_live(page)
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_refused_result_shows_a_message_and_keeps_the_row(event, live_server, new_page, page_problems):
    page_problems.allowed += ["HTTP 400", "status of 400"]  # the forged token is refused by design
    base, tid = live_server.url, event["tid"]
    arbiter = new_page()
    log_in(arbiter, base, event["organizer"].email)
    arbiter.goto(f"{base}/tournaments/{tid}/rounds/1")
    row = arbiter.locator("#board-1")
    row.locator("input[name=csrf_token]").evaluate("input => input.value = 'forged'")
    row.get_by_label("Result of board 1").select_option("1-0")
    row.get_by_role("button", name="Save").click()
    expect(arbiter.locator("#toasts .toast-error")).to_contain_text("The form has expired")
    expect(row.get_by_role("button", name="Save")).to_be_visible()  # the row is still a row with its form
    expect(arbiter.locator("#board-1 td.result")).to_have_text("–")


def test_a_page_goes_live_even_when_the_websocket_script_arrives_late(event, live_server, new_page):
    """A phone on a slow network: hx-ws.js arrives well after htmx.js. htmx must not wire the page up
    before the extension is there, or the page never opens its live socket."""
    base, tid = live_server.url, event["tid"]
    spectator = new_page()

    def late(route):
        time.sleep(1.0)
        route.continue_()

    spectator.route("**/vendor/hx-ws-*.js", late)
    spectator.goto(f"{base}/tournaments/{tid}/standings")
    wait_live(spectator)


def test_a_dropped_socket_comes_back_after_a_second_give_or_take_half(app, event, live_server, new_page):
    """htmx reads the page's htmx-config: hx-ws reconnects 1 s ± 50 % after a drop (htmx's own 0.5 s ± 30 % sent a
    dead worker's clients to the survivors within 0.3 s). A restart close (1012) is followed by a reconnect."""
    base, tid = live_server.url, event["tid"]
    spectator = new_page()
    spectator.goto(f"{base}/tournaments/{tid}/standings")
    wait_live(spectator)
    assert spectator.evaluate("[htmx.config.ws.reconnectDelay, htmx.config.ws.reconnectJitter]") == [1000, 0.5]
    core = app.extensions["realtime"]
    # The page is live once its handshake is answered; the server's socket thread registers the connection just
    # after (a loaded machine showed the gap).
    wait_for(lambda: len(core.connections()) == 1, what="the server to register the page's socket")
    [connection] = core.connections()
    dropped = time.monotonic()
    connection.request_close(1012, "restart")
    deadline = dropped + 10
    while not any(c is not connection for c in core.connections()):
        assert time.monotonic() < deadline, "the page did not reconnect"
        time.sleep(0.02)
    assert time.monotonic() - dropped >= 0.45  # 1 s - 50 %, less the clocks' slack
    wait_live(spectator)
