"""The game page, and the players' report / confirm buttons and the organizer's relay form on it."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..live import channels
from ..models import Game, RoundStatus
from ..permissions import can_manage, can_view
from ..tournaments import queries, results
from ..tournaments.forms import ActionForm, MovesForm, ReportForm, VersionedActionForm
from ..tournaments.service import ServiceError
from ..tournaments.web import form_problems, live_url, page_or_fragment, report_error
from .blueprint import bp
from .relay import relay_moves

_LOCAL_PATH = re.compile(r"/[A-Za-z0-9/_.#-]*")


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
        # Forms on the page carry the game's version as shown here (after a conflict: the current one).
        game_version=context["game"].revision,
        reported_by_me=game.reported_by_id is not None and game.reported_by_id == user_id,
        live_url=live_url(channels.game(game.id), since=context["game"].tournament_revision))
    response.status_code = status
    return response


@bp.get("/<int:game_id>")
def detail(game_id: int):
    """Players, result, the board after the relayed moves and the move list."""
    return _page(_visible_game(game_id))


@bp.post("/<int:game_id>/report")
@login_required
def report(game_id: int):
    """A player reports the result of their own game (as it stood on their page: a report made meanwhile by the
    opponent is answered with 409 and the page as it is now)."""
    game = _visible_game(game_id)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        return _page(game, 400, report_form=form)
    try:
        results.report_result(game.round.tournament_id, game.id, form.result.data, current_user.id,
                              shown_revision=form.version.data)
    except ServiceError as error:
        return _page(game, report_error(error), report_form=form)
    flash("Result reported. It becomes final when your opponent or an arbiter confirms it.", "success")
    return _back(game_id)


def _answer(game_id: int, service, done: str):
    """Confirm or dispute the opponent's report the page showed; a report changed since is a 409 with the page
    showing the new one."""
    game = _visible_game(game_id)
    form = VersionedActionForm()
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        return _page(game, 400)
    try:
        service(game.round.tournament_id, game.id, current_user.id, shown_revision=form.version.data)
    except ServiceError as error:
        return _page(game, report_error(error))
    flash(done, "success")
    return _back(game_id)


@bp.post("/<int:game_id>/confirm")
@login_required
def confirm(game_id: int):
    """The opponent confirms the reported result they were shown."""
    return _answer(game_id, results.confirm_result, "Result confirmed.")


@bp.post("/<int:game_id>/dispute")
@login_required
def dispute(game_id: int):
    """The opponent disputes the reported result they were shown: an arbiter decides."""
    return _answer(game_id, results.dispute_result, "Report disputed. An arbiter will decide.")


def _back(game_id: int):
    """Back to the page the form was on (a tournament page's "Your game" box, or the game page)."""
    target = request.form.get("next", "")
    # A local path only (no scheme, host, "//", backslash or whitespace): never an open redirect.
    if not _LOCAL_PATH.fullmatch(target) or target.startswith("//"):
        target = url_for("games.detail", game_id=game_id)
    return redirect(target, code=303)


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
    moves = form.moves()
    if not moves or len(moves) > form.MAX_FILE_BYTES:
        form.pgn.errors = ["Paste the moves, or choose a PGN file." if not moves
                           else f"The file is larger than {form.MAX_FILE_BYTES} bytes."]
        return _page(game, 400, moves_form=form)
    try:
        count = relay_moves(game.round.tournament_id, game.id, moves, current_user.id)
    except ServiceError as error:
        return _page(game, report_error(error, form), moves_form=form)
    flash(f"Board updated: {count} half-moves.", "success")
    return redirect(url_for("games.detail", game_id=game_id), code=303)
