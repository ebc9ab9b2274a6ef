"""The dashboard tests reuse the tournament fixtures (organizer, players, cheap password hashes)."""
from ..tournaments.conftest import login, org_client, organizer, players  # noqa: F401
