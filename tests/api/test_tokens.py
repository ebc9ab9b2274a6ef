"""Personal API tokens: made and revoked on the settings page (CSRF), stored hashed, scoped, rate-limited, and
acting through the same services as the pages (stale revisions answered 409)."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from chessweb.api.tokens_model import ApiToken
from chessweb.extensions import db
from chessweb.models import Game, Role

from ..conftest import make_user, post_form
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of


def make_token(client, auth, user, *scopes: str, name: str = "bot") -> str:
    auth.login(user)
    response = post_form(client, "/settings/tokens", {"name": name, "scopes": list(scopes)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    secret = re.search(r'id="token-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    auth.logout()
    return secret


def stored(game_id: int) -> Game:
    db.session.expire_all()  # the app committed in its own request; read what is stored now
    return db.session.get(Game, game_id)


def result_of(game_id: int) -> str:
    return stored(game_id).result.value


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def organizer(app):
    return make_user(Role.ORGANIZER)


def test_a_token_is_shown_once_and_stored_hashed(client, auth, organizer):
    secret = make_token(client, auth, organizer, "arbiter")
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in row.token_hash
    auth.login(organizer)
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert secret not in page and row.prefix in page


def test_making_a_token_needs_the_forms_csrf_token(client, auth, organizer):
    auth.login(organizer)
    response = client.post("/settings/tokens", data={"name": "bot", "scopes": ["read"]})
    assert response.status_code in (400, 422)
    assert db.session.scalar(select(ApiToken)) is None


def test_bad_token_forms_change_nothing(client, auth, organizer):
    auth.login(organizer)
    for fields in ({"name": "", "scopes": ["read"]}, {"name": "x", "scopes": []}, {"name": "x", "scopes": ["root"]}):
        response = post_form(client, "/settings/tokens", fields)
        assert response.status_code == 422
    assert db.session.scalar(select(ApiToken)) is None


def test_an_arbiter_tool_enters_a_result_and_a_stale_one_is_refused(client, auth, organizer):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    secret = make_token(client, auth, organizer, "arbiter")
    shown = client.get(f"/api/v1/games/{game.id}").get_json()["revision"]
    response = client.post(f"/api/v1/games/{game.id}/result", json={"result": "1-0", "shown_revision": shown},
                           headers=bearer(secret))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == "1-0"
    stale = client.post(f"/api/v1/games/{game.id}/result", json={"result": "0-1", "reason": "typo",
                                                                 "shown_revision": shown}, headers=bearer(secret))
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    assert result_of(game.id) == "1-0"


def test_a_player_reports_their_own_game(client, auth, organizer):
    player = make_user(Role.PARTICIPANT)
    tid = setup_tournament(organizer, 4, accounts=[player])
    start_round(tid, organizer)
    game = next(g for g in games_of(tid, 1) if player.id in (g.white.user_id, g.black.user_id if g.black else None))
    secret = make_token(client, auth, player, "report")
    response = client.post(f"/api/v1/games/{game.id}/report", json={"result": "1/2-1/2"}, headers=bearer(secret))
    assert response.status_code == 200 and response.get_json()["result"] == "*"
    assert stored(game.id).reported_result.value == "1/2-1/2"
    # A player's token cannot enter results, even with the arbiter scope: the role check is the server's.
    other = make_token(client, auth, player, "arbiter", name="not mine")
    assert client.post(f"/api/v1/games/{game.id}/result", json={"result": "1-0"},
                       headers=bearer(other)).status_code == 403


def test_a_relay_pushes_moves(client, auth, organizer):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    secret = make_token(client, auth, organizer, "relay")
    response = client.post(f"/api/v1/games/{game.id}/moves", json={"pgn": "1. e4 e5 2. Nf3 *"}, headers=bearer(secret))
    assert response.status_code == 200 and response.get_json()["moves"] == ["e4", "e5", "Nf3"]
    illegal = client.post(f"/api/v1/games/{game.id}/moves", json={"pgn": "1. e5 *"}, headers=bearer(secret))
    assert illegal.status_code == 400 and client.get(f"/api/v1/games/{game.id}").get_json()["moves"] == \
        ["e4", "e5", "Nf3"]


def test_scopes_revocation_and_cookies(client, auth, organizer):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    url = f"/api/v1/games/{game.id}/result"
    reader = make_token(client, auth, organizer, "read")
    assert client.post(url, json={"result": "1-0"}, headers=bearer(reader)).status_code == 403
    assert client.post(url, json={"result": "1-0"}, headers=bearer("cw_nonsense")).status_code == 401
    auth.login(organizer)  # a session cookie alone does not act through the API (no CSRF token there)
    assert client.post(url, json={"result": "1-0"}).status_code == 401
    token_id = db.session.scalar(select(ApiToken.id))
    post_form(client, "/settings/tokens/revoke", {"token_id": str(token_id)}, form_url="/settings/tokens")
    auth.logout()
    assert client.get(f"/api/v1/tournaments/{tid}", headers=bearer(reader)).status_code == 401
    assert result_of(game.id) == "*"


@pytest.mark.parametrize("body", [{"result": "2-0"}, {"result": "1-0", "extra": 1}, {"pgn": 5}, [], "x"])
def test_bad_bodies_get_a_json_error_and_change_nothing(client, auth, organizer, body):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    secret = make_token(client, auth, organizer, "arbiter", "relay")
    for path in ("result", "moves"):
        response = client.post(f"/api/v1/games/{game.id}/{path}", json=body, headers=bearer(secret))
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    assert result_of(game.id) == "*"


def test_a_token_past_its_rate_gets_429(app, client, auth, organizer):
    app.config["API_TOKEN_RATE"] = "3 per minute"
    tid = setup_tournament(organizer, 4)
    secret = make_token(client, auth, organizer, "read")
    codes = [client.get(f"/api/v1/tournaments/{tid}", headers=bearer(secret)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
