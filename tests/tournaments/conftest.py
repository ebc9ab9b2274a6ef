"""Fixtures for the tournament tests: logged-in clients per role and tournaments set up through the services."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chessweb.models import Role, TournamentFormat, User
from chessweb.tournaments import registration, rounds, settings
from chessweb.tournaments.registration import PlayerDetails

from ..conftest import AuthActions, make_user


@pytest.fixture
def organizer(app: Flask) -> User:
    return make_user(Role.ORGANIZER, name="Olga Organizer")


@pytest.fixture
def login(app: Flask) -> Callable[[User], FlaskClient]:
    """A fresh client (its own cookies) logged in as `user` through the login form."""
    def logged_in(user: User) -> FlaskClient:
        client = app.test_client()
        response = AuthActions(client).login(user)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client
    return logged_in


@pytest.fixture
def org_client(login, organizer: User) -> FlaskClient:
    return login(organizer)


def setup_tournament(organizer: User, players: int, fmt: TournamentFormat = TournamentFormat.SWISS, *,
                     rounds_planned: int = 5, accounts: list[User] | None = None, name: str = "Test Open") -> int:
    """A tournament with `players` players (the first ones linked to `accounts`), numbered by rating."""
    tid = settings.create_tournament(settings.TournamentSettings(
        name=name, format=fmt, start_date=date(2026, 5, 1),
        planned_rounds=rounds_planned if fmt == TournamentFormat.SWISS else None), organizer.id)
    accounts = accounts or []
    for i in range(players):
        email = accounts[i].email if i < len(accounts) else ""
        player_name = accounts[i].display_name if i < len(accounts) else f"Player {i + 1:02d}"
        registration.add_player(tid, PlayerDetails(name=player_name, rating=2400 - 20 * i), organizer.id,
                                account_email=email)
    registration.assign_pairing_numbers(tid, organizer.id)
    return tid


def start_round(tid: int, organizer: User) -> int:
    """Pair and publish the next round through the services; returns its number."""
    number = rounds.pair_next_round(tid, organizer.id)
    rounds.publish_round(tid, number, organizer.id)
    return number


@pytest.fixture
def players(app: Flask) -> list[User]:
    """Four participant accounts."""
    return [make_user(Role.PARTICIPANT, name=name) for name in ("Pia Player", "Quentin Player", "Rosa Player",
                                                                  "Sven Player")]
