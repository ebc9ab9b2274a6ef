"""Benchmark of the pure tournament engine: Dutch pairing of a big Swiss and full standings with all tie-breaks.

Generates a 300-player, 9-round Swiss (ratings spread like an open, results drawn from the rating difference
with draws, forfeits, requested byes and withdrawals), paired round by round through chessweb.fide.dutch.
Then it re-pairs rounds 2, 5 and 9 from the history before them and recomputes the standings with every
tie-break after round 9, several times each, and prints the medians against the goals.

    python bench/tournament_engine.py [--players 300] [--rounds 9] [--repeat 5] [--seed 2026]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chessweb.fide.crosstable import Crosstable, ResultCode
from chessweb.fide.dutch import pair_next_round
from chessweb.fide.simulation import Mishaps, simulate_swiss
from chessweb.fide.standings import standings
from chessweb.fide.tiebreaks import TieBreak

PAIRING_GOAL_S = 5.0
STANDINGS_GOAL_S = 0.050
REQUESTED_BYES = frozenset({ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE, ResultCode.FULL_POINT_BYE})
MISHAPS = Mishaps(forfeit=0.02, double_forfeit=0.003, half_point_bye=0.02, zero_point_bye=0.01, withdrawal=0.005)


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def before_round(table: Crosstable, round_no: int) -> Crosstable:
    """The tournament as it stood when `round_no` was paired: earlier rounds plus that round's requested byes."""
    history = table.through(round_no - 1)
    byes = {n: table.entry(n, round_no) for n in table.numbers if table.entry(n, round_no).result in REQUESTED_BYES}
    return history.with_entries(byes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per pairing measurement")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    start = time.perf_counter()
    table = simulate_swiss(args.players, args.rounds, args.seed, mishaps=MISHAPS)
    generated = time.perf_counter() - start
    games = sum(1 for n in table.numbers for r in range(1, args.rounds + 1) if table.entry(n, r).is_played) // 2
    print(f"generated {args.players} players x {args.rounds} rounds ({games} games played) "
          f"in {generated:.1f} s, paired by gacrux through chessweb.fide.dutch")

    print(f"\npairing one round (median of {args.repeat}); goal < {PAIRING_GOAL_S:.0f} s")
    for round_no in sorted({2, (args.rounds + 1) // 2, args.rounds}):
        state = before_round(table, round_no)
        pairing = pair_next_round(state)
        same = all(table.entry(b.white, round_no).opponent == b.black for b in pairing.boards)
        seconds = median_seconds(partial(pair_next_round, state), args.repeat)
        print(f"  round {round_no}: {seconds:6.2f} s  ({seconds / PAIRING_GOAL_S:4.0%} of goal, "
              f"{len(pairing.boards)} boards, {'same as' if same else 'DIFFERENT from'} the pairing played)")

    everything = list(TieBreak)
    repeat = max(20, args.repeat)
    seconds = median_seconds(lambda: standings(table, everything), repeat)
    print(f"\nstandings after round {args.rounds} with all {len(everything)} tie-breaks "
          f"({', '.join(t.value for t in everything)}), median of {repeat}; goal < {STANDINGS_GOAL_S * 1000:.0f} ms")
    print(f"  {seconds * 1000:6.1f} ms  ({seconds / STANDINGS_GOAL_S:4.0%} of goal)")
    try:
        from gacrux.tiebreak import tiebreak
        from gacrux.trf2json import trf2json

        from chessweb.fide.trf import write_trf
    except ImportError:
        return
    names = ["PTS", "BH", "BH/C1", "BH/C2", "BH/M1", "SB", "DE", "WIN", "WON", "BPG", "BWG", "PS", "ARO"]
    text = write_trf(table)

    def gacrux_standings() -> None:
        reader = trf2json()
        reader.parse_file(text, 0)
        tournament = reader.get_tournament(1)
        params = {"tiebreak": list(names), "check": False, "current_round": -1, "unrated": None}
        tiebreak(tournament, -1, params).compute_tiebreaks(tournament, params)

    reference = median_seconds(gacrux_standings, 5)
    print(f"  for comparison, gacrux's own tie-break code on the same event: {reference * 1000:.0f} ms "
          f"(median of 5)")


if __name__ == "__main__":
    main()
