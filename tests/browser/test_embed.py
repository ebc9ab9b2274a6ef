"""The embeddable standings widget in a real browser: a club's page on another origin (a second local port,
another host name) frames it; it shows the standings and follows a result live, while the session socket's
Origin check still refuses that club origin."""
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
    """Another origin: http://localhost:<port>/ serves one page with the widget's <iframe>."""

    def __init__(self, widget_url: str) -> None:
        page = (f'<!doctype html><html lang="en"><head><title>Chess club</title></head><body><h1>Our club</h1>'
                f'<iframe src="{widget_url}" title="Live standings" width="600" height="500"></iframe>'
                f'</body></html>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = page if self.path == "/" else b""  # /favicon.ico and the like: nothing, no error
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
    site = ClubSite(f"{live_server.url}/embed/tournaments/{event['tid']}/standings")
    yield site
    site.stop()


def test_a_club_page_on_another_origin_shows_live_standings(event, club, live_server, new_page):
    tid, organizer = event["tid"], event["organizer"]
    page = new_page()
    page.goto(club.origin + "/")
    widget = page.frame_locator('iframe[title="Live standings"]')
    standings = widget.locator(f"#standings-{tid}")
    expect(standings).to_contain_text("Starting order")
    expect(widget.locator(".live-indicator")).to_have_attribute("data-state", "live", timeout=10_000)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    expect(standings).to_contain_text("After round 1", timeout=10_000)

    # The session socket still refuses the club's origin: the widget's socket is the frame's own (our origin).
    with pytest.raises(InvalidStatus):
        connect(f"{live_server.ws_url}/ws?channel=tournament:{tid}:standings", origin=club.origin,
                open_timeout=10).close()


def test_the_widget_is_framable_and_private_tournaments_are_not_embedded(client, event):
    tid = event["tid"]
    response = client.get(f"/embed/tournaments/{tid}/standings")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors *"
    assert "X-Frame-Options" not in response.headers
    assert "<form" not in response.get_data(as_text=True)  # nothing to click through a frame
    assert client.get(f"/tournaments/{tid}/standings").headers["X-Frame-Options"] == "DENY"
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    assert client.get(f"/embed/tournaments/{tid}/standings").status_code == 404
