"""The dashboard tests reuse the tournament fixtures (organizer, players, logged-in clients)."""
from ..tournaments.conftest import login, org_client, organizer, players  # noqa: F401
