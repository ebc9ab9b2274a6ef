"""Write the generated Swiss events that hold the Dutch pairings still (tests/data/dutch-generated/).

Each event is simulated round by round with our Dutch pairing (gacrux through chessweb.fide.dutch) and saved as
TRF-16, so the file records every round's pairing as the code of the day made it. test_dutch then re-pairs every
round from the history before it and must find the same boards and colours; gacrux's own checker replays each
file too. The files in the repository were made with NetworkX's plain `min_weight_matching` (before
chessweb.fide.matching existed), so they pin the pairings to what they were:

    python -m tests.fide.make_dutch_events            # rewrites the files: only when the pairings may change
"""
from __future__ import annotations

from pathlib import Path

from chessweb.fide.simulation import Mishaps, coin_result, game_result, simulate_swiss
from chessweb.fide.trf import write_trf

FOLDER = Path(__file__).resolve().parents[1] / "data" / "dutch-generated"
MISHAPS = Mishaps(forfeit=0.03, double_forfeit=0.005, half_point_bye=0.03, zero_point_bye=0.01, withdrawal=0.01)
# (players, rounds planned, rounds played, results, seed): small and mid-sized fields, both kinds of results;
# the last ones are round 2 of a 300-player open after random results, the round that used to take seconds.
EVENTS = [(24, 7, 7, "coin", 1), (24, 7, 7, "elo", 2), (41, 9, 9, "coin", 3), (41, 9, 9, "elo", 4),
          (64, 9, 9, "coin", 5), (64, 9, 9, "elo", 6), (121, 9, 9, "coin", 7), (120, 9, 9, "elo", 8),
          (300, 9, 2, "coin", 2026), (300, 9, 2, "coin", 2)]
RESULTS = {"coin": coin_result, "elo": game_result}


def file_name(players: int, rounds: int, played: int, results: str, seed: int) -> str:
    return f"swiss-{players}p-{played}of{rounds}r-{results}-seed{seed}.trf"


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for players, rounds, played, results, seed in EVENTS:
        table = simulate_swiss(players, rounds, seed, mishaps=MISHAPS, results=RESULTS[results], played=played)
        path = FOLDER / file_name(players, rounds, played, results, seed)
        path.write_text(write_trf(table), encoding="latin-1")
        print(path.name)


if __name__ == "__main__":
    main()
