"""The overview area: `tournaments:all`, the tournament list everyone may watch. It shows one live counter,
"games in progress" (the worked example of docs/ARCHITECTURE.md, and what the dashboard builds on)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..live import channels
from ..live.channels import KIND_OVERVIEW, Channel
from ..live.consumers import CommittedEvent
from ..live.fragments import fragment
from ..live.router import Area
from ..models import EventType, Game, GameResult, Round, RoundStatus, Tournament
from ..realtime import Fragment, Message, UserInfo

TEMPLATE = "tournaments/_overview.html"
GAMES_IN_PROGRESS_KEY = "games-in-progress"

# Events that can change how many games are being played: a round published or finished, a result entered
# or taken back, a tournament made private or public, a withdrawal (its games become forfeits).
_CHANGES_COUNT = {EventType.ROUND_STARTED, EventType.ROUND_COMPLETED, EventType.GAME_COMPLETED,
                  EventType.TOURNAMENT_UPDATED, EventType.TOURNAMENT_STARTED, EventType.TOURNAMENT_COMPLETED,
                  EventType.PARTICIPANT_WITHDREW}


class OverviewArea(Area):
    """Owns `tournaments:all`: everyone may watch it; it holds only what every visitor may see."""
    kinds = (KIND_OVERVIEW,)

    def authorize(self, user: UserInfo, channel: Channel) -> bool:
        return True

    def snapshot(self, channel: Channel) -> list[Fragment]:
        return [games_in_progress_fragment()]

    def messages(self, events: Sequence[CommittedEvent]) -> list[Message]:
        if any(e.type in _CHANGES_COUNT for e in events):
            return [games_in_progress_fragment()]
        return []


def games_in_progress_context() -> dict[str, Any]:
    """{"count": games of published rounds of public tournaments without a result (byes excluded),
    "version": the sum of every tournament's revision, read first, so the count is at least that new}."""
    version = db.session.scalar(select(func.coalesce(func.sum(Tournament.revision), 0))) or 0
    count = db.session.scalar(
        select(func.count(Game.id)).join(Round, Game.round_id == Round.id)
        .join(Tournament, Round.tournament_id == Tournament.id)
        .where(Round.status == RoundStatus.PUBLISHED, Game.result == GameResult.PENDING,
               Game.black_id.is_not(None), Tournament.is_public)) or 0
    return {"count": int(count), "version": int(version)}


def games_in_progress_fragment() -> Fragment:
    """The "N games in progress" counter of the tournament list, for every viewer and every path."""
    ctx = games_in_progress_context()
    return fragment(channels.TOURNAMENTS_ALL, GAMES_IN_PROGRESS_KEY, ctx["version"], TEMPLATE, "games_in_progress",
                    {"count": ctx["count"]}, {"games_in_progress": ctx["count"]})
