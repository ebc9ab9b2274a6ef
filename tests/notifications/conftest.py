"""Fixtures for the notification tests: the tournament fixtures (organizer, players, login)."""
from __future__ import annotations

from ..tournaments.conftest import login, org_client, organizer, players  # noqa: F401
