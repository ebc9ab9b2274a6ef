"""The open API for programs: typed contracts (contracts.py), the JSON read API under /api/v1/ (views.py), acting
with personal tokens (tokens.py, actions.py) and the page where users manage their tokens (settings.py)."""
from . import actions, views  # noqa: F401 - registers the routes on bp
from .blueprint import bp
from .embed import embed_bp
from .settings import settings_bp

__all__ = ["bp", "embed_bp", "settings_bp"]
