"""Text the tournament services store is one line of plain text: control characters are refused, naming the field."""
from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import chess.pgn
import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.games.relay import relay_moves
from chessweb.models import Registration, Tournament, TournamentFormat
from chessweb.tournaments import interchange, registration, results, rounds, settings
from chessweb.tournaments.registration import PlayerDetails
from chessweb.tournaments.service import ServiceError

from ..conftest import post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state, games_of

# NUL (PostgreSQL cannot store it), line breaks and tab (they break PGN tags and TRF records), a bidi override.
CONTROLS = ["\x00", "\n", "\r\n", "\t", "\u202e"]
SETTINGS = settings.TournamentSettings(name="Spring Open", format=TournamentFormat.SWISS, start_date=date(2026, 5, 1),
                                       planned_rounds=5, time_control="90+30", venue="Oslo")


def refused(field: str, what: str, service, *args, **kwargs) -> None:
    """The service call raises a ServiceError for `field` whose message names `what`; the database is unchanged."""
    before = db_state()
    with pytest.raises(ServiceError) as caught:
        service(*args, **kwargs)
    assert caught.value.field == field and caught.value.message.startswith(what), caught.value.message
    assert "control character" in caught.value.message
    assert db_state() == before


@pytest.mark.parametrize("bad", CONTROLS)
def test_tournament_settings_refuse_control_characters(organizer, bad):
    for field, what in (("name", "The name"), ("venue", "The venue"), ("time_control", "The time control")):
        text = f"Ber{bad}gen"
        refused(field, what, settings.create_tournament, replace(SETTINGS, **{field: text}), organizer.id)
        tid = setup_tournament(organizer, 0)
        refused(field, what, settings.update_tournament, tid, replace(SETTINGS, **{field: text}), organizer.id)


@pytest.mark.parametrize("bad", CONTROLS)
def test_player_names_and_emails_refuse_control_characters(organizer, bad):
    tid = setup_tournament(organizer, 2)
    entry = db.session.scalars(select(Registration).where(Registration.tournament_id == tid)).first()
    name = f"Injected{bad}001    9      Player"
    refused("name", "The player's name", registration.add_player, tid, PlayerDetails(name=name), organizer.id)
    refused("name", "The player's name", registration.update_player, tid, entry.id, PlayerDetails(name=name),
            organizer.id)
    refused("account_email", "The account email", registration.add_player, tid, PlayerDetails(name="Ann"),
            organizer.id, account_email=f"a{bad}b@example.org")


@pytest.mark.parametrize("bad", CONTROLS)
def test_reasons_refuse_control_characters(organizer, bad):
    tid = setup_tournament(organizer, 4)
    rounds.pair_next_round(tid, organizer.id)
    first, second = games_of(tid, 1)
    reason = f"first line{bad}second line"
    refused("reason", "The reason", rounds.swap_players, tid, 1, first.white_id, second.white_id, reason,
            organizer.id)
    refused("reason", "The reason", rounds.swap_colours, tid, first.id, reason, organizer.id)
    refused("reason", "The reason", rounds.discard_draft, tid, 1, reason, organizer.id)
    refused("reason", "The reason", registration.withdraw_player, tid, first.white_id, reason, organizer.id)
    rounds.publish_round(tid, 1, organizer.id)
    results.set_result(tid, first.id, "1-0", organizer.id)
    refused("reason", "The reason", results.set_result, tid, first.id, "0-1", organizer.id, reason)


def test_relayed_pgn_keeps_its_line_breaks_but_refuses_other_control_characters(organizer):
    tid = setup_tournament(organizer, 2)
    start_round(tid, organizer)
    (game,) = games_of(tid, 1)
    assert relay_moves(tid, game.id, "[Event \"Club\"]\r\n\r\n1. e4\t{ok} e5\n2. Nf3", organizer.id) == 3
    for bad in ("\x00", "\x1b", "\u202e"):
        refused("pgn", "Nothing was changed: the PGN", relay_moves, tid, game.id, f"1. e4 {{a{bad}comment}} e5",
                organizer.id)


@pytest.mark.parametrize("line, message", [
    ("012 Open\x01Cup\n", "The tournament name (012) contains a control character"),
    ("001    3      Tab\tName                         1800\n", "Player 3's name contains a control character"),
])
def test_an_imported_trf_with_control_characters_in_names_creates_nothing(organizer, line, message):
    trf = ("001    1      Alpha                             2000                             1.0    1     2 w 1\n"
           "001    2      Beta                              1900                             0.0    2     1 b 0\n")
    before = db_state()
    with pytest.raises(ServiceError, match=re.escape(message)):
        interchange.import_trf(line + trf, organizer.id)
    assert db_state() == before


def test_joiners_in_names_are_kept_and_exported(organizer, client):
    """Zero-width (non-)joiners are spelling in Persian and Indic names, not control characters."""
    tid = setup_tournament(organizer, 0)
    for name in ("Mehr\u200cdad", "Bo Berg"):
        registration.add_player(tid, PlayerDetails(name=name, rating=2000), organizer.id)
    registration.assign_pairing_numbers(tid, organizer.id)
    assert "Mehr\u200cdad" in db.session.scalars(select(Registration.name)).all()
    start_round(tid, organizer)
    for export in ("games.pgn", "export.trf"):
        assert "Mehr\u200cdad" in client.get(f"/tournaments/{tid}/{export}").get_data(as_text=True), export


def test_the_settings_form_shows_the_refusal_next_to_the_field(org_client):
    before = db_state()
    data = {"name": "Spring Open", "format": "SWISS", "planned_rounds": "5", "start_date": "2026-05-01",
            "time_control": "90+30", "venue": "Oslo\r\n1. e4 *", "is_public": "y", "tiebreaks": "",
            "tiebreak_edition": "", "top_seed_colour": "w"}
    response = post_form(org_client, "/tournaments/new", data)
    assert response.status_code == 400
    assert "The venue contains a control character (U+000D); use one line of plain text." in response.get_data(
        as_text=True)
    assert db_state() == before


def test_quotes_in_names_stay_inside_their_pgn_tags(organizer, client):
    tid = setup_tournament(organizer, 0, name='Open "Spring" \\ Cup')
    for name in ('A"] [White "Hacker', "Bo Berg"):
        registration.add_player(tid, PlayerDetails(name=name, rating=2000), organizer.id)
    registration.assign_pairing_numbers(tid, organizer.id)
    start_round(tid, organizer)
    text = client.get(f"/tournaments/{tid}/games.pgn").get_data(as_text=True)
    game = chess.pgn.read_game(io.StringIO(text))
    assert [line for line in text.splitlines() if line.startswith("[White ")] == ['[White "A\\"] [White \\"Hacker"]']
    assert game.headers["Event"] == 'Open \\"Spring\\" \\\\ Cup' and game.headers["Black"] == "Bo Berg"
    assert db.session.get(Tournament, tid).name == 'Open "Spring" \\ Cup'
