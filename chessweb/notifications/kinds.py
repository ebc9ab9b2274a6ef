"""Which personal notifications exist and which preference group each belongs to (no Flask, no database)."""
from __future__ import annotations

# The five preference groups, in the order the preferences form shows them: (column, label).
GROUPS: tuple[tuple[str, str], ...] = (
    ("game_results", "Game results"),
    ("tournament_updates", "Tournament updates"),
    ("standings_changes", "Standings changes"),
    ("pairing_updates", "Pairing updates"),
    ("system_alerts", "System alerts"),
)
# How a notification may reach someone besides the inbox: (column, label).
CHANNELS: tuple[tuple[str, str], ...] = (
    ("realtime", "Real-time (toasts on open pages)"),
    ("email", "Email"),
    ("push", "Push to this device"),
)

# kind -> preference group. Admin-center messages have kind "" and belong to system_alerts.
KIND_GROUP: dict[str, str] = {
    # A round is published and started at once; each player in it gets one of these three, never two:
    "paired": "pairing_updates",            # round N started: board, colour, opponent
    "round_started": "tournament_updates",  # round N started: a bye not asked for, or pairing updates are off
    "bye_granted": "pairing_updates",       # round N started: a requested bye was given
    "result_reported": "game_results",      # the opponent reported a result: confirm or dispute
    "result_confirmed": "game_results",
    "result_corrected": "game_results",
    "result_disputed": "game_results",
    "registration_accepted": "tournament_updates",
    "registration_withdrawn": "tournament_updates",
    "tournament_started": "tournament_updates",
    "tournament_completed": "standings_changes",  # carries the final rank
    "": "system_alerts",
}


def group_of(kind: str) -> str:
    """The preference group of a notification kind; unknown kinds count as system alerts."""
    return KIND_GROUP.get(kind, "system_alerts")
