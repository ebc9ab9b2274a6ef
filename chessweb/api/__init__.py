"""The open API for programs: typed contracts (contracts.py), the JSON read API under /api/v1/ (views.py)."""
from .blueprint import bp
from . import views  # noqa: F401,E402 - registers the routes on bp

__all__ = ["bp"]
