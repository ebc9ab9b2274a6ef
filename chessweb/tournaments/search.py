"""Search: tournaments and players by name, among what the viewer may see (plain GET forms, no JS needed).

    /search?q=...                        tournaments and players everywhere
    /tournaments/<id>/search?q=...       players of one tournament

A query is 1 to 64 characters, matched case-insensitively anywhere in the name, LIKE wildcards escaped;
at most MAX_RESULTS of each kind are listed (the page says when there are more).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Registration, RegistrationStatus, Tournament
from ..permissions import can_view
from .blueprint import bp
from .web import visible_tournament

MAX_QUERY = 64
MAX_RESULTS = 50


@dataclass(frozen=True)
class PlayerHit:
    """One player found: where they play, and their page when they have a pairing number."""
    name: str
    title: str
    rating: int | None
    number: int | None
    withdrawn: bool
    tournament_id: int
    tournament_name: str


def _query() -> tuple[str, str | None]:
    """The cleaned query and a problem to show (too long), from ?q=."""
    text = " ".join((request.args.get("q") or "").split())
    if len(text) > MAX_QUERY:
        return text[:MAX_QUERY], f"Search for at most {MAX_QUERY} characters."
    return text, None


def _matches(column, text: str):
    return func.lower(column).contains(text.lower(), autoescape=True)


def find_tournaments(text: str) -> list[Tournament]:
    """Tournaments the viewer may see whose name contains `text`, newest first (MAX_RESULTS + 1 at most)."""
    rows = db.session.scalars(select(Tournament).where(_matches(Tournament.name, text))
                              .order_by(Tournament.start_date.desc(), Tournament.id.desc())
                              .limit(4 * MAX_RESULTS)).all()
    return [t for t in rows if can_view(current_user, t)][:MAX_RESULTS + 1]


def find_players(text: str, tournament_id: int | None = None) -> list[PlayerHit]:
    """Players whose name contains `text`, in tournaments the viewer may see (or in one tournament)."""
    statement = (select(Registration, Tournament).join(Tournament, Registration.tournament_id == Tournament.id)
                 .where(_matches(Registration.name, text))
                 .order_by(Tournament.start_date.desc(), Registration.pairing_number, Registration.name)
                 .limit(4 * MAX_RESULTS))
    if tournament_id is not None:
        statement = statement.where(Registration.tournament_id == tournament_id)
    visible: dict[int, bool] = {}
    hits = []
    for registration, tournament in db.session.execute(statement).all():
        if tournament.id not in visible:
            visible[tournament.id] = can_view(current_user, tournament)
        if visible[tournament.id]:
            hits.append(PlayerHit(name=registration.name, title=registration.title or "", rating=registration.rating,
                                  number=registration.pairing_number,
                                  withdrawn=registration.status == RegistrationStatus.WITHDRAWN,
                                  tournament_id=tournament.id, tournament_name=tournament.name))
    return hits[:MAX_RESULTS + 1]


@bp.get("/search")
def search():
    """Tournaments and players by name, from the tournament list's search form."""
    text, problem = _query()
    tournaments = find_tournaments(text) if text and not problem else []
    players = find_players(text) if text and not problem else []
    status = 400 if problem else 200
    return render_template("tournaments/search.html", q=text, problem=problem, tournament=None,
                           tournaments=tournaments[:MAX_RESULTS], players=players[:MAX_RESULTS],
                           more=len(tournaments) > MAX_RESULTS or len(players) > MAX_RESULTS), status


@bp.get("/tournaments/<int:tournament_id>/search")
def search_in_tournament(tournament_id: int):
    """Players of one tournament by name."""
    tournament = visible_tournament(tournament_id)
    text, problem = _query()
    players = find_players(text, tournament_id) if text and not problem else []
    status = 400 if problem else 200
    return render_template("tournaments/search.html", q=text, problem=problem, tournament=tournament,
                           tournaments=[], players=players[:MAX_RESULTS], more=len(players) > MAX_RESULTS), status
