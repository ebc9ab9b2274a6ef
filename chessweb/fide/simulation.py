"""Generated tournaments for tests, benchmarks and demo data: realistic ratings, results by rating difference.

Everything is drawn from a `random.Random` seeded by the caller, so the same seed gives the same event.
"""
from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .berger import berger_round, round_robin_rounds
from .crosstable import (
    Colour,
    Crosstable,
    Player,
    ResultCode,
    RoundEntry,
    TournamentType,
    bye_entry,
    game_entries,
)
from .dutch import pair_next_round
from .pairing import Pairing

Pairer = Callable[[Crosstable, dict[int, ResultCode]], Pairing]
Results = Callable[[int | None, int | None, random.Random], ResultCode]  # (white's rating, black's, rng) → white's


@dataclass(frozen=True)
class Mishaps:
    """How often things go wrong, per player and round (forfeits: per game)."""

    forfeit: float = 0.03  # one player does not show up
    double_forfeit: float = 0.005  # neither does
    half_point_bye: float = 0.03  # requested half-point bye
    zero_point_bye: float = 0.01  # requested zero-point bye
    withdrawal: float = 0.01  # leaves the tournament after the round


NO_MISHAPS = Mishaps(0, 0, 0, 0, 0)


def generate_players(count: int, rng: random.Random, *, top_rating: int = 2650, unrated_share: float = 0.0
                     ) -> tuple[Player, ...]:
    """A field numbered by rating, strongest first, as Swiss pairing numbers are."""
    ratings = sorted((max(1000, min(2850, round(rng.gauss(top_rating - 650, 300)))) for _ in range(count)),
                     reverse=True)
    players = []
    for number, rating in enumerate(ratings, start=1):
        unrated = rng.random() < unrated_share
        players.append(Player(number=number, name=f"Player{number:04d}, Test",
                              rating=None if unrated else rating, fide_id=None if unrated else 1_000_000 + number,
                              federation=rng.choice(("NOR", "GER", "IND", "USA", "FRA", "ESP")),
                              sex=rng.choice(("m", "w")), birth_date=date(1960 + number % 45, 1 + number % 12, 1)))
    return tuple(players)


def game_result(white_rating: int | None, black_rating: int | None, rng: random.Random) -> ResultCode:
    """White's result, drawn from the Elo expectation with a draw rate that falls as the gap grows."""
    diff = (white_rating or 1500) - (black_rating or 1500) + 35  # white moves first
    expected = 1 / (1 + 10 ** (-diff / 400))
    draw = min(max(0.05, 0.35 - abs(diff) / 1500), 2 * expected, 2 * (1 - expected))
    roll = rng.random()
    if roll < expected - draw / 2:
        return ResultCode.WIN
    if roll < expected + draw / 2:
        return ResultCode.DRAW
    return ResultCode.LOSS


def coin_result(_white_rating: int | None, _black_rating: int | None, rng: random.Random) -> ResultCode:
    """White's result regardless of ratings: win, draw or loss, each a third of the time.

    What a load harness that types random results produces; it leaves score groups whose colour preferences
    and rematches are far more mixed than rating-driven results, which is the hard case for the Dutch pairing.
    """
    return rng.choice((ResultCode.WIN, ResultCode.DRAW, ResultCode.LOSS))


def play_round(crosstable: Crosstable, pairing: Pairing, rng: random.Random, mishaps: Mishaps = Mishaps(),
               not_paired: dict[int, ResultCode] | None = None, results: Results = game_result) -> Crosstable:
    """The crosstable with this round's results (and the byes of players not paired) entered."""
    entries: dict[int, RoundEntry] = {n: bye_entry(pairing.round, code) for n, code in (not_paired or {}).items()}
    for board in pairing.boards:
        roll = rng.random()
        if roll < mishaps.double_forfeit:
            entries.update(game_entries(pairing.round, board.white, board.black, "-", "-"))
        elif roll < mishaps.double_forfeit + mishaps.forfeit:
            entries.update(game_entries(pairing.round, board.white, board.black, rng.choice("+-")))
        else:
            white, black = crosstable.player(board.white), crosstable.player(board.black)
            entries.update(game_entries(pairing.round, board.white, board.black,
                                        results(white.rating, black.rating, rng)))
    if pairing.bye is not None:
        entries[pairing.bye] = bye_entry(pairing.round, pairing.bye_result)
    return crosstable.with_entries(entries)


def simulate_swiss(players: int, rounds: int, seed: int, *, mishaps: Mishaps = Mishaps(),
                   pair: Pairer | None = None, start_date: date = date(2026, 4, 1),
                   unrated_share: float = 0.0, results: Results = game_result, played: int | None = None
                   ) -> Crosstable:
    """A finished Swiss: each round pairs (by default with the Dutch system), then plays, with mishaps.

    `results` draws each game (default: from the rating difference; `coin_result` ignores ratings); `played`
    stops after that many of the `rounds` rounds (default: all)."""
    rng = random.Random(seed)
    crosstable = Crosstable(players=generate_players(players, rng, unrated_share=unrated_share), entries={},
                            planned_rounds=rounds, start_date=start_date,
                            top_seed_colour=rng.choice((Colour.WHITE, Colour.BLACK)), name=f"Simulated Swiss {seed}")
    pair = pair or (lambda ct, absent: pair_next_round(ct, absent))
    for round_no in range(1, (rounds if played is None else played) + 1):
        crosstable = play_next_round(crosstable, round_no, rng, mishaps, pair, results)
    return crosstable


def play_next_round(crosstable: Crosstable, round_no: int, rng: random.Random, mishaps: Mishaps,
                    pair: Pairer, results: Results = game_result) -> Crosstable:
    """Draw the round's requested byes, pair, play, then maybe withdraw someone."""
    active = [p for p in crosstable.players if p.withdrawn_from is None or p.withdrawn_from > round_no]
    absent: dict[int, ResultCode] = {}
    for player in active:
        roll = rng.random()
        if roll < mishaps.half_point_bye:
            absent[player.number] = ResultCode.HALF_POINT_BYE
        elif roll < mishaps.half_point_bye + mishaps.zero_point_bye:
            absent[player.number] = ResultCode.ZERO_POINT_BYE
    pairing = pair(crosstable, absent)
    crosstable = play_round(crosstable, pairing, rng, mishaps, absent, results)
    leaving = [p for p in active if round_no < crosstable.planned_rounds and rng.random() < mishaps.withdrawal]
    if leaving:
        crosstable = crosstable.with_players(dataclasses.replace(p, withdrawn_from=round_no + 1) for p in leaving)
    return crosstable


def simulate_round_robin(players: int, seed: int, *, double: bool = False, mishaps: Mishaps = NO_MISHAPS,
                         start_date: date = date(2026, 4, 1)) -> Crosstable:
    """A finished round robin on the Berger tables (forfeits only; byes and withdrawals are not drawn)."""
    rng = random.Random(seed)
    kind = TournamentType.DOUBLE_ROUND_ROBIN if double else TournamentType.ROUND_ROBIN
    crosstable = Crosstable(players=generate_players(players, rng), entries={},
                            planned_rounds=round_robin_rounds(players, double), start_date=start_date, kind=kind,
                            name=f"Simulated round robin {seed}")
    forfeits_only = Mishaps(forfeit=mishaps.forfeit, double_forfeit=mishaps.double_forfeit,
                            half_point_bye=0, zero_point_bye=0, withdrawal=0)
    for round_no in range(1, crosstable.planned_rounds + 1):
        crosstable = play_round(crosstable, berger_round(players, round_no, double), rng, forfeits_only)
    return crosstable
