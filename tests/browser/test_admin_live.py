"""The admin's live pages in a real browser: the socket count follows a second browser, /admin/connections
closes that browser's socket (a ban: it does not come back), and the dashboard's overview follows a start."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chessweb.models import Role

from ..conftest import make_user
from ..realtime.conftest import wait_for
from ..tournaments.conftest import setup_tournament, start_round
from .test_accessibility import health_history
from .test_live_pages import log_in, wait_live

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MONITOR_INTERVAL_SECONDS": 0.5}


def test_the_socket_count_follows_a_second_browser_and_a_ban_closes_it(app, live_server, new_page):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="Watched Open")
    health = new_page()
    log_in(health, live_server.url, admin.email)
    health.goto(f"{live_server.url}/admin/system")
    sockets = health.locator('[data-figure="sockets"]')
    expect(sockets).to_have_text("1")  # the admin's own page

    spectator = new_page()
    spectator.goto(f"{live_server.url}/tournaments/{tid}")
    wait_live(spectator)
    expect(sockets).to_have_text("2")
    expect(health.locator('[data-figure="anonymous"]')).to_have_text("1")

    connections = health.context.new_page()
    # The live core writes connection rows in batches (half a second): wait for this one, as an admin reloads.
    wait_for(lambda: health.request.get(f"{live_server.url}/admin/connections?format=json&tournament={tid}")
             .json()["total"] == 1, what="the spectator's connection row")
    connections.goto(f"{live_server.url}/admin/connections?tournament={tid}")
    row = connections.locator("table.connections tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("anonymous")
    expect(row).to_contain_text(f"tournament:{tid}")
    row.get_by_label("Reason").fill("testing the ban")
    row.get_by_label("ban").check()
    row.get_by_role("button", name="Close").click()
    expect(connections.get_by_text("will not reconnect by itself")).to_be_visible()

    indicator = spectator.locator(".live-indicator")
    expect(indicator).to_have_attribute("data-state", "closed")  # 4403: htmx does not reconnect
    spectator.wait_for_timeout(1500)
    expect(indicator).to_have_attribute("data-state", "closed")
    connections.close()  # every signed-in page is live (notifications), this one too
    expect(sockets).to_have_text("1")


def test_the_count_falls_when_the_second_browser_closes(app, live_server, new_page, browser):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="Closing Open")
    health = new_page()
    log_in(health, live_server.url, admin.email)
    health.goto(f"{live_server.url}/admin/system")
    sockets = health.locator('[data-figure="sockets"]')
    expect(sockets).to_have_text("1")
    context = browser.new_context()
    spectator = context.new_page()
    spectator.goto(f"{live_server.url}/tournaments/{tid}")
    wait_live(spectator)
    expect(sockets).to_have_text("2")
    context.close()
    expect(sockets).to_have_text("1")


def test_the_dashboard_overview_changes_when_the_organizer_starts_a_tournament(app, live_server, new_page):
    player = make_user(Role.PARTICIPANT, name="Pia Player")
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="Starting Open")
    page = new_page()
    log_in(page, live_server.url, player.email)
    page.get_by_role("link", name="Dashboard").click()
    active = page.locator('#dash-overview [data-total="active"]')
    expect(active).to_have_text("0")
    expect(page.locator("#dash-overview")).to_contain_text("No tournament is being played right now.")
    page.wait_for_timeout(500)  # the socket is open once its snapshot came; the overview is the same
    start_round(tid, organizer)
    expect(active).to_have_text("1")
    expect(page.locator(f'#dash-overview tr[data-tournament="{tid}"]')).to_contain_text("Starting Open")


def test_the_new_pages_fit_a_phone_without_sideways_scrolling(app, live_server, new_page):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="A Tournament With Quite A Long Name For A Phone Screen")
    start_round(tid, organizer)
    page = new_page(viewport={"width": 360, "height": 740})
    log_in(page, live_server.url, admin.email)
    for path in ("/dashboard", "/admin/system", "/admin/connections", "/admin/online"):
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
        assert width <= 360, f"{path} is {width} px wide on a 360 px screen: {wide}"


def test_the_connections_table_follows_a_second_browser_without_reload(app, live_server, new_page, browser):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 4, name="Table Open")
    page = new_page()
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/connections")
    page.evaluate("window.__notReloaded = true")
    spectator_row = page.locator("#admin-connections tbody tr", has_text=f"tournament:{tid}")
    expect(spectator_row).to_have_count(0)
    context = browser.new_context()
    spectator = context.new_page()
    spectator.goto(f"{live_server.url}/tournaments/{tid}")
    wait_live(spectator)
    expect(spectator_row).to_have_count(1)
    expect(spectator_row).to_contain_text("anonymous")
    total = int(page.locator("#admin-connections-total").inner_text())
    context.close()
    expect(spectator_row).to_have_count(0)
    expect(page.locator("#admin-connections-total")).to_have_text(str(total - 1))
    assert page.evaluate("window.__notReloaded") is True


def test_the_health_charts_are_drawn_under_the_sites_own_policy(app, live_server, new_page):
    """Under the site's Content-Security-Policy (which the accessibility test bypasses to inject axe): no console
    error (pygal's inline script was refused), and the charts' stylesheet applies: each chart's background is
    see-through, not the grey of its labels (which hid them) when its rule (`.graph &gt; .background`) is dropped."""
    admin = make_user(Role.ADMIN, name="Ada Admin")
    health_history(app)
    page = new_page()
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/system")
    expect(page.locator("#system-charts svg")).to_have_count(3)
    fills = page.evaluate("""[...document.querySelectorAll('#system-charts .graph > .background')]
                             .map(e => getComputedStyle(e).fill)""")
    assert len(fills) == 3 and all(fill in ("transparent", "rgba(0, 0, 0, 0)") for fill in fills), fills
