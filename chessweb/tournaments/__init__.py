"""Tournament pages: the list, one tournament, and running it."""
from .blueprint import bp

from . import manage, screen, search, views  # noqa: F401  (routes attach themselves to bp)
