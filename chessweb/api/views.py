"""/api/v1/ routes: the published contract (schema.json) and the read API.

Caching (RFC 9110 §8.8, §13.1.2): a tournament's answers carry `ETag: W/"<kind>-<id>-r<revision>"` and
`Last-Modified` from the tournament's row; a matching If-None-Match is answered 304 after the access check and
one primary-key read, before any standings are computed. Private tournaments answer 404 to those who may not
see them, like the pages (permissions.can_view).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from flask import Response, g, jsonify, request
from flask_login import current_user
from pydantic import BaseModel
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, NotFound

from ..extensions import db
from ..models import Game, Round, RoundStatus, Tournament
from ..permissions import can_manage, can_view
from ..tournaments import queries
from . import contracts, read, tokens
from .blueprint import bp


@lru_cache(maxsize=1)
def _schema_bytes() -> bytes:
    return contracts.schema_text().encode()


@bp.get("/schema.json")
def schema() -> Response:
    """The JSON Schema of every /ws message and API payload (the same bytes as docs/api-schema.json)."""
    response = Response(_schema_bytes(), mimetype="application/schema+json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, read-only, no credentials
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


# --------------------------------------------------------------------------- errors

def api_error(status: int, code: str, message: str) -> Response:
    body = contracts.ApiError(error=contracts.ApiErrorDetail(code=code, message=message))
    response = jsonify(body.model_dump())
    response.status_code = status
    return response


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """Programs get JSON errors with a stable code, never an HTML page."""
    status = exc.code or 500
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            429: "rate_limited"}.get(status, "error")
    response = api_error(status, code, exc.description or exc.name)
    if exc.response is not None:  # e.g. Retry-After of a 429
        for name in ("Retry-After",):
            if name in exc.response.headers:
                response.headers[name] = exc.response.headers[name]
    return response


@bp.errorhandler(read.BadRequest)
def bad_request(exc: read.BadRequest) -> Response:
    return api_error(400, "bad_request", str(exc))


# --------------------------------------------------------------------------- caching

def viewer() -> Any:
    """Who reads: the account of a Bearer token with the `read` scope, else the session's user (or a guest)."""
    if "api_viewer" not in g:  # once per request: each token check counts against the token's rate
        g.api_viewer = tokens.authenticate("read") if tokens.has_bearer() else current_user
    return g.api_viewer


def _tournament_row(tournament_id: int) -> Tournament:
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is None or not can_view(viewer(), tournament):
        raise _not_found("tournament")
    return tournament


def _not_found(what: str) -> HTTPException:
    return NotFound(f"no such {what}, or it is not visible to you")


def cached(kind: str, tournament: Tournament, build: Callable[[], BaseModel]) -> Response:
    """304 when the client holds this revision; else the payload with its validators."""
    etag = f"{kind}-{tournament.id}-r{tournament.revision}"
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = jsonify(build().model_dump(mode="json"))
    response.set_etag(etag, weak=True)
    response.last_modified = tournament.updated_at
    response.cache_control.no_cache = True  # may be stored, but ask again: results change during a round
    response.cache_control.private = not tournament.is_public
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= read.MAX_PAGE:
        raise read.BadRequest(f"limit must be a whole number from 1 to {read.MAX_PAGE}")
    return int(raw)


# --------------------------------------------------------------------------- routes

@bp.get("/tournaments")
def tournaments() -> Response:
    """?status=ACTIVE|UPCOMING|REGISTRATION|COMPLETED, ?limit=1..100 (50), ?cursor=<next_cursor>."""
    page = read.tournament_page(viewer(), status=request.args.get("status") or None,
                                cursor=request.args.get("cursor") or None, limit=_limit())
    response = jsonify(page.model_dump(mode="json"))
    response.add_etag(weak=True)
    response.cache_control.no_cache = True
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response.make_conditional(request)


@bp.get("/tournaments/<int:tournament_id>")
def tournament(tournament_id: int) -> Response:
    """The tournament with its published rounds, pairings and results."""
    row = _tournament_row(tournament_id)
    return cached("tournament", row, lambda: read.tournament_detail(tournament_id))


@bp.get("/tournaments/<int:tournament_id>/standings")
def standings(tournament_id: int) -> Response:
    """Standings after the last complete round, tie-breaks in the tournament's order (FIDE C.07)."""
    row = _tournament_row(tournament_id)
    return cached("standings", row, lambda: read.standings(tournament_id))


@bp.get("/tournaments/<int:tournament_id>/players")
def players(tournament_id: int) -> Response:
    row = _tournament_row(tournament_id)
    return cached("players", row, lambda: read.player_list(tournament_id))


@bp.get("/games/<int:game_id>")
def game(game_id: int) -> Response:
    """A game with its moves and PGN; a game of a draft round only for those who run the tournament."""
    found = db.session.execute(select(Game.id, Round.status, Round.tournament_id)
                               .join(Round, Game.round_id == Round.id).where(Game.id == game_id)).first()
    if found is None:
        raise _not_found("game")
    row = _tournament_row(found.tournament_id)
    if found.status == RoundStatus.DRAFT and not can_manage(viewer(), row):
        raise _not_found("game")
    return cached(f"game-{game_id}", row, lambda: read.game_detail(game_id))


@bp.errorhandler(queries.NotFound)
def gone(exc: queries.NotFound) -> Response:
    """Deleted between the access check and the read (a draft game withdrawn, say)."""
    return api_error(404, "not_found", "no such resource, or it is not visible to you")


@bp.route("/<path:_rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str) -> Response:
    """Any other /api/v1/ path: the API's JSON error rather than the site's error page."""
    return api_error(404, "not_found", "no such API endpoint; see /api/v1/schema.json and docs/API.md")
