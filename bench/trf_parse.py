"""TRF reading cost: the largest file an import accepts, and hostile files the reader refuses while reading.

Times `chessweb.fide.trf.read_trf_file` (pure parsing and checking, no database) on:
- the largest Swiss the bounds allow: 2,000 players x 30 rounds, every round played (about 0.8 MB);
- the worker-kill report's file: one player line of 90,000 requested-bye blocks (0.9 MB);
- an XXR of 30 with 1,000 blocks on one line (refused at block 31);
- 2,001 player lines (refused at the 2,001st).
Prints the median of --repeat runs (ms) and the size of each input; refusals print the first words of the message.

    python bench/trf_parse.py --repeat 5
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chessweb.fide.crosstable import Crosstable  # noqa: E402
from chessweb.fide.simulation import simulate_swiss  # noqa: E402
from chessweb.fide.trf import TrfError, read_trf_file, write_trf  # noqa: E402


def player_line(number: int, blocks: str = "") -> str:
    return f"001 {number:4d}      {'P' + str(number):<33}2000                              0.0 {number:4d}{blocks}"


def largest_swiss() -> str:
    """2,000 players, 30 rounds, paired at random (the reader's cost does not depend on how)."""
    import random
    rng = random.Random(1)

    def pair(table: Crosstable, absent):
        from chessweb.fide.pairing import Board, Pairing
        numbers = [n for n in table.numbers if n not in absent]
        rng.shuffle(numbers)
        bye = numbers.pop() if len(numbers) % 2 else None
        boards = tuple(Board(i + 1, numbers[2 * i], numbers[2 * i + 1]) for i in range(len(numbers) // 2))
        return Pairing(table.paired_rounds + 1, boards, bye)

    table = simulate_swiss(2000, 30, 1, pair=pair)
    return write_trf(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    inputs = {
        "largest Swiss (2000 x 30)": largest_swiss(),
        "90,000 bye blocks, one line": "XXR 30\n" + player_line(1, "  0000 - H" * 90_000) + "\n",
        "XXR 30, 1,000 blocks": "XXR 30\n" + player_line(1, "  0000 - H" * 1000) + "\n",
        "2,001 players": "\n".join(player_line(n) for n in range(1, 2002)) + "\n",
    }
    for label, text in inputs.items():
        data = text.encode()
        times, outcome = [], ""
        for _ in range(args.repeat):
            start = time.perf_counter()
            try:
                file = read_trf_file(data)
                outcome = f"read: {len(file.crosstable.players)} players, {file.crosstable.planned_rounds} rounds"
            except TrfError as error:
                outcome = f"refused: {str(error)[:70]}"
            times.append((time.perf_counter() - start) * 1000)
        print(f"{label:<30} {len(data) / 1e6:5.2f} MB  median {statistics.median(times):8.1f} ms  {outcome}")


if __name__ == "__main__":
    main()
