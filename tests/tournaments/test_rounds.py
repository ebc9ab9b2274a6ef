"""Pairing rounds through the pages: drafts first, Berger and Dutch, byes, manual changes, publishing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from chessweb.extensions import db
from chessweb.fide import dutch
from chessweb.fide.berger import berger_round
from chessweb.models import (AuditEntry, ByeRequest, EventType, Game, GameResult, RealtimeEvent, Registration, Round,
                             RoundStatus, Tournament, TournamentFormat, TournamentStatus)
from chessweb.tournaments import registration, results, rounds
from chessweb.tournaments.registration import PlayerDetails
from chessweb.tournaments.service import ServiceError

from ..conftest import post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state, games_of, manage_action, pair, publish


def numbers(tid: int) -> dict[int, int]:
    """registration id → pairing number"""
    return {r.id: r.pairing_number for r in db.session.scalars(select(Registration)
                                                                .where(Registration.tournament_id == tid))}


def finish_round(tid: int, number: int, organizer, result: str = "1-0") -> None:
    for game in games_of(tid, number):
        if not game.result.is_final:
            results.set_result(tid, game.id, result, organizer.id)


def test_round_robin_follows_berger_and_starts_the_tournament(org_client, organizer, client):
    tid = setup_tournament(organizer, 5, TournamentFormat.ROUND_ROBIN)
    response = pair(org_client, tid)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tournaments/{tid}/rounds/1")
    db.session.expire_all()
    t = db.session.get(Tournament, tid)
    assert t.status == TournamentStatus.UPCOMING and t.planned_rounds == 5  # it starts when round 1 is published
    by_id = numbers(tid)
    expected = berger_round(5, 1)
    assert [(by_id[g.white_id], by_id[g.black_id]) for g in games_of(tid, 1)] == \
        [(b.white, b.black) for b in expected.boards]
    draft = org_client.get(f"/tournaments/{tid}/rounds/1").get_data(as_text=True)
    assert "Only you see this draft" in draft and "Not paired: Player 0" in draft  # the odd field's free round
    # Nobody else sees the draft: not on the scoreboard, not on the game page.
    assert "Round 1" not in client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    assert client.get(f"/games/{games_of(tid, 1)[0].id}").status_code == 404

    assert publish(org_client, tid, 1).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.ACTIVE
    types = [e.type for e in db.session.scalars(select(RealtimeEvent).order_by(RealtimeEvent.id))]
    assert types[-3:] == [EventType.TOURNAMENT_STARTED, EventType.PAIRING_GENERATED, EventType.ROUND_STARTED]
    board = client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    assert f'id="scoreboard-{tid}-round-1"' in board and "Not paired:" in board


def test_pairing_twice_and_pairing_with_results_missing_change_nothing(org_client, organizer):
    tid = setup_tournament(organizer, 4)
    assert pair(org_client, tid).status_code == 303
    before = db_state()
    again = pair(org_client, tid)
    assert again.status_code == 409 and "already paired (draft)" in again.get_data(as_text=True)
    assert db_state() == before

    publish(org_client, tid, 1)
    first = games_of(tid, 1)[0]
    results.set_result(tid, first.id, "1-0", organizer.id)
    before = db_state()
    missing = pair(org_client, tid)
    assert missing.status_code == 409
    assert "Round 1 is not complete: 1 game(s) still have no final result" in missing.get_data(as_text=True)
    assert db_state() == before


def test_publish_twice_is_refused(org_client, organizer):
    tid = setup_tournament(organizer, 4)
    pair(org_client, tid)
    draft = {"version": str(max(g.revision for g in games_of(tid, 1)))}  # what the draft's forms carry
    assert publish(org_client, tid, 1).status_code == 303
    before = db_state()
    response = manage_action(org_client, tid, "rounds/1/publish", draft, form_url=f"/tournaments/{tid}/rounds/1")
    assert response.status_code == 409 and "its pairings can no longer change" in response.get_data(as_text=True)
    assert db_state() == before


def test_swiss_gives_requested_and_pairing_allocated_byes(org_client, organizer):
    tid = setup_tournament(organizer, 9)
    entries = list(db.session.scalars(select(Registration).where(Registration.tournament_id == tid)
                                      .order_by(Registration.pairing_number)))
    registration.request_bye(tid, entries[3].id, 1, True, organizer.id)
    registration.request_bye(tid, entries[5].id, 1, False, organizer.id)
    pair(org_client, tid)
    games = games_of(tid, 1)
    byes = {g.white_id: g.result for g in games if g.black_id is None}
    assert byes[entries[3].id] == GameResult.BYE_HALF and byes[entries[5].id] == GameResult.BYE_ZERO
    # Seven players are left to pair: three boards and the pairing-allocated bye for the lowest-ranked.
    assert len(byes) == 3 and byes[entries[8].id] == GameResult.BYE_PAIRING
    assert len([g for g in games if g.black_id is not None]) == 3
    # The arbiter's result entry says which bye is which (it called all three "set by the pairing").
    page = org_client.get(f"/tournaments/{tid}/rounds/1").get_data(as_text=True)
    bye_rows = re.findall(r'<tr id="board-\d+" class="bye[^"]*">(.*?)</tr>', page, re.S)
    notes = sorted(re.search(r'<span class="muted">([^<]+)</span>\s*</td>\s*$', row).group(1) for row in bye_rows)
    assert notes == ["pairing-allocated bye", "requested bye", "requested bye"], notes


def test_odd_swiss_field_gets_one_pairing_allocated_bye(org_client, organizer, client):
    tid = setup_tournament(organizer, 7)
    pair(org_client, tid)
    publish(org_client, tid, 1)
    games = games_of(tid, 1)
    byes = [g for g in games if g.black_id is None]
    assert len(byes) == 1 and byes[0].result == GameResult.BYE_PAIRING
    assert numbers(tid)[byes[0].white_id] == 7  # the lowest-ranked player
    board = client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    assert "pairing-allocated bye" in board and "bye (1)" in board
    # The scoreboard counts games as the provisional standings do: the bye is no game (it said "1 of 4").
    standings = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert "0 of 3 results" in board and "round 1 in progress, 0 of 3 results in" in standings


def test_swap_players_and_colours_in_a_draft_are_audited(org_client, organizer):
    tid = setup_tournament(organizer, 4)
    pair(org_client, tid)
    (w1, b1, id1), (w2, b2, _) = [(g.white_id, g.black_id, g.id) for g in games_of(tid, 1)]
    url = f"/tournaments/{tid}/rounds/1"
    swap = manage_action(org_client, tid, "rounds/1/swap",
                         {"first": b1, "second": b2, "reason": "brothers must not meet"}, form_url=url)
    assert swap.status_code == 303
    assert [(g.white_id, g.black_id) for g in games_of(tid, 1)] == [(w1, b2), (w2, b1)]
    colours = manage_action(org_client, tid, f"games/{id1}/colours", {"reason": "wheelchair side"}, form_url=url)
    assert colours.status_code == 303
    assert [(g.white_id, g.black_id) for g in games_of(tid, 1)] == [(b2, w1), (w2, b1)]
    actions = [(a.action, a.reason) for a in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert ("pairing_swap", "brothers must not meet") in actions and ("colour_swap", "wheelchair side") in actions
    before = db_state()
    no_reason = manage_action(org_client, tid, "rounds/1/swap",
                              {"first": w1, "second": w2, "reason": ""}, form_url=url)
    assert no_reason.status_code == 400 and "Say why" in no_reason.get_data(as_text=True)
    same = manage_action(org_client, tid, "rounds/1/swap",
                         {"first": w1, "second": w1, "reason": "x"}, form_url=url)
    assert same.status_code == 400 and "two different players" in same.get_data(as_text=True)
    assert db_state() == before
    draft = str(max(g.revision for g in games_of(tid, 1)))  # the version the draft's forms carry
    publish(org_client, tid, 1)
    before = db_state()
    late = manage_action(org_client, tid, "rounds/1/swap",
                         {"first": w1, "second": w2, "reason": "too late", "version": draft}, form_url=url)
    assert late.status_code == 409 and "can no longer change" in late.get_data(as_text=True)
    assert db_state() == before


def test_a_round_robin_draft_swaps_colours_but_not_players(org_client, organizer):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN)
    pair(org_client, tid)
    first, second = games_of(tid, 1)
    page = org_client.get(f"/tournaments/{tid}/rounds/1").get_data(as_text=True)
    assert "Swap places" not in page and "Swap colours" in page
    before = db_state()
    swap = manage_action(org_client, tid, "rounds/1/swap",
                         {"first": first.white_id, "second": second.white_id, "reason": "friends",
                          "version": str(max(first.revision, second.revision))},
                         form_url=f"/tournaments/{tid}/rounds/1")
    assert swap.status_code == 409 and "the Berger table decides who meets whom" in swap.get_data(as_text=True)
    assert db_state() == before
    colours = manage_action(org_client, tid, f"games/{first.id}/colours", {"reason": "wheelchair side"},
                            form_url=f"/tournaments/{tid}/rounds/1")
    assert colours.status_code == 303


def test_discard_draft_to_pair_again_after_a_withdrawal(org_client, organizer):
    tid = setup_tournament(organizer, 5)
    pair(org_client, tid)
    leaving = games_of(tid, 1)[0].white_id
    before = db_state()
    blocked = manage_action(org_client, tid, f"players/{leaving}/withdraw", {"reason": "ill"})
    assert blocked.status_code == 409 and "discard the draft" in blocked.get_data(as_text=True)
    assert db_state() == before
    discard = manage_action(org_client, tid, "rounds/1/discard", {"reason": "a player fell ill"},
                            form_url=f"/tournaments/{tid}/rounds/1")
    assert discard.status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.UPCOMING
    assert db.session.scalars(select(Round)).all() == []
    assert manage_action(org_client, tid, f"players/{leaving}/withdraw", {"reason": "ill"}).status_code == 303
    pair(org_client, tid)
    assert len(games_of(tid, 1)) == 2  # four players left, two boards


def test_round_robin_withdrawal_forfeits_remaining_games(org_client, organizer):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN)
    start_round(tid, organizer)
    finish_round(tid, 1, organizer, "1/2-1/2")
    leaving = games_of(tid, 1)[0].white_id
    registration.withdraw_player(tid, leaving, "left", organizer.id)
    start_round(tid, organizer)
    (forfeit,) = [g for g in games_of(tid, 2) if leaving in (g.white_id, g.black_id)]
    assert forfeit.result == (GameResult.BLACK_WIN_FORFEIT if forfeit.white_id == leaving
                              else GameResult.WHITE_WIN_FORFEIT)


def test_rounds_complete_and_the_tournament_ends_after_the_last(org_client, organizer):
    tid = setup_tournament(organizer, 3, TournamentFormat.ROUND_ROBIN)
    for number in (1, 2, 3):
        start_round(tid, organizer)
        finish_round(tid, number, organizer)
        db.session.expire_all()
        assert db.session.scalar(select(Round.status).where(Round.number == number)) == RoundStatus.COMPLETED
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.COMPLETED
    types = [e.type for e in db.session.scalars(select(RealtimeEvent).order_by(RealtimeEvent.id))]
    assert types.count(EventType.ROUND_COMPLETED) == 3 and types[-1] == EventType.TOURNAMENT_COMPLETED
    before = db_state()
    response = pair(org_client, tid)
    assert response.status_code == 409 and "finished" in response.get_data(as_text=True)
    assert db_state() == before


SWISS_FORM = {"name": "Test Open", "format": "SWISS", "start_date": "2026-05-01", "time_control": "", "venue": "",
              "is_public": "y", "tiebreaks": "", "tiebreak_edition": "", "top_seed_colour": "w"}


def test_cutting_a_swiss_short_to_the_rounds_played_finishes_it(org_client, organizer):
    tid = setup_tournament(organizer, 4, rounds_planned=4)
    waiting = db.session.scalars(select(Registration).where(Registration.tournament_id == tid)).first()
    registration.request_bye(tid, waiting.id, 4, True, organizer.id)
    for number in (1, 2):
        start_round(tid, organizer)
        finish_round(tid, number, organizer, "1/2-1/2")
    start_round(tid, organizer)  # round 3 under way: the event may end after it, not before
    too_few = post_form(org_client, f"/tournaments/{tid}/edit", {**SWISS_FORM, "planned_rounds": "2"})
    assert too_few.status_code == 400 and "plan at least 3 rounds" in too_few.get_data(as_text=True)

    assert post_form(org_client, f"/tournaments/{tid}/edit", {**SWISS_FORM, "planned_rounds": "3"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.ACTIVE  # round 3 is still being played
    assert db.session.scalars(select(ByeRequest)).all() == []  # round 4's bye went with round 4
    assert "bye in round 4" in db.session.scalar(select(AuditEntry.old_value).where(
        AuditEntry.action == "bye_request", AuditEntry.new_value == "cancelled"))
    finish_round(tid, 3, organizer, "1/2-1/2")
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.COMPLETED


def test_lowering_the_rounds_to_those_completed_finishes_the_tournament(org_client, organizer):
    tid = setup_tournament(organizer, 4, rounds_planned=3)
    for number in (1, 2):
        start_round(tid, organizer)
        finish_round(tid, number, organizer, "1/2-1/2")
    assert post_form(org_client, f"/tournaments/{tid}/edit", {**SWISS_FORM, "planned_rounds": "2"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.COMPLETED
    types = [e.type for e in db.session.scalars(select(RealtimeEvent).order_by(RealtimeEvent.id))]
    assert types[-2:] == [EventType.TOURNAMENT_UPDATED, EventType.TOURNAMENT_COMPLETED]
    assert "planned_rounds: 3 → 2" in db.session.scalar(select(AuditEntry.new_value).where(
        AuditEntry.action == "settings"))
    page = org_client.get(f"/tournaments/{tid}/manage").get_data(as_text=True)
    assert "The tournament is complete" in page and "Pair round" not in page


def test_a_round_one_draft_is_the_organizers_alone(org_client, organizer, players, login, client):
    tid = setup_tournament(organizer, 4, accounts=players[:3])
    registration.open_registration(tid, organizer.id)
    events_before = db.session.scalar(select(func.count()).select_from(RealtimeEvent))
    revision = db.session.get(Tournament, tid).revision

    assert pair(org_client, tid).status_code == 303
    first, second = games_of(tid, 1)
    swap = manage_action(org_client, tid, "rounds/1/swap",
                         {"first": first.black_id, "second": second.black_id, "reason": "club rule"},
                         form_url=f"/tournaments/{tid}/rounds/1")
    assert swap.status_code == 303
    # Nothing public: no event for the live layer to send (JSON clients get every event), the status as it was.
    db.session.expire_all()
    t = db.session.get(Tournament, tid)
    assert db.session.scalar(select(func.count()).select_from(RealtimeEvent)) == events_before
    assert t.status == TournamentStatus.REGISTRATION and t.revision == revision + 2
    standings = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert "Standings appear when round 1 starts" in standings
    running = client.get("/").get_data(as_text=True).split("<h2>Running</h2>")[1].split("</section>")[0]
    assert "None." in running
    # Registration stays shut meanwhile: the draft could not include a newcomer, nor lose a player.
    newcomer, entered = login(players[3]), login(players[0])
    before = db_state()
    joined = post_form(newcomer, f"/tournaments/{tid}/register", {}, form_url=f"/tournaments/{tid}")
    left = post_form(entered, f"/tournaments/{tid}/unregister", {}, form_url=f"/tournaments/{tid}")
    for response in (joined, left):
        assert response.status_code == 409
        assert "Registration is closed: round 1 is being paired." in response.get_data(as_text=True)
    assert db_state() == before

    discard = manage_action(org_client, tid, "rounds/1/discard", {"reason": "pair again"},
                            form_url=f"/tournaments/{tid}/rounds/1")
    assert discard.status_code == 303
    assert pair(org_client, tid).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(RealtimeEvent)) == events_before
    assert publish(org_client, tid, 1).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.ACTIVE
    types = [e.type for e in db.session.scalars(select(RealtimeEvent).order_by(RealtimeEvent.id))][events_before:]
    assert types == [EventType.TOURNAMENT_STARTED, EventType.PAIRING_GENERATED, EventType.ROUND_STARTED]


def _wait_briefly_for_locks() -> None:
    """Make this transaction give up on a held lock after 2 s instead of waiting (PostgreSQL) or 15 s (SQLite)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
    else:
        db.session.execute(text("PRAGMA busy_timeout = 2000"))


