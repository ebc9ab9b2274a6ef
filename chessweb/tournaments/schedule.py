"""Round schedule and time zone: reading the organizer's round start times, and showing any time of a
tournament in its own zone (IANA names through the standard library's zoneinfo).

Times are stored in UTC (naive, as every datetime column) except the schedule, which is what the organizer
typed: local times of the tournament's zone, so a change of zone keeps "round 3 at 14:00" at 14:00.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

LOCAL_FORMAT = "%Y-%m-%d %H:%M"
MAX_ZONE_LENGTH = 64


class ScheduleError(ValueError):
    """A schedule or zone the organizer typed that cannot be used; the message says why, for the form."""


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name such as "Europe/Oslo"; ScheduleError for anything else (no file paths)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_ZONE_LENGTH or name not in available_timezones():
        raise ScheduleError(f"Unknown time zone {name[:MAX_ZONE_LENGTH]!r}; use an IANA name such as Europe/Oslo.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover - listed zones load
        raise ScheduleError(f"Unknown time zone {name!r}.") from error


def safe_zone(name: str) -> ZoneInfo:
    """The zone of a stored name, UTC when it is unknown (a zone database without it): never fails a page."""
    try:
        return zone(name)
    except ScheduleError:
        return ZoneInfo("UTC")


def parse_schedule(text: str, rounds: int) -> tuple[datetime, ...]:
    """The local start times of rounds 1, 2, ... from one "YYYY-MM-DD HH:MM" per line (blank lines ignored).

    ScheduleError when a line is not such a time, when there are more lines than `rounds`, or when a round
    does not start after the one before it."""
    starts: list[datetime] = []
    for number, line in enumerate((raw.strip() for raw in (text or "").splitlines() if raw.strip()), start=1):
        try:
            start = datetime.strptime(line, LOCAL_FORMAT)
        except ValueError:
            raise ScheduleError(f"Round {number}: {line[:40]!r} is not a time like 2026-05-01 14:00.") from None
        if starts and start <= starts[-1]:
            raise ScheduleError(f"Round {number} must start after round {number - 1}.")
        starts.append(start)
    if len(starts) > rounds:
        raise ScheduleError(f"{len(starts)} start times for {rounds} rounds; give at most one per round.")
    return tuple(starts)


def format_schedule(starts: tuple[datetime, ...]) -> str:
    """The stored spelling of a schedule: one local "YYYY-MM-DD HH:MM" per line."""
    return "\n".join(start.strftime(LOCAL_FORMAT) for start in starts)


@dataclass(frozen=True)
class RoundStart:
    """When a round is planned to start: `local` in the tournament's zone, `utc` (aware) for countdowns."""
    number: int
    local: datetime
    utc: datetime
    zone_abbreviation: str

    @property
    def label(self) -> str:
        """E.g. "2026-05-01 14:00 CEST"."""
        return f"{self.local.strftime(LOCAL_FORMAT)} {self.zone_abbreviation}"

    @property
    def iso_utc(self) -> str:
        """E.g. "2026-05-01T12:00:00Z", for <time datetime> and the countdown."""
        return self.utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def round_start(stored: str, zone_name: str, number: int) -> RoundStart | None:
    """Round `number`'s planned start from a stored schedule, or None when it has none (or it cannot be read)."""
    try:
        starts = parse_schedule(stored, rounds=10**6)
    except ScheduleError:
        return None
    if not 1 <= number <= len(starts):
        return None
    tz = safe_zone(zone_name)
    local = starts[number - 1].replace(tzinfo=tz)
    return RoundStart(number=number, local=local, utc=local.astimezone(UTC), zone_abbreviation=local.tzname() or "")


def local_time(value: datetime | None, zone_name: str) -> str:
    """A stored UTC datetime (naive) as "YYYY-MM-DD HH:MM ZZZ" in the zone; "" for None."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    local = aware.astimezone(safe_zone(zone_name))
    return f"{local.strftime(LOCAL_FORMAT)} {local.tzname()}"


def iso_utc(value: datetime | None) -> str:
    """A stored UTC datetime as "...Z" for <time datetime> and relative times ("3 min ago"); "" for None."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")
