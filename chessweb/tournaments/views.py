"""Public tournament pages (list, tournament, scoreboard, standings, crosstable) and players' own actions."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..fide.trf import TrfError
from ..models import Role, Tournament, TournamentStatus
from ..permissions import can_manage, can_view, role_required
from ..live import channels
from . import arbiter, interchange, overview, queries, registration, render_cache, render_process
from .blueprint import bp
from .forms import ActionForm, WithdrawSelfForm
from .service import ServiceError
from .web import (form_problems, is_htmx, live_url, page_or_fragment, render_fragment, report_error,
                  visible_tournament)


@bp.get("/")
def index():
    """The public tournaments by status (running first, then upcoming, then finished), live on
    `tournaments:all` for every viewer; below them the private tournaments this viewer may see (not live:
    the pushed list is the same for everyone, so it holds public ones only)."""
    listed = overview.tournament_list_context()
    private: list = []
    if current_user.is_authenticated:
        hidden = db.session.scalars(select(Tournament).where(~Tournament.is_public)).all()
        mine = [t.id for t in hidden if can_view(current_user, t)]
        private = overview.list_rows(public=False, ids=mine) if mine else []
    return render_template("tournaments/index.html", groups=listed["groups"], private=private,
                           games_in_progress=overview.games_in_progress_context()["count"],
                           live_url=live_url(channels.TOURNAMENTS_ALL))


def _page_context(tournament: Tournament, *live_parts: str, extra_channels: tuple[str, ...] = (),
                  header_html: str | None = None, since: int | None = None) -> dict:
    """What every tournament page shows around its fragments: header, tabs, the viewer's own entry and games.

    `tournament` comes from queries.load_tournament: the page's fragments are built from it too, so one page
    loads the tournament once. The page goes live on the tournament's channel (header, players, watching) and
    on the channels of the `live_parts` it shows ("games", "standings"), and on nothing it does not show.
    `header_html`: the header fragment already rendered (from the render cache; then `tournament` may be the bare
    row); `since`: the revision the page's fragments were read at (default: the tournament's)."""
    mine = None
    my_game = None
    if current_user.is_authenticated:
        mine = next((r for r in tournament.registrations if r.user_id == current_user.id), None)
        my_game = arbiter.my_game_context(tournament.id, current_user.id, loaded=tournament) if mine else None
    t = tournament.id
    # A player's own game box is live on their own channel (per-user content, rendered per user).
    own = [channels.user(current_user.id)] if my_game else []
    header = ({"tournament": queries.tournament_view(tournament)} if header_html is not None
              else queries.header_context(t, loaded=tournament))
    return {"header": header, "header_html": Markup(header_html) if header_html is not None else None,
            "manage": can_manage(current_user, tournament), "my_registration": mine, "my_game": my_game,
            "action_form": ActionForm(),
            "live_url": live_url(channels.tournament(t), *(channels.tournament(t, part) for part in live_parts),
                                 *extra_channels, *own, since=tournament.revision if since is None else since)}


def _cached_page(tournament: Tournament, template: str, parts: dict[str, Callable[[Tournament], dict]],
                 live_part: str, **extra: object) -> Response:
    """A public page made of big fragments (`parts`: macro name -> its context), served from the render cache at
    the tournament's revision: a second view costs lookups, not the computation and rendering (render_cache.py).
    An htmx request gets the first part alone. The header is cached the same way; only a logged-in viewer's own
    entry and games are read each time. A big tournament's misses are rendered by its render process
    (render_process.render_pages), so a first view does not stall the sockets of this process. The template gets
    `fragment_html` (the first part) and `parts_html`."""
    revision = tournament.revision  # read before any content: what follows is at least this new
    store = render_cache.cache()
    names = list(parts)
    htmx = is_htmx()
    wanted = names[:1] if htmx else [*names, "header"]
    htmls = {name: store.get((tournament.id, revision, name)) for name in wanted}
    missing = [name for name, html in htmls.items() if html is None]
    if missing:  # a big tournament's are rendered by its render process, out of the way of the sockets here
        htmls.update(render_process.render_pages(tournament.id, revision, missing))
    if None in htmls.values() or (current_user.is_authenticated and not htmx):
        tournament = _loaded(tournament)
    for name, html in htmls.items():
        if html is None:
            context = (queries.header_context(tournament.id, loaded=tournament) if name == "header"
                       else parts[name](tournament))
            htmls[name] = render_fragment(name, context)
            store.put((tournament.id, revision, name), htmls[name])
    if htmx:
        response = make_response(htmls[names[0]])
    else:
        header_html = htmls.pop("header")
        response = make_response(render_template(
            template, tournament=queries.tournament_view(tournament), fragment_html=Markup(htmls[names[0]]),
            parts_html={name: Markup(html) for name, html in htmls.items()}, **extra,
            **_page_context(tournament, live_part, header_html=header_html, since=revision)))
    response.vary.add("HX-Request")
    return response


@bp.get("/tournaments/<int:tournament_id>")
def detail(tournament_id: int):
    """One tournament: header, registration, the viewer's games, registered players."""
    tournament = visible_tournament(tournament_id)
    return _detail_page(tournament)


@bp.get("/tournaments/<int:tournament_id>/scoreboard")
def scoreboard(tournament_id: int):
    """Every published round with boards, players, colours and results; the current round first."""
    return _cached_page(visible_tournament(tournament_id), "tournaments/scoreboard.html",
                        {"scoreboard": lambda t: queries.scoreboard_context(t.id, loaded=t)}, "games")


