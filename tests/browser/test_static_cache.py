"""A browser loads the site's styles and scripts once: later pages take them from its cache, without asking the
server (chessweb/static_files.py), so a spectator's page view costs the process holding the sockets one request."""
from __future__ import annotations

import pytest
from flask import request

from chessweb.models import Role

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round

pytestmark = pytest.mark.slow


def test_the_second_page_asks_the_server_for_no_style_or_script(app, live_server, new_page):
    tid = setup_tournament(make_user(Role.ORGANIZER), 6, name="Cache Open")
    start_round(tid, make_user(Role.ORGANIZER))
    asked: list[str] = []

    @app.before_request
    def note_static_requests() -> None:
        if request.endpoint == "static":
            asked.append(request.full_path)

    page = new_page()
    for path in ("standings", "scoreboard", "crosstable"):
        page.goto(f"{live_server.url}/tournaments/{tid}/{path}")
        assert page.locator("main h1").count() == 1  # served and drawn
    assert any("htmx" in path for path in asked) and any(".css" in path for path in asked), asked
    again = sorted({path for path in asked if asked.count(path) > 1})
    assert not again, f"three page views asked again for {again}"
