"""Accessibility and phones (issue 10, B.4): axe-core (vendored here, never served to users) finds no violation
on any page in light, dark and 360 px phone layouts, and no page scrolls sideways at 360 px."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from chessweb.api import tokens
from chessweb.extensions import db
from chessweb.models import Role
from chessweb.webhooks.models import WebhookDelivery, WebhookEndpoint

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_live_pages import log_in

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
# The style sheets' narrowest breakpoint is 480 px: a 390 px phone gets the rules of a 360 px one, so the narrowest
# is the phone checked (tap targets, sideways scroll), in the dark scheme. The desktop layout checks each page in
# the light scheme, then in the dark one (the same page, its media emulated again: one load for both).
LAYOUTS = {"desktop": ({"width": 1280, "height": 900}, ("light", "dark")),
           "narrow": ({"width": 360, "height": 740}, ("dark",))}


# The outermost elements that reach past the right edge: where a sideways scroll comes from.
WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
  && !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.')
  + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').join(', ')"""


# WCAG 2.2 SC 2.5.8 Target Size (Minimum), checked in the phone layout. The rule here is stricter than the SC:
# every visible link, button, input, select, textarea and summary is at least 24×24 CSS px, and the only exception
# taken is the SC's "inline" one: a link inside a sentence, that is a link displayed inline whose nearest block
# holds text outside any target (its height is set by the line height of the text around it). The SC's spacing
# exception is not taken: whether a small target is 24 px clear of its neighbours depends on names and widths
# that change with the data, so a page passing today could fail with the next tournament.
# Hidden elements (display: none, closed <details>, visually hidden 1 px labels) are not targets.
SMALL_TARGETS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  const visible = e => { const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && e.checkVisibility({visibilityProperty: true}); };
  const targets = [...document.querySelectorAll(sel)].filter(visible);
  const isTarget = e => e.matches && e.matches(sel);
  const inSentence = e => {
    if (e.tagName !== 'A' || getComputedStyle(e).display !== 'inline') return false;
    let block = e.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    if (!block) return false;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      let inside = false;
      for (let p = n.parentElement; p && p !== block; p = p.parentElement) if (isTarget(p)) { inside = true; break; }
      if (!inside && n.textContent.trim()) return true;
    }
    return false;
  };
  const rects = new Map(targets.map(e => [e, e.getBoundingClientRect()]));
  const small = targets.filter(e => { const r = rects.get(e); return r.width < 23.5 || r.height < 23.5; });
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.className ? '.' + [...e.classList].join('.') : '')
    + ' "' + (e.textContent || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 20) + '"';
  return small.filter(e => !inSentence(e)).slice(0, 8).map(e => {
    const r = rects.get(e);
    return 'tap target ' + Math.round(r.width) + 'x' + Math.round(r.height) + ': ' + name(e); });
}"""


# A page is checked once it has settled: each of its live sockets open and no message for QUIET ms (the snapshot
# sent on connect has been swapped in). Cheaper than Playwright's "networkidle", which waits 500 ms after the last
# request and does not see WebSocket messages at all.
QUIET = 200
WATCH_SOCKETS = """window.__settle = {connected: 0, last: 0};
document.addEventListener("htmx:ws:after:connection", () => { __settle.connected++; __settle.last = performance.now(); });
document.addEventListener("htmx:ws:after:message:incoming", () => { __settle.last = performance.now(); });"""
SETTLED = f"""() => __settle.connected >= document.querySelectorAll("[hx-ws\\\\:connect]").length
  && performance.now() - __settle.last > {QUIET}"""


def violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA violations of the page as it is now, one line per rule and element."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"]});
        return result.violations.flatMap(v => v.nodes.map(n => v.id + ": " + n.target.join(" ")));
    }""")
    return list(found)


def api_pages_data(organizer, tid: int) -> int:
    """A token, and a webhook endpoint whose log has one delivered and one failed delivery; returns the
    endpoint's id. Nothing is ever sent: the endpoint waits for an event this test never causes, on a host name
    that cannot resolve (.invalid, RFC 6761)."""
    tokens.create(organizer.id, "Result bot", ["read", "report"])
    endpoint = WebhookEndpoint(owner_id=organizer.id, tournament_id=tid, secret="whsec_test",
                               url="https://club.example.invalid/hooks/chess", events="tournament.finished")
    db.session.add(endpoint)
    db.session.flush()
    db.session.add_all([
        WebhookDelivery(endpoint_id=endpoint.id, event_id=1, event_type="round.published", payload={},
                        status="delivered", attempts=1, last_status_code=204),
        WebhookDelivery(endpoint_id=endpoint.id, event_id=2, event_type="result.final", payload={}, status="failed",
                        attempts=8, last_error="Webhooks are sent only to public internet addresses: "
                        "club.example.invalid resolves to 10.0.0.5, which is a private-network address.")])
    db.session.commit()
    return endpoint.id


