"""Print a tournament's standings in the terminal, again whenever they change.

    python examples/live_standings.py https://chess.example.org 7
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chessweb_client import ChessWebClient, StandingsData  # noqa: E402


def show(standings: StandingsData) -> None:
    print("\033[2J\033[H", end="")  # clear the terminal
    through = standings["through_round"]
    print(f"Standings after round {through}" if through else "Starting order")
    codes = standings["tiebreaks"]
    print(f"{'#':>3}  {'Player':<28} {'Pts':>4}  " + "  ".join(f"{c:>6}" for c in codes))
    for row in standings["rows"]:
        rank = f"{row['rank']}{'=' if row['shared'] else ''}"
        print(f"{rank:>3}  {row['player']['name'][:28]:<28} {row['points']:>4g}  "
              + "  ".join(f"{row['tiebreaks'].get(c, ''):>6}" for c in codes))


def main() -> None:
    base_url, tournament_id = sys.argv[1], int(sys.argv[2])
    client = ChessWebClient(base_url)
    client.on_standings_update(tournament_id, show)
    try:
        client.run()
    except KeyboardInterrupt:
        client.stop()


if __name__ == "__main__":
    main()
