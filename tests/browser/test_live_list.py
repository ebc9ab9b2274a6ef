"""The tournament list at `/` in a real browser, as an anonymous spectator: a tournament's status, current round
and player count change without a reload when the organizer opens registration, a player registers, the
organizer starts the tournament and publishes the next round; a private tournament changing meanwhile never
reaches that page, neither in its DOM nor in any frame its socket received."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.tournaments import registration, results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import wait_live

pytestmark = pytest.mark.slow


def test_an_anonymous_list_follows_status_round_and_players_and_never_sees_a_private_one(app, live_server,
                                                                                           new_page):
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    newcomer = make_user(Role.PARTICIPANT, name="Nina Newcomer")
    tid = setup_tournament(organizer, 3, name="Harbour Open")
    hidden = setup_tournament(organizer, 4, name="Secret Club Match")
    db.session.get(Tournament, hidden).is_public = False
    db.session.commit()

    page = new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(live_server.url + "/")
    wait_live(page)
    card = page.locator(f'#tournament-list article[data-tournament="{tid}"]')
    upcoming = page.locator("#tournament-list section", has=page.get_by_role("heading", name="Upcoming"))
    running = page.locator("#tournament-list section", has=page.get_by_role("heading", name="Running"))
    expect(upcoming.locator(f'[data-tournament="{tid}"]')).to_contain_text("Upcoming")
    expect(card.locator(".player-count")).to_have_text("3 players")
    page.evaluate("window.__notReloaded = true")  # gone if anything reloads the page

    registration.open_registration(tid, organizer.id)
    expect(card).to_contain_text("Registration")
    registration.register_self(tid, newcomer.id)
    expect(card.locator(".player-count")).to_have_text("4 players")

    start_round(tid, organizer)  # the private one changes too: a push is rendered while it is in play
    start_round(hidden, organizer)
    expect(running.locator(f'[data-tournament="{tid}"]')).to_contain_text("round 1 of 5")
    expect(upcoming.locator(f'[data-tournament="{tid}"]')).to_have_count(0)
    expect(running.locator(f'[data-tournament="{tid}"]')).to_contain_text("Active")

    for game in games_of(tid, 1):
        if game.black is not None:
            results.set_result(tid, game.id, "1-0", organizer.id)
    start_round(tid, organizer)
    expect(card).to_contain_text("round 2 of 5")
    assert page.evaluate("window.__notReloaded") is True

    # Every list push the page got is the public list only.
    assert any("tournament-list" in frame for frame in frames)
    assert not [frame for frame in frames if "Secret Club Match" in frame]
    assert "Secret Club Match" not in page.content()
