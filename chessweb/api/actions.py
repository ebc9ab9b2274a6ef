"""/api/v1/ routes that act, for programs with a personal token (Bearer): a player reports a result, an arbiter
tool enters one, a relay pushes moves. Each calls the same service as the page's form, with the same checks
(who may, stale revisions answered 409); a bad body changes nothing and gets a JSON error."""
from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ..extensions import csrf, db
from ..games.relay import relay_moves
from ..models import Game, Round, Tournament
from ..permissions import can_manage, can_view
from ..tournaments import results
from ..tournaments.service import ServiceError
from . import contracts, read
from .blueprint import bp
from .tokens import token_required
from .views import api_error

MAX_BODY_BYTES = 256 * 1024


def _body(model: type[BaseModel]) -> Any:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise read.BadRequest(f"the body is larger than {MAX_BODY_BYTES // 1024} KB")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise read.BadRequest("send a JSON object with Content-Type: application/json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise read.BadRequest(f"{where}: {first['msg']}") from None


def _game_tournament(game_id: int) -> tuple[int, Tournament]:
    tid = db.session.scalar(select(Round.tournament_id).join(Game, Game.round_id == Round.id)
                            .where(Game.id == game_id))
    tournament = db.session.get(Tournament, tid) if tid is not None else None
    if tournament is None or not can_view(g.api_user, tournament):
        raise NotFound("no such game, or it is not visible to you")
    return tournament.id, tournament


def _done(game_id: int) -> Response:
    db.session.expire_all()
    return jsonify(read.game_detail(game_id).model_dump(mode="json"))


def _refused(error: ServiceError) -> Response:
    code = {403: "forbidden", 404: "not_found", 409: "conflict"}.get(error.status, "bad_request")
    return api_error(error.status, code, error.message)


@bp.post("/games/<int:game_id>/report")
@csrf.exempt
@token_required("report")
def report(game_id: int) -> Response:
    body: contracts.ReportRequest = _body(contracts.ReportRequest)
    tid, _ = _game_tournament(game_id)
    try:
        results.report_result(tid, game_id, body.result, g.api_user.id, shown_revision=body.shown_revision)
    except ServiceError as error:
        return _refused(error)
    return _done(game_id)


@bp.post("/games/<int:game_id>/result")
@csrf.exempt
@token_required("arbiter")
def enter_result(game_id: int) -> Response:
    body: contracts.ResultRequest = _body(contracts.ResultRequest)
    tid, tournament = _game_tournament(game_id)
    if not can_manage(g.api_user, tournament):
        return api_error(403, "forbidden", "only the tournament's organizer or an admin enters results")
    try:
        results.set_result(tid, game_id, body.result, g.api_user.id, body.reason, shown_revision=body.shown_revision)
    except ServiceError as error:
        return _refused(error)
    return _done(game_id)


@bp.post("/games/<int:game_id>/moves")
@csrf.exempt
@token_required("relay")
def push_moves(game_id: int) -> Response:
    body: contracts.MovesRequest = _body(contracts.MovesRequest)
    tid, tournament = _game_tournament(game_id)
    if not can_manage(g.api_user, tournament):
        return api_error(403, "forbidden", "only the tournament's organizer or an admin relays moves")
    try:
        relay_moves(tid, game_id, body.pgn, g.api_user.id)
    except ServiceError as error:
        return _refused(error)
    return _done(game_id)
