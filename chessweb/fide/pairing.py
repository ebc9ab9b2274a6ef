"""The shape of a round's pairing, shared by the round-robin and Swiss pairers."""
from __future__ import annotations

from dataclasses import dataclass

from .crosstable import ResultCode, RoundEntry, bye_entry, game_entries


class PairingError(ValueError):
    """A round cannot be paired; the message says why."""


@dataclass(frozen=True)
class Board:
    """One game of a round, boards numbered from 1."""

    number: int
    white: int
    black: int


@dataclass(frozen=True)
class Pairing:
    """The pairing of one round: boards in board order and the player left without an opponent, if any.

    In a Swiss that player has the pairing-allocated bye (scored `U`); in a round robin with an odd field it is
    the free round of the Berger table (scored `-`: not paired, no points).
    """

    round: int
    boards: tuple[Board, ...]
    bye: int | None = None
    bye_result: ResultCode = ResultCode.PAIRING_ALLOCATED_BYE

    def paired_players(self) -> set[int]:
        """Everyone with a board or the bye."""
        players = {n for b in self.boards for n in (b.white, b.black)}
        return players | ({self.bye} if self.bye is not None else set())

    def pending_entries(self) -> dict[int, RoundEntry]:
        """Crosstable entries for this round before any result: games pending, the bye already scored."""
        entries: dict[int, RoundEntry] = {}
        for board in self.boards:
            entries.update(game_entries(self.round, board.white, board.black, ResultCode.PENDING))
        if self.bye is not None:
            entries[self.bye] = bye_entry(self.round, self.bye_result)
        return entries
