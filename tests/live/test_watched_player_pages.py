"""A result re-renders only the player pages someone watches (they were half of a 300-player batch's CPU), and a
page whose watcher another process had not reported yet is sent when the count is (`TournamentArea.presence`)."""
from __future__ import annotations

import pytest

from chessweb.extensions import db
from chessweb.live.fragments import url_context
from chessweb.models import Role, Tournament
from chessweb.realtime import realtime
from chessweb.tournaments import live as tournament_live
from chessweb.tournaments import results

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from ..tournaments.test_render_consistency import _result_event
from .test_channels import connect_sequence, open_ws, read_json, read_until


@pytest.fixture
def running(app):
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 6, name="Watched Open")
    start_round(tid, organizer)
    assert realtime.flush()
    return tid, organizer.id


@pytest.fixture
def rendered_players(monkeypatch) -> list[str]:
    """The keys of the player pages rendered from now on."""
    keys: list[str] = []
    render = tournament_live._player_fragment

    def counting(loaded, ctx):
        fragment = render(loaded, ctx)
        keys.append(fragment.key)
        return fragment

    monkeypatch.setattr(tournament_live, "_player_fragment", counting)
    return keys


def test_a_result_renders_the_watched_player_page_and_no_other(app, running, live_server, rendered_players):
    tid, organizer_id = running
    with open_ws(live_server, f"tournament:{tid}:player:2") as ws:
        connect_sequence(ws)
        rendered_players.clear()  # the connect's own snapshot
        results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer_id)
        page, _ = read_until(ws, lambda m: m.get("key") == f"player-{tid}-2")
    assert realtime.flush()
    assert rendered_players == [f"player-{tid}-2"]  # not the five pages nobody shows
    assert page["version"] == db.session.get(Tournament, tid).revision


def test_without_a_socket_watching_no_player_page_is_rendered_and_the_render_process_renders_all(
        app, running, rendered_players):
    tid, organizer_id = running
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer_id)
    assert realtime.flush()
    assert rendered_players == []
    with url_context():  # as the render process calls it: it cannot see the sockets
        events = list(tournament_live.publish_events(tid, [_result_event(tid, games_of(tid, 1)[0].id)]))
    assert sorted(rendered_players) == sorted(f"player-{tid}-{n}" for n in range(1, 7))
    assert events


def test_a_page_another_process_had_not_reported_is_sent_when_its_count_is(app, running, live_server, monkeypatch):
    """The batch ran before the watcher's process reported its count (a debounce late, in Redis): the batch
    skipped the page, and the report sends it, at the committed state."""
    tid, organizer_id = running
    core = app.extensions["realtime"]
    monkeypatch.setattr(core.presence, "_debounce", 600.0)  # the report waits until this test sends it
    monkeypatch.setattr(realtime, "watched", lambda channels, app=None: set())  # the batch sees nobody yet
    channel = f"tournament:{tid}:player:2"
    with open_ws(live_server, channel) as ws:
        before = [m for m in connect_sequence(ws) if m.get("key") == f"player-{tid}-2"]
        results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer_id)
        assert realtime.flush()
        revision = db.session.get(Tournament, tid).revision
        assert before and before[0]["version"] < revision
        ws.send('{"type": "ping"}')  # the batch sent nothing for this page: the pong comes first
        assert read_json(ws)["type"] == "pong"
        core.presence.store.write({channel: 1})
        core.presence._report([channel])  # what the presence thread does after its debounce
        healed, _ = read_until(ws, lambda m: m.get("key") == f"player-{tid}-2")
    assert healed["version"] == revision

