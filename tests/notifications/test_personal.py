"""Personal notifications made from the changes the tournament services record: who gets what, and the
preferences that decide it. Driven through the real services; read back through the inbox queries."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.models import Notification, NotificationPreference, Registration, TournamentFormat
from chessweb.notifications import inbox
from chessweb.realtime import realtime
from chessweb.tournaments import registration, results
from chessweb.tournaments.service import ServiceError

from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of


def notices(user, kind=None):
    db.session.expire_all()
    query = select(Notification).where(Notification.recipient_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def test_a_published_round_tells_each_paired_player_board_colour_and_opponent(app, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    game = next(g for g in games_of(tid, 1) if g.white.user_id == players[0].id or g.black.user_id == players[0].id)
    mine = notices(players[0], "paired")
    assert len(mine) == 1
    colour = "White" if game.white.user_id == players[0].id else "Black"
    opponent = game.black if colour == "White" else game.white
    assert f"board {game.board}, {colour}" in mine[0].title
    assert f"against {opponent.name} ({opponent.rating})" in mine[0].message
    assert mine[0].link == f"/games/{game.id}"
    assert mine[0].data["opponent"] == {"name": opponent.name, "rating": opponent.rating}
    assert [n.kind for n in notices(players[1])].count("paired") == 1
    # Registration and tournament start came first, each in its group.
    assert {n.kind for n in notices(players[0])} >= {"registration_accepted", "tournament_started", "paired"}


def test_a_reported_result_asks_the_opponent_to_confirm_and_the_confirmation_tells_the_reporter(
        app, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    white, black = game.white.user_id, game.black.user_id
    by_id = {p.id: p for p in players}
    results.report_result(tid, game.id, "1-0", white)
    asked = notices(by_id[black], "result_reported")
    db.session.refresh(game)
    assert len(asked) == 1 and asked[0].data == {"game": game.id, "result": "1-0", "confirm": True,
                                                 "version": game.revision}
    assert not notices(by_id[white], "result_reported")
    results.confirm_result(tid, game.id, black)
    confirmed = notices(by_id[white], "result_confirmed")
    assert len(confirmed) == 1 and "1–0" in confirmed[0].title
    assert not notices(by_id[black], "result_confirmed")  # the one who confirmed knows


def test_a_correction_and_a_dispute_are_told_as_such(app, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    first, second = games_of(tid, 1)
    results.set_result(tid, first.id, "1-0", organizer.id)
    results.set_result(tid, first.id, "0-1", organizer.id, reason="scoresheet")
    player = next(p for p in players if p.id == first.white.user_id)
    assert [n.kind for n in notices(player) if n.kind.startswith("result")] == ["result_confirmed", "result_corrected"]
    results.report_result(tid, second.id, "1-0", second.white.user_id)
    results.report_result(tid, second.id, "0-1", second.black.user_id)
    loser = next(p for p in players if p.id == second.black.user_id)
    assert notices(loser, "result_disputed")


def test_withdrawal_requested_bye_and_final_rank(app, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.SWISS, rounds_planned=1, accounts=players)
    reg = db.session.scalar(select(Registration).where(Registration.user_id == players[3].id))
    registration.request_bye(tid, reg.id, 1, True, organizer.id)
    start_round(tid, organizer)
    assert notices(players[3], "bye_granted")
    for game in games_of(tid, 1):
        if game.black is not None:
            results.set_result(tid, game.id, "1-0", organizer.id)
    done = notices(players[0], "tournament_completed")
    assert len(done) == 1 and done[0].data["rank"] >= 1 and "You finished" in done[0].message


def test_a_group_turned_off_is_not_stored_at_all(app, organizer, players):
    db.session.get(NotificationPreference, players[0].id).pairing_updates = False
    db.session.commit()
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    assert not notices(players[0], "paired")
    assert notices(players[1], "paired")


def test_a_failing_service_leaves_no_notification(app, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    before = db.session.scalar(select(func.count(Notification.id)))
    game = games_of(tid, 1)[0]
    with pytest.raises(ServiceError):
        results.report_result(tid, game.id, "1-0", organizer.id)  # not a player of the game
    assert db.session.scalar(select(func.count(Notification.id))) == before


def test_inbox_unread_count_mark_one_and_mark_all(app, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    realtime.flush()
    user = players[0]
    items, more = inbox.page(user)
    assert not more and [i.notification.id for i in items] == sorted((i.notification.id for i in items), reverse=True)
    total = inbox.unread_count(user)
    assert total == len(items) >= 3
    assert inbox.mark_read(user, items[0].notification.id)
    db.session.commit()
    assert inbox.unread_count(user) == total - 1
    assert not inbox.mark_read(user, notices(players[1])[0].id)  # someone else's
    inbox.mark_all_read(user)
    db.session.commit()
    assert inbox.unread_count(user) == 0
    assert all(i.read for i in inbox.page(user)[0])
