"""Which live channels notifications travel on, for whom. Targeting and opting out are subscriptions, so a
broadcast is rendered once per channel and no socket is filtered:

    user:<id>                 personal notices and the unread badge (per-user renders)
    alerts                    emergency alerts: every page, anonymous ones included
    system:role:<ROLE>        broadcasts to a role; joined only while system alerts and real-time are on
    tournament:<id>:notices   broadcasts to a tournament: its pages (spectators) and its players' pages;
                              joined by a logged-in user only while system alerts and real-time are on
                              (anonymous spectators have no preferences: always)

Emergency alerts (CRITICAL) travel on `alerts`, which nobody can opt out of, never on the other two.

The names are built and parsed in chessweb/live/channels.py; the area that owns them is
chessweb/notifications/live.py (NotificationsArea).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..live import channels as names
from ..models import Registration, RegistrationStatus, Role, Tournament, TournamentStatus
from . import preferences

ALERTS = names.ALERTS
MAX_TOURNAMENT_CHANNELS = 8  # a player's running tournaments heard on every page (the socket allows 32)


def user_channel(user_id: int) -> str:
    return names.user(user_id)


def role_channel(role: str) -> str:
    return names.role(role)


def tournament_channel(tournament_id: int) -> str:
    return names.tournament(tournament_id, "notices")


def may_join_role_channel(user: Any, role: str) -> bool:
    """`user` (UserInfo) has this role, is logged in, and hears system alerts in real time."""
    if user.id is None or role not in Role.__members__ or user.role != role:
        return False
    return preferences.load(user.id).wants("system_alerts", "realtime")


def may_join_notices_channel(user: Any) -> bool:
    """`user` (UserInfo) may hear a tournament's announcements, as far as their preferences go (whether they may
    view the tournament is checked apart): anonymous visitors always, a logged-in user while system alerts and
    real-time are on (the rule of the role channels, may_join_role_channel)."""
    return user.id is None or preferences.load(user.id).wants("system_alerts", "realtime")


def page_channels(user: Any) -> list[str]:
    """What every page of this visitor subscribes to for notifications (anonymous: the alerts only)."""
    if not getattr(user, "is_authenticated", False):
        return [ALERTS]
    # The role and notices channels are always asked for: `may_join_role_channel` and
    # `may_join_notices_channel` admit them only while the preferences say so, so a page that reconnects after a
    # change of mind (its URL stays) gets exactly what the new preferences allow.
    role = getattr(user.role, "value", user.role)
    channels = [user_channel(user.id), ALERTS, role_channel(role)]
    running = db.session.scalars(
        select(Registration.tournament_id).join(Tournament, Tournament.id == Registration.tournament_id)
        .where(Registration.user_id == user.id, Registration.status == RegistrationStatus.ACTIVE,
               Tournament.status != TournamentStatus.COMPLETED)
        .order_by(Registration.tournament_id.desc()).limit(MAX_TOURNAMENT_CHANNELS))
    return channels + [tournament_channel(tid) for tid in running]


def with_notice_channels(page: tuple[str, ...] | list[str], user: Any) -> list[str]:
    """A page's own channels plus the notification channels: the visitor's, and each shown tournament's
    notices (so its spectators hear the organizer's announcements)."""
    shown = [parsed.id for parsed in map(names.parse, page)
             if parsed is not None and parsed.kind == names.KIND_TOURNAMENT and parsed.part is None]
    return list(dict.fromkeys([*page, *(tournament_channel(tid) for tid in shown if tid), *page_channels(user)]))
