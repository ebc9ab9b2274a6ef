"""Game pages: players, result, live board from relayed moves; players report and confirm results here."""
from .blueprint import bp

from . import views  # noqa: F401  (routes attach themselves to bp)
