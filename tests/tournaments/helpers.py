"""Helpers for driving tournaments through the real pages (forms with CSRF tokens) and checking the database."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, select

from chessweb.extensions import db
from chessweb.models import (AuditEntry, ByeRequest, Game, RealtimeEvent, Registration, Round, Tournament)

from ..conftest import post_form

TODAY = "2026-05-01"


def created_id(response) -> int:
    """The tournament id from a redirect to /tournaments/<id>/manage."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = re.search(r"/tournaments/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def create_tournament(client: FlaskClient, **fields: Any) -> int:
    data = {"name": "Spring Open", "format": "SWISS", "planned_rounds": "5", "start_date": TODAY,
            "time_control": "90+30", "venue": "Oslo", "is_public": "y", "tiebreaks": "", "tiebreak_edition": "",
            "top_seed_colour": "w", **fields}
    return created_id(post_form(client, "/tournaments/new", data))


def add_player(client: FlaskClient, tid: int, name: str, rating: int | None = None, **fields: Any):
    data = {"name": name, "rating": "" if rating is None else str(rating), "title": "", "federation": "",
            "fide_id": "", "account_email": "", **fields}
    return post_form(client, f"/tournaments/{tid}/players", data, form_url=f"/tournaments/{tid}/manage")


def manage_action(client: FlaskClient, tid: int, path: str, data: dict | None = None, form_url: str | None = None):
    return post_form(client, f"/tournaments/{tid}/{path}", data or {},
                     form_url=form_url or f"/tournaments/{tid}/manage")


def pair(client: FlaskClient, tid: int):
    return manage_action(client, tid, "rounds")


def publish(client: FlaskClient, tid: int, number: int):
    return manage_action(client, tid, f"rounds/{number}/publish", form_url=f"/tournaments/{tid}/rounds/{number}")


def enter_result(client: FlaskClient, tid: int, game_id: int, result: str, reason: str = "", *,
                 round_number: int | None = None, **kwargs: Any):
    number = round_number or db.session.get(Game, game_id).round.number
    return post_form(client, f"/tournaments/{tid}/games/{game_id}/result", {"result": result, "reason": reason},
                     form_url=f"/tournaments/{tid}/rounds/{number}", **kwargs)


def game_form(client: FlaskClient, game_id: int, action: str, data: dict | None = None):
    """A player's form on the game page (report, confirm, dispute), posted as the page shows it."""
    return post_form(client, f"/games/{game_id}/{action}", data or {}, form_url=f"/games/{game_id}")


def games_of(tid: int, number: int) -> list[Game]:
    db.session.expire_all()
    return list(db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tid, Round.number == number)
                                   .order_by(Game.board)))


def db_state() -> dict[str, list[tuple]]:
    """Every row of the tables tournament services write, to compare before and after a refused change."""
    db.session.expire_all()
    tables = {
        "tournament": (Tournament, ("id", "name", "status", "planned_rounds", "revision", "tiebreaks", "is_public",
                                    "format", "start_date", "top_seed_colour", "tiebreak_edition", "venue",
                                    "time_control")),
        "registration": (Registration, ("id", "tournament_id", "user_id", "name", "rating", "pairing_number",
                                        "status", "withdrawn_from_round")),
        "bye_request": (ByeRequest, ("id", "registration_id", "round_number", "half_point")),
        "round": (Round, ("id", "tournament_id", "number", "status")),
        "game": (Game, ("id", "round_id", "board", "white_id", "black_id", "result", "reported_result",
                        "reported_by_id", "disputed", "pgn")),
        "audit": (AuditEntry, ("id", "action", "old_value", "new_value")),
        "event": (RealtimeEvent, ("id", "type", "entity_id")),
    }
    return {name: sorted(tuple(getattr(row, c) for c in columns) for row in db.session.scalars(select(model)))
            for name, (model, columns) in tables.items()}


@contextmanager
def queries_of_this_thread() -> Iterator[list[str]]:
    """The SQL statements sent from this thread while the block runs (the test client runs requests in it);
    the live core's sweep and publisher query from their own threads meanwhile and are left out."""
    statements: list[str] = []
    me = threading.get_ident()

    def count(conn, cursor, statement, *args):
        if threading.get_ident() == me:
            statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
