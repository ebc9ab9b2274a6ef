"""Round schedule and time zone (issue 10, B.2): the organizer sets an IANA zone and each round's local start;
every time of the tournament is shown in that zone; bad input is refused with a message and changes nothing."""
from __future__ import annotations

from datetime import datetime

import pytest

from chessweb.extensions import db
from chessweb.models import Tournament
from chessweb.tournaments import schedule

from ..conftest import post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state
from .test_rounds import SWISS_FORM


def test_local_start_times_become_utc_instants_with_summer_time():
    start = schedule.round_start("2026-05-01 14:00\n2026-12-01 14:00", "Europe/Oslo", 1)
    assert start.iso_utc == "2026-05-01T12:00:00Z" and start.label == "2026-05-01 14:00 CEST"
    winter = schedule.round_start("2026-05-01 14:00\n2026-12-01 14:00", "Europe/Oslo", 2)
    assert winter.iso_utc == "2026-12-01T13:00:00Z" and winter.label == "2026-12-01 14:00 CET"
    assert schedule.round_start("2026-05-01 14:00", "Europe/Oslo", 2) is None
    assert schedule.local_time(datetime(2026, 5, 1, 12, 0), "America/New_York") == "2026-05-01 08:00 EDT"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "x" * 100, "Europe/Oslo\x00"])
def test_unknown_zones_are_refused(zone):
    with pytest.raises(schedule.ScheduleError):
        schedule.zone(zone)


@pytest.mark.parametrize("text, message", [("2026-05-01 14:00\nnext friday", "Round 2"),
                                           ("2026-05-02 14:00\n2026-05-01 14:00", "must start after round 1"),
                                           ("2026-05-01 14:00\n2026-05-02 14:00\n2026-05-03 14:00", "at most one")])
def test_bad_schedules_say_which_round(text, message):
    with pytest.raises(schedule.ScheduleError, match=message):
        schedule.parse_schedule(text, rounds=2)


def test_the_settings_form_sets_zone_and_schedule_and_refuses_bad_ones(org_client, organizer):
    tid = setup_tournament(organizer, 4, rounds_planned=3)
    edit = f"/tournaments/{tid}/edit"
    before = db_state()
    for change, message in [({"time_zone": "Mars/Olympus"}, "Unknown time zone"),
                            ({"round_schedule": "tomorrow"}, "is not a time like"),
                            ({"round_schedule": "2026-05-01 14:00\n" * 4}, "must start after")]:
        response = post_form(org_client, edit, {**SWISS_FORM, "planned_rounds": "3", **change})
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
    assert db_state() == before
    saved = post_form(org_client, edit, {**SWISS_FORM, "planned_rounds": "3", "time_zone": "Europe/Oslo",
                                         "round_schedule": "2026-05-01 14:00\r\n\r\n2026-05-01 19:30"})
    assert saved.status_code == 303
    tournament = db.session.get(Tournament, tid)
    db.session.refresh(tournament)
    assert (tournament.time_zone, tournament.round_schedule) == ("Europe/Oslo", "2026-05-01 14:00\n2026-05-01 19:30")
    page = org_client.get(f"/tournaments/{tid}").get_data(as_text=True)
    assert "Times in</dt><dd>Europe/Oslo" in page.replace("\n", "").replace(" <", "<").replace("> ", ">")
    assert '<time datetime="2026-05-01T12:00:00Z" data-countdown>2026-05-01 14:00 CEST</time>' in page
    assert '<meta name="server-time" content="' in page
    form = org_client.get(edit).get_data(as_text=True)
    assert "Europe/Oslo" in form and "2026-05-01 19:30" in form


def test_the_countdown_moves_to_the_next_round_once_the_round_is_complete(org_client, organizer):
    from chessweb.tournaments import results
    from .helpers import games_of
    tid = setup_tournament(organizer, 2, rounds_planned=2)
    tournament = db.session.get(Tournament, tid)
    tournament.time_zone, tournament.round_schedule = "Asia/Tokyo", "2026-05-01 10:00\n2026-05-02 10:00"
    db.session.commit()
    start_round(tid, organizer)
    assert "Round 1 starts" in org_client.get(f"/tournaments/{tid}").get_data(as_text=True)
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
    page = org_client.get(f"/tournaments/{tid}").get_data(as_text=True)
    assert '<time datetime="2026-05-02T01:00:00Z" data-countdown>2026-05-02 10:00 JST</time>' in page
    audit = org_client.get(f"/tournaments/{tid}/audit").get_data(as_text=True)
    assert " JST</time>" in audit and "data-relative" in audit
