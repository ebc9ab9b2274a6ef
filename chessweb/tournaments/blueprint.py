"""The tournaments blueprint, apart from the package, so its view modules import it without an import circle."""
from flask import Blueprint

from . import schedule

bp = Blueprint("tournaments", __name__)


@bp.app_template_filter("local_time")
def local_time(value, zone_name: str = "UTC") -> str:
    """A stored UTC datetime shown in the tournament's zone: "2026-05-01 14:00 CEST" (schedule.local_time)."""
    return schedule.local_time(value, zone_name)


@bp.app_template_filter("iso_utc")
def iso_utc(value) -> str:
    """A stored UTC datetime as ISO 8601 with Z, for <time datetime> and relative times."""
    return schedule.iso_utc(value)
