"""The channels every site has, whatever it is about: `system` (everyone), `admin` (administrators) and
`user:<id>` (that user alone). They carry nothing by themselves; notifications and the admin centre publish
on them (subclass CommonArea to give them a snapshot or to turn events into messages)."""
from __future__ import annotations

from ..models import Role
from ..realtime import UserInfo
from .channels import KIND_ADMIN, KIND_SYSTEM, KIND_USER, Channel
from .router import Area


class CommonArea(Area):
    kinds = (KIND_SYSTEM, KIND_ADMIN, KIND_USER)

    def authorize(self, user: UserInfo, channel: Channel) -> bool:
        if channel.kind == KIND_SYSTEM:
            return True
        if channel.kind == KIND_ADMIN:
            return user.role == Role.ADMIN.value
        return user.id is not None and user.id == channel.id