def test_the_dutch_pairing_runs_without_the_lock_and_a_change_meanwhile_is_not_overwritten(app, organizer,
                                                                                            monkeypatch):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    finish_round(tid, 1, organizer, "1/2-1/2")
    renamed = games_of(tid, 1)[0].white_id
    real_pairer = dutch.pair_next_round
    seen = []

    def pair_while_the_organizer_edits_a_player(table, not_paired, **options):
        # Another request (its own app context, its own session and connection) changes the tournament while
        # gacrux works. Were the lock held, its write would wait for it and time out.
        with app.app_context():
            _wait_briefly_for_locks()
            registration.update_player(tid, renamed, PlayerDetails(name="Renamed Meanwhile", rating=2400),
                                       organizer.id)
        seen.append(table.paired_rounds)
        return real_pairer(table, not_paired, **options)

    monkeypatch.setattr(dutch, "pair_next_round", pair_while_the_organizer_edits_a_player)
    before = db_state()
    with pytest.raises(ServiceError, match=r"^The tournament changed while pairing; pair again\.$") as caught:
        rounds.pair_next_round(tid, organizer.id)
    assert caught.value.status == 409 and seen == [1]
    after = db_state()
    assert after["round"] == before["round"] and after["game"] == before["game"]  # no round 2 written
    assert db.session.get(Registration, renamed).name == "Renamed Meanwhile"  # the other change stands

    monkeypatch.setattr(dutch, "pair_next_round", real_pairer)
    assert rounds.pair_next_round(tid, organizer.id) == 2  # pairing again works


