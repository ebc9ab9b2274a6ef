"""The embeddable live widget: /embed/tournaments/<id>/standings, a page made to sit in another site's <iframe>.

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
from ..tournaments import queries
from ..tournaments.web import live_url

embed_bp = Blueprint("embed", __name__, url_prefix="/embed")

THEMES = ("auto", "light", "dark")


@embed_bp.get("/tournaments/<int:tournament_id>/standings")
def standings(tournament_id: int) -> Response:
    """?theme=auto|light|dark to fit the host page."""
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is None or not tournament.is_public:
        abort(404)
    theme = request.args.get("theme", "auto")
    if theme not in THEMES:
        theme = "auto"
    ctx = queries.standings_context(tournament_id)
    html = render_template("api/embed_standings.html", theme=theme, tournament=ctx["tournament"], ctx=ctx,
                           live_url=live_url(channels.tournament(tournament_id, "standings"),
                                             since=ctx["tournament"].revision))
    response = Response(html, mimetype="text/html")
    ancestors = str(current_app.config.get("EMBED_FRAME_ANCESTORS", "*"))
    response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    return response
