"""Creating and editing tournaments through the forms; bad values change nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import AuditEntry, Role, Tournament, TournamentFormat, TournamentStatus
from chessweb.tournaments import rounds

from ..conftest import make_user, post_form
from .conftest import setup_tournament
from .helpers import add_player, create_tournament, db_state


def test_create_swiss_with_fide_default_tiebreaks(org_client, organizer):
    tid = create_tournament(org_client, name="Spring Open", planned_rounds="7")
    t = db.session.get(Tournament, tid)
    assert (t.name, t.format, t.planned_rounds, t.venue, t.time_control) == (
        "Spring Open", TournamentFormat.SWISS, 7, "Oslo", "90+30")
    assert t.tiebreak_list == ["BH-C1", "BH", "SB"]
    assert t.status == TournamentStatus.UPCOMING and t.organizer_id == organizer.id
    page = org_client.get(f"/tournaments/{tid}").get_data(as_text=True)
    assert "Spring Open" in page and f'id="tournament-header-{tid}"' in page


def test_round_robin_rounds_follow_the_field(org_client):
    tid = create_tournament(org_client, name="Club RR", format="ROUND_ROBIN", planned_rounds="")
    t = db.session.get(Tournament, tid)
    assert t.tiebreak_list == ["DE", "SB", "WIN"]
    for i, expected in zip(range(1, 6), [1, 1, 3, 3, 5]):  # n-1, one more when odd
        assert add_player(org_client, tid, f"P{i}", 2000 - i).status_code == 303
        db.session.expire_all()
        assert db.session.get(Tournament, tid).planned_rounds == expected
    double = create_tournament(org_client, name="Double RR", format="DOUBLE_ROUND_ROBIN", planned_rounds="")
    for i in range(4):
        add_player(org_client, double, f"D{i}", 1800)
    db.session.expire_all()
    assert db.session.get(Tournament, double).planned_rounds == 6


def test_custom_tiebreak_order_is_kept(org_client):
    tid = create_tournament(org_client, tiebreaks="sb, bh-m1 ARO")
    assert db.session.get(Tournament, tid).tiebreak_list == ["SB", "BH-M1", "ARO"]


@pytest.mark.parametrize("change, message", [
    ({"name": ""}, "This field is required"),
    ({"planned_rounds": "0"}, "Number must be between 1 and 30"),
    ({"planned_rounds": ""}, "A Swiss needs between 1 and 30 rounds"),
    ({"planned_rounds": "seven"}, "Not a valid integer value"),
    ({"start_date": "31/02/2026"}, "Not a valid date value"),
    ({"format": "KNOCKOUT"}, "Not a valid choice"),
    ({"tiebreaks": "BH, XYZ"}, "unknown tie-break &#39;XYZ&#39;"),
    ({"tiebreaks": "SB SB"}, "listed twice"),
    ({"format": "ROUND_ROBIN", "tiebreaks": "BH, SB"}, "not used in round robins"),
    ({"top_seed_colour": "red"}, "Not a valid choice"),
])
def test_bad_values_are_refused_next_to_the_field(org_client, change, message):
    before = db_state()
    data = {"name": "X", "format": "SWISS", "planned_rounds": "5", "start_date": "2026-05-01", "time_control": "",
            "venue": "", "is_public": "y", "tiebreaks": "", "tiebreak_edition": "", "top_seed_colour": "w", **change}
    response = post_form(org_client, "/tournaments/new", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db_state() == before


def test_only_organizers_create(client, login, auth):
    response = client.get("/tournaments/new")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    player = make_user(Role.PARTICIPANT, name="Just Player")
    player_client = login(player)
    assert player_client.get("/tournaments/new").status_code == 403
    assert "New tournament" not in player_client.get("/").get_data(as_text=True)


def test_nav_link_for_organizers(org_client):
    assert 'href="/tournaments/new"' in org_client.get("/").get_data(as_text=True)


def test_edit_settings_is_audited_and_format_is_fixed_after_start(org_client, organizer):
    tid = setup_tournament(organizer, 4)
    form = org_client.get(f"/tournaments/{tid}/edit").get_data(as_text=True)
    assert 'value="Test Open"' in form
    data = {"name": "Renamed Open", "format": "SWISS", "planned_rounds": "6", "start_date": "2026-05-02",
            "time_control": "60+30", "venue": "Bergen", "is_public": "y", "tiebreaks": "BH, SB",
            "tiebreak_edition": "2024", "top_seed_colour": "b"}
    assert post_form(org_client, f"/tournaments/{tid}/edit", data).status_code == 303
    db.session.expire_all()
    t = db.session.get(Tournament, tid)
    assert (t.name, t.planned_rounds, t.tiebreak_list, t.tiebreak_edition, t.top_seed_colour) == (
        "Renamed Open", 6, ["BH", "SB"], "2024", "b")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings"))
    assert "Test Open → Renamed Open" in entry.new_value


@pytest.mark.parametrize("change, message", [
    ({"format": "ROUND_ROBIN", "tiebreaks": ""}, "The format cannot change after the first pairing."),
    ({"top_seed_colour": "b"}, "The top seed&#39;s colour in round 1 cannot change after the first pairing."),
    ({"start_date": "2026-03-01"}, "The start date cannot change after the first pairing."),
])
@pytest.mark.parametrize("published", [False, True])
def test_what_the_pairing_depends_on_is_fixed_once_a_round_is_paired(org_client, organizer, change, message,
                                                                     published):
    tid = setup_tournament(organizer, 4)
    rounds.pair_next_round(tid, organizer.id)
    if published:
        rounds.publish_round(tid, 1, organizer.id)
    data = {"name": "Test Open", "format": "SWISS", "planned_rounds": "5", "start_date": "2026-05-01",
            "time_control": "", "venue": "", "is_public": "y", "tiebreaks": "", "tiebreak_edition": "",
            "top_seed_colour": "w"}
    before = db_state()
    response = post_form(org_client, f"/tournaments/{tid}/edit", {**data, **change})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db_state() == before
    # Ranking settings only re-rank, from every round alike: they stay editable.
    ranking = {"tiebreaks": "SB, BH", "tiebreak_edition": "2024", "name": "Test Open 2026"}
    assert post_form(org_client, f"/tournaments/{tid}/edit", {**data, **ranking}).status_code == 303
    db.session.expire_all()
    t = db.session.get(Tournament, tid)
    assert (t.tiebreak_list, t.tiebreak_edition, t.name) == (["SB", "BH"], "2024", "Test Open 2026")


def test_other_organizers_cannot_edit(login, organizer):
    tid = setup_tournament(organizer, 2)
    other = login(make_user(Role.ORGANIZER, name="Other Org"))
    assert other.get(f"/tournaments/{tid}/edit").status_code == 403
    assert other.get(f"/tournaments/{tid}/manage").status_code == 403
    admin = login(make_user(Role.ADMIN, name="Boss Admin"))
    assert admin.get(f"/tournaments/{tid}/manage").status_code == 200


def test_the_period_is_the_organizers_setting_and_the_address_overrides_it(org_client, organizer, client):
    tid = setup_tournament(organizer, 2, rounds_planned=1, name="Screen Open")
    edit = org_client.get(f"/tournaments/{tid}/edit").get_data(as_text=True)
    assert 'name="screen_period"' in edit and 'value="15"' in edit
    data = {"name": "Screen Open", "format": "SWISS", "planned_rounds": "1", "start_date": "2026-05-01",
            "is_public": "y", "top_seed_colour": "w", "tiebreak_edition": ""}
    # Out of range: a clear message, nothing saved.
    before = db_state()
    refused = post_form(org_client, f"/tournaments/{tid}/edit", {**data, "screen_period": "2"})
    assert refused.status_code == 400 and "between 5 and 300" in refused.get_data(as_text=True)
    assert db_state() == before
    assert post_form(org_client, f"/tournaments/{tid}/edit", {**data, "screen_period": "40"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).screen_period == 40
    assert 'data-period="40"' in client.get(f"/tournaments/{tid}/screen").get_data(as_text=True)
    assert 'data-period="8"' in client.get(f"/tournaments/{tid}/screen?period=8").get_data(as_text=True)
    assert 'data-period="40"' in client.get(f"/tournaments/{tid}/screen?period=abc").get_data(as_text=True)
    assert 'value="40"' in org_client.get(f"/tournaments/{tid}/edit").get_data(as_text=True)
