"""No lost updates: every form acting on something the user was shown carries its version, and a change made
meanwhile by someone else is answered with 409 and the current state, never applied unseen (issue 11)."""
from __future__ import annotations

import http.cookiejar
import re
from html.parser import HTMLParser
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import AuditEntry, GameResult, Registration, RegistrationStatus, Role, Tournament

from ..conftest import PASSWORD, make_user
from .conftest import setup_tournament, start_round
from .helpers import db_state, games_of

class _Forms(HTMLParser):
    """Each form of a page: its action (None when it posts to its own page) and hidden inputs, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str | None, dict[str, str]]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action"), {}))
            self.inside = True
        elif tag == "input" and self.inside and a.get("type") == "hidden" and a.get("name"):
            self.forms[-1][1].setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden inputs (CSRF token included) of the first form posting to `action` on a page (or, when none
    names it, of the first form posting to its own page), as a browser would submit them."""
    parser = _Forms()
    parser.feed(html)
    for wanted in (action, None):
        for form_action, fields in parser.forms:
            if form_action == wanted:
                return dict(fields)
    raise AssertionError(f"no form for {action}")


def submit(client, page: str, action: str, data: dict | None = None, **kwargs):
    """Open `page`, then post its form for `action` (hidden fields as shown, plus `data`)."""
    html = client.get(page).get_data(as_text=True)
    return client.post(action, data={**form_fields(html, action), **(data or {})}, **kwargs)


def post_shown(client, html: str, action: str, data: dict | None = None, **kwargs):
    """Post the form for `action` from a page loaded earlier (`html`): what a user does after looking a while."""
    return client.post(action, data={**form_fields(html, action), **(data or {})}, **kwargs)


@pytest.fixture
def running(organizer, players):
    """A published round 1 of a 4-player Swiss whose players have accounts: Pia–Rosa and Quentin–Sven."""
    tid = setup_tournament(organizer, 4, accounts=players)
    start_round(tid, organizer)
    return tid


def game_of(tid: int, user) -> tuple:
    """The round-1 game of `user`, with the accounts of White and Black."""
    for game in games_of(tid, 1):
        if user.id in (game.white.user_id, game.black.user_id):
            return game, game.white.user_id, game.black.user_id
    raise AssertionError("no such game")


# --------------------------------------------------------------------------- players: report, confirm, dispute

