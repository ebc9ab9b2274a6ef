"""Every connect starts from committed state, whatever died (kill9-after-commit-update-lost, the live-core
half), in the real app through real sockets: the process that committed a result dies before it publishes;
the survivors' snapshot caches are then behind the database. A fresh page must get the result anyway, and
the pages already watching are healed by that connect. Also: a page rendered at the current revision is not
sent its fragments again (`?since=`)."""
from __future__ import annotations

import pytest

from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.realtime import realtime
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_channels import connect_sequence, open_ws, read_until


@pytest.fixture
def organizer(app):
    return make_user(Role.ORGANIZER, name="Olga Organizer")


def board_results(message: dict) -> list[str]:
    return [g["result"] for r in message["data"]["rounds"] for g in r["games"]]


def test_a_result_whose_publisher_died_reaches_fresh_pages_and_heals_watching_ones(app, organizer, live_server,
                                                                                   monkeypatch):
    tid = setup_tournament(organizer, 4, name="Heal Open")
    start_round(tid, organizer)
    assert realtime.flush()
    channel = f"tournament:{tid}:games"
    game = games_of(tid, 1)[0]
    with open_ws(live_server, channel) as watcher:
        first = next(m for m in connect_sequence(watcher) if m.get("key") == f"scoreboard-{tid}")
        assert "1-0" not in board_results(first)

        # The committing process dies between its commit and its publish: the after-commit job never runs.
        monkeypatch.setattr(app.extensions["realtime"], "submit", lambda key, job: None)
        results.set_result(tid, game.id, "1-0", organizer.id)
        monkeypatch.undo()

        with open_ws(live_server, channel) as fresh:
            sequence = connect_sequence(fresh)
        scoreboard = [m for m in sequence if m.get("key") == f"scoreboard-{tid}"]
        assert len(scoreboard) == 1 and "1-0" in board_results(scoreboard[0])  # not the survivor's stale cache
        healed, _ = read_until(watcher, lambda m: m.get("key") == f"scoreboard-{tid}")
        assert "1-0" in board_results(healed)
        assert healed["version"] == db.session.get(Tournament, tid).revision


def test_a_page_rendered_at_the_current_revision_is_not_sent_it_again(app, organizer, live_server):
    tid = setup_tournament(organizer, 4, name="Quiet Open")
    start_round(tid, organizer)
    assert realtime.flush()
    db.session.expire_all()
    revision = db.session.get(Tournament, tid).revision
    channels = (f"tournament:{tid}:games", f"tournament:{tid}:standings")
    query = "&".join(f"channel={c}" for c in channels)
    from websockets.sync.client import connect
    with connect(f"{live_server.ws_url}/ws?{query}&format=json&since={revision}", open_timeout=10) as ws:
        sequence = connect_sequence(ws)
    assert [m for m in sequence if m["type"] == "broadcast"] == []
    with connect(f"{live_server.ws_url}/ws?{query}&format=json&since={revision - 1}", open_timeout=10) as ws:
        sequence = connect_sequence(ws)
    assert {m["key"] for m in sequence if m["type"] == "broadcast"} == {
        f"scoreboard-{tid}", f"standings-{tid}", f"provisional-standings-{tid}"}


def test_pages_carry_the_revision_they_were_rendered_at(app, organizer, client):
    tid = setup_tournament(organizer, 4, name="Versioned Open")
    start_round(tid, organizer)
    revision = db.session.get(Tournament, tid).revision
    page = client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    assert f"since={revision}" in page
    for fragment_id in (f"tournament-header-{tid}", f"scoreboard-{tid}", f"scoreboard-{tid}-round-1"):
        assert f'id="{fragment_id}"' in page
        start = page.index(f'id="{fragment_id}"')
        assert f'data-version="{revision}"' in page[start:page.index(">", start)]
    game = games_of(tid, 1)[0]
    page = client.get(f"/games/{game.id}").get_data(as_text=True)
    start = page.index(f'id="game-{game.id}"')
    assert f'data-version="{revision}"' in page[start:page.index(">", start)]
    assert f"since={revision}" in page
