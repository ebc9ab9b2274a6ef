"""The dashboard: `/dashboard`, what is happening now for the signed-in user, kept live.

Everyone sees the tournament overview and the recent-results feed (channel `tournaments:all`, rendered once
per change for every viewer); a player sees their pairing, results to confirm and ranks, an organizer the
work waiting in their tournaments (channel `user:<id>`, rendered per user, only for users who are online).
"""
from .blueprint import bp
from . import views  # noqa: F401  (registers the routes on bp)

__all__ = ["bp"]
