"""The venue screen `/tournaments/<id>/screen`: full screen, readable from across the hall, cycling the current
round's pairings and results and the standings every `period` seconds, live on the same channels (and the same
fragments, rendered once for everyone) as the public pages; the header with the round countdown and any
announcement on `system` stay on top."""
from __future__ import annotations

from flask import render_template, request

from ..live import channels
from . import queries
from .blueprint import bp
from .web import live_url, visible_tournament

DEFAULT_PERIOD = 15  # seconds each panel stays
MIN_PERIOD, MAX_PERIOD = 5, 300


def period_from(value: str | None) -> int:
    """The cycling period in seconds from `?period=`: DEFAULT_PERIOD when absent or not a number, clamped to
    MIN_PERIOD..MAX_PERIOD (a screen must neither flicker nor stall)."""
    try:
        seconds = int(value) if value is not None and len(value) <= 6 else DEFAULT_PERIOD
    except ValueError:
        seconds = DEFAULT_PERIOD
    return max(MIN_PERIOD, min(MAX_PERIOD, seconds))


@bp.get("/tournaments/<int:tournament_id>/screen")
def screen(tournament_id: int):
    """The venue screen: `?period=` seconds per panel (5 to 300, default 15)."""
    visible_tournament(tournament_id)
    tournament = queries.load_tournament(tournament_id)
    t = tournament.id
    scoreboard = queries.scoreboard_context(t, loaded=tournament)
    return render_template(
        "tournaments/screen.html", header=queries.header_context(t, loaded=tournament), scoreboard=scoreboard,
        standings=queries.standings_context(t, loaded=tournament), period=period_from(request.args.get("period")),
        live_url=live_url(channels.tournament(t), channels.tournament(t, "games"), channels.tournament(t, "standings"),
                          channels.SYSTEM, since=tournament.revision))
