"""Whole tournaments run through the pages, from registration to the final standings: a 40-player Swiss and a
10-player round robin. Only forms are used (with their CSRF tokens), as a browser without JavaScript would."""
from __future__ import annotations

import random
import re
from collections import Counter
from itertools import combinations

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.fide.simulation import game_result
from chessweb.fide.standings import standings
from chessweb.fide.trf import read_trf
from chessweb.models import (Game, Registration, RegistrationStatus, Role, Round, RoundStatus, Tournament,
                             TournamentStatus)

from ..conftest import csrf_token, make_user, post_form
from .helpers import add_player, create_tournament, game_form, games_of, manage_action, pair, publish

WHITE_RESULT = {"1": "1-0", "=": "1/2-1/2", "0": "0-1"}


def result_for(game: Game, rng: random.Random) -> str:
    return WHITE_RESULT[game_result(game.white.rating, game.black.rating, rng).value]


def play_round(org, players_by_user: dict, tid: int, number: int, rng: random.Random) -> None:
    """Pair, check the draft, publish, then every result: players report and confirm their own games."""
    response = pair(org, tid)
    assert response.status_code == 303, response.get_data(as_text=True)
    draft = org.get(f"/tournaments/{tid}/rounds/{number}").get_data(as_text=True)
    assert "Only you see this draft" in draft
    assert publish(org, tid, number).status_code == 303
    token = csrf_token(org, f"/tournaments/{tid}/rounds/{number}")  # the form's token, valid for the session
    for game in games_of(tid, number):
        if game.black_id is None or game.result.is_final:
            continue
        result = result_for(game, rng)
        white, black = players_by_user.get(game.white.user_id), players_by_user.get(game.black.user_id)
        if white and black:
            assert game_form(white, game.id, "report", {"result": result}).status_code == 303
            assert game_form(black, game.id, "confirm", {}).status_code == 303
        else:
            response = org.post(f"/tournaments/{tid}/games/{game.id}/result",
                                data={"result": result, "reason": "", "csrf_token": token,
                                      "version": str(game.revision)})
            assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Round.status).where(Round.tournament_id == tid, Round.number == number)) \
        == RoundStatus.COMPLETED


def standings_table(client, tid: int) -> list[list[str]]:
    html = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    body = re.search(r'<table class="striped standings">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append(cells)
    return rows


def test_forty_player_swiss_from_registration_to_final_standings(org_client, login, client):
    rng = random.Random(40)
    org = org_client
    tid = create_tournament(org, name="Forty Open", planned_rounds="5")
    assert manage_action(org, tid, "registration/open").status_code == 303

    # Four players register themselves; the organizer enters the other 36.
    accounts = [make_user(Role.PARTICIPANT, name=f"Account {i}", rating=2000 + 50 * i) for i in range(4)]
    player_clients = {}
    for user in accounts:
        player_clients[user.id] = c = login(user)
        assert post_form(c, f"/tournaments/{tid}/register", {}, form_url=f"/tournaments/{tid}").status_code == 303
    for i in range(36):
        rating = rng.randint(1200, 2700)
        title = "GM" if rating >= 2550 else "IM" if rating >= 2450 else ""
        assert add_player(org, tid, f"Player {i:02d}", rating, title=title, federation="NOR").status_code == 303
    assert manage_action(org, tid, "registration/close").status_code == 303
    assert manage_action(org, tid, "players/numbers").status_code == 303
    entries = list(db.session.scalars(select(Registration).where(Registration.tournament_id == tid)
                                      .order_by(Registration.pairing_number)))
    assert [e.pairing_number for e in entries] == list(range(1, 41))
    assert [e.rating for e in entries] == sorted((e.rating for e in entries), reverse=True)

    # A requested half-point bye for round 3, and a withdrawal after round 2.
    resting = entries[20]
    assert manage_action(org, tid, "byes", {"registration_id": resting.id, "round_number": "3",
                                            "points": "half"}).status_code == 303
    for number in (1, 2):
        play_round(org, player_clients, tid, number, rng)
    leaving = entries[30]
    assert manage_action(org, tid, f"players/{leaving.id}/withdraw", {"reason": "family matter"}).status_code == 303
    for number in (3, 4, 5):
        play_round(org, player_clients, tid, number, rng)

    db.session.expire_all()
    tournament = db.session.get(Tournament, tid)
    assert tournament.status == TournamentStatus.COMPLETED
    games = list(db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tid)))
    pairs = [frozenset((g.white_id, g.black_id)) for g in games if g.black_id is not None]
    assert len(pairs) == len(set(pairs))  # nobody met twice
    in_round = Counter((g.round.number, pid) for g in games for pid in (g.white_id, g.black_id) if pid)
    assert all(count == 1 for count in in_round.values())
    assert not any(leaving.id in (g.white_id, g.black_id) for g in games if g.round.number >= 3)
    assert any(g.white_id == resting.id and g.result.value == "H" and g.round.number == 3 for g in games)

    # The page's final standings are chessweb.fide's standings of the exported file.
    rows = standings_table(client, tid)
    assert len(rows) == 40
    table = read_trf(client.get(f"/tournaments/{tid}/export.trf").get_data())
    expected = standings(table, ["BH-C1", "BH", "SB"])
    names = {p.number: p.name for p in table.players}
    assert [re.sub(r"^\d+\s+(?:[GIFCW]M\s+)?", "", r[2]) for r in rows] == [names[row.number] for row in expected]
    assert [r[0] for r in rows] == [f"{row.rank}{'=' if row.shared else ''}" for row in expected]
    assert "After round 5" in client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)


@pytest.mark.any_database  # the Swiss above runs the whole flow on PostgreSQL too; the Berger tables are pure code
def test_ten_player_round_robin_from_registration_to_final_standings(org_client, login, client):
    rng = random.Random(10)
    org = org_client
    tid = create_tournament(org, name="Club Championship", format="ROUND_ROBIN", planned_rounds="")
    assert manage_action(org, tid, "registration/open").status_code == 303
    accounts = [make_user(Role.PARTICIPANT, name=f"Member {chr(65 + i)}", rating=1700 + 37 * i) for i in range(10)]
    clients = {}
    for user in accounts:
        clients[user.id] = c = login(user)
        assert post_form(c, f"/tournaments/{tid}/register", {}, form_url=f"/tournaments/{tid}").status_code == 303
    assert manage_action(org, tid, "registration/close").status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).planned_rounds == 9

    for number in range(1, 10):
        play_round(org, clients, tid, number, rng)

    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.COMPLETED
    games = list(db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tid)))
    ids = [r.id for r in db.session.scalars(select(Registration).where(Registration.tournament_id == tid))]
    met = sorted(tuple(sorted((g.white_id, g.black_id))) for g in games)
    assert met == sorted(combinations(sorted(ids), 2))  # everyone met everyone, once
    whites = Counter(g.white_id for g in games)
    assert set(whites.values()) <= {4, 5}  # Berger tables balance the colours

    rows = standings_table(client, tid)
    assert len(rows) == 10 and rows[0][0] in ("1", "1=")
    header = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert ">DE</abbr>" in header and ">SB</abbr>" in header and ">WIN</abbr>" in header
    crosstable = client.get(f"/tournaments/{tid}/crosstable").get_data(as_text=True)
    assert crosstable.count('class="cell self"') == 10
    total = sum(float(r[4].replace("½", ".5")) if r[4] != "½" else 0.5 for r in rows)
    assert total == 45  # one point per game
    assert all(e.status == RegistrationStatus.ACTIVE for e in
               db.session.scalars(select(Registration).where(Registration.tournament_id == tid)))