class Browser:
    """A real HTTP session (its own cookie jar) against the live server, as the case's repro.py drives it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path).read().decode()

    def post(self, path: str, fields: dict) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(fields).encode())
        try:
            response = self.opener.open(request)
            return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def submit(self, page_html: str, action: str, data: dict | None = None) -> tuple[int, str]:
        return self.post(action, {**form_fields(page_html, action), **(data or {})})

    def log_in(self, email: str) -> None:
        status, _ = self.submit(self.get("/auth/login"), "/auth/login", {"email": email, "password": PASSWORD})
        assert status == 200  # after the redirect


def test_confirming_a_report_changed_after_it_was_shown_is_refused(live_server, running, players):
    """Case result-confirm-stale-report, over real HTTP with two sessions as its repro.py."""
    game, white_id, black_id = game_of(running, players[0])
    reporter_user, confirmer_user = (p for uid in (white_id, black_id) for p in players if p.id == uid)
    reporter, confirmer = Browser(live_server.url), Browser(live_server.url)
    reporter.log_in(reporter_user.email)
    confirmer.log_in(confirmer_user.email)
    page = f"/games/{game.id}"

    assert reporter.submit(reporter.get(page), f"{page}/report", {"result": "0-1"})[0] == 200
    shown = confirmer.get(page)  # the confirmer sees "Confirm 0–1"
    assert "Confirm 0–1" in shown
    assert reporter.submit(reporter.get(page), f"{page}/report", {"result": "1-0"})[0] == 200  # changed meanwhile
    status, answer = confirmer.submit(shown, f"{page}/confirm")

    assert status == 409
    assert "has reported 1–0" in answer and "Nothing was saved" in answer  # the current state, to decide again
    db.session.expire_all()
    game = games_of(running, 1)[game.board - 1]
    assert (game.result, game.reported_result, game.confirmed_by_id) == (GameResult.PENDING, GameResult.WHITE_WIN,
                                                                         None)
    # The 409 page offers the current report; disputing it from there goes to the arbiter.
    assert "Confirm 1–0" in answer
    status, _ = confirmer.submit(answer, f"{page}/dispute")
    assert status == 200
    db.session.expire_all()
    game = games_of(running, 1)[game.board - 1]
    assert game.disputed and game.result == GameResult.PENDING


def test_a_report_answers_only_what_the_player_saw(login, running, players):
    game, white_id, black_id = game_of(running, players[1])
    white, black = (login(p) for uid in (white_id, black_id) for p in players if p.id == uid)
    page = f"/games/{game.id}"
    black_page = black.get(page).get_data(as_text=True)  # no report yet
    assert submit(white, page, f"{page}/report", {"result": "1-0"}).status_code == 303
    before = db_state()
    stale = post_shown(black, black_page, f"{page}/report", {"result": "0-1"})
    assert stale.status_code == 409 and "has reported 1–0" in stale.get_data(as_text=True)
    assert db_state() == before  # not silently turned into a dispute
    assert submit(black, page, f"{page}/report", {"result": "0-1"}).status_code == 303  # decided again: a dispute
    assert games_of(running, 1)[game.board - 1].disputed


def test_the_opponent_confirms_or_disputes_on_the_tournament_page(login, running, players):
    game, white_id, black_id = game_of(running, players[0])
    white, black = (login(p) for uid in (white_id, black_id) for p in players if p.id == uid)
    tournament_page = f"/tournaments/{running}"
    assert "Confirm" not in black.get(tournament_page).get_data(as_text=True)
    assert submit(white, f"/games/{game.id}", f"/games/{game.id}/report", {"result": "1/2-1/2"}).status_code == 303
    assert "Dispute" not in white.get(tournament_page).get_data(as_text=True)  # not to the reporter
    html = black.get(tournament_page).get_data(as_text=True)
    assert "Your opponent reported <strong>½–½</strong>" in html and "Confirm ½–½" in html and "Dispute" in html
    response = post_shown(black, html, f"/games/{game.id}/dispute")
    assert response.status_code == 303 and response.headers["Location"].endswith(tournament_page)  # back where it was
    assert games_of(running, 1)[game.board - 1].disputed
    rows = [(a.action, a.old_value, a.reason) for a in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert rows[-1] == ("result_disputed", "1/2-1/2", "the opponent disputes the report")


def test_a_confirmation_goes_back_to_a_local_page_only(login, running, players):
    game, white_id, black_id = game_of(running, players[0])
    white, black = (login(p) for uid in (white_id, black_id) for p in players if p.id == uid)
    assert submit(white, f"/games/{game.id}", f"/games/{game.id}/report", {"result": "1-0"}).status_code == 303
    response = submit(black, f"/tournaments/{running}", f"/games/{game.id}/confirm", {"next": "//evil.example/x"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/games/{game.id}")


# --------------------------------------------------------------------------- two arbiters on one game

def test_two_arbiters_on_one_game(login, organizer, running, players):
    first = login(organizer)
    second = login(make_user(Role.ADMIN, name="Second Arbiter"))
    round_page = f"/tournaments/{running}/rounds/1"
    game = games_of(running, 1)[0]
    action = f"/tournaments/{running}/games/{game.id}/result"
    seen_by_first = first.get(round_page).get_data(as_text=True)
    seen_by_second = second.get(round_page).get_data(as_text=True)
    assert post_shown(first, seen_by_first, action, {"result": "1-0"}).status_code == 303
    before = db_state()

    htmx = {"HX-Request": "true"}
    refused = post_shown(second, seen_by_second, action, {"result": "0-1"}, headers=htmx)
    row = refused.get_data(as_text=True)
    assert refused.status_code == 409 and row.lstrip().startswith(f'<tr id="board-{game.board}"')
    assert "the result is now 1–0 (confirmed by Olga Organizer)" in row and "Nothing was saved" in row
    assert "<strong>1–0</strong>" in row and 'name="reason"' in row and "Correct" in row  # the current row
    assert db_state() == before

    # Deciding again from the returned row is a correction, and needs a reason for the audit trail.
    no_reason = second.post(action, data={**form_fields(row, action), "result": "0-1"}, headers=htmx)
    assert no_reason.status_code == 400 and "give a reason" in no_reason.get_data(as_text=True)
    corrected = second.post(action, data={**form_fields(row, action), "result": "0-1", "reason": "scoresheet"},
                            headers=htmx)
    assert corrected.status_code == 200 and "Saved" in corrected.get_data(as_text=True)
    assert games_of(running, 1)[0].result == GameResult.BLACK_WIN
    trail = [(a.action, a.old_value, a.new_value, a.reason) for a in db.session.scalars(
        select(AuditEntry).where(AuditEntry.game_id == game.id).order_by(AuditEntry.id))]
    assert trail == [("result", "*", "1-0", ""), ("result_corrected", "1-0", "0-1", "scoresheet")]

    # Without htmx the same conflict is the round page with the message, as it is now.
    stale_page = post_shown(first, seen_by_first, action, {"result": "1/2-1/2", "reason": "x"})
    assert stale_page.status_code == 409 and "the result is now 0–1" in stale_page.get_data(as_text=True)


def test_an_arbiter_confirming_a_report_confirms_only_the_report_shown(login, organizer, running, players):
    game, white_id, _ = game_of(running, players[0])
    white = login(next(p for p in players if p.id == white_id))
    arbiter = login(organizer)
    round_page = f"/tournaments/{running}/rounds/1"
    action = f"/tournaments/{running}/games/{game.id}/result"
    submit(white, f"/games/{game.id}", f"/games/{game.id}/report", {"result": "1-0"})
    shown = arbiter.get(round_page).get_data(as_text=True)
    assert "Confirm 1–0" in shown
    submit(white, f"/games/{game.id}", f"/games/{game.id}/report", {"result": "0-1"})
    refused = post_shown(arbiter, shown, action)  # the "Confirm 1–0" button
    assert refused.status_code == 409 and "has reported 0–1" in refused.get_data(as_text=True)
    assert games_of(running, 1)[game.board - 1].result == GameResult.PENDING


# --------------------------------------------------------------------------- drafts, withdrawals, settings

def test_draft_changes_act_only_on_the_draft_shown(login, organizer):
    tid = setup_tournament(organizer, 6)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    page = f"/tournaments/{tid}/rounds/1"
    assert submit(first, f"/tournaments/{tid}/manage", f"/tournaments/{tid}/rounds").status_code == 303
    seen = second.get(page).get_data(as_text=True)
    boards = games_of(tid, 1)
    colours = f"/tournaments/{tid}/games/{boards[0].id}/colours"
    assert submit(first, page, colours, {"reason": "wheelchair side"}).status_code == 303
    before = db_state()
    for action, data in ((f"/tournaments/{tid}/rounds/1/swap",
                          {"first": boards[1].white_id, "second": boards[2].white_id, "reason": "club mates"}),
                         (colours, {"reason": "again"}),
                         (f"/tournaments/{tid}/rounds/1/publish", {}),
                         (f"/tournaments/{tid}/rounds/1/discard", {"reason": "pair again"})):
        refused = post_shown(second, seen, action, data)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 409, (action, body[:300])
        assert "changed" in body and "Nothing was" in body and "Only you see this draft" in body
        assert db_state() == before
    # Reloaded, the deputy sees the swap and may act on it.
    assert submit(second, page, f"/tournaments/{tid}/rounds/1/publish").status_code == 303


def test_withdrawing_a_player_acts_on_the_entry_and_round_shown(login, organizer):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    manage = f"/tournaments/{tid}/manage"
    player = db.session.scalars(select(Registration).where(Registration.tournament_id == tid)
                                .order_by(Registration.pairing_number)).first()
    action = f"/tournaments/{tid}/players/{player.id}/withdraw"
    seen = second.get(manage).get_data(as_text=True)
    assert f"Withdraw {player.name} from round 2 on" in seen

    edit = f"/tournaments/{tid}/players/{player.id}/edit"
    renamed = submit(first, edit, edit,
                     {"name": "Renamed Player", "rating": "2400", "title": "", "federation": "", "fide_id": ""})
    assert renamed.status_code == 303
    before = db_state()
    refused = post_shown(second, seen, action, {"reason": "ill"})
    assert refused.status_code == 409 and "now: Renamed Player" in refused.get_data(as_text=True)
    assert db_state() == before

    # The page said "from round 2"; round 2 is paired meanwhile, so withdrawing would now mean round 3.
    seen = second.get(manage).get_data(as_text=True)
    from chessweb.tournaments import results, rounds
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    rounds.pair_next_round(tid, organizer.id)
    rounds.publish_round(tid, 2, organizer.id)
    before = db_state()
    refused = post_shown(second, seen, action, {"reason": "ill"})
    assert refused.status_code == 409 and "takes effect from round 3" in refused.get_data(as_text=True)
    assert db_state() == before
    assert submit(second, manage, action, {"reason": "ill"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, player.id).withdrawn_from_round == 3


def test_editing_settings_does_not_overwrite_a_change_made_meanwhile(login, organizer):
    tid = setup_tournament(organizer, 4)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    edit = f"/tournaments/{tid}/edit"
    settings = {"name": "Test Open", "format": "SWISS", "planned_rounds": "5", "start_date": "2026-05-01",
                "time_control": "", "venue": "", "is_public": "y", "tiebreaks": "", "tiebreak_edition": "",
                "top_seed_colour": "w"}
    seen = second.get(edit).get_data(as_text=True)
    assert submit(first, edit, edit, {**settings, "venue": "Bergen"}).status_code == 303
    before = db_state()
    refused = post_shown(second, seen, edit, {**settings, "name": "Renamed Open"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Someone else changed the settings" in body
    assert "venue: Bergen (you entered –)" in body and "name: Test Open (you entered Renamed Open)" in body
    assert 'value="Bergen"' in body  # the form shows the settings as they are now
    assert db_state() == before
    assert post_shown(second, body, edit, {**settings, "venue": "Bergen", "name": "Renamed Open"}).status_code == 303
    db.session.expire_all()
    assert (db.session.get(Tournament, tid).name, db.session.get(Tournament, tid).venue) == ("Renamed Open", "Bergen")


def test_a_form_without_its_version_changes_nothing(org_client, running):
    game = games_of(running, 1)[0]
    before = db_state()
    html = org_client.get(f"/tournaments/{running}/rounds/1").get_data(as_text=True)
    fields = form_fields(html, f"/tournaments/{running}/games/{game.id}/result")
    del fields["version"]
    response = org_client.post(f"/tournaments/{running}/games/{game.id}/result", data={**fields, "result": "1-0"})
    assert response.status_code == 400 and "The page is out of date" in response.get_data(as_text=True)
    assert db_state() == before


# --------------------------------------------------------------------------- the organizer's and players' forms

def test_pair_next_round_is_offered_only_when_it_can_succeed(org_client, organizer, running):
    manage = f"/tournaments/{running}/manage"
    html = org_client.get(manage).get_data(as_text=True)
    assert re.search(r'<button type="submit" disabled aria-describedby="pair-blocker">Pair round 2</button>', html)
    assert "Round 1 is not complete: 2 game(s) still have no final result." in html
    from chessweb.tournaments import results
    for game in games_of(running, 1):
        results.set_result(running, game.id, "1/2-1/2", organizer.id)
    html = org_client.get(manage).get_data(as_text=True)
    assert "<button type=\"submit\">Pair round 2</button>" in html and "pair-blocker" not in html
    lonely = setup_tournament(organizer, 1, name="Lonely")
    html = org_client.get(f"/tournaments/{lonely}/manage").get_data(as_text=True)
    assert "disabled" in html and "At least two players are needed" in html


def test_a_player_withdraws_from_the_remaining_rounds_after_the_start(login, organizer, running, players):
    pia = login(players[0])
    page = f"/tournaments/{running}"
    html = pia.get(page).get_data(as_text=True)
    assert "Withdraw my registration" not in html and "Withdraw from the remaining rounds" in html
    assert "You will not be paired from round 2 on" in html and "your game in round 1" in html
    before = db_state()
    unconfirmed = post_shown(pia, html, f"{page}/unregister")
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.get_data(as_text=True)
    assert db_state() == before
    assert post_shown(pia, html, f"{page}/unregister", {"confirm": "y"}).status_code == 303
    db.session.expire_all()
    entry = db.session.scalar(select(Registration).where(Registration.user_id == players[0].id))
    assert (entry.status, entry.withdrawn_from_round) == (RegistrationStatus.WITHDRAWN, 2)
    assert "(withdrawn)" in pia.get(page).get_data(as_text=True)
    # FIDE: the games played stand, and no further pairing.
    from chessweb.tournaments import results, rounds
    for game in games_of(running, 1):
        results.set_result(running, game.id, "1-0", organizer.id)
    rounds.pair_next_round(running, organizer.id)
    assert all(entry.id not in (g.white_id, g.black_id) for g in games_of(running, 2))
    assert any(entry.id in (g.white_id, g.black_id) and g.result.is_final for g in games_of(running, 1))


def test_a_player_withdrawal_for_a_round_that_was_paired_meanwhile_is_refused(login, organizer, running, players):
    pia = login(players[0])
    page = f"/tournaments/{running}"
    html = pia.get(page).get_data(as_text=True)  # "from round 2"
    from chessweb.tournaments import results
    for game in games_of(running, 1):
        results.set_result(running, game.id, "1-0", organizer.id)
    start_round(running, organizer)
    before = db_state()
    refused = post_shown(pia, html, f"{page}/unregister", {"confirm": "y"})
    assert refused.status_code == 409 and "takes effect from round 3" in refused.get_data(as_text=True)
    assert db_state() == before


def test_editing_a_player_does_not_overwrite_a_change_made_meanwhile(login, organizer):
    tid = setup_tournament(organizer, 4)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    player = db.session.scalars(select(Registration).where(Registration.tournament_id == tid)).first()
    page = f"/tournaments/{tid}/players/{player.id}/edit"
    details = {"name": player.name, "rating": "2400", "title": "", "federation": "", "fide_id": ""}
    seen = second.get(page).get_data(as_text=True)
    assert submit(first, page, page, {**details, "federation": "NOR"}).status_code == 303
    before = db_state()
    refused = post_shown(second, seen, page, {**details, "rating": "2410"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "changed by someone else" in body and 'value="NOR"' in body
    assert db_state() == before
    assert post_shown(second, body, page, {**details, "federation": "NOR", "rating": "2410"}).status_code == 303
    db.session.expire_all()
    entry = db.session.get(Registration, player.id)
    assert (entry.federation, entry.rating) == ("NOR", 2410)


# --------------------------------------------------------------------------- byes, registration window, numbering

def _first_player(tid: int) -> Registration:
    return db.session.scalars(select(Registration).where(Registration.tournament_id == tid)
                              .order_by(Registration.pairing_number)).first()


def test_a_bye_request_acts_on_the_player_list_shown(login, organizer):
    tid = setup_tournament(organizer, 4)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    manage, byes = f"/tournaments/{tid}/manage", f"/tournaments/{tid}/byes"
    player = _first_player(tid)
    seen = second.get(manage).get_data(as_text=True)
    assert submit(first, manage, byes, {"registration_id": player.id, "round_number": "2",
                                        "points": "zero"}).status_code == 303
    before = db_state()
    refused = post_shown(second, seen, byes, {"registration_id": player.id, "round_number": "2", "points": "half"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409, body[:500]
    assert "changed by someone else" in body and "Nothing was" in body
    assert f"{player.name}, rating 2400, active, byes requested: round 2 0" in body  # what it is now
    assert db_state() == before
    # The refused page carries the current version: deciding again there is accepted.
    assert post_shown(second, body, byes, {"registration_id": player.id, "round_number": "2",
                                           "points": "half"}).status_code == 303
    db.session.expire_all()
    assert [(b.round_number, b.half_point) for b in db.session.get(Registration, player.id).bye_requests] == [
        (2, True)]


def test_cancelling_a_bye_acts_on_the_bye_shown(login, organizer):
    tid = setup_tournament(organizer, 4)
    player = _first_player(tid)
    from chessweb.tournaments import registration
    registration.request_bye(tid, player.id, 2, True, organizer.id)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    manage, byes = f"/tournaments/{tid}/manage", f"/tournaments/{tid}/byes"
    cancel = f"/tournaments/{tid}/byes/{player.id}/2/cancel"
    seen = second.get(manage).get_data(as_text=True)
    assert "R2 ½" in seen
    # Meanwhile the other organizer turns the half-point bye into a zero-point one.
    assert submit(first, manage, byes, {"registration_id": player.id, "round_number": "2",
                                        "points": "zero"}).status_code == 303
    before = db_state()
    refused = post_shown(second, seen, cancel)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "byes requested: round 2 0" in body and "Nothing was saved" in body
    assert db_state() == before
    assert submit(second, manage, cancel).status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, player.id).bye_requests == []


@pytest.mark.parametrize("action, meanwhile, now", [("open", "open", "open"), ("close", "close", "closed")])
def test_opening_or_closing_registration_acts_on_the_window_shown(login, organizer, action, meanwhile, now):
    tid = setup_tournament(organizer, 4)
    from chessweb.tournaments import registration
    if action == "close":
        registration.open_registration(tid, organizer.id)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    manage, toggle = f"/tournaments/{tid}/manage", f"/tournaments/{tid}/registration/{action}"
    seen = second.get(manage).get_data(as_text=True)
    assert submit(first, manage, f"/tournaments/{tid}/registration/{meanwhile}").status_code == 303
    before = db_state()
    refused = post_shown(second, seen, toggle)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and f"registration is now {now}" in body and "Nothing was changed" in body
    assert db_state() == before  # no second audit entry, no event


def test_numbering_by_rating_acts_on_the_player_list_shown(login, organizer):
    tid = setup_tournament(organizer, 4)
    first, second = login(organizer), login(make_user(Role.ADMIN, name="Deputy"))
    manage, numbers = f"/tournaments/{tid}/manage", f"/tournaments/{tid}/players/numbers"
    seen = second.get(manage).get_data(as_text=True)
    added = submit(first, manage, f"/tournaments/{tid}/players",
                   {"name": "Strong Late", "rating": "2700", "title": "", "federation": "", "fide_id": "",
                    "account_email": ""})
    assert added.status_code == 303
    before = db_state()
    refused = post_shown(second, seen, numbers)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "now 5 players" in body and "– Strong Late 2700" in body
    assert db_state() == before
    assert post_shown(second, body, numbers).status_code == 303
    db.session.expire_all()
    late = db.session.scalar(select(Registration).where(Registration.name == "Strong Late"))
    assert late.pairing_number == 1
