"""The game page: players, result, the live board from relayed moves; an illegal move changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.games.relay import relay_moves
from chessweb.models import Game, RealtimeEvent, Tournament

from ..conftest import post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state, games_of

OPENING = "1. e4 c5 2. Nf3 d6 3. d4 cxd4 4. Nxd4 Nf6 5. Nc3 a6"


@pytest.fixture
def game(organizer, players) -> Game:
    tid = setup_tournament(organizer, 4, accounts=players)
    start_round(tid, organizer)
    return games_of(tid, 1)[0]


def test_game_page_shows_players_and_the_start_position(client, game):
    html = client.get(f"/games/{game.id}").get_data(as_text=True)
    assert f'<section id="game-{game.id}" hx-swap-oob="true"' in html
    assert "Pia Player" in html and "Rosa Player" in html and "<svg" in html
    assert "No moves relayed yet" in html


def test_relayed_moves_update_the_board(org_client, game, client):
    response = post_form(org_client, f"/games/{game.id}/moves", {"pgn": OPENING})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Game, game.id).pgn == OPENING
    html = client.get(f"/games/{game.id}").get_data(as_text=True)
    assert "<span>Nc3</span> <span>a6</span>" in html  # move 5 in the move list
    fragment = client.get(f"/games/{game.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.strip().startswith(f'<section id="game-{game.id}"') and "<html" not in fragment


def test_illegal_move_is_named_and_changes_nothing(org_client, game):
    post_form(org_client, f"/games/{game.id}/moves", {"pgn": OPENING})
    before = db_state()
    response = post_form(org_client, f"/games/{game.id}/moves", {"pgn": OPENING + " 6. Bxf7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was changed" in html and "move 6 (white): &#39;Bxf7&#39; is not a legal move" in html
    assert db_state() == before


@pytest.mark.parametrize("pgn", ["%" * 19_999, '[Event "Club"]\n\n*', "{only a comment}"])
def test_a_relay_without_moves_or_position_changes_nothing(org_client, game, pgn):
    before = db_state()
    response = post_form(org_client, f"/games/{game.id}/moves", {"pgn": pgn})
    assert response.status_code == 400
    assert "Nothing was changed: the PGN has no moves (and no FEN tag to start from)." in response.get_data(
        as_text=True)
    assert db_state() == before


def test_the_relay_event_names_the_last_move(organizer, game):
    tid = game.round.tournament_id
    assert relay_moves(tid, game.id, OPENING, organizer.id) == 10
    fen = '[FEN "8/8/8/8/8/8/k7/7K w - - 0 1"]\n\n*'  # a position to start from, no move yet
    assert relay_moves(tid, game.id, fen, organizer.id) == 0
    payloads = [e.payload for e in db.session.scalars(select(RealtimeEvent).where(RealtimeEvent.entity_id == game.id,
                                                                                   RealtimeEvent.entity_type == "game")
                                                      .order_by(RealtimeEvent.id))]
    assert payloads == [{"moves": 10, "last": "a6"}, {"moves": 0, "last": None}]


def test_only_organizers_relay(login, players, game):
    pia = login(players[0])
    before = db_state()
    response = post_form(pia, f"/games/{game.id}/moves", {"pgn": OPENING}, form_url=f"/games/{game.id}")
    assert response.status_code == 403
    assert db_state() == before


def test_private_tournament_games_are_hidden(client, organizer, game):
    tournament = db.session.get(Tournament, game.round.tournament_id)
    tournament.is_public = False
    db.session.commit()
    assert client.get(f"/games/{game.id}").status_code == 404
    assert client.get(f"/tournaments/{tournament.id}/scoreboard").status_code == 404
    assert client.get("/games/999999").status_code == 404