@bp.get("/tournaments/<int:tournament_id>/standings")
def standings(tournament_id: int):
    """Rank, player, rating, points and each tie-break, with rank changes since the previous round."""
    view = "official" if request.args.get("view") == "official" else "provisional"
    return _cached_page(visible_tournament(tournament_id), "tournaments/standings.html",
                        {"standings": lambda t: queries.standings_context(t.id, loaded=t),
                         "provisional_standings": lambda t: queries.provisional_standings_context(t.id, loaded=t)},
                        "standings", view=view)


@bp.get("/tournaments/<int:tournament_id>/crosstable")
def crosstable(tournament_id: int):
    """The round robin's table of everyone against everyone; for a Swiss, chess-results style: per round the
    opponent's rank, colour and result, then points and tie-breaks."""
    tournament = visible_tournament(tournament_id)
    if not tournament.is_round_robin:
        return _cached_page(tournament, "tournaments/swiss_crosstable.html",
                            {"swiss_crosstable": lambda t: queries.swiss_crosstable_context(t.id, loaded=t)},
                            "crosstable")
    return _cached_page(tournament, "tournaments/crosstable.html",
                        {"crosstable": lambda t: queries.crosstable_context(t.id, loaded=t)}, "crosstable")


@bp.get("/tournaments/<int:tournament_id>/players/<int:number>")
def player(tournament_id: int, number: int):
    """One player (by pairing number): every round, score, rank, performance and each tie-break's parts."""
    tournament = _loaded(visible_tournament(tournament_id))
    try:
        context = queries.player_context(tournament_id, number, loaded=tournament)
    except queries.NotFound:
        abort(404)
    return page_or_fragment("tournaments/player.html", "player", context,
                            **_page_context(tournament, extra_channels=(channels.player(tournament_id, number),)))


@bp.post("/tournaments/<int:tournament_id>/register")
@role_required(Role.PARTICIPANT)
def register(tournament_id: int):
    """The logged-in player enters the tournament."""
    tournament = visible_tournament(tournament_id)
    return _player_action(tournament, lambda: registration.register_self(tournament_id, current_user.id),
                          "You are registered. Good luck!")


@bp.post("/tournaments/<int:tournament_id>/unregister")
@role_required(Role.PARTICIPANT)
def unregister(tournament_id: int):
    """The logged-in player withdraws: the entry while registration is open; once the tournament has started, from
    the remaining rounds (confirmed with a tick, for the round the page named)."""
    tournament = visible_tournament(tournament_id)
    if not _started(tournament):
        return _player_action(tournament, lambda: registration.withdraw_self(tournament_id, current_user.id),
                              "Your registration is withdrawn.")
    form = WithdrawSelfForm()
    return _player_action(tournament, lambda: registration.withdraw_self(
        tournament_id, current_user.id, shown_from_round=form.from_round.data),
        "You are withdrawn from the remaining rounds. Your games played stand.", form)


def _player_action(tournament: Tournament, action, success: str, form=None) -> Response:
    form = form or ActionForm()
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        status = 400
    else:
        try:
            action()
        except ServiceError as error:
            status = report_error(error)
        else:
            flash(success, "success")
            return redirect(url_for("tournaments.detail", tournament_id=tournament.id), code=303)
    db.session.expire_all()
    return _detail_page(tournament), status


def _detail_page(tournament: Tournament) -> str:
    tournament = _loaded(tournament)
    return render_template("tournaments/detail.html",
                           registrations=queries.registrations_context(tournament.id, loaded=tournament),
                           withdraw_from_round=registration.withdrawal_round(tournament) if _started(tournament)
                           else None,
                           withdraw_form=WithdrawSelfForm(formdata=None), **_page_context(tournament))


def _started(tournament: Tournament) -> bool:
    """Round 1 is published: a withdrawal is from the remaining rounds, no longer of the entry."""
    return tournament.status in (TournamentStatus.ACTIVE, TournamentStatus.COMPLETED)


def _loaded(tournament: Tournament) -> Tournament:
    """The tournament with everything its pages show, loaded once for the whole page."""
    return queries.load_tournament(tournament.id)


def _cached_export(tournament: Tournament, name: str, export: Callable[[int], str]) -> str:
    """`export(tournament id)`, kept in the render cache at the tournament's revision like the pages: the PGN of a
    2,000-player event takes seconds to write, and the next download at that revision is a lookup."""
    revision = tournament.revision  # read before the content: the export is at least this new
    return render_cache.cache().get_or_render((tournament.id, revision, name), lambda: export(tournament.id))


def _download(text: str, tournament: Tournament, extension: str, mimetype: str) -> Response:
    slug = "".join(c if c.isalnum() else "-" for c in tournament.name.lower()).strip("-") or "tournament"
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{slug[:60]}.{extension}"'
    return response


@bp.get("/tournaments/<int:tournament_id>/export.trf")
def export_trf(tournament_id: int):
    """The tournament as a FIDE TRF-16 file (published rounds)."""
    tournament = visible_tournament(tournament_id)
    try:
        text = _cached_export(tournament, "export.trf", interchange.export_trf)
    except TrfError as error:  # a value TRF has no room for (over 99.5 points): say so, write no broken file
        return Response(f"This tournament cannot be written as a TRF file: {error}\n", status=409,
                        mimetype="text/plain")
    return _download(text, tournament, "trf", "text/plain")


@bp.get("/tournaments/<int:tournament_id>/games.pgn")
def export_pgn(tournament_id: int):
    """Every game of the published rounds as PGN."""
    tournament = visible_tournament(tournament_id)
    return _download(_cached_export(tournament, "games.pgn", interchange.export_pgn), tournament, "pgn",
                     "application/x-chess-pgn")
