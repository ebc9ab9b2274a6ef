"""Accounts: register, log in, log out."""
from .blueprint import bp

from . import views  # noqa: F401  (routes attach themselves to bp)
