"""Notifications in real browsers, several contexts at once: a paired player's toast, a role broadcast only
its role sees, the emergency banner on an anonymous login page and its withdrawal, an offline player's
badge and inbox, and a result confirmed from the toast."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chessweb.extensions import db
from chessweb.models import Notification, Role, TournamentFormat
from chessweb.realtime import realtime

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import log_in

pytestmark = pytest.mark.slow


def wait_socket(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "open", timeout=10_000)


def test_a_paired_player_sees_board_and_colour_and_a_spectator_nothing(app, live_server, new_page):
    base = live_server.url
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    players = [make_user(Role.PARTICIPANT, name=n) for n in ("Pia Player", "Quentin Player", "Rosa Player",
                                                             "Sven Player")]
    viewer = make_user(Role.VIEWER, name="Vera Viewer")
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    from chessweb.tournaments import rounds
    rounds.pair_next_round(tid, organizer.id)
    realtime.flush()

    player = new_page()
    log_in(player, base, players[0].email)
    player.goto(base + "/")
    spectator = new_page()
    log_in(spectator, base, viewer.email)
    spectator.goto(f"{base}/tournaments/{tid}")
    arbiter = new_page()
    log_in(arbiter, base, organizer.email)
    arbiter.goto(f"{base}/tournaments/{tid}/rounds/1")
    for page in (player, spectator):
        wait_socket(page)

    arbiter.get_by_role("button", name="Publish round 1").click()
    game = next(g for g in games_of(tid, 1) if players[0].id in (g.white.user_id, g.black.user_id))
    colour = "White" if game.white.user_id == players[0].id else "Black"
    toast = player.locator("#toasts .toast", has_text=f"board {game.board}, {colour}")
    expect(toast).to_be_visible(timeout=3_000)
    expect(player.locator("#notice-badge .count")).to_have_text("3")
    toast.get_by_role("link", name="View game").click()
    expect(player).to_have_url(f"{base}/games/{game.id}")
    spectator.wait_for_timeout(800)
    expect(spectator.locator("#toasts .toast")).to_have_count(0)


def test_a_warning_to_participants_is_seen_by_participants_only(app, live_server, new_page):
    base = live_server.url
    admin = make_user(Role.ADMIN, name="Ada Admin")
    participant = make_user(Role.PARTICIPANT, name="Pia Player")
    viewer = make_user(Role.VIEWER, name="Vera Viewer")
    organizer = make_user(Role.ORGANIZER, name="Olga Organizer")
    pages = {}
    for user in (participant, viewer, organizer):
        page = new_page()
        log_in(page, base, user.email)
        page.goto(base + "/")
        wait_socket(page)
        pages[user.role] = page
    sender = new_page()
    log_in(sender, base, admin.email)
    sender.goto(base + "/admin/notifications")
    sender.get_by_label("Title").fill("Board 3 <moved>")
    sender.get_by_label("Message").fill("Play in the side hall")
    sender.get_by_label("Type").select_option("WARNING")
    sender.get_by_label("Participant").check()
    sender.get_by_role("button", name="Send").click()
    expect(sender.locator(".flash-success")).to_contain_text("Sent")
    toast = pages[Role.PARTICIPANT].locator("#toasts .toast-warning")
    expect(toast).to_contain_text("Board 3 <moved>", timeout=3_000)
    expect(pages[Role.PARTICIPANT].locator("#notice-badge .count")).to_have_text("1")
    for role in (Role.VIEWER, Role.ORGANIZER):
        expect(pages[role].locator("#toasts .toast")).to_have_count(0)


def test_a_broadcast_appears_live_in_another_admins_notification_center(app, live_server, new_page):
    base = live_server.url
    first, second = make_user(Role.ADMIN, name="Ada Admin"), make_user(Role.ADMIN, name="Bea Admin")
    make_user(Role.PARTICIPANT, name="Pia Player")
    watching = new_page()
    log_in(watching, base, second.email)
    watching.goto(base + "/admin/notifications")
    wait_socket(watching)
    expect(watching.locator("#recent-notifications tr")).to_have_count(0)
    sender = new_page()
    log_in(sender, base, first.email)
    sender.goto(base + "/admin/notifications")
    sender.get_by_label("Title").fill("Round 5 <late>")
    sender.get_by_label("Message").fill("Starts 15 minutes late")
    sender.get_by_label("Participant").check()
    sender.get_by_role("button", name="Send").click()
    expect(sender.locator(".flash-success")).to_contain_text("Sent")
    row = watching.locator("#recent-notifications tr").first
    expect(row).to_contain_text("Round 5 <late>", timeout=3_000)
    expect(row).to_contain_text("role PARTICIPANT")
    expect(row.locator('[data-count="targeted"]')).to_have_text("1")
    expect(watching.locator("#recent-notifications tr")).to_have_count(1)


def test_the_emergency_alert_reaches_an_anonymous_login_page_and_is_withdrawn_live(app, live_server, new_page):
    base = live_server.url
    admin = make_user(Role.ADMIN, name="Ada Admin")
    anonymous = new_page()
    anonymous.goto(base + "/auth/login")
    wait_socket(anonymous)
    sender = new_page()
    log_in(sender, base, admin.email)
    sender.goto(base + "/admin/notifications")
    sender.get_by_label("Title").fill("Fire alarm")
    sender.get_by_label("Message").fill("Leave the building now")
    sender.get_by_label("Priority").select_option("CRITICAL")
    sender.get_by_role("button", name="Send").click()
    banner = anonymous.locator("#emergency-alerts .emergency-alert")
    expect(banner).to_contain_text("Fire alarm", timeout=3_000)
    later = new_page()
    later.goto(base + "/")
    expect(later.locator("#emergency-alerts")).to_contain_text("Fire alarm")
    sender.get_by_role("button", name="Withdraw").first.click()
    expect(banner).to_have_count(0, timeout=3_000)
    expect(later.locator("#emergency-alerts .emergency-alert")).to_have_count(0)


def test_an_offline_player_comes_back_to_the_right_badge_and_inbox_without_a_toast_storm(app, live_server,
                                                                                       new_page):
    base = live_server.url
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    players = [make_user(Role.PARTICIPANT, name=n) for n in ("Pia Player", "Quentin Player")]
    tid = setup_tournament(organizer, 2, TournamentFormat.DOUBLE_ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    realtime.flush()
    page = new_page()
    log_in(page, base, players[0].email)
    page.goto(base + "/")
    wait_socket(page)
    expect(page.locator("#notice-badge .count")).to_have_text("3")
    expect(page.locator("#toasts .toast")).to_have_count(0)
    page.goto(base + "/notifications")
    expect(page.locator(".inbox-item.unread")).to_have_count(3)
    expect(page.locator(".inbox-item").first).to_contain_text("round 1")


def test_confirming_a_reported_result_from_the_toast(app, live_server, new_page):
    base = live_server.url
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    players = [make_user(Role.PARTICIPANT, name=n) for n in ("Pia Player", "Quentin Player")]
    tid = setup_tournament(organizer, 2, TournamentFormat.DOUBLE_ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    reporter = next(p for p in players if p.id == game.white.user_id)
    opponent = next(p for p in players if p.id != reporter.id)
    confirmer = new_page()
    log_in(confirmer, base, opponent.email)
    confirmer.goto(f"{base}/tournaments/{tid}/standings")
    wait_socket(confirmer)
    other = new_page()
    log_in(other, base, reporter.email)
    other.goto(f"{base}/games/{game.id}")
    other.get_by_label("Result").select_option("1-0")
    other.get_by_role("button", name="Report").click()
    toast = confirmer.locator("#toasts .toast", has_text="reported")
    expect(toast).to_be_visible(timeout=3_000)
    toast.get_by_role("button", name="Confirm").click()
    expect(toast).to_contain_text("Result confirmed.")
    standing = confirmer.locator(f"#standings-{tid} tr", has_text=reporter.display_name)
    expect(standing).to_contain_text("1")
    db.session.expire_all()
    assert games_of(tid, 1)[0].result.value == "1-0"
    assert db.session.query(Notification).filter_by(kind="result_confirmed", recipient_id=reporter.id).count() == 1


def test_turning_system_alerts_off_takes_effect_on_open_pages_without_a_reload(app, live_server, new_page):
    base = live_server.url
    admin = make_user(Role.ADMIN, name="Ada Admin")
    participant = make_user(Role.PARTICIPANT, name="Pia Player")
    open_page = new_page()
    log_in(open_page, base, participant.email)
    open_page.goto(base + "/")
    wait_socket(open_page)
    settings = new_page()  # another device of the same player
    log_in(settings, base, participant.email)
    settings.goto(base + "/notifications/preferences")
    settings.get_by_label("System alerts").uncheck()
    settings.get_by_role("button", name="Save preferences").click()
    expect(settings.locator(".flash-success")).to_contain_text("Preferences saved")
    expect(open_page.locator("#toasts .toast", has_text="preferences updated")).to_be_visible(timeout=3_000)
    wait_socket(open_page)
    open_page.wait_for_timeout(500)  # the new connection's subscriptions are in place
    from chessweb.notifications import service
    service.send(service.Broadcast(title="Tea break", message="Ten minutes", roles=["PARTICIPANT"]), admin)
    db.session.commit()
    realtime.flush()
    open_page.wait_for_timeout(800)
    expect(open_page.locator("#toasts .toast", has_text="Tea break")).to_have_count(0)


def test_a_second_device_opened_after_a_broadcast_keeps_the_right_count(app, live_server, new_page):
    """The connect snapshot of user:<id> may come from the process's cache, counted before the broadcast."""
    base = live_server.url
    admin = make_user(Role.ADMIN, name="Ada Admin")
    participant = make_user(Role.PARTICIPANT, name="Pia Player")
    first = new_page()
    log_in(first, base, participant.email)
    first.goto(base + "/")
    wait_socket(first)
    from chessweb.notifications import service
    service.send(service.Broadcast(title="Tea break", message="Ten minutes", roles=["PARTICIPANT"]), admin)
    db.session.commit()
    realtime.flush()
    expect(first.locator("#notice-badge .count")).to_have_text("1")
    second = new_page()
    log_in(second, base, participant.email)
    second.goto(base + "/notifications/preferences")
    wait_socket(second)
    second.wait_for_timeout(500)
    expect(second.locator("#notice-badge .count")).to_have_text("1")