def test_discarding_a_draft_edited_by_hand_keeps_its_audit_trail(org_client, organizer):
    """Case discard-draft-after-colour-swap-500: the audit rows of a draft's boards must not block its deletion."""
    tid = setup_tournament(organizer, 4)
    pair(org_client, tid)
    first, second = games_of(tid, 1)
    discarded = {first.id, second.id}
    url = f"/tournaments/{tid}/rounds/1"
    assert manage_action(org_client, tid, f"games/{first.id}/colours", {"reason": "wheelchair side"},
                         form_url=url).status_code == 303
    assert manage_action(org_client, tid, "rounds/1/swap", {"first": first.white_id, "second": second.white_id,
                                                             "reason": "siblings"}, form_url=url).status_code == 303
    discard = manage_action(org_client, tid, "rounds/1/discard", {"reason": "pair again"}, form_url=url)
    assert discard.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(Round)).all() == [] and db.session.scalars(select(Game)).all() == []
    trail = [(a.action, a.game_id, a.new_value) for a in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert ("colour_swap", None, "round 1 board 1") in trail  # the entry outlives its game
    assert [action for action, _, _ in trail][-3:] == ["colour_swap", "pairing_swap", "draft_discarded"]
    page = org_client.get(f"/tournaments/{tid}/audit").get_data(as_text=True)
    assert "wheelchair side" in page and "round 1 board 1" in page and "discarded draft" in page
    # The round pairs again, and the new boards get new ids (never the discarded ones).
    assert pair(org_client, tid).status_code == 303
    assert {g.id for g in games_of(tid, 1)}.isdisjoint(discarded)
