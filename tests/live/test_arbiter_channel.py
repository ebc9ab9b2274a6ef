"""The arbiter's channel `tournament:<id>:arbiter` and the player's own "Your game" box on `user:<id>`, over real
sockets: who may join, what a connect shows, what a report pushes, and that nothing pushed holds a CSRF token
(one render serves every viewer) while the page rendering the same fragment does (forms work without JS)."""
from __future__ import annotations

import re

import pytest

from chessweb.extensions import db
from chessweb.models import Registration, Role
from chessweb.realtime import realtime
from chessweb.tournaments import results

from ..conftest import AuthActions, make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of
from .test_channels import connect_sequence, open_ws, read_json, session_cookie

CSRF_FIELD = re.compile(r'name="csrf_token"')


@pytest.fixture
def event(app):
    organizer = make_user(Role.ORGANIZER, name="Olga Organizer")
    accounts = [make_user(Role.PARTICIPANT, name=n) for n in ("Pia Player", "Quentin Player", "Rosa Player",
                                                              "Sven Player")]
    tid = setup_tournament(organizer, 4, accounts=accounts, rounds_planned=3, name="Arbiter Channel Open")
    start_round(tid, organizer)
    realtime.flush()
    game = games_of(tid, 1)[0]
    users = {u.id: u for u in accounts}
    white = users[db.session.get(Registration, game.white_id).user_id]
    black = users[db.session.get(Registration, game.black_id).user_id]
    return {"tid": tid, "organizer": organizer, "game": game, "white": white, "black": black, "accounts": accounts}


def test_only_organizers_join_the_arbiter_channel_and_see_rounds_and_entry(app, event, live_server):
    tid = event["tid"]
    channel = f"tournament:{tid}:arbiter"
    for cookie in (None, session_cookie(app, event["white"])):
        with open_ws(live_server, channel, cookie=cookie) as ws:
            sequence = connect_sequence(ws)
        assert [m["code"] for m in sequence if m["type"] == "error"] == ["forbidden"]
        assert not [m for m in sequence if m["type"] == "broadcast"]
    with open_ws(live_server, channel, fmt="html", cookie=session_cookie(app, event["organizer"])) as ws:
        frames = [ws.recv(timeout=10) for _ in range(2)]
    assert any(f'id="arbiter-rounds-{tid}"' in f and "Pair round 2" in f and "disabled" in f for f in frames)
    entry = next(f for f in frames if f'id="round-entry-{tid}-1"' in f)
    assert "0 of 2 results final" in entry and not CSRF_FIELD.search(entry)


def test_a_report_reaches_the_arbiters_and_the_opponent_but_not_the_reporter_as_a_question(app, event, live_server):
    tid, game, white, black = event["tid"], event["game"], event["white"], event["black"]
    cookie = {u: session_cookie(app, user) for u, user in (("o", event["organizer"]), ("b", black), ("w", white))}
    data = open_ws(live_server, f"tournament:{tid}:arbiter", cookie=cookie["o"])
    arbiter = open_ws(live_server, f"tournament:{tid}:arbiter", fmt="html", cookie=cookie["o"])
    opponent = open_ws(live_server, f"user:{black.id}", fmt="html", cookie=cookie["b"])
    reporter = open_ws(live_server, f"user:{white.id}", fmt="html", cookie=cookie["w"])
    with data, arbiter, opponent, reporter:
        connect_sequence(data)  # the snapshot; what follows is pushed by the report
        results.report_result(tid, game.id, "1-0", white.id)

        def frame(ws, marker, text):
            while True:
                html = ws.recv(timeout=10)
                if marker in html and text in html:
                    return html

        while (message := read_json(data)).get("key") != f"round-entry-{tid}-1":
            pass
        assert message["data"] == {"tournament": tid, "round": 1, "final": 0, "boards": 2}
        entry = frame(arbiter, f'id="round-entry-{tid}-1"', "1 report waiting")
        assert "Confirm 1–0" in entry
        asked = frame(opponent, f'id="my-game-{tid}"', "Confirm 1–0")
        assert "Dispute" in asked
        assert not CSRF_FIELD.search(asked) and not CSRF_FIELD.search(entry)
        told = frame(reporter, f'id="my-game-{tid}"', "reported 1–0")
        assert "Confirm" not in told
        # Each box names the other player: it is rendered for its own user, never someone else's.
        assert black.display_name in told and white.display_name in asked


def test_pages_render_the_same_fragments_with_the_viewers_token(app, event):
    tid, game, white, black = event["tid"], event["game"], event["white"], event["black"]
    results.report_result(tid, game.id, "1-0", white.id)
    client = app.test_client()
    AuthActions(client).login(black)
    page = client.get(f"/tournaments/{tid}").get_data(as_text=True)
    box = page[page.index(f'id="my-game-{tid}"'):]
    box = box[:box.index("</article>")]
    assert "Confirm 1–0" in box and CSRF_FIELD.search(box)
    assert f"channel=user%3A{black.id}" in page  # the box is live on the player's own channel
    organizer = app.test_client()
    AuthActions(organizer).login(event["organizer"])
    round_page = organizer.get(f"/tournaments/{tid}/rounds/1").get_data(as_text=True)
    assert f'id="round-entry-{tid}-1"' in round_page and CSRF_FIELD.search(round_page)
    assert f"channel=tournament%3A{tid}%3Aarbiter" in round_page
    manage = organizer.get(f"/tournaments/{tid}/manage").get_data(as_text=True)
    assert f'id="arbiter-rounds-{tid}"' in manage and "1 report waiting" in manage
