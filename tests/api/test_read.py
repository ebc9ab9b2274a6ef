"""The read API (/api/v1/): payloads that follow the published schema, cursor pages, 304 on the tournament's
revision, the pages' privacy rule, and JSON errors for bad input."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from chessweb.extensions import db
from chessweb.models import Role, Tournament, TournamentFormat, TournamentStatus
from chessweb.tournaments import results

from ..conftest import make_user
from ..frame_schema import SCHEMA_FILE
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of


def check(body: dict, definition: str) -> dict:
    document = json.loads(SCHEMA_FILE.read_text())
    errors = list(Draft202012Validator({"$defs": document["$defs"], "$ref": f"#/$defs/{definition}"})
                  .iter_errors(body))
    assert not errors, errors[0].message
    return body


@pytest.fixture
def organizer(app):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def running(organizer) -> int:
    tid = setup_tournament(organizer, 6, name="Club Open")
    start_round(tid, organizer)
    return tid


def test_a_tournament_with_rounds_pairings_and_results(client, running, organizer):
    game = games_of(running, 1)[0]
    results.set_result(running, game.id, "1-0", organizer.id)
    body = check(client.get(f"/api/v1/tournaments/{running}").get_json(), "TournamentDetail")
    assert body["name"] == "Club Open" and body["players"] == 6 and body["status"] == "ACTIVE"
    [round_] = body["rounds"]
    assert round_["number"] == 1 and len(round_["games"]) == 3
    assert {g["id"]: g["result"] for g in round_["games"]}[game.id] == "1-0"


def test_standings_with_tiebreaks_and_players(client, running, organizer):
    for game in games_of(running, 1):
        results.set_result(running, game.id, "1-0", organizer.id)
    body = check(client.get(f"/api/v1/tournaments/{running}/standings").get_json(), "Standings")
    assert body["through_round"] == 1 and len(body["rows"]) == 6
    assert [r["points"] for r in body["rows"]] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert set(body["rows"][0]["tiebreaks"]) == set(body["tiebreaks"]) and body["tiebreaks"]
    players = check(client.get(f"/api/v1/tournaments/{running}/players").get_json(), "PlayerList")
    assert [p["number"] for p in players["players"]] == [1, 2, 3, 4, 5, 6]


def test_a_game_with_its_pgn(client, running, organizer):
    game = games_of(running, 1)[0]
    results.set_result(running, game.id, "0-1", organizer.id)
    body = check(client.get(f"/api/v1/games/{game.id}").get_json(), "GameDetail")
    assert body["result"] == "0-1" and '[Result "0-1"]' in body["pgn"] and '[Event "Club Open"]' in body["pgn"]


def test_a_revision_answers_304_until_the_tournament_changes(client, running, organizer):
    first = client.get(f"/api/v1/tournaments/{running}/standings")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Last-Modified"]
    again = client.get(f"/api/v1/tournaments/{running}/standings", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    results.set_result(running, games_of(running, 1)[0].id, "1-0", organizer.id)
    changed = client.get(f"/api/v1/tournaments/{running}/standings", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_tournament_list_filters_by_status_and_pages_with_a_cursor(client, organizer):
    ids = [setup_tournament(organizer, 2, name=f"Event {n}") for n in range(5)]
    db.session.get(Tournament, ids[0]).status = TournamentStatus.COMPLETED
    db.session.commit()
    seen, cursor = [], None
    while True:
        body = check(client.get("/api/v1/tournaments", query_string={"limit": 2, **({"cursor": cursor} if cursor
                                                                                   else {})}).get_json(),
                     "TournamentPage")
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    done = client.get("/api/v1/tournaments?status=COMPLETED").get_json()
    assert [t["id"] for t in done["items"]] == [ids[0]]


def test_a_private_tournament_follows_the_pages_rules(client, auth, organizer):
    player = make_user(Role.PARTICIPANT)
    stranger = make_user(Role.PARTICIPANT)
    tid = setup_tournament(organizer, 4, accounts=[player], name="Closed")
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    assert client.get(f"/api/v1/tournaments/{tid}/standings").status_code == 404
    assert tid not in [t["id"] for t in client.get("/api/v1/tournaments").get_json()["items"]]
    auth.login(stranger)
    assert client.get(f"/api/v1/tournaments/{tid}").status_code == 404
    auth.logout()
    auth.login(player)
    assert client.get(f"/api/v1/tournaments/{tid}").status_code == 200
    assert tid in [t["id"] for t in client.get("/api/v1/tournaments").get_json()["items"]]


def test_a_draft_rounds_game_is_the_organizers_alone(client, auth, organizer):
    from chessweb.tournaments import rounds
    tid = setup_tournament(organizer, 4)
    rounds.pair_next_round(tid, organizer.id)
    game = games_of(tid, 1)[0]
    assert client.get(f"/api/v1/games/{game.id}").status_code == 404
    assert client.get(f"/api/v1/tournaments/{tid}").get_json()["rounds"] == []
    auth.login(organizer)
    assert client.get(f"/api/v1/games/{game.id}").status_code == 200


@pytest.mark.parametrize("url, status", [
    ("/api/v1/tournaments?status=PLAYING", 400), ("/api/v1/tournaments?limit=0", 400),
    ("/api/v1/tournaments?limit=abc", 400), ("/api/v1/tournaments?cursor=%%%", 400),
    ("/api/v1/tournaments?cursor=dDE5OTk5OTk5OTk5OTk5OQ", 400), ("/api/v1/tournaments/999999", 404),
    ("/api/v1/games/999999", 404), ("/api/v1/nothing", 404),
])
def test_bad_input_gets_a_json_error(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    check(response.get_json(), "ApiError")


def test_round_robin_detail(client, organizer):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN)
    start_round(tid, organizer)
    assert check(client.get(f"/api/v1/tournaments/{tid}").get_json(), "TournamentDetail")["format"] == "ROUND_ROBIN"


def test_the_heavy_answers_share_the_heavy_pages_limit_and_answer_json(app, client, running):
    app.config["RATELIMIT_HEAVY_PAGES"] = "2 per minute"
    visitor = {"REMOTE_ADDR": "198.51.100.9"}
    assert client.get(f"/api/v1/tournaments/{running}/standings", environ_base=visitor).status_code == 200
    assert client.get(f"/tournaments/{running}/standings", environ_base=visitor).status_code == 200
    refused = client.get(f"/api/v1/tournaments/{running}", environ_base=visitor)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert check(refused.get_json(), "ApiError")["error"]["code"] == "rate_limited"
