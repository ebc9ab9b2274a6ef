"""The arbiter's and the player's pages are live (issue 10, part B.1), in real browsers with their own sessions:
two arbiters on one round see each other's entries, a player's report and the counts without a reload, and
"Pair round n" becomes enabled the moment it can succeed; a player reports from the game page while the
opponent confirms from the "Your game" box of their own tournament page, which the report reached live.

Each test prints the delay each watcher saw (from the click to the change on the other page)."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from chessweb.extensions import db
from chessweb.models import GameResult, Registration, Role

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import log_in, wait_live

pytestmark = pytest.mark.slow


def _delay(started: float, check) -> float:
    """Run a Playwright expectation and return the milliseconds since `started` when it held."""
    check()
    return (time.perf_counter() - started) * 1000


def _stall_socket(page: Page) -> None:
    """Close the page's live socket as app.js does when the device goes offline: the page keeps what it shows."""
    page.evaluate("window.dispatchEvent(new Event('offline'))")


def test_two_arbiters_see_each_other_and_reports_and_pairing_becomes_possible(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    deputy = make_user(Role.ADMIN, name="Deputy Dora")
    accounts = [make_user(Role.PARTICIPANT, name=n) for n in ("Pia Player", "Quentin Player", "Rosa Player",
                                                              "Sven Player")]
    tid = setup_tournament(organizer, 4, accounts=accounts, rounds_planned=3, name="Arbiters Live Open")
    start_round(tid, organizer)
    base = live_server.url
    board1, board2 = games_of(tid, 1)

    anna, dora = new_page(), new_page()
    log_in(anna, base, organizer.email)
    log_in(dora, base, deputy.email)
    for page in (anna, dora):
        page.goto(f"{base}/tournaments/{tid}/rounds/1")
        wait_live(page)
        expect(page.locator(".round-counts")).to_contain_text("0 of 2 results final")

    # Anna's entry reaches Dora's row and counts without a reload.
    row = anna.locator("#board-1")
    row.get_by_label("Result of board 1").select_option("1-0")
    started = time.perf_counter()
    row.get_by_role("button", name="Save").click()
    entry_ms = _delay(started, lambda: expect(dora.locator("#board-1 td.result")).to_contain_text("1–0"))
    expect(dora.locator(".round-counts")).to_contain_text("1 of 2 results final")
    expect(dora.locator("#board-1").get_by_role("button", name="Correct")).to_be_visible()

    # A player's report on board 2 reaches both arbiters: "1 report waiting" and a Confirm button in the row.
    reporter = db.session.get(Registration, board2.white_id).user_id
    player = new_page()
    log_in(player, base, db.session.get(type(organizer), reporter).email)
    player.goto(f"{base}/games/{board2.id}")
    player.get_by_label("Result").select_option("1/2-1/2")
    started = time.perf_counter()
    player.get_by_role("button", name="Report result").click()
    report_ms = [_delay(started, lambda p=p: expect(p.locator(".round-counts")).to_contain_text("1 report waiting"))
                 for p in (anna, dora)]
    expect(dora.locator("#board-2").get_by_role("button", name="Confirm ½–½")).to_be_visible()

    # Anna watches the rounds on the manage page: pairing round 2 is not possible yet, and says why.
    anna.goto(f"{base}/tournaments/{tid}/manage")
    wait_live(anna)
    pair = anna.get_by_role("button", name="Pair round 2")
    expect(pair).to_be_disabled()
    expect(anna.locator("#pair-blocker")).not_to_be_empty()
    expect(anna.locator(f"#arbiter-round-{tid}-1 td.counts")).to_contain_text("1 report waiting")

    # Dora confirms the report from her (pushed) row: Anna's "Pair round 2" becomes enabled without a reload.
    started = time.perf_counter()
    dora.locator("#board-2").get_by_role("button", name="Confirm ½–½").click()
    pair_ms = _delay(started, lambda: expect(pair).to_be_enabled())
    expect(anna.locator(f"#arbiter-round-{tid}-1 td.counts")).to_contain_text("2 of 2 results final")
    db.session.expire_all()
    assert [g.result for g in games_of(tid, 1)] == [GameResult.WHITE_WIN, GameResult.DRAW]

    # The enabled button, pushed without a token, works: app.js gives it the page's token.
    pair.click()
    expect(anna.get_by_role("heading", name="Round 2")).to_be_visible()
    print(f"\ndelays ms: entry->other arbiter {entry_ms:.0f}; report->arbiters {report_ms[0]:.0f}, "
          f"{report_ms[1]:.0f}; confirm->pair enabled {pair_ms:.0f}")


def test_a_player_reports_while_the_opponent_confirms_from_their_own_page(app, live_server, new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    accounts = [make_user(Role.PARTICIPANT, name=n) for n in ("Pia Player", "Quentin Player", "Rosa Player",
                                                              "Sven Player")]
    tid = setup_tournament(organizer, 4, accounts=accounts, rounds_planned=3, name="Players Live Open")
    base = live_server.url
    by_user = {u.id: u for u in accounts}

    # Black opens the tournament page: "Your game" shows board, colour, opponent and a link.
    white_page, black_page = new_page(), new_page()
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    white = by_user[db.session.get(Registration, game.white_id).user_id]
    black = by_user[db.session.get(Registration, game.black_id).user_id]
    log_in(white_page, base, white.email)
    log_in(black_page, base, black.email)
    black_page.goto(f"{base}/tournaments/{tid}")
    wait_live(black_page)
    box = black_page.locator(f"#my-game-{tid}")
    expect(box).to_contain_text(f"Board {game.board}")
    expect(box.locator(".my-colour")).to_have_text("Black")
    expect(box).to_contain_text(white.display_name)
    expect(box.get_by_role("link", name="game page")).to_have_attribute("href", f"/games/{game.id}")

    arbiter = new_page()
    log_in(arbiter, base, organizer.email)
    arbiter.goto(f"{base}/tournaments/{tid}/rounds/1")
    wait_live(arbiter)

    # White reports from the game page; Black's box offers Confirm/Dispute the moment the report arrives.
    white_page.goto(f"{base}/games/{game.id}")
    white_page.get_by_label("Result").select_option("1-0")
    started = time.perf_counter()
    white_page.get_by_role("button", name="Report result").click()
    confirm = box.get_by_role("button", name="Confirm 1–0")
    opponent_ms = _delay(started, lambda: expect(confirm).to_be_visible())
    expect(box.get_by_role("button", name="Dispute")).to_be_visible()
    arbiter_ms = _delay(started, lambda: expect(arbiter.locator(f"#board-{game.board} td.result"))
                        .to_contain_text("reported: 1–0"))

    # Black confirms from the pushed box (no token in it: app.js adds the page's), back on the same page.
    white_page.goto(f"{base}/tournaments/{tid}")
    wait_live(white_page)
    started = time.perf_counter()
    confirm.click()
    expect(black_page.get_by_text("Result confirmed.")).to_be_visible()
    expect(black_page).to_have_url(f"{base}/tournaments/{tid}")
    expect(black_page.locator(f"#my-game-{tid} .my-result")).to_have_text("result 1–0")
    reporter_ms = _delay(started, lambda: expect(white_page.locator(f"#my-game-{tid} .my-result"))
                         .to_have_text("result 1–0"))
    expect(arbiter.locator(".round-counts")).to_contain_text("1 of 2 results final")
    db.session.expire_all()
    assert games_of(tid, 1)[0].result == GameResult.WHITE_WIN
    print(f"\ndelays ms: report->opponent's box {opponent_ms:.0f}, report->arbiter {arbiter_ms:.0f}; "
          f"confirm->reporter's box {reporter_ms:.0f}")
