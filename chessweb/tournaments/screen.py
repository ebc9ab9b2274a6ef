"""The venue screen `/tournaments/<id>/screen`: full screen, readable from across the hall, cycling the current
round's pairings and results and the standings every `period` seconds (the tournament's setting, or `?period=`),
live on the same channels (and the same fragments, rendered once for everyone) as the public pages; the header
with the round countdown and any announcement on `system` stay on top."""
from __future__ import annotations

from flask import render_template, request

from ..live import channels
from . import queries
from .blueprint import bp
from .settings import SCREEN_PERIOD, SCREEN_PERIODS
from .web import live_url, visible_tournament

DEFAULT_PERIOD = SCREEN_PERIOD  # seconds each panel stays, unless the tournament's settings say otherwise
MIN_PERIOD, MAX_PERIOD = SCREEN_PERIODS.start, SCREEN_PERIODS.stop - 1


def period_from(value: str | None, default: int = DEFAULT_PERIOD) -> int:
    """The cycling period in seconds from `?period=`: `default` (the tournament's setting) when absent or not a
    number, clamped to MIN_PERIOD..MAX_PERIOD (a screen must neither flicker nor stall)."""
    try:
        seconds = int(value) if value is not None and len(value) <= 6 else default
    except ValueError:
        seconds = default
    return max(MIN_PERIOD, min(MAX_PERIOD, seconds))


@bp.get("/tournaments/<int:tournament_id>/screen")
def screen(tournament_id: int):
    """The venue screen: the tournament's seconds per panel (its settings), or `?period=` (5 to 300) for this
    screen only."""
    visible_tournament(tournament_id)
    tournament = queries.load_tournament(tournament_id)
    t = tournament.id
    scoreboard = queries.scoreboard_context(t, loaded=tournament)
    return render_template(
        "tournaments/screen.html", header=queries.header_context(t, loaded=tournament), scoreboard=scoreboard,
        standings=queries.standings_context(t, loaded=tournament),
        period=period_from(request.args.get("period"), tournament.screen_period),
        live_url=live_url(channels.tournament(t), channels.tournament(t, "games"), channels.tournament(t, "standings"),
                          channels.SYSTEM, since=tournament.revision))
