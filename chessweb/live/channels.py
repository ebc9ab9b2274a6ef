"""Every live channel name, built and parsed here and nowhere else.

    tournaments:all               the tournament list (everyone)
    system                        announcements to everyone
    admin                         administrators only
    user:<id>                     that user only
    alerts                        emergency alerts: every page, anonymous ones included
    system:role:<ROLE>            broadcasts to one role (a models.Role name)
    tournament:<id>               a tournament's header, players, watcher count
    tournament:<id>:<part>        its parts: `games` (scoreboard), `standings`, `crosstable`,
                                  `notices` (the organizer's announcements; kind KIND_NOTICES),
                                  `arbiter` (the organizers' rounds and result entry; organizers only)
    tournament:<id>:player:<n>    the page of the player with pairing number n
    game:<id>                     one game's live board

A name is at most protocol.MAX_CHANNEL_LENGTH characters; ids are 1 to 9 digits, without leading zeros, so
each channel has exactly one spelling. Who may join which is decided by the area that owns its kind
(chessweb/live/router.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

TOURNAMENTS_ALL = "tournaments:all"
SYSTEM = "system"
ADMIN = "admin"
ALERTS = "alerts"

# The sub-channels of a tournament. Add one here and `tournament_channels` (the privacy re-check list)
# includes it: a viewer who loses access to a private tournament is re-checked on every one of them.
TOURNAMENT_PARTS = ("games", "standings", "crosstable", "notices", "arbiter")

# Channel kinds: what an area registers to own.
KIND_OVERVIEW = "tournaments"
KIND_SYSTEM = "system"
KIND_ADMIN = "admin"
ALERTS = "alerts"
KIND_USER = "user"
KIND_TOURNAMENT = "tournament"
KIND_GAME = "game"
KIND_ALERTS = "alerts"
KIND_ROLE = "role"        # system:role:<ROLE>; the role name is Channel.part
KIND_NOTICES = "notices"  # tournament:<id>:notices
# Parts owned by another area than the tournament's: their channels get this kind instead of KIND_TOURNAMENT.
_PART_KINDS = {"notices": KIND_NOTICES}

_ID = r"[1-9]\d{0,8}"
_PATTERN = re.compile(
    rf"^(?:(?P<fixed>tournaments:all|system|admin|alerts)"
    rf"|system:role:(?P<role>[A-Z]{{1,16}})"
    rf"|(?P<kind>user|game):(?P<id>{_ID})"
    rf"|tournament:(?P<tournament>{_ID})(?::(?P<part>{'|'.join(TOURNAMENT_PARTS)})|:player:(?P<player>{_ID}))?)$")
_FIXED_KINDS = {TOURNAMENTS_ALL: KIND_OVERVIEW, SYSTEM: KIND_SYSTEM, ADMIN: KIND_ADMIN, ALERTS: KIND_ALERTS}


@dataclass(frozen=True, slots=True)
class Channel:
    """A parsed channel name: its kind, the id in it (None for fixed names) and the tournament part (for
    KIND_ROLE: the role name)."""
    name: str
    kind: str
    id: int | None = None
    part: str | None = None  # "player" for tournament:<id>:player:<n>
    number: int | None = None  # that player's pairing number


def parse(name: str) -> Channel | None:
    """The channel `name` denotes, or None when it is not a channel of this app."""
    match = _PATTERN.match(name) if isinstance(name, str) else None
    if match is None:
        return None
    if match["fixed"]:
        return Channel(name, _FIXED_KINDS[match["fixed"]])
    if match["role"]:
        return Channel(name, KIND_ROLE, None, match["role"])
    if match["kind"]:
        return Channel(name, match["kind"], int(match["id"]))
    if match["player"]:
        return Channel(name, KIND_TOURNAMENT, int(match["tournament"]), "player", int(match["player"]))
    part = match["part"]
    return Channel(name, _PART_KINDS.get(part, KIND_TOURNAMENT), int(match["tournament"]), part)


def user(user_id: int) -> str:
    """`user:<id>`: one user's own channel (notifications, personal counters)."""
    return f"user:{_id(user_id)}"


def role(role_name: str) -> str:
    """`system:role:<ROLE>`: broadcasts to one role; ValueError unless 1-16 capital letters (a Role name)."""
    if not isinstance(role_name, str) or not re.fullmatch(r"[A-Z]{1,16}", role_name):
        raise ValueError(f"a role channel names a role in capitals, got {role_name!r}")
    return f"system:role:{role_name}"


def game(game_id: int) -> str:
    """`game:<id>`: one game's live board."""
    return f"game:{_id(game_id)}"


def tournament(tournament_id: int, part: str | None = None) -> str:
    """`tournament:<id>`, or one of its parts (`games`, `standings`, `crosstable`, `notices`, `arbiter`);
    ValueError for an unknown part."""
    if part is None:
        return f"tournament:{_id(tournament_id)}"
    if part not in TOURNAMENT_PARTS:
        raise ValueError(f"unknown tournament channel part {part!r}; expected one of {TOURNAMENT_PARTS}")
    return f"tournament:{_id(tournament_id)}:{part}"


def player(tournament_id: int, number: int) -> str:
    """`tournament:<id>:player:<n>`: the page of one player (pairing number n) of a tournament."""
    return f"tournament:{_id(tournament_id)}:player:{_id(number)}"


def tournament_channels(tournament_id: int, game_ids: list[int] | tuple[int, ...] = (),
                        player_numbers: list[int] | tuple[int, ...] = ()) -> list[str]:
    """Every channel that shows something of one tournament: the tournament, each part, each game, each
    player's page.

    This is the list re-checked when access may have been withdrawn (a tournament turned private)."""
    return [tournament(tournament_id), *(tournament(tournament_id, part) for part in TOURNAMENT_PARTS),
            *(game(g) for g in game_ids), *(player(tournament_id, n) for n in player_numbers)]


def _id(value: int) -> int:
    if type(value) is not int or not 0 < value < 10**9:
        raise ValueError(f"channel ids are positive integers below 10**9, got {value!r}")
    return value
