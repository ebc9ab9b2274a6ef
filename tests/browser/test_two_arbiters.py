"""Two arbiters on one game, each in their own browser: the second one's entry, made from a page that showed an
older state, is refused with the current state in the row, and applies only once decided again (issue 11)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chessweb.extensions import db
from chessweb.models import AuditEntry, GameResult, Role

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import log_in

pytestmark = pytest.mark.slow


def test_a_second_arbiter_cannot_overwrite_a_result_they_did_not_see(app, live_server, new_page, page_problems):
    page_problems.allowed += ["HTTP 409", "status of 409"]  # the stale entry is refused by design
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    deputy = make_user(Role.ADMIN, name="Deputy Dora")
    tid = setup_tournament(organizer, 4, name="Two Arbiters Open")
    start_round(tid, organizer)
    base = live_server.url

    anna, dora = new_page(), new_page()  # two browser contexts: two sessions
    log_in(anna, base, organizer.email)
    log_in(dora, base, deputy.email)
    for page in (anna, dora):
        page.goto(f"{base}/tournaments/{tid}/rounds/1")
        expect(page.get_by_label("Result of board 1")).to_have_value("")  # no preset result
    # The round page is live: Anna's entry would reach Dora's row at once. Her socket lags (closed as on going
    # offline), so her page still shows the state before Anna's entry, as a slow link would.
    expect(dora.locator(".live-indicator")).to_have_attribute("data-state", "live", timeout=10_000)
    dora.evaluate("window.dispatchEvent(new Event('offline'))")

    anna_row = anna.locator("#board-1")
    anna_row.get_by_label("Result of board 1").select_option("1-0")
    anna_row.get_by_role("button", name="Save").click()
    # "Saved" lasts only until Anna's own live update redraws the table; the result stays.
    expect(anna_row.locator("td.result")).to_contain_text("1–0")

    dora_row = dora.locator("#board-1")  # still shows board 1 without a result
    dora_row.get_by_label("Result of board 1").select_option("0-1")
    dora_row.get_by_role("button", name="Save").click()
    expect(dora_row.get_by_role("alert")).to_contain_text("the result is now 1–0 (confirmed by Arbiter Anna)")
    expect(dora_row.locator("td.result")).to_contain_text("1–0")
    db.session.expire_all()
    assert games_of(tid, 1)[0].result == GameResult.WHITE_WIN

    # Decided again, on the current row: a correction, with its reason.
    dora_row.get_by_label("Result of board 1").select_option("0-1")
    dora_row.get_by_label("Reason for the correction on board 1").fill("scoresheets say 0-1")
    dora_row.get_by_role("button", name="Correct").click()
    expect(dora_row.locator(".saved")).to_be_visible()
    expect(dora_row.locator("td.result")).to_contain_text("0–1")
    db.session.expire_all()
    assert games_of(tid, 1)[0].result == GameResult.BLACK_WIN
    reasons = [a.reason for a in db.session.query(AuditEntry).filter(AuditEntry.action == "result_corrected")]
    assert reasons == ["scoresheets say 0-1"]
