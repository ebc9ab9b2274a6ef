"""A user's notification preferences, with the defaults for users who never saved any."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..extensions import db
from ..models import NotificationPreference
from .kinds import CHANNELS, GROUPS

FIELDS = tuple(name for name, _ in GROUPS) + tuple(name for name, _ in CHANNELS)


@dataclass(frozen=True)
class Preferences:
    """Five groups (what to hear about) and three channels (how); defaults: every group, real-time and email."""
    game_results: bool = True
    tournament_updates: bool = True
    standings_changes: bool = True
    pairing_updates: bool = True
    system_alerts: bool = True
    realtime: bool = True
    email: bool = True
    push: bool = False

    def wants(self, group: str, channel: str | None = None) -> bool:
        """True when `group` is on (and, if given, the delivery `channel` too)."""
        return bool(getattr(self, group)) and (channel is None or bool(getattr(self, channel)))

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def load(user_id: int) -> Preferences:
    """The user's preferences (defaults when no row was ever saved)."""
    row = db.session.get(NotificationPreference, user_id)
    if row is None:
        return Preferences()
    return Preferences(**{name: bool(getattr(row, name)) for name in FIELDS})


def load_many(user_ids: list[int]) -> dict[int, Preferences]:
    """Preferences of several users in one query."""
    found = {row.user_id: row for row in db.session.scalars(
        db.select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids)))} if user_ids else {}
    return {uid: (Preferences(**{n: bool(getattr(found[uid], n)) for n in FIELDS}) if uid in found
                  else Preferences()) for uid in user_ids}


def save(user_id: int, values: dict[str, bool]) -> Preferences:
    """Store the given switches (unknown names raise KeyError); the caller commits."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise KeyError(f"unknown preference(s): {', '.join(sorted(unknown))}")
    row = db.session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(user_id=user_id, **Preferences().as_dict())
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, bool(value))
    db.session.flush()
    return load(user_id)
