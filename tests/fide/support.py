"""Shared helpers for the fide tests: reference data, gacrux as an independent oracle, a quick random pairer."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from gacrux.tiebreak import tiebreak
from gacrux.trf2json import trf2json

from chessweb.fide.crosstable import (
    Crosstable,
    Player,
    ResultCode,
    TieBreakEdition,
    TournamentType,
    bye_entry,
    game_entries,
)
from chessweb.fide.pairing import Board, Pairing
from chessweb.fide.tiebreaks import TieBreak
from chessweb.fide.trf import read_trf, write_trf

DATA = Path(__file__).resolve().parents[1] / "data"

# Our tie-break names in gacrux's notation.
GACRUX_NAMES = {
    TieBreak.BH: "BH", TieBreak.BH_C1: "BH/C1", TieBreak.BH_C2: "BH/C2", TieBreak.BH_M1: "BH/M1",
    TieBreak.SB: "SB", TieBreak.DE: "DE", TieBreak.WIN: "WIN", TieBreak.WON: "WON", TieBreak.BPG: "BPG",
    TieBreak.BWG: "BWG", TieBreak.PS: "PS", TieBreak.ARO: "ARO",
}


def reference_crosstable(name: str) -> Crosstable:
    return read_trf((DATA / name).read_bytes())


def gacrux_tournament(trf_text: str) -> dict[str, Any]:
    """gacrux's own reading of a TRF text."""
    reader = trf2json()
    reader.parse_file(trf_text, 0)
    assert reader.chessjson["status"]["code"] < 400, reader.chessjson["status"]
    return reader.get_tournament(1)


def gacrux_tiebreaks(crosstable: Crosstable, tiebreaks: list[TieBreak]) -> tuple[str, dict[int, tuple[int, list]]]:
    """(rules edition gacrux chose, {player: (rank, [points, tie-break values...])}) for our written TRF."""
    tournament = gacrux_tournament(write_trf(crosstable))
    params: dict[str, Any] = {"tiebreak": ["PTS"] + [GACRUX_NAMES[t] for t in tiebreaks], "check": False,
                              "current_round": -1, "unrated": None}
    result = tiebreak(tournament, -1, params).compute_tiebreaks(tournament, params)
    return result["rules"], {c["cid"]: (c["rank"], c["tiebreakScore"]) for c in result["competitors"]}


def as_fraction(value: Decimal | int | None) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def random_pairer(seed: int):
    """A legal but arbitrary pairing (no rematch where avoidable): fast events for tie-break checks."""
    def pair(crosstable: Crosstable, not_paired: dict[int, ResultCode]) -> Pairing:
        rng = random.Random(seed * 1009 + crosstable.paired_rounds)
        round_no = crosstable.paired_rounds + 1
        available = [p.number for p in crosstable.players if p.number not in not_paired
                     and (p.withdrawn_from is None or p.withdrawn_from > round_no)]
        met = {(n, e.opponent) for n in crosstable.numbers for e in crosstable.entries.get(n, ()) if e.opponent}
        for _ in range(100):
            rng.shuffle(available)
            players = list(available)
            bye = players.pop() if len(players) % 2 else None
            pairs = [(players[i], players[i + 1]) for i in range(0, len(players), 2)]
            if not any(p in met for p in pairs):
                break
        boards = tuple(Board(i, *(p if rng.random() < 0.5 else p[::-1])) for i, p in enumerate(pairs, start=1))
        return Pairing(round_no, boards, bye)
    return pair


def event(spec: str, players: int, rounds: int | None = None, *, kind: TournamentType = TournamentType.SWISS,
          edition: TieBreakEdition = TieBreakEdition.C07_2024, ratings: dict[int, int | None] | None = None
          ) -> Crosstable:
    """A crosstable from a compact spec: rounds split by '/', items by ',': 'white-black code' (White's code,
    two codes for both sides) or 'player code' for a round without an opponent."""
    table_rounds = spec.split("/")
    roster = tuple(Player(n, f"P{n}", (ratings or {}).get(n, 2000 - 10 * n)) for n in range(1, players + 1))
    table = Crosstable(roster, {}, rounds or len(table_rounds), kind=kind, edition=edition)
    for round_no, text in enumerate(table_rounds, start=1):
        entries = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            who, code = item.split()
            if "-" in who[1:]:
                white, black = map(int, who.split("-"))
                entries.update(game_entries(round_no, white, black, code[0], code[1] if len(code) > 1 else None))
            else:
                entries[int(who)] = bye_entry(round_no, code)
        table = table.with_entries(entries)
    return table
