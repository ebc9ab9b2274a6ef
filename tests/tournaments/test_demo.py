"""`flask seed-demo`: an empty database gets the demo (made through the services), a second run changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chessweb import demo
from chessweb.demo import LOGINS
from chessweb.extensions import db
from chessweb.models import (AuditEntry, ByeRequest, Game, NotificationPreference, RealtimeEvent, Registration,
                             RegistrationStatus, Role, Round, RoundStatus, Tournament, TournamentFormat,
                             TournamentStatus, User)

from ..conftest import make_user


@pytest.fixture(autouse=True)
def development(app):
    app.config["ENV"] = "development"  # `make run`; elsewhere seed-demo refuses (tests/test_cli.py)


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Tournament, Registration, Round, Game)}


def test_seed_demo_fills_an_empty_database_once(runner, client, auth):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for login in LOGINS:
        assert login.email in result.output and login.password in result.output
    tournaments = {t.name: t for t in db.session.scalars(select(Tournament))}
    rr = next(t for t in tournaments.values() if t.format == TournamentFormat.ROUND_ROBIN)
    swiss = next(t for t in tournaments.values() if t.format == TournamentFormat.SWISS and t.rounds)
    upcoming = next(t for t in tournaments.values() if t.status == TournamentStatus.REGISTRATION)
    assert len(rr.registrations) == 10 and rr.planned_rounds == 9 and rr.status == TournamentStatus.ACTIVE
    assert [r.status for r in rr.rounds][:4] == [RoundStatus.COMPLETED] * 4 and len(rr.rounds) == 5
    assert len(swiss.registrations) == 40 and len(swiss.rounds) >= 3
    ratings = [r.rating for r in swiss.registrations]
    assert min(ratings) >= 1200 and max(ratings) <= 2700
    top = max(swiss.registrations, key=lambda r: r.rating)
    assert top.title == "GM"
    assert any(r.status == RegistrationStatus.WITHDRAWN for r in swiss.registrations)
    assert len(upcoming.registrations) >= 1
    assert db.session.scalar(select(User).where(User.email == LOGINS[0].email)).role == Role.ADMIN
    assert any(g.pgn for r in rr.rounds for g in r.games)  # a live board to watch
    for t in tournaments.values():
        for path in ("", "/scoreboard", "/standings"):
            assert client.get(f"/tournaments/{t.id}{path}").status_code == 200
    assert auth.login(LOGINS[0].email, LOGINS[0].password).status_code == 303

    before = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "not empty" in again.output
    assert counts() == before


def test_seed_demo_leaves_a_real_database_alone(runner):
    make_user(Role.ADMIN, name="Real Admin")
    before = counts()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "not empty" in result.output
    assert "admin-demo-2026" not in result.output
    assert counts() == before


# Two seeds (50 s on PostgreSQL); the seed's own test above runs there, and the clean-up is deletes in foreign-key
# order, which SQLite enforces as PostgreSQL does (PRAGMA foreign_keys).
@pytest.mark.any_database
def test_a_seed_that_fails_half_way_leaves_the_database_empty_to_seed_again(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(demo, "_upcoming", broken)  # the third tournament; two are made and committed by then
    with pytest.raises(RuntimeError, match="the disk is full"):
        demo.seed_demo()
    assert demo.is_empty()
    leftovers = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                 for model in (User, Tournament, Registration, Round, Game, ByeRequest, AuditEntry, RealtimeEvent,
                               NotificationPreference)}
    assert set(leftovers.values()) == {0}, leftovers

    monkeypatch.undo()
    assert demo.seed_demo() is True
    assert db.session.scalar(select(func.count()).select_from(Tournament)) == 3
