"""What the read API answers, built from the same queries the pages and fragments use, as contract models.

Every function returns a model of chessweb/api/contracts.py (validated on construction, so a payload that
drifts from its contract fails in the tests that build it). Access and caching are the views' job.
"""
from __future__ import annotations

import base64
import binascii
from fractions import Fraction
from typing import Any

from flask import url_for
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Registration, Role, Tournament, TournamentStatus
from ..tournaments import queries
from ..tournaments.interchange import game_pgn
from . import contracts as c

MAX_PAGE = 100


class BadRequest(ValueError):
    """A query parameter the API cannot use; the text says which and why."""


def player(p: Any) -> c.Player:
    return c.Player(number=p.number, name=p.name, title=p.title or None, rating=p.rating,
                    federation=p.federation or None, withdrawn=p.withdrawn)


def round_state(r: Any) -> c.RoundState:
    return c.RoundState(number=r.number, status=r.status.value, games=[
        c.Pairing(id=g.id, board=g.board, white=player(g.white), black=player(g.black) if g.black else None,
                  result=g.result.value, reported=g.reported.value if g.reported else None) for g in r.games])


def _summary_fields(t: Any) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "format": t.format.value, "status": t.status.value,
            "start_date": t.start_date.isoformat(), "end_date": t.end_date.isoformat() if t.end_date else None,
            "planned_rounds": t.planned_rounds, "federation": t.federation or None, "revision": t.revision,
            "url": url_for("api.tournament", tournament_id=t.id)}


# --------------------------------------------------------------------------- lists

def visible_clause(user: Any) -> Any:
    """SQL for "this user may see the tournament": the rule of permissions.can_view, as a WHERE clause."""
    if user.is_authenticated and user.role == Role.ADMIN:
        return Tournament.id.is_not(None)
    if not user.is_authenticated:
        return Tournament.is_public
    entered = select(Registration.tournament_id).where(Registration.user_id == user.id)
    return or_(Tournament.is_public, Tournament.organizer_id == user.id, Tournament.id.in_(entered))


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"t{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; BadRequest for anything this API did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("cursor is not one this API gave out") from None
    if not (text.startswith("t") and text[1:].isdigit() and len(text) <= 12):
        raise BadRequest("cursor is not one this API gave out")
    return int(text[1:])


def tournament_page(user: Any, *, status: str | None, cursor: str | None, limit: int) -> c.TournamentPage:
    """Tournaments the user may see, newest (highest id) first, `limit` per page, after `cursor`."""
    query = select(Tournament).where(visible_clause(user)).order_by(Tournament.id.desc()).limit(limit + 1)
    if status is not None:
        try:
            query = query.where(Tournament.status == TournamentStatus(status))
        except ValueError:
            raise BadRequest(f"status must be one of {', '.join(s.value for s in TournamentStatus)}") from None
    if cursor:
        query = query.where(Tournament.id < decode_cursor(cursor))
    found = db.session.scalars(query).all()
    items = found[:limit]
    more = len(found) > limit
    return c.TournamentPage(items=[c.TournamentSummary(**_summary_fields(t)) for t in items],
                            next_cursor=encode_cursor(items[-1].id) if more and items else None)


# --------------------------------------------------------------------------- one tournament

def tournament_detail(tournament_id: int) -> c.TournamentDetail:
    t = queries.load_tournament(tournament_id)
    header = queries.header_context(tournament_id, loaded=t)
    board = queries.scoreboard_context(tournament_id, loaded=t)
    return c.TournamentDetail(**_summary_fields(t), time_control=t.time_control, venue=t.venue,
                              tiebreaks=list(t.tiebreak_list), players=header["player_count"],
                              rounds=[round_state(r) for r in reversed(board["rounds"])])


def player_list(tournament_id: int) -> c.PlayerList:
    ctx = queries.registrations_context(tournament_id)
    return c.PlayerList(tournament=tournament_id, revision=ctx["tournament"].revision,
                        players=[player(p) for p in ctx["players"]])


def standings(tournament_id: int) -> c.Standings:
    ctx = queries.standings_context(tournament_id)
    codes = [code for code, _label in ctx["tiebreaks"]]
    return c.Standings(tournament=tournament_id, revision=ctx["tournament"].revision,
                       through_round=ctx["through_round"], tiebreaks=codes, rows=[
        c.StandingsRow(rank=r.rank, shared=r.shared, player=player(r.player), points=_number(r.points),
                       tiebreaks=dict(zip(codes, r.tiebreaks)), change=r.change,
                       live_points=_number(r.live_points) if r.live_points is not None else None)
        for r in ctx["rows"]])


def game_detail(game_id: int) -> c.GameDetail:
    g = queries.game_context(game_id)["game"]
    return c.GameDetail(game=g.id, tournament=g.tournament_id, round=g.round, board=g.board, white=player(g.white),
                        black=player(g.black) if g.black else None, result=g.result.value,
                        moves=[m for pair in g.moves for m in pair if m], pgn=game_pgn(game_id),
                        revision=g.revision)


def _number(value: Fraction | int) -> float:
    return float(value)

