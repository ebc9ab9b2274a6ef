"""Swiss pairings by the FIDE Dutch system (C.04.3, rules in force from 1 February 2026), computed by gacrux.

We do not pair ourselves: the crosstable is written as TRF-16 in memory (with `0000 - H/Z/F/-` for players
who must not be paired) and gacrux, the FIDE Technical Commission's engine, pairs it in-process. gacrux is
pinned (see `GACRUX_VERSION`); its behaviour is held by the regression cases in tests/fide.

Where the time goes: for most rounds gacrux pairs each score bracket by its simple bipartite route in well under
a second even at 1,000 players. When a bracket cannot be paired that way (typically round 2 after results that
ignore ratings, which leave score groups with mixed colour preferences), gacrux runs NetworkX's blossom
algorithm for a minimum-weight matching over that bracket and everything below it: O(n³) in pure Python, on
weights of up to ~700 bits (gacrux encodes every pairing criterion in one integer). That is nearly all of a slow
round. The optimum is often not unique, so which matching comes back depends on the algorithm's exact path:
another matching library (rustworkx, say) returns different, equally optimal, pairings. We therefore keep
NetworkX's algorithm: NetworkX 3.6's own code, vendored in `chessweb.fide.blossom` and rewritten over node
indexes and lists with the same visit order and comparisons (see `chessweb.fide.matching`), returns the same
matching as NetworkX with about a third of the CPU (a hard 300-player round 2: 3.6 s with NetworkX, 1.4 s).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .crosstable import Crosstable, ResultCode, TournamentType
from .pairing import Board, Pairing, PairingError
from .trf import write_trf

GACRUX_VERSION = "1.11.65"

# (TRF-16 text, round to pair, rounds planned, top seed's colour "w"/"b") → (board, white, black), black 0 = bye:
# `gacrux_pairs` here, or the same run in a child process (chessweb.jobs).
Engine = Callable[[str, int, int, str], list[tuple[int, int, int]]]


def round_to_pair(crosstable: Crosstable) -> int:
    """The next round to pair: the one after the last round that holds a game or a pairing-allocated bye."""
    return crosstable.paired_rounds + 1


def pair_next_round(crosstable: Crosstable,
                    not_paired: Mapping[int, ResultCode | str] | Iterable[int] = (), *,
                    engine: Engine | None = None) -> Pairing:
    """Pair the next round of a Swiss.

    `not_paired` names the players who must not be paired this round besides those the crosstable already
    excludes (withdrawn before this round, or holding an entry for it such as a requested bye); give a mapping
    to say how each is recorded (H, Z, F or -), or just the numbers (recorded as - : absent). Boards come back in
    board order; `bye` is the player with the pairing-allocated bye. `engine` runs gacrux (default: here, in
    this process). Raises PairingError when the round cannot be paired, saying why.
    """
    if crosstable.kind is not TournamentType.SWISS:
        raise PairingError("only a Swiss is paired by the Dutch system; round robins use the Berger tables")
    round_no = round_to_pair(crosstable)
    if round_no > crosstable.planned_rounds:
        raise PairingError(f"all {crosstable.planned_rounds} rounds have been paired")
    pending = sorted({n for n in crosstable.numbers for r in range(1, round_no)
                      if crosstable.entry(n, r).is_pending})
    if pending:
        raise PairingError(f"round {round_no} cannot be paired before every result is in: players "
                           f"{', '.join(map(str, pending))} have games without a result")
    markers = _not_paired_markers(crosstable, round_no, not_paired)
    available = [n for n in crosstable.numbers if n not in markers]
    if len(available) < 2:
        raise PairingError(f"round {round_no} cannot be paired: {len(available)} player(s) available")
    table, original = _numbered_from_one(crosstable)
    renumber = {old: new for new, old in original.items()}
    trf = write_trf(table, through_round=round_no - 1,
                    not_paired_next={renumber[n]: code for n, code in markers.items()})
    pairs = (engine or gacrux_pairs)(trf, round_no, crosstable.planned_rounds, crosstable.top_seed_colour.value)
    pairs = [(board, original[white], original.get(black, 0)) for board, white, black in pairs]
    return _to_pairing(round_no, pairs, set(available))


def _numbered_from_one(crosstable: Crosstable) -> tuple[Crosstable, dict[int, int]]:
    """gacrux needs start numbers 1..N: close any gaps, keeping the order (the ranking); also new -> old."""
    numbers = crosstable.numbers
    if numbers == tuple(range(1, len(numbers) + 1)):
        return crosstable, {n: n for n in numbers}
    new = {old: index for index, old in enumerate(numbers, start=1)}
    players = tuple(dataclasses.replace(p, number=new[p.number]) for p in crosstable.players)
    entries = {new[n]: tuple(dataclasses.replace(e, opponent=new[e.opponent] if e.opponent else None) for e in es)
               for n, es in crosstable.entries.items()}
    return dataclasses.replace(crosstable, players=players, entries=entries), {v: k for k, v in new.items()}


def _not_paired_markers(crosstable: Crosstable, round_no: int,
                        not_paired: Mapping[int, ResultCode | str] | Iterable[int]) -> dict[int, ResultCode]:
    """Code to write for every player who sits this round out."""
    markers: dict[int, ResultCode] = {}
    for player in crosstable.players:
        recorded = crosstable.recorded(player.number, round_no)
        if recorded is not None:  # a bye entered ahead of the pairing (a game would make the round paired)
            markers[player.number] = recorded.result
        elif player.withdrawn_from is not None and player.withdrawn_from <= round_no:
            markers[player.number] = ResultCode.FORFEIT_LOSS
    given = not_paired.items() if isinstance(not_paired, Mapping) else ((n, ResultCode.FORFEIT_LOSS) for n in not_paired)
    for number, code in given:
        if number not in crosstable.numbers:
            raise PairingError(f"player {number} (not to be paired) is not in the tournament")
        try:
            code = ResultCode(code)
        except ValueError:
            raise PairingError(f"player {number}: {code!r} is not a result code") from None
        if code not in (ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE, ResultCode.FULL_POINT_BYE,
                        ResultCode.FORFEIT_LOSS):
            raise PairingError(f"player {number}: a player who is not paired gets H, Z, F or -, not {code.value!r}")
        markers[number] = code
    return markers


def gacrux_pairs(trf: str, round_no: int, planned_rounds: int, top_colour: str,
                 progress: Callable[[float], None] | None = None) -> list[tuple[int, int, int]]:
    """(board, white, black) from gacrux for round `round_no` of the TRF-16 text `trf`; black 0 is the
    pairing-allocated bye. `top_colour` is "w" or "b". `progress` hears the share of players paired so far
    (0..1) after each score bracket. Raises PairingError when gacrux cannot read or pair the round.
    """
    from gacrux.gacruxexeptions import GacruxError
    from gacrux.trf2json import trf2json

    from .matching import install_for_gacrux
    install_for_gacrux()

    reader = trf2json()
    try:
        reader.parse_file(trf, 0)
        status = reader.chessjson["status"]
        if status["code"] >= 400:
            raise PairingError(f"gacrux could not read the tournament: {'; '.join(map(str, status['error']))}")
        tournament: dict[str, Any] = reader.get_tournament(1)
        # XXC is not read by gacrux: state the drawn colour and the round count explicitly.
        tournament["topColor"] = top_colour
        tournament["numRounds"] = planned_rounds
        engine = _reporting_pairer(progress)(tournament, round_no,
                                             {"experimental": [], "verbose": 0, "top_color": top_colour})
        brackets = engine.compute_pairing(False, 0)
    except GacruxError as error:
        raise PairingError(f"round {round_no} cannot be paired: {error}") from None
    return sorted((pair["board"], pair["w"], pair["b"])
                  for bracket in brackets if bracket for pair in bracket.get("pairs", []))


def _reporting_pairer(progress: Callable[[float], None] | None) -> type:
    """gacrux's Dutch pairer, telling `progress` how many players are paired after each score bracket."""
    from gacrux.pairingdutch import pairing_dutch

    if progress is None:
        return pairing_dutch

    class Reporting(pairing_dutch):  # observes the brackets; the pairing itself is gacrux's, untouched
        field = 0

        def pair_bracket(self, scorelevel: Any, nodes: Any, edges: Any, testpab: Any) -> Any:
            self.field = self.field or len(nodes)
            answer = super().pair_bracket(scorelevel, nodes, edges, testpab)
            progress(1 - len(answer[1]) / self.field)  # answer[1]: the players still to pair
            return answer

    return Reporting


def _to_pairing(round_no: int, pairs: list[tuple[int, int, int]], available: set[int]) -> Pairing:
    """Check the engine's answer covers exactly the available players, then shape it."""
    boards: list[Board] = []
    byes: list[int] = []
    for _, white, black in pairs:
        if black == 0:
            byes.append(white)
        else:
            boards.append(Board(len(boards) + 1, white, black))
    seen = [n for b in boards for n in (b.white, b.black)] + byes
    if sorted(seen) != sorted(available) or len(byes) != len(available) % 2:
        raise PairingError(f"round {round_no}: the pairing engine returned an incomplete pairing "
                           f"({len(boards)} boards, byes {byes}) for {len(available)} players")
    return Pairing(round_no, tuple(boards), byes[0] if byes else None)
