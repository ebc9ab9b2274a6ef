"""Tournament list and tournament page."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Registration, RegistrationStatus, Tournament, TournamentStatus
from ..permissions import can_manage, can_view
from . import bp


def get_visible_tournament(tournament_id: int) -> Tournament:
    """The tournament, or 404 when it does not exist or the viewer may not see it."""
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is None or not can_view(current_user, tournament):
        abort(404)
    return tournament


@bp.get("/")
def index():
    """All tournaments the viewer may see: running first, then upcoming, then finished."""
    tournaments = db.session.scalars(select(Tournament).order_by(Tournament.start_date.desc())).all()
    visible = [t for t in tournaments if can_view(current_user, t)]
    counts = dict(db.session.execute(
        select(Registration.tournament_id, func.count())
        .where(Registration.status == RegistrationStatus.ACTIVE)
        .group_by(Registration.tournament_id)).all())
    groups = {
        "Running": [t for t in visible if t.status == TournamentStatus.ACTIVE],
        "Upcoming": sorted((t for t in visible if t.status in (TournamentStatus.UPCOMING,
                                                                 TournamentStatus.REGISTRATION)),
                           key=lambda t: t.start_date),
        "Finished": [t for t in visible if t.status == TournamentStatus.COMPLETED],
    }
    return render_template("tournaments/index.html", groups=groups, counts=counts)


@bp.get("/tournaments/<int:tournament_id>")
def detail(tournament_id: int):
    """One tournament: header, registered players, links to scoreboard and standings."""
    tournament = get_visible_tournament(tournament_id)
    return render_template("tournaments/detail.html", tournament=tournament,
                           manage=can_manage(current_user, tournament))
