"""Identifiers have one spelling: ids in URLs, channel names, emails; display names are visible and cannot
pass for one another."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from websockets.sync.client import connect

from chessweb.auth.names import look_alike
from chessweb.extensions import db
from chessweb.models import Role, User
from chessweb.realtime.protocol import is_valid_channel

from .conftest import make_user, post_form
from .tournaments.conftest import setup_tournament

PASSWORD = "e4e5Nf3Nc6!"


def register(client, email: str, name: str):
    return post_form(client, "/auth/register", {"email": email, "display_name": name, "password": PASSWORD,
                                                "confirm": PASSWORD})


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("respell", [lambda n: f"0{n}", lambda n: f"00{n}", lambda n: n.translate(FULL_WIDTH),
                                     lambda n: n.translate(ARABIC_INDIC)],
                         ids=["leading zero", "two zeros", "full-width digits", "arabic-indic digits"])
def test_an_id_in_a_url_has_one_spelling(client, respell):
    tid = setup_tournament(make_user(Role.ORGANIZER), 2)
    assert client.get(f"/tournaments/{tid}/standings").status_code == 200
    assert client.get(f"/tournaments/{respell(str(tid))}/standings").status_code == 404


@pytest.mark.parametrize("name, ok", [
    ("tournament:7", True), ("tournament:7:standings", True), ("game:10", True),
    ("tournament:07", False), ("tournament:007:standings", False), ("user:0012", False),
])
def test_a_channel_name_has_one_spelling(name, ok):
    assert is_valid_channel(name) is ok


def test_a_second_spelling_of_a_channel_is_refused_on_the_socket(app, live_server):
    tid = setup_tournament(make_user(Role.ORGANIZER), 2)
    with connect(f"{live_server.ws_url}/ws?channel=tournament:0{tid}&format=json", open_timeout=10,
                 compression=None) as ws:
        replies = [json.loads(ws.recv(timeout=10))]
        while replies[-1]["type"] == "connected":
            replies.append(json.loads(ws.recv(timeout=10)))
    assert replies[-1]["type"] == "error" and replies[-1]["code"] == "bad_channel", replies


def test_an_email_has_one_spelling(client):
    assert register(client, " ＭＡＧＮＵＳ@Example.ORG ", "Magnus C").status_code == 303
    assert db.session.scalar(select(User.email)) == "magnus@example.org"
    response = register(client.application.test_client(), "magnus@EXAMPLE.org", "Someone Else")
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


@pytest.mark.parametrize("taken, name", [
    ("Magnus C", "Маgnus C"),       # Cyrillic М and а
    ("Bill Hart", "BiII Hart"),     # capital I's for l's
    ("Diego R", "DIEG0 R"),         # zero for O
    ("Magnus C", "magnus   c"),     # case and spaces
    ("Magnus C", "Ｍagnus C"),      # full-width M
])
def test_a_display_name_cannot_pass_for_another(client, taken, name):
    make_user(name=taken, email="first@example.org")
    response = register(client, "second@example.org", name)
    assert response.status_code == 400
    assert "looks like one that is" in response.get_data(as_text=True) or "taken" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.email == "second@example.org")) is None


@pytest.mark.parametrize("name, message", [
    ("\u3164\u3164\u3164", "show nothing"),   # Hangul fillers: letters that render as nothing
    ("Magnus\u200bC", "show nothing"),        # zero-width space
    ("Mag\u202enus", "show nothing"),         # right-to-left override
    ("__", "visible letters"),
    ("-.-", "visible letters"),
])
def test_a_display_name_is_visible(client, name, message):
    response = register(client, "new@example.org", name)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_distinct_names_stay_distinct_and_are_stored_in_one_spelling(client):
    make_user(name="Maria P", email="maria@example.org")
    assert register(client, "marla@example.org", "Ｍarla   P").status_code == 303
    assert db.session.scalar(select(User.display_name).where(User.email == "marla@example.org")) == "Marla P"
    assert look_alike("Anna K", ["Anne K", "Ana K"]) is None


def test_an_organizer_links_a_player_by_any_spelling_of_the_email(app):
    from chessweb.models import Registration
    from chessweb.tournaments import registration
    from chessweb.tournaments.registration import PlayerDetails
    organizer = make_user(Role.ORGANIZER)
    maria = make_user(name="Maria P", email="maria@example.org")
    tid = setup_tournament(organizer, 0)
    registration.add_player(tid, PlayerDetails(name="Maria P", rating=2000), organizer.id,
                            account_email="ＭＡＲＩＡ@example.org")
    assert db.session.scalar(select(Registration.user_id).where(Registration.tournament_id == tid)) == maria.id
