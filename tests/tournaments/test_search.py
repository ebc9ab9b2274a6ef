"""Search: a player or tournament by name from the tournament list and within a tournament, plain GET."""
from __future__ import annotations

from chessweb.extensions import db
from chessweb.models import Tournament

from .conftest import setup_tournament


def test_search_finds_tournaments_and_players_by_part_of_the_name(organizer, client):
    tid = setup_tournament(organizer, 4, name="Reykjavik Open")
    other = setup_tournament(organizer, 2, name="Oslo Rapid")
    assert 'action="/search"' in client.get("/").get_data(as_text=True)
    html = client.get("/search?q=reykja").get_data(as_text=True)
    assert f'href="/tournaments/{tid}"' in html and "Oslo Rapid" not in html
    html = client.get("/search?q=player+03").get_data(as_text=True)
    assert f'href="/tournaments/{tid}/players/3"' in html and "Reykjavik Open" in html
    # Within one tournament: only its players.
    page = client.get(f"/tournaments/{tid}").get_data(as_text=True)
    assert f'action="/tournaments/{tid}/search"' in page
    html = client.get(f"/tournaments/{other}/search?q=Player 0").get_data(as_text=True)
    assert f"/tournaments/{other}/players/1" in html and f"/tournaments/{tid}/players/" not in html


def test_private_tournaments_and_their_players_stay_hidden(organizer, client):
    tid = setup_tournament(organizer, 2, name="Secret Invitational")
    db.session.get(Tournament, tid).is_public = False
    db.session.commit()
    html = client.get("/search?q=secret").get_data(as_text=True)
    assert "Secret Invitational" not in html
    assert f"/tournaments/{tid}/players/" not in client.get("/search?q=player").get_data(as_text=True)
    assert client.get(f"/tournaments/{tid}/search?q=player").status_code == 404


def test_bad_queries_get_a_message_and_wildcards_match_literally(organizer, client):
    setup_tournament(organizer, 2, name="100% Blitz")
    setup_tournament(organizer, 2, name="Rapid")
    long = client.get("/search?q=" + "x" * 65)
    assert long.status_code == 400 and "at most 64 characters" in long.get_data(as_text=True)
    html = client.get("/search?q=%25").get_data(as_text=True)  # "%" is not a wildcard
    assert "100% Blitz" in html and ">Rapid<" not in html
    assert client.get("/search").status_code == 200  # an empty query shows the form only
    escaped = client.get("/search?q=<script>").get_data(as_text=True)
    assert "<script>" not in escaped.split("<main", 1)[1].split("</main>")[0]
