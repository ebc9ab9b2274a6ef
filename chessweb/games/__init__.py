"""Game pages: players, result, live board from relayed moves; players report and confirm results here."""
from flask import Blueprint

bp = Blueprint("games", __name__, url_prefix="/games")

from . import views  # noqa: E402,F401  (routes attach themselves to bp)
