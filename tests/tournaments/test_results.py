"""Results: arbiters enter and correct; players report, opponents confirm; everything is audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import AuditEntry, EventType, Game, GameResult, RealtimeEvent, Role, Round, RoundStatus
from chessweb.tournaments.forms import ARBITER_RESULTS
from chessweb.tournaments.results import ARBITER_CODES

from ..conftest import csrf_token, make_user, post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state, enter_result, game_form, games_of


@pytest.fixture
def running(organizer, players):
    """A published round 1 of a 4-player Swiss whose players have accounts: Pia–Rosa and Quentin–Sven."""
    tid = setup_tournament(organizer, 4, accounts=players)
    start_round(tid, organizer)
    return tid


def game_between(tid: int, a, b) -> Game:
    for game in games_of(tid, 1):
        users = {game.white.user_id, game.black.user_id if game.black else None}
        if users == {a.id, b.id}:
            return game
    raise AssertionError("no such game")


def audit_rows() -> list[tuple[str, str, str, str]]:
    db.session.expire_all()
    return [(a.action, a.old_value, a.new_value, a.reason) for a in db.session.scalars(
        select(AuditEntry).where(AuditEntry.game_id.is_not(None)).order_by(AuditEntry.id))]


def test_arbiter_enters_and_corrects_with_audit(org_client, running, players):
    game = game_between(running, players[0], players[2])
    assert enter_result(org_client, running, game.id, "1-0").status_code == 303
    assert games_of(running, 1)[0].result == GameResult.WHITE_WIN
    before = db_state()
    no_reason = enter_result(org_client, running, game.id, "1/2-1/2")
    assert no_reason.status_code == 400 and "give a reason for the correction" in no_reason.get_data(as_text=True)
    assert db_state() == before
    assert enter_result(org_client, running, game.id, "1/2-1/2", "scoresheets say draw").status_code == 303
    assert audit_rows() == [("result", "*", "1-0", ""), ("result_corrected", "1-0", "1/2-1/2", "scoresheets say draw")]
    trail = org_client.get(f"/tournaments/{running}/audit").get_data(as_text=True)
    assert "result corrected" in trail and "scoresheets say draw" in trail and "Olga Organizer" in trail


@pytest.mark.parametrize("code", ["2-0", "", "U", "H", "*", "1-1"])
def test_unknown_result_codes_change_nothing(org_client, running, players, code):
    game = game_between(running, players[0], players[2])
    before = db_state()
    response = enter_result(org_client, running, game.id, code)
    message = "Choose a result" if code == "" else "Not a valid choice"
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db_state() == before


def test_forfeits_and_double_forfeit(org_client, running, players):
    g1 = game_between(running, players[0], players[2])
    g2 = game_between(running, players[1], players[3])
    enter_result(org_client, running, g1.id, "-/+")
    enter_result(org_client, running, g2.id, "-/-")
    assert [g.result for g in games_of(running, 1)] == [GameResult.BLACK_WIN_FORFEIT, GameResult.DOUBLE_FORFEIT]
    db.session.expire_all()
    assert db.session.scalar(select(Round.status)) == RoundStatus.COMPLETED


def test_result_for_a_game_of_another_tournament_is_404(org_client, organizer, running, players):
    other = setup_tournament(organizer, 2, name="Other")
    start_round(other, organizer)
    foreign = games_of(other, 1)[0]
    before = db_state()
    response = post_form(org_client, f"/tournaments/{running}/games/{foreign.id}/result", {"result": "1-0"},
                         form_url=f"/tournaments/{running}/rounds/1")
    assert response.status_code == 404
    assert db_state() == before


def test_player_reports_and_opponent_confirms(login, running, players, client):
    game = game_between(running, players[0], players[2])
    reporter = login(players[0])
    response = game_form(reporter, game.id, "report", {"result": "0-1"})
    assert response.status_code == 303
    game = games_of(running, 1)[0]
    assert (game.result, game.reported_result, game.reported_by_id) == (GameResult.PENDING, GameResult.BLACK_WIN,
                                                                         players[0].id)
    assert "0–1?" in client.get(f"/tournaments/{running}/scoreboard").get_data(as_text=True)

    before = db_state()
    own = game_form(reporter, game.id, "confirm", {"version": str(game.revision)})  # no button: a forged form
    assert own.status_code == 403 and "You reported this result" in own.get_data(as_text=True)
    assert db_state() == before

    opponent = login(players[2])
    page = opponent.get(f"/games/{game.id}").get_data(as_text=True)
    assert "Your opponent reported" in page
    assert game_form(opponent, game.id, "confirm", {}).status_code == 303
    game = games_of(running, 1)[0]
    assert (game.result, game.confirmed_by_id) == (GameResult.BLACK_WIN, players[2].id)
    assert [row[0] for row in audit_rows()] == ["result_reported", "result_confirmed"]
    events = [e.type for e in db.session.scalars(select(RealtimeEvent).where(RealtimeEvent.entity_type == "game").order_by(RealtimeEvent.id))]
    assert events == [EventType.GAME_RESULT_SUBMITTED, EventType.GAME_COMPLETED]


def test_same_report_by_both_players_is_final(login, running, players):
    game = game_between(running, players[1], players[3])
    game_form(login(players[1]), game.id, "report", {"result": "1/2-1/2"})
    game_form(login(players[3]), game.id, "report", {"result": "1/2-1/2"})
    assert games_of(running, 1)[1].result == GameResult.DRAW


def test_contradicting_report_is_flagged_for_the_arbiter(login, org_client, running, players):
    game = game_between(running, players[1], players[3])
    game_form(login(players[1]), game.id, "report", {"result": "1-0"})
    game_form(login(players[3]), game.id, "report", {"result": "0-1"})
    game = games_of(running, 1)[1]
    assert game.disputed and game.result == GameResult.PENDING
    assert audit_rows()[-1][:3] == ("result_disputed", "1-0", "0-1")
    assert "disputed" in org_client.get(f"/tournaments/{running}/rounds/1").get_data(as_text=True)
    assert enter_result(org_client, running, game.id, "1-0").status_code == 303
    game = games_of(running, 1)[1]
    assert game.result == GameResult.WHITE_WIN and not game.disputed


def test_only_the_players_report(login, running, players):
    game = game_between(running, players[0], players[2])
    stranger = login(make_user(Role.PARTICIPANT, name="Stranger Danger"))
    before = db_state()
    forged = {"version": str(game.revision)}
    response = post_form(stranger, f"/games/{game.id}/report", {"result": "1-0", **forged}, form_url="/")
    assert response.status_code == 403 and "Only the two players" in response.get_data(as_text=True)
    confirm = post_form(stranger, f"/games/{game.id}/confirm", forged, form_url="/")
    assert confirm.status_code == 403
    bad_code = game_form(login(players[0]), game.id, "report", {"result": "+/-"})
    assert bad_code.status_code == 400
    assert db_state() == before


def test_final_results_cannot_be_reported_over(org_client, login, running, players):
    game = game_between(running, players[0], players[2])
    rosa = login(players[2])
    shown = rosa.get(f"/games/{game.id}").get_data(as_text=True)  # Rosa opens her game page ...
    enter_result(org_client, running, game.id, "1-0")  # ... the arbiter enters the result ...
    before = db_state()
    version = re.search(r'name="version" value="(\d+)"', shown).group(1)
    response = game_form(rosa, game.id, "report", {"result": "0-1", "version": version})  # ... she reports from it
    assert response.status_code == 409 and "the result is now 1–0" in response.get_data(as_text=True)
    assert "Report result" not in response.get_data(as_text=True)  # the page as it is now: final, no form
    assert db_state() == before
    stale = game_form(rosa, game.id, "report", {"result": "0-1", "version": str(games_of(running, 1)[0].revision)})
    assert stale.status_code == 409 and "already final" in stale.get_data(as_text=True)
    assert db_state() == before


def test_htmx_result_entry_returns_the_row(org_client, running, players):
    game = game_between(running, players[0], players[2])
    token = csrf_token(org_client, f"/tournaments/{running}/rounds/1")
    response = org_client.post(f"/tournaments/{running}/games/{game.id}/result", headers={"HX-Request": "true"},
                               data={"result": "1/2-1/2", "csrf_token": token, "version": str(game.revision)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<tr id="board-{game.board}"') and "½–½" in html and "Saved" in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # the swapped row's forms carry it
    bad = org_client.post(f"/tournaments/{running}/games/{game.id}/result", headers={"HX-Request": "true"},
                          data={"result": "0-1", "csrf_token": token, "version": version})
    assert bad.status_code == 400 and "give a reason" in bad.get_data(as_text=True)
    assert bad.get_data(as_text=True).lstrip().startswith("<tr")


def test_the_result_rows_offer_what_the_service_accepts(org_client, running):
    """Page and htmx row alike list the arbiter's results with the form's labels, starting empty."""
    game = games_of(running, 1)[0]
    assert enter_result(org_client, running, game.id, "-/+").status_code == 303
    token = csrf_token(org_client, f"/tournaments/{running}/rounds/1")
    row = org_client.post(f"/tournaments/{running}/games/{game.id}/result", headers={"HX-Request": "true"},
                          data={"result": "-/+", "csrf_token": token, "version": str(games_of(running, 1)[0].revision)})
    page = org_client.get(f"/tournaments/{running}/rounds/1")
    for html in (page.get_data(as_text=True), row.get_data(as_text=True)):
        board = html[html.index(f'<tr id="board-{game.board}"'):]
        board = board[:board.index("</tr>")]
        options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', board)
        assert [(value, label) for value, _, label in options] == [("", "Choose…"), *ARBITER_RESULTS.items()]
        assert [value for value, selected, _ in options if selected] == [""]  # never a preset result
        assert set(ARBITER_RESULTS) == {code.value for code in ARBITER_CODES}


def test_players_cannot_use_the_arbiter_form(login, running, players):
    game = game_between(running, players[0], players[2])
    pia = login(players[0])
    before = db_state()
    token = csrf_token(pia, f"/games/{game.id}")
    response = pia.post(f"/tournaments/{running}/games/{game.id}/result", data={"result": "1-0", "csrf_token": token})
    assert response.status_code == 403
    assert db_state() == before
