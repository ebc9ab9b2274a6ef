"""Tournament pages: the list, one tournament, and running it."""
from flask import Blueprint

bp = Blueprint("tournaments", __name__)

from . import manage, views  # noqa: E402,F401  (routes attach themselves to bp)
