"""The worked example of docs/ARCHITECTURE.md: "games in progress" on `tournaments:all`, shown on the
tournament list (`/`), which subscribes to it; and the one renderer: full page, htmx response and push give
the same bytes."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from chessweb.extensions import db
from chessweb.live import channels
from chessweb.live.consumers import CommittedEvent
from chessweb.models import EventType, Role, Tournament
from chessweb.realtime import realtime
from chessweb.tournaments import registration, results
from chessweb.tournaments.overview import OverviewArea
from chessweb.tournaments.live import standings_fragments

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_channels import connect_sequence, open_ws, read_until

COUNT = re.compile(r'<p id="games-in-progress"[^>]*>\s*<strong>(\d+)</strong> games? in progress\s*</p>')


@pytest.fixture
def organizer(app):
    return make_user(Role.ORGANIZER, name="Olga Organizer")


def shown_count(client) -> int:
    html = client.get("/").get_data(as_text=True)
    match = COUNT.search(html)
    assert match, html
    return int(match.group(1))


def test_the_tournament_list_shows_games_in_progress_and_subscribes_to_the_overview(app, client, organizer):
    assert shown_count(client) == 0
    open_cup = setup_tournament(organizer, 6, name="Open Cup")
    start_round(open_cup, organizer)
    private = setup_tournament(organizer, 4, name="Club Closed")
    start_round(private, organizer)
    db.session.get(Tournament, private).is_public = False
    db.session.commit()
    # Three boards of the public event; the private one's games are nobody else's business.
    assert shown_count(client) == 3
    results.set_result(open_cup, games_of(open_cup, 1)[0].id, "1/2-1/2", organizer.id)
    assert shown_count(client) == 2
    html = client.get("/").get_data(as_text=True)
    connect = re.search(r'hx-ws:connect="([^"]*)"', html)
    assert connect and "channel=tournaments%3Aall" in connect.group(1).split("?", 1)[1].split("&amp;")


def test_a_result_pushes_the_new_count_to_every_overview_watcher(app, client, organizer, live_server):
    tid = setup_tournament(organizer, 8, name="Overview Open")
    start_round(tid, organizer)
    realtime.flush()
    with open_ws(live_server, channels.TOURNAMENTS_ALL) as program, \
            open_ws(live_server, channels.TOURNAMENTS_ALL, fmt="html") as browser:
        sequence = connect_sequence(program)
        first = next(m for m in sequence if m.get("key") == "games-in-progress")
        assert first["data"] == {"games_in_progress": 4}
        snapshot_html = _next_count_frame(browser)
        results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
        pushed, _ = read_until(program, lambda m: m.get("key") == "games-in-progress")
        assert pushed["data"] == {"games_in_progress": 3} and pushed["version"] > first["version"]
        pushed_html = _next_count_frame(browser)
    # The page, the snapshot and the push are one renderer's output: the page shows the pushed bytes exactly.
    assert COUNT.search(snapshot_html) and COUNT.search(pushed_html).group(1) == "3"
    assert pushed_html in client.get("/").get_data(as_text=True)


def _next_count_frame(browser) -> str:
    """The next HTML frame carrying the games-in-progress count (tournaments:all carries the dashboard's too)."""
    while not COUNT.search(frame := browser.recv(timeout=10)):
        pass
    return frame


def test_page_htmx_response_and_push_of_a_fragment_are_byte_identical(app, client, organizer, live_server):
    tid = setup_tournament(organizer, 6, name="Bytes Open")
    start_round(tid, organizer)
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
    realtime.flush()
    with open_ws(live_server, channels.tournament(tid, "standings"), fmt="html") as browser:
        pushed = browser.recv(timeout=10)
    htmx = client.get(f"/tournaments/{tid}/standings", headers={"HX-Request": "true"}).get_data(as_text=True)
    page = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    with app.test_request_context("/"):
        rendered = standings_fragments(tid)[0].html
    assert pushed == htmx == rendered
    assert pushed in page


def _list_data(message) -> dict[int, dict]:
    return {t["id"]: t for t in message["data"]["tournaments"]}


def test_the_list_pushes_status_round_and_players_of_public_tournaments_only(app, client, organizer, live_server):
    newcomer = make_user(Role.PARTICIPANT, name="Nina Newcomer")
    tid = setup_tournament(organizer, 3, name="List Open")
    hidden = setup_tournament(organizer, 4, name="List Secret")
    db.session.get(Tournament, hidden).is_public = False
    db.session.commit()
    realtime.flush()
    with open_ws(live_server, channels.TOURNAMENTS_ALL) as program, \
            open_ws(live_server, channels.TOURNAMENTS_ALL, fmt="html") as browser:
        first = next(m for m in connect_sequence(program) if m.get("key") == "tournament-list")
        assert _list_data(first) == {tid: {"id": tid, "name": "List Open", "status": "UPCOMING",
                                           "current_round": None, "planned_rounds": 5, "players": 3}}
        registration.open_registration(tid, organizer.id)
        registration.register_self(tid, newcomer.id)
        pushed, _ = read_until(program, lambda m: m.get("key") == "tournament-list"
                               and _list_data(m)[tid]["players"] == 4)
        assert _list_data(pushed)[tid]["status"] == "REGISTRATION" and pushed["version"] > first["version"]
        start_round(hidden, organizer)
        start_round(tid, organizer)
        pushed, before = read_until(program, lambda m: m.get("key") == "tournament-list"
                                    and _list_data(m)[tid]["current_round"] == 1)
        assert _list_data(pushed)[tid]["status"] == "ACTIVE"
        assert all(hidden not in _list_data(m) for m in [pushed, *before] if m.get("key") == "tournament-list")
        realtime.flush()
        html_frames = []
        while True:  # everything the HTML socket got so far: never the private tournament
            try:
                html_frames.append(browser.recv(timeout=1))
            except TimeoutError:
                break
    assert any('id="tournament-list"' in f for f in html_frames)
    assert not [f for f in html_frames if "List Secret" in f]
    # The page shows the pushed bytes exactly (an anonymous viewer: no private section).
    last = [f for f in html_frames if 'id="tournament-list"' in f][-1]
    assert last in client.get("/").get_data(as_text=True)
    # The organizer's page shows the private one below the live list, not inside it.
    from ..conftest import AuthActions
    own = app.test_client()
    AuthActions(own).login(organizer)
    page = own.get("/").get_data(as_text=True)
    assert "List Secret" in page.split('id="tournament-list"')[1].split("Private tournaments")[1]
    assert "List Secret" not in page.split('id="tournament-list"')[1].split("Private tournaments")[0]


def test_several_jobs_for_one_state_render_the_list_once(app, organizer):
    first = setup_tournament(organizer, 2, name="Burst One")
    second = setup_tournament(organizer, 2, name="Burst Two")
    area = OverviewArea()
    registration.open_registration(first, organizer.id)
    registration.open_registration(second, organizer.id)
    # Both tournaments changed before either job ran: each job gets its own tournament's events.
    jobs = [[CommittedEvent(id=i, type=EventType.TOURNAMENT_UPDATED, scope=channels.tournament(tid),
                            entity_type="tournament", entity_id=tid, payload={}, target_user_ids=[], actor_id=None,
                            created_at=datetime.now(timezone.utc))] for i, tid in enumerate((first, second), 1)]
    with app.test_request_context("/"):
        rendered = [[m for m in area.messages(events) if getattr(m, "key", None) == "tournament-list"]
                    for events in jobs]
    assert [len(r) for r in rendered] == [1, 0]
    assert _list_data({"data": rendered[0][0].data})[second]["status"] == "REGISTRATION"
    # A later change is a new state: rendered again.
    registration.close_registration(second, organizer.id)
    with app.test_request_context("/"):
        again = [m for m in area.messages(jobs[1]) if getattr(m, "key", None) == "tournament-list"]
    assert len(again) == 1 and _list_data({"data": again[0].data})[second]["status"] == "UPCOMING"


def test_a_tournament_created_or_imported_appears_on_open_lists(app, organizer, live_server):
    from chessweb.fide.simulation import simulate_round_robin
    from chessweb.fide.trf import write_trf
    from chessweb.tournaments import interchange

    from ..conftest import AuthActions
    from ..tournaments.helpers import create_tournament
    own = app.test_client()
    AuthActions(own).login(organizer)
    with open_ws(live_server, channels.TOURNAMENTS_ALL) as program:
        first = next(m for m in connect_sequence(program) if m.get("key") == "tournament-list")
        assert _list_data(first) == {}
        tid = create_tournament(own, name="Fresh Open")  # through the real form
        pushed, _ = read_until(program, lambda m: m.get("key") == "tournament-list" and tid in _list_data(m))
        assert _list_data(pushed)[tid]["name"] == "Fresh Open"
        imported = interchange.import_trf(write_trf(simulate_round_robin(6, 3)), organizer.id).tournament_id
        read_until(program, lambda m: m.get("key") == "tournament-list" and imported in _list_data(m))