def health_history(app) -> None:
    """Ten minutes of made-up monitor history (one point per minute, oldest first), so /admin/system draws its
    three SVG charts instead of "The charts appear after the first samples"."""
    monitor = app.extensions["monitoring"]
    now = time.time()
    for i in range(10):
        monitor.store.push_history({"at": now - (9 - i) * 60, "sockets": 5 + i, "anonymous": 2, "connects": 10 * i,
                                    "delivered": 400 * i, "requests": 50 * i, "errors5xx": i // 4, "cpu": 3.0 * i,
                                    "rss": 80e6, "fanout": []})
    monitor.charts()


@pytest.fixture
def site(app, live_server):
    # An alert always shows on /admin/system (any process uses more than 1 MB), so its markup is checked on
    # every run, not only when a loaded machine raises one.
    app.config["MONITOR_RSS_MB"] = 1
    organizer = make_user(Role.ORGANIZER, name="Arbiter Anna")
    tid = setup_tournament(organizer, 6, rounds_planned=3, name="Axe Open")
    start_round(tid, organizer)
    game = games_of(tid, 1)[0].id
    pages = ["/", f"/tournaments/{tid}", f"/tournaments/{tid}/scoreboard", f"/tournaments/{tid}/standings",
             f"/tournaments/{tid}/crosstable", f"/games/{game}", f"/tournaments/{tid}/screen", "/auth/login",
             "/auth/register", f"/tournaments/{tid}/players/1", "/search?q=Axe",
             f"/tournaments/{tid}/search?q=Player"]
    # The open API's pages: the embeddable widget (both views, themed), tokens, webhooks and a delivery log.
    pages += [f"/embed/tournaments/{tid}/standings", f"/embed/tournaments/{tid}/pairings",
              f"/embed/tournaments/{tid}/standings?theme=dark", f"/embed/tournaments/{tid}/pairings?theme=light"]
    # The public pages whose content changes for a signed-in organizer (result forms, manage links). The others
    # differ only in the socket's channels (the screen, search, the widget) or redirect (log in, register): the
    # guest's visit checks them, and every organizer page checks the signed-in header.
    signed_in_pages = pages[:6] + [f"/tournaments/{tid}/players/1"]
    endpoint_id = api_pages_data(organizer, tid)
    organizer_pages = [f"/tournaments/{tid}/manage", f"/tournaments/{tid}/rounds/1", f"/tournaments/{tid}/audit",
                       f"/tournaments/{tid}/edit", "/tournaments/new", "/settings/tokens", "/settings/webhooks",
                       f"/settings/webhooks/{endpoint_id}", "/dashboard", "/notifications",
                       "/notifications/preferences"]
    admin = make_user(Role.ADMIN, name="Admin Ada")
    health_history(app)
    admin_pages = ["/admin/system", "/admin/connections", "/admin/online", "/admin/notifications"]
    return {"organizer": organizer, "admin": admin, "pages": pages, "signed_in_pages": signed_in_pages,
            "organizer_pages": organizer_pages, "admin_pages": admin_pages}


# Who visits which pages: a guest the public pages, the organizer those of them that change when signed in and
# their own, an admin the admin pages. One test per layout and visit, so the suite's workers share the browser work.
VISITS = ("guest", "organizer-public", "organizer", "admin")


@pytest.mark.parametrize("who", VISITS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_no_axe_violations_and_no_sideways_scroll(site, live_server, browser, page_problems, layout, who):
    viewport, schemes = LAYOUTS[layout]
    user, paths = {"guest": (None, site["pages"]),
                   "organizer-public": (site["organizer"], site["signed_in_pages"]),
                   "organizer": (site["organizer"], site["organizer_pages"]),
                   "admin": (site["admin"], site["admin_pages"])}[who]
    # bypass_csp: axe-core is injected as an inline script, which the site's own policy rightly refuses;
    # every other browser test keeps the policy and fails on any violation.
    # reduced_motion: colours switch at once when the scheme changes, instead of in pico's 0.2 s transitions.
    context = browser.new_context(viewport=viewport, color_scheme=schemes[0], reduced_motion="reduce", bypass_csp=True)
    try:
        context.add_init_script(WATCH_SOCKETS)
        page = context.new_page()
        page_problems.watch(page)
        found: dict[str, list[str]] = {}
        if user is not None:
            log_in(page, live_server.url, user.email)
        for path in paths:
            page.emulate_media(color_scheme=schemes[0])
            page.goto(live_server.url + path)
            page.wait_for_function(SETTLED, polling=50)
            problems = violations(page)
            for scheme in schemes[1:]:
                page.emulate_media(color_scheme=scheme)
                problems += [f"{problem} ({scheme})" for problem in violations(page)]
            if path == "/admin/system" and page.locator("#system-charts svg").count() != 3:
                problems.append("the three health charts are missing: the charts went unchecked")
            if path == "/admin/system" and not page.locator("#system-health .alert").count():
                problems.append("no alert shown: the alerts' markup went unchecked")
            if viewport["width"] < 600:  # the phone: tap targets
                problems += page.evaluate(SMALL_TARGETS)
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                problems.append(f"scrolls sideways: {page.evaluate('document.documentElement.scrollWidth')} px"
                                f" ({page.evaluate(WIDEST)})")
            if problems:
                found[f"{path} ({who})"] = problems
        assert not found, "\n".join(f"{path}: {p}" for path, problems in found.items() for p in problems)
    finally:
        context.close()
