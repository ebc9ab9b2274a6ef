"""events.lock_tournament: a service sees the state it holds the lock on, not what its view read before."""
from __future__ import annotations

import pytest

from chessweb.extensions import db
from chessweb.models import AuditEntry, Game, GameResult, Role
from chessweb.tournaments import results
from chessweb.tournaments.service import ServiceError

from .conftest import make_user
from .tournaments.conftest import setup_tournament, start_round
from .tournaments.helpers import games_of


def test_a_result_committed_meanwhile_is_not_overwritten_silently(app):
    organizer = make_user(Role.ORGANIZER, name="Arbiter A")
    tid = setup_tournament(organizer, 4, name="Race Cup")
    start_round(tid, organizer)
    game_id = games_of(tid, 1)[0].id
    seen_by_a = db.session.get(Game, game_id)  # arbiter A's page loaded the pending game
    assert seen_by_a.result is GameResult.PENDING
    with app.app_context():  # arbiter B, another request, enters 1-0 and commits
        results.set_result(tid, game_id, "1-0", organizer.id)
    # A now saves 0-1 without a reason: it is a correction of B's result, and corrections need a reason.
    with pytest.raises(ServiceError, match="reason"):
        results.set_result(tid, game_id, "0-1", organizer.id, reason="")
    db.session.expire_all()
    assert db.session.get(Game, game_id).result is GameResult.WHITE_WIN
    assert [(a.old_value, a.new_value) for a in db.session.query(AuditEntry).filter_by(game_id=game_id)] == [
        ("*", "1-0")]
