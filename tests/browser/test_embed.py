"""The embeddable widget in a real browser: a club's page on another origin (a second local port, another host
name) shows a tournament's standings or its pairings, by one <iframe> or by one <script> tag, and each follows
results live, while the session socket's Origin check still refuses that club origin."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

pytestmark = pytest.mark.slow


class ClubSite:
    """Another origin: http://localhost:<port>/<name> serves one club page per entry of `bodies` (its <body>)."""

    def __init__(self, bodies: dict[str, str]) -> None:
        pages = {f"/{name}": (f'<!doctype html><html lang="en"><head><title>Chess club</title></head><body>'
                              f'<h1>Our club</h1>{body}</body></html>').encode() for name, body in bodies.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = pages.get(self.path, b"")  # /favicon.ico and the like: nothing, no error
                self.send_response(200 if body else 204)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def event(app, live_server):
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 6, name="Club Open")
    start_round(tid, organizer)
    return {"tid": tid, "organizer": organizer}


@pytest.fixture
def club(live_server, event) -> Iterator[ClubSite]:
    """The four ways a club embeds the widget: {iframe, script} x {standings, pairings}, one page each."""
    tid, base = event["tid"], live_server.url
    site = ClubSite({
        "iframe-standings": f'<iframe src="{base}/embed/tournaments/{tid}/standings" title="Live standings" '
                            f'width="600" height="500"></iframe>',
        "iframe-pairings": f'<iframe src="{base}/embed/tournaments/{tid}/pairings?theme=dark" '
                           f'title="Live pairings" width="600" height="500"></iframe>',
        "script-standings": f'<script src="{base}/static/js/embed.js" data-tournament="{tid}" async></script>',
        "script-pairings": f'<script src="{base}/static/js/embed.js" data-tournament="{tid}" '
                           f'data-view="pairings" data-theme="light" async></script>',
    })
    yield site
    site.stop()


def finish_round(event) -> None:
    for game in games_of(event["tid"], 1):
        results.set_result(event["tid"], game.id, "1-0", event["organizer"].id)


@pytest.mark.parametrize("form", ["iframe", "script"])
def test_a_club_page_on_another_origin_shows_live_standings(event, club, live_server, new_page, form):
    tid = event["tid"]
    page = new_page()
    page.goto(f"{club.origin}/{form}-standings")
    widget = page.frame_locator('iframe[title="Live standings"]')
    standings = widget.locator(f"#standings-{tid}")
    expect(standings).to_contain_text("Starting order")
    expect(widget.locator(".live-indicator")).to_have_attribute("data-state", "live", timeout=10_000)
    finish_round(event)
    expect(standings).to_contain_text("After round 1", timeout=10_000)

    # The session socket still refuses the club's origin: the widget's socket is the frame's own (our origin).
    with pytest.raises(InvalidStatus):
        connect(f"{live_server.ws_url}/ws?channel=tournament:{tid}:standings", origin=club.origin,
                open_timeout=10).close()


@pytest.mark.parametrize("form", ["iframe", "script"])
def test_a_club_page_on_another_origin_shows_live_pairings(event, club, live_server, new_page, form):
    tid = event["tid"]
    page = new_page()
    page.goto(f"{club.origin}/{form}-pairings")
    widget = page.frame_locator('iframe[title="Live pairings"]')
    round_1 = widget.locator(f"#scoreboard-{tid}-round-1")
    expect(round_1).to_contain_text("0 of 3 results")
    expect(round_1.locator("tbody tr")).to_have_count(3)
    expect(widget.locator(".live-indicator")).to_have_attribute("data-state", "live", timeout=10_000)
    finish_round(event)
    expect(round_1).to_contain_text("complete", timeout=10_000)
    expect(round_1.locator("td.result strong")).to_have_count(3)
    expect(round_1.locator("td.result").first).to_have_text("1–0")  # an en dash, as printed
    if form == "script":
        # The script sized its frame to the content, which is taller than the first guess of 400 px or not.
        height = page.locator('iframe[title="Live pairings"]').evaluate("f => f.style.height")
        assert height.endswith("px") and int(height[:-2]) > 100


@pytest.mark.parametrize("view", ["standings", "pairings"])
def test_the_widget_is_framable_and_private_tournaments_are_not_embedded(client, event, view):
    tid = event["tid"]
    response = client.get(f"/embed/tournaments/{tid}/{view}")
    assert response.status_code == 200
    policy = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "*" and policy["script-src"] == "'self'"  # framable, scripts still ours
    assert "'nonce-" in policy["style-src"] and 'nonce="' in response.get_data(as_text=True)
    assert "X-Frame-Options" not in response.headers
    assert "<form" not in response.get_data(as_text=True)  # nothing to click through a frame
    assert client.get(f"/tournaments/{tid}/standings").headers["X-Frame-Options"] == "DENY"
    assert client.get(f"/tournaments/{tid}/scoreboard").headers["X-Frame-Options"] == "DENY"
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    assert client.get(f"/embed/tournaments/{tid}/{view}").status_code == 404
