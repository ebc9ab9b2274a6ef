"""The notifications area of the live layer: it owns the channels every site has (`system`, `admin`,
`user:<id>`, as CommonArea) plus the ones notifications add (`alerts`, `system:role:<ROLE>`,
`tournament:<id>:notices`), decides who may join them, and gives a connecting page their current state:
the unread badge on `user:<id>`, the emergency banner on `alerts`. Broadcasts and toasts carry no state, so
the role and notices channels have an empty snapshot (state, not replay: the inbox holds the notices).

Registered in create_app: live.init_app(app, areas=[NotificationsArea(), ...]).
"""
from __future__ import annotations

from ..extensions import db
from ..live import CommonArea
from ..live.channels import KIND_ADMIN, KIND_ALERTS, KIND_NOTICES, KIND_ROLE, KIND_USER, Channel
from ..models import Tournament, User
from ..permissions import can_view
from ..realtime import Fragment, UserInfo
from . import render
from .admin_rows import recent_fragment
from .channels import may_join_notices_channel, may_join_role_channel
from .urls import url_context


class NotificationsArea(CommonArea):
    """Owns `system`, `admin`, `user:<id>` (CommonArea's rules), `alerts`, `system:role:<ROLE>` and
    `tournament:<id>:notices`."""
    kinds = (*CommonArea.kinds, KIND_ALERTS, KIND_ROLE, KIND_NOTICES)

    def authorize(self, user: UserInfo, channel: Channel) -> bool:
        """`alerts`: everyone. A role channel: that role, while system alerts and real-time are on. A
        tournament's notices: whoever may view the tournament (re-checked with its other channels when it
        turns private, see live.channels.tournament_channels), and, logged in, while system alerts and real-time
        are on: opting out is a refused subscription, as on the role channels (CRITICAL travels on `alerts`)."""
        if channel.kind == KIND_ALERTS:
            return True
        if channel.kind == KIND_ROLE:
            return channel.part is not None and may_join_role_channel(user, channel.part)
        if channel.kind == KIND_NOTICES:
            tournament = db.session.get(Tournament, channel.id)
            return tournament is not None and can_view(user, tournament) and may_join_notices_channel(user)
        return super().authorize(user, channel)

    def snapshot(self, channel: Channel) -> list[Fragment]:
        """The badge on `user:<id>`, the banner on `alerts`, the notification center's recent list on `admin`;
        then whatever the areas below add (super())."""
        if channel.kind == KIND_ALERTS:
            return [render.alerts_fragment()]
        out = list(super().snapshot(channel))
        if channel.kind == KIND_USER:
            user = db.session.get(User, channel.id)
            out += [render.badge_fragment(user)] if user is not None else []
        if channel.kind == KIND_ADMIN:
            with url_context():
                out.append(recent_fragment())
        return out
