"""The game page, and the players' report / confirm buttons and the organizer's relay form on it."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..live import channels
from ..models import Game, RoundStatus
from ..permissions import can_manage, can_view
from ..tournaments import queries, results
from ..tournaments.forms import ActionForm, MovesForm, ReportForm
from ..tournaments.service import ServiceError
from ..tournaments.web import form_problems, live_url, page_or_fragment, report_error
from .blueprint import bp
from .relay import relay_moves


def _visible_game(game_id: int) -> Game:
    """The game, or 404 when it does not exist, its tournament is hidden, or its round is an unpublished draft."""
    game = db.session.get(Game, game_id)
    if game is None:
        abort(404)
    tournament = game.round.tournament
    if not can_view(current_user, tournament):
        abort(404)
    if game.round.status == RoundStatus.DRAFT and not can_manage(current_user, tournament):
        abort(404)
    return game


def _page(game: Game, status: int = 200, *, report_form: ReportForm | None = None,
          moves_form: MovesForm | None = None):
    db.session.expire_all()
    tournament = game.round.tournament
    user_id = current_user.id if current_user.is_authenticated else None
    players = {"white": game.white.user_id, "black": game.black.user_id if game.black else None}
    my_side = next((side for side, uid in players.items() if uid is not None and uid == user_id), None)
    context = queries.game_context(game.id)
    response = page_or_fragment(
        "games/detail.html", "game", context, tournament=tournament, my_side=my_side,
        manage=can_manage(current_user, tournament), report_form=report_form or ReportForm(formdata=None),
        moves_form=moves_form or MovesForm(formdata=None, pgn=game.pgn), action_form=ActionForm(),
        reported_by_me=game.reported_by_id is not None and game.reported_by_id == user_id,
        live_url=live_url(channels.game(game.id)))
    response.status_code = status
    return response


@bp.get("/<int:game_id>")
def detail(game_id: int):
    """Players, result, the board after the relayed moves and the move list."""
    return _page(_visible_game(game_id))


@bp.post("/<int:game_id>/report")
@login_required
def report(game_id: int):
    """A player reports the result of their own game."""
    game = _visible_game(game_id)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        return _page(game, 400, report_form=form)
    try:
        results.report_result(game.round.tournament_id, game.id, form.result.data, current_user.id)
    except ServiceError as error:
        return _page(game, report_error(error), report_form=form)
    flash("Result reported. It becomes final when your opponent or an arbiter confirms it.", "success")
    return redirect(url_for("games.detail", game_id=game_id), code=303)


@bp.post("/<int:game_id>/confirm")
@login_required
def confirm(game_id: int):
    """The opponent confirms a reported result."""
    game = _visible_game(game_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        return _page(game, 400)
    try:
        results.confirm_result(game.round.tournament_id, game.id, current_user.id)
    except ServiceError as error:
        return _page(game, report_error(error))
    flash("Result confirmed.", "success")
    return redirect(url_for("games.detail", game_id=game_id), code=303)


@bp.post("/<int:game_id>/moves")
@login_required
def moves(game_id: int):
    """An organizer relays the moves so far as PGN; an illegal move changes nothing."""
    game = _visible_game(game_id)
    if not can_manage(current_user, game.round.tournament):
        abort(403)
    form = MovesForm()
    if not form.validate_on_submit():
        return _page(game, 400, moves_form=form)
    try:
        count = relay_moves(game.round.tournament_id, game.id, form.pgn.data, current_user.id)
    except ServiceError as error:
        return _page(game, report_error(error, form), moves_form=form)
    flash(f"Board updated: {count} half-moves.", "success")
    return redirect(url_for("games.detail", game_id=game_id), code=303)
