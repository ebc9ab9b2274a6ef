"""The chess side of the live core (chessweb/live.py) inside the real app, through real sockets:
who may join which channel, what a connect sends first, and what a committed change pushes."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from chessweb import events
from chessweb.extensions import db
from chessweb.models import EventType, Game, RealtimeEvent, Role, Round, RoundStatus, Tournament
from chessweb.realtime import realtime
from chessweb.tournaments import results, rounds
from chessweb.tournaments.service import ServiceError, changing

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

WAIT = 10.0


def open_ws(server, *channels: str, fmt: str = "json", cookie: str | None = None) -> ClientConnection:
    query = "&".join([f"channel={c}" for c in channels] + [f"format={fmt}"])
    headers = {"Cookie": cookie} if cookie else {}
    return connect(f"{server.ws_url}/ws?{query}", additional_headers=headers, open_timeout=WAIT,
                   compression=None)


def read_json(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=WAIT))


def connect_sequence(ws: ClientConnection) -> list[dict[str, Any]]:
    """Everything up to and including `subscribed`."""
    seen = [read_json(ws)]
    while seen[-1]["type"] != "subscribed":
        seen.append(read_json(ws))
    return seen


def read_until(ws: ClientConnection, predicate) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    before = []
    while True:
        message = read_json(ws)
        if predicate(message):
            return message, before
        before.append(message)


def session_cookie(app, user) -> str:
    from ..conftest import AuthActions
    client = app.test_client()
    assert AuthActions(client).login(user).status_code == 303
    return f"session={client.get_cookie('session').value}"


@pytest.fixture
def organizer(app):
    return make_user(Role.ORGANIZER, name="Olga Organizer")


@pytest.fixture
def running(app, organizer):
    """A Swiss of 6 with round 1 published."""
    tid = setup_tournament(organizer, 6, name="Channel Open")
    start_round(tid, organizer)
    realtime.flush()
    return tid


def test_connect_sends_the_current_state_of_every_channel_first(running, live_server):
    tid = running
    with open_ws(live_server, f"tournament:{tid}", f"tournament:{tid}:games", f"tournament:{tid}:standings") as ws:
        sequence = connect_sequence(ws)
    keys = {m["key"] for m in sequence if m["type"] == "broadcast"}
    assert {f"tournament-header-{tid}", f"registrations-{tid}", f"watching-{tid}", f"scoreboard-{tid}",
            f"standings-{tid}"} <= keys
    header = next(m for m in sequence if m.get("key") == f"tournament-header-{tid}")
    assert header["data"]["current_round"] == 1 and header["data"]["players"] == 6
    standings = next(m for m in sequence if m.get("key") == f"standings-{tid}")
    assert len(standings["data"]["rows"]) == 6
    assert sequence[-1] == {"type": "subscribed", "channels": [f"tournament:{tid}", f"tournament:{tid}:games",
                                                              f"tournament:{tid}:standings"]}


def test_a_result_pushes_the_round_standings_game_and_the_event(running, organizer, live_server):
    tid = running
    game = games_of(tid, 1)[0]
    with open_ws(live_server, f"tournament:{tid}", f"tournament:{tid}:games", f"tournament:{tid}:standings",
                 f"game:{game.id}") as ws, \
            open_ws(live_server, f"tournament:{tid}:standings", fmt="html") as browser:
        connect_sequence(ws)
        results.set_result(tid, game.id, "1-0", organizer.id)
        event, _ = read_until(ws, lambda m: m.get("event") == "GAME_COMPLETED")
        assert event["data"]["payload"] == {"round": 1, "board": 1, "result": "1-0"}
        seen: dict[str, dict] = {}
        while not {f"scoreboard-{tid}-round-1", f"standings-{tid}", f"game-{game.id}"} <= set(seen):
            message = read_json(ws)
            if message["type"] == "broadcast" and "key" in message:
                seen[message["key"]] = message
        board = seen[f"scoreboard-{tid}-round-1"]["data"]["round"]["games"][0]
        assert board["result"] == "1-0"
        assert seen[f"game-{game.id}"]["data"]["result"] == "1-0"
        live = {row["player"]["name"]: row["live_points"] for row in seen[f"standings-{tid}"]["data"]["rows"]}
        assert live[board["white"]["name"]] == 1
        # The browser gets the same standings as one HTML element to swap in by id.
        html = browser.recv(timeout=WAIT)
        while f'id="standings-{tid}"' not in html or "Live" not in html:
            html = browser.recv(timeout=WAIT)
        assert 'hx-swap-oob="true"' in html
    realtime.flush()
    published = db.session.scalars(select(RealtimeEvent).where(RealtimeEvent.tournament_id == tid)).all()
    assert published and all(e.processed for e in published)


def test_the_standings_go_out_before_the_rest_of_the_batch_is_rendered(running, organizer, live_server,
                                                                      monkeypatch):
    """A result re-renders the standings, the scoreboard, every player page and every player's dashboard. They
    used to be published together once all were rendered: a spectator of the standings waited for the player
    pages and dashboards of the whole event (60 of the 72 ms at 40 players in bench/fanout.py). Each fragment
    now goes out as soon as it is rendered, the most watched first: here the player pages are held back, and
    the standings arrive meanwhile."""
    from chessweb.tournaments import live as tournament_live
    release = threading.Event()
    render_player_pages = tournament_live.player_fragments

    def held_back(tournament_id: int, watched=None):
        assert release.wait(2 * WAIT), "the standings never went out while the player pages were held back"
        return render_player_pages(tournament_id, watched)

    monkeypatch.setattr(tournament_live, "player_fragments", held_back)
    tid = running
    game = games_of(tid, 1)[0]
    try:
        with open_ws(live_server, f"tournament:{tid}:standings", f"tournament:{tid}:player:1") as ws:
            connect_sequence(ws)
            results.set_result(tid, game.id, "1-0", organizer.id)
            standings, before = read_until(ws, lambda m: m.get("key") == f"standings-{tid}")
            assert not release.is_set() and not any(m.get("key") == f"player-{tid}-1" for m in before)
            release.set()
            read_until(ws, lambda m: m.get("key") == f"player-{tid}-1")  # then the rest, in the same batch
    finally:
        release.set()
    realtime.flush()


def test_the_crosstable_has_its_own_channel(running, organizer, live_server):
    """The standings and the crosstable are two pages: a standings viewer of a 300-player Swiss was sent the
    crosstable it does not show with every result (4 of 10 KB, compressed). Each now has its own channel."""
    tid = running
    game = games_of(tid, 1)[0]
    with open_ws(live_server, f"tournament:{tid}:standings") as standings, \
            open_ws(live_server, f"tournament:{tid}:crosstable") as crosstable:
        assert {m.get("key") for m in connect_sequence(standings)} >= {f"standings-{tid}",
                                                                        f"provisional-standings-{tid}"}
        assert f"swiss-crosstable-{tid}" in {m.get("key") for m in connect_sequence(crosstable)}
        results.set_result(tid, game.id, "1-0", organizer.id)
        read_until(crosstable, lambda m: m.get("key") == f"swiss-crosstable-{tid}")
        read_until(standings, lambda m: m.get("key") == f"standings-{tid}")
        realtime.flush()
        keys = set()
        with pytest.raises(TimeoutError):
            while True:
                keys.add(json.loads(standings.recv(timeout=0.5)).get("key"))
        assert not any(key and "crosstable" in key for key in keys)


def test_a_rolled_back_change_publishes_nothing(running, organizer, live_server):
    tid = running
    updates = select(func.count()).select_from(RealtimeEvent).where(RealtimeEvent.type == EventType.TOURNAMENT_UPDATED)
    updates_before = db.session.scalar(updates)
    with open_ws(live_server, f"tournament:{tid}") as ws:
        connect_sequence(ws)
        with pytest.raises(ServiceError):
            with changing(tid) as tournament:
                events.record_change(tournament, EventType.TOURNAMENT_UPDATED, entity_type="tournament",
                                     entity_id=tid, actor_id=organizer.id)
                raise ServiceError("changed my mind")
        realtime.flush()
        # A later committed change is the next thing the client sees: nothing of the rolled-back one.
        results.set_result(tid, games_of(tid, 1)[0].id, "0-1", organizer.id)
        first, before = read_until(ws, lambda m: m["type"] == "broadcast" and "event" in m)
        assert first["event"] == "GAME_COMPLETED"
        assert not [m for m in before if m.get("event") == "TOURNAMENT_UPDATED"]
    assert db.session.scalar(updates) == updates_before


def test_private_tournaments_and_draft_games_are_refused(app, organizer, live_server):
    tid = setup_tournament(organizer, 4, name="Closed Club Cup")
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    rounds.pair_next_round(tid, organizer.id)  # a draft: the organizer's eyes only
    draft_game = db.session.scalar(select(Game.id).join(Round).where(Round.tournament_id == tid,
                                                                      Round.status == RoundStatus.DRAFT))
    stranger = make_user(Role.PARTICIPANT, name="Curious Carl")
    channels = (f"tournament:{tid}", f"tournament:{tid}:standings", f"game:{draft_game}", "admin", "user:999")
    for cookie in (None, session_cookie(app, stranger)):
        with open_ws(live_server, *channels, cookie=cookie) as ws:
            sequence = connect_sequence(ws)
        refused = sorted(m["channel"] for m in sequence if m["type"] == "error" and m["code"] == "forbidden")
        assert refused == sorted(channels)
        assert not [m for m in sequence if m["type"] in ("broadcast", "user_message")]
        assert sequence[-1]["channels"] == []
    with open_ws(live_server, *channels[:3], cookie=session_cookie(app, organizer)) as ws:
        sequence = connect_sequence(ws)
    assert sequence[-1]["channels"] == list(channels[:3])
    assert any(m.get("key") == f"game-{draft_game}" for m in sequence)


@pytest.mark.parametrize("channel", ["tournament:abc", "tournament:1:secrets", "game:", "user:1:x", "everything"])
def test_unknown_channel_names_are_refused(app, live_server, channel):
    with open_ws(live_server, channel) as ws:
        sequence = connect_sequence(ws)
    assert [m["type"] for m in sequence if m["type"] == "error"] == ["error"]
    assert sequence[-1]["channels"] == []


def test_going_private_closes_the_sockets_of_those_no_longer_allowed(app, running, organizer, live_server):
    from chessweb.models import Registration
    from chessweb.tournaments import settings
    tid = running
    player = make_user(Role.PARTICIPANT, name="Pia Player")
    registration = db.session.scalars(select(Registration).where(Registration.tournament_id == tid)).first()
    registration.user_id = player.id
    db.session.commit()
    channels = (f"tournament:{tid}", f"tournament:{tid}:standings")
    with open_ws(live_server, *channels) as stranger, \
            open_ws(live_server, *channels, cookie=session_cookie(app, player)) as member:
        connect_sequence(stranger)
        connect_sequence(member)
        t = db.session.get(Tournament, tid)
        current = settings.TournamentSettings(
            name="Closed Club Cup", format=t.format, start_date=t.start_date, planned_rounds=t.planned_rounds,
            time_control=t.time_control, venue=t.venue, is_public=False, tiebreaks=tuple(t.tiebreak_list),
            tiebreak_edition=t.tiebreak_edition, top_seed_colour=t.top_seed_colour)
        settings.update_tournament(tid, current, organizer.id)
        # The stranger is cut off before the renamed header is published, and never sees it.
        seen = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                seen.append(stranger.recv(timeout=WAIT))
        assert closed.value.rcvd.code == 1008
        assert not [m for m in seen if "Closed Club Cup" in m]
        # The registered player keeps watching and gets the new name.
        header, _ = read_until(member, lambda m: m.get("key") == f"tournament-header-{tid}")
        assert header["data"]["name"] == "Closed Club Cup"


def test_a_player_page_has_its_own_channel_with_one_spelling():
    from chessweb.live import channels as names
    assert names.player(3, 12) == "tournament:3:player:12"
    parsed = names.parse("tournament:3:player:12")
    assert parsed is not None
    assert (parsed.kind, parsed.id, parsed.part, parsed.number) == ("tournament", 3, "player", 12)
    for bad in ("tournament:3:player:0", "tournament:3:player:012", "tournament:3:player:", "tournament:3:players"):
        assert names.parse(bad) is None, bad
    assert "tournament:3:player:12" in names.tournament_channels(3, [], [12])


def test_a_corrected_result_pushes_the_points_beside_the_names_of_later_rounds(running, organizer, live_server):
    tid = running
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    start_round(tid, organizer)
    realtime.flush()
    first = games_of(tid, 1)[0]
    with open_ws(live_server, f"tournament:{tid}:games") as ws:
        connect_sequence(ws)
        results.set_result(tid, first.id, "0-1", organizer.id, "scoresheets show Black won")
        later, _ = read_until(ws, lambda m: m.get("key") == f"scoreboard-{tid}-round-2")
    black = first.black.pairing_number
    # The winner of the corrected game had 0 before round 2; the pairings now say 1 beside their name.
    points = {}
    for board in later["data"]["round"]["games"]:
        points[board["white"]["number"]] = board["white_points"]
        if board["black"]:
            points[board["black"]["number"]] = board["black_points"]
    assert points[black] == 1 and points[first.white.pairing_number] == 0
