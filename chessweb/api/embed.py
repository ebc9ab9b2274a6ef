"""The embeddable live widget: /embed/tournaments/<id>/standings and /embed/tournaments/<id>/pairings, pages made
to sit in another site's <iframe>. A site may instead add one <script> tag (static/js/embed.js), which puts that
<iframe> in its place and sizes it to its content.

Only public tournaments (a page inside someone else's site is a stranger's view, whoever is logged in here).
The frame's document is ours, so its WebSocket comes from our own origin and passes the socket's Origin check
unchanged; being framed by any site is allowed for this page alone (CSP frame-ancestors, EMBED_FRAME_ANCESTORS).
It holds no form and no button, so being framed cannot be turned into a click on anything.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..extensions import db
from ..live import channels
from ..models import Tournament
from ..security import content_security_policy
from ..tournaments import queries
from ..tournaments.web import live_url

embed_bp = Blueprint("embed", __name__, url_prefix="/embed")

THEMES = ("auto", "light", "dark")


def _public(tournament_id: int) -> Tournament:
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is None or not tournament.is_public:
        abort(404)
    return tournament


def _theme() -> str:
    theme = request.args.get("theme", "auto")
    return theme if theme in THEMES else "auto"


def _framable(html: str) -> Response:
    response = Response(html, mimetype="text/html")
    ancestors = str(current_app.config.get("EMBED_FRAME_ANCESTORS", "*"))
    # The whole policy, framing aside: a framed page runs scripts from this site only, like every other page.
    response.headers["Content-Security-Policy"] = content_security_policy(ancestors)
    return response


@embed_bp.get("/tournaments/<int:tournament_id>/standings")
def standings(tournament_id: int) -> Response:
    """The standings with tie-breaks, live on `tournament:<id>:standings`; ?theme=auto|light|dark to fit the
    host page. 404 unless the tournament is public."""
    _public(tournament_id)
    ctx = queries.standings_context(tournament_id)
    return _framable(render_template(
        "api/embed_standings.html", page_endpoint="tournaments.standings", theme=_theme(),
        tournament=ctx["tournament"], ctx=ctx,
        live_url=live_url(channels.tournament(tournament_id, "standings"), since=ctx["tournament"].revision)))


@embed_bp.get("/tournaments/<int:tournament_id>/pairings")
def pairings(tournament_id: int) -> Response:
    """Every published round's pairings and results, the current round first, live on `tournament:<id>:games`
    (the scoreboard's fragments); ?theme as for standings. 404 unless the tournament is public."""
    _public(tournament_id)
    ctx = queries.scoreboard_context(tournament_id)
    return _framable(render_template(
        "api/embed_pairings.html", page_endpoint="tournaments.scoreboard", theme=_theme(),
        tournament=ctx["tournament"], rounds=ctx["rounds"],
        live_url=live_url(channels.tournament(tournament_id, "games"), since=ctx["tournament"].revision)))
