"""Tournament pages: the list, one tournament, and (later) running it."""
from flask import Blueprint

bp = Blueprint("tournaments", __name__)

from . import views  # noqa: E402,F401  (routes attach themselves to bp)
