"""Round-robin pairings from the FIDE Berger tables (Handbook C.05, Annex 1).

Players are numbered 1..n by the drawing of lots. With an odd field the highest number of the table
(n + 1) is the bye: whoever meets it sits the round out. A double round robin plays the table twice, the
second cycle with colours reversed; as C.05 Annex 1 recommends, the last two rounds of the first cycle are
swapped, so that no player gets the same colour three times running across the two cycles.
"""
from __future__ import annotations

from .crosstable import ResultCode
from .pairing import Board, Pairing, PairingError


def table_size(players: int) -> int:
    """Numbers in the Berger table: the field, plus a bye slot when it is odd."""
    return players + players % 2


def round_robin_rounds(players: int, double: bool = False) -> int:
    """Rounds needed for everyone to meet everyone (twice when `double`)."""
    _check_field(players)
    cycle = table_size(players) - 1
    return 2 * cycle if double else cycle


def berger_table_round(size: int, round_no: int) -> tuple[tuple[int, int], ...]:
    """(white, black) pairs of one round of the Berger table for an even `size`, in board order."""
    if size < 2 or size % 2:
        raise PairingError(f"a Berger table has an even size of at least 2, got {size}")
    cycle = size - 1
    if not 1 <= round_no <= cycle:
        raise PairingError(f"round {round_no} is not in the {size}-player table (rounds 1..{cycle})")

    def wrap(x: int) -> int:
        return (x - 1) % cycle + 1

    # The last number alternates colours: black in odd rounds, white in even rounds.
    if round_no % 2:
        partner = (round_no + 1) // 2
        pairs = [(partner, size)]
    else:
        partner = size // 2 + round_no // 2
        pairs = [(size, partner)]
    for step in range(1, size // 2):
        a, b = wrap(partner + step), wrap(partner - step)
        low, high = min(a, b), max(a, b)
        # Between two other numbers the lower one has white when their sum is odd.
        pairs.append((low, high) if (a + b) % 2 else (high, low))
    return tuple(pairs)


def berger_round(players: int, round_no: int, double: bool = False) -> Pairing:
    """The pairing of `round_no` for players numbered 1..players; the bye slot's partner is `bye`."""
    rounds = round_robin_rounds(players, double)
    if not 1 <= round_no <= rounds:
        raise PairingError(f"round {round_no} does not exist: a {'double ' if double else ''}round robin of "
                           f"{players} players has rounds 1..{rounds}")
    size = table_size(players)
    cycle = size - 1
    table_round, reverse = round_no, False
    if round_no > cycle:
        table_round, reverse = round_no - cycle, True
    elif double and cycle >= 3 and round_no >= cycle - 1:
        table_round = 2 * cycle - 1 - round_no  # swap the last two rounds of the first cycle
    boards: list[Board] = []
    bye = None
    for white, black in berger_table_round(size, table_round):
        if reverse:
            white, black = black, white
        if max(white, black) > players:
            bye = min(white, black)
            continue
        boards.append(Board(len(boards) + 1, white, black))
    return Pairing(round_no, tuple(boards), bye, bye_result=ResultCode.FORFEIT_LOSS)


def berger_schedule(players: int, double: bool = False) -> tuple[Pairing, ...]:
    """Every round of the round robin."""
    return tuple(berger_round(players, r, double) for r in range(1, round_robin_rounds(players, double) + 1))


def _check_field(players: int) -> None:
    if not isinstance(players, int) or players < 2:
        raise PairingError(f"a round robin needs at least 2 players, got {players!r}")
