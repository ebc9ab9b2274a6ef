"""Jinja filters and globals shared by every template."""
from __future__ import annotations

import time
from datetime import date, datetime
from fractions import Fraction

from flask import Flask

from . import __version__
from .fide.standings import format_value
from .models import Role


def points(value: float | Fraction | int | None) -> str:
    """Chess scores: 2.5 → "2½", 0.5 → "½"."""
    if value is None:
        return ""
    whole = int(value)
    half = Fraction(value) - whole == Fraction(1, 2)
    if half:
        return f"{whole}½" if whole else "½"
    return str(whole)


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + " UTC"
    return value.isoformat()


def server_time_ms() -> int:
    """The server's clock in milliseconds since the epoch, for countdowns that must not trust the device's."""
    return time.time_ns() // 1_000_000


def register(app: Flask) -> None:
    # Fragments go to every socket: drop the indentation and blank lines that block tags leave behind.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(points)
    app.add_template_filter(when)
    app.add_template_filter(format_value, "tiebreak")  # 3.5, 9.75, 12: the standings' spelling
    app.jinja_env.globals.update(Role=Role, app_version=__version__, server_time_ms=server_time_ms)
