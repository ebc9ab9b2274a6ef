"""Crosstable types: scoring vocabulary, validation of games on both sides, derived round counts."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from chessweb.fide.crosstable import (
    Colour,
    Crosstable,
    CrosstableError,
    Player,
    ResultCode,
    RoundEntry,
    TieBreakEdition,
    absent_entry,
    bye_entry,
    game_entries,
)

from .support import reference_crosstable

W, B = Colour.WHITE, Colour.BLACK


def players(count: int) -> tuple[Player, ...]:
    return tuple(Player(n, f"Player {n}", 2000 - n) for n in range(1, count + 1))


@pytest.mark.parametrize("code, half_points, played, vur", [
    ("1", 2, True, False), ("0", 0, True, False), ("=", 1, True, False),
    ("+", 2, False, False), ("-", 0, False, True),
    ("H", 1, False, True), ("Z", 0, False, True), ("U", 2, False, False), ("F", 2, False, False),
    ("W", 2, True, False), ("D", 1, True, False), ("L", 0, True, False), ("*", 0, False, False),
])
def test_result_codes_score_and_classify(code, half_points, played, vur):
    result = ResultCode(code)
    assert (result.half_points, result.is_played, result.is_voluntary_unplayed) == (half_points, played, vur)


@pytest.mark.parametrize("white, black", [("1", "0"), ("0", "1"), ("=", "="), ("+", "-"), ("-", "+"),
                                          ("W", "L"), ("L", "W"), ("D", "D"), ("*", "*")])
def test_game_entries_give_black_the_reciprocal_result(white, black):
    entries = game_entries(3, 5, 8, white)
    assert entries[5] == RoundEntry(3, 8, W, ResultCode(white))
    assert entries[8] == RoundEntry(3, 5, B, ResultCode(black))


@pytest.mark.parametrize("make, message", [
    (lambda: RoundEntry(1, None, None, "1"), "needs an opponent"),
    (lambda: RoundEntry(1, 4, W, "H"), "cannot have an opponent"),
    (lambda: RoundEntry(1, None, W, "U"), "has no colour"),
    (lambda: RoundEntry(1, 4, None, "="), "needs a colour"),
    (lambda: RoundEntry(0, None, None, "Z"), "positive integer"),
    (lambda: RoundEntry(1, 4, W, "X"), "not a valid ResultCode"),
    (lambda: Player(0, "Nobody"), "positive integer"),
    (lambda: Player(1, "A", rating=-5), "rating"),
    (lambda: Player(1, "A", sex="x"), "sex"),
    (lambda: game_entries(1, 1, 2, "H"), "not a game result"),
])
def test_bad_entries_and_players_are_refused(make, message):
    with pytest.raises(CrosstableError, match=message):
        make()


def test_forfeits_may_have_no_colour_but_games_must():
    entries = game_entries(1, 1, 2, "+")
    unpaired_colours = {1: [RoundEntry(1, 2, None, "+")], 2: [RoundEntry(1, 1, None, "-")]}
    assert Crosstable(players(2), unpaired_colours, 3).entry(1, 1).result is ResultCode.FORFEIT_WIN
    assert Crosstable(players(2), entries, 3).entry(2, 1).colour is B


@pytest.mark.parametrize("entries, message, player, round_no", [
    ({1: [RoundEntry(1, 2, W, "1")]}, "opponent 2 does not have this game", 1, 1),
    ({1: [RoundEntry(1, 2, W, "1")], 2: [RoundEntry(1, 3, B, "0")], 3: [RoundEntry(1, 2, W, "1")]},
     "does not have this game", 1, 1),
    ({1: [RoundEntry(1, 2, W, "1")], 2: [RoundEntry(1, 1, W, "0")]}, "colours 'w' and 'w'", 1, 1),
    ({1: [RoundEntry(1, 2, W, "1")], 2: [RoundEntry(1, 1, B, "1")]}, "results '1' and '1'", 1, 1),
    ({1: [RoundEntry(1, 2, W, "=")], 2: [RoundEntry(1, 1, B, "0")]}, "do not fit together", 1, 1),
    ({1: [RoundEntry(1, 1, W, "1")]}, "against themselves", 1, 1),
    ({1: [RoundEntry(1, 9, W, "1")]}, "opponent 9 is not a player", 1, 1),
    ({1: [bye_entry(2, "H"), bye_entry(2, "Z")]}, "two entries for round 2", 1, 2),
    ({1: [bye_entry(4, "H")]}, "after the last planned round 3", 1, 4),
    ({7: [bye_entry(1, "H")]}, "unknown player 7", 7, None),
])
def test_inconsistent_crosstables_name_player_and_round(entries, message, player, round_no):
    with pytest.raises(CrosstableError, match=message) as caught:
        Crosstable(players(3), entries, planned_rounds=3)
    assert (caught.value.player, caught.value.round) == (player, round_no)


def test_double_forfeit_is_accepted():
    table = Crosstable(players(2), game_entries(1, 1, 2, "-", "-"), 1)
    assert table.points(1) == table.points(2) == 0


def test_player_numbers_must_be_unique_and_rounds_positive():
    with pytest.raises(CrosstableError, match="unique"):
        Crosstable((Player(1, "A"), Player(1, "B")), {}, 3)
    with pytest.raises(CrosstableError, match="planned_rounds"):
        Crosstable(players(2), {}, 0)


def test_points_count_every_result_code_and_stop_at_a_round():
    entries = {**game_entries(1, 1, 2, "="), 3: [bye_entry(1, "U")]}
    entries = {**{n: [e] for n, e in entries.items() if n != 3}, 3: [bye_entry(1, "U"), bye_entry(2, "H")]}
    table = Crosstable(players(3), entries, 3).with_entries(game_entries(2, 2, 1, "+"))
    assert [table.points(n) for n in (1, 2, 3)] == [Fraction(1, 2), Fraction(3, 2), Fraction(3, 2)]
    assert table.points(3, through_round=1) == 1


def test_missing_rounds_are_absent_zero_point_rounds():
    table = Crosstable(players(3), game_entries(1, 1, 2, "1"), 3)
    assert table.recorded(3, 1) is None
    assert table.entry(3, 1) == absent_entry(1) == RoundEntry(1, None, None, ResultCode.FORFEIT_LOSS)


def test_round_counters_follow_pairing_and_pending_games():
    table = reference_crosstable("bbp-dutch-2025-C5.input.trf")  # round 3 holds only a requested bye
    assert (table.last_round, table.paired_rounds, table.completed_rounds) == (3, 2, 2)
    running = table.with_entries({**game_entries(3, 1, 2, "*"), **game_entries(3, 3, 5, "1")})
    assert (running.paired_rounds, running.completed_rounds) == (3, 2)
    finished = running.with_entries(game_entries(3, 1, 2, "0"))
    assert finished.completed_rounds == 3
    assert finished.through(1).last_round == 1 and finished.through(1).points(1) == 1


@pytest.mark.parametrize("start, explicit, expected", [
    (date(2025, 6, 1), None, TieBreakEdition.C07_2024),
    (date(2026, 2, 28), None, TieBreakEdition.C07_2024),
    (date(2026, 3, 1), None, TieBreakEdition.C07_2026),
    (None, None, TieBreakEdition.C07_2026),
    (date(2026, 9, 1), TieBreakEdition.C07_2024, TieBreakEdition.C07_2024),
])
def test_tiebreak_edition_defaults_to_the_start_date(start, explicit, expected):
    table = Crosstable(players(2), {}, 5, start_date=start, edition=explicit)
    assert table.effective_edition is expected


def test_with_entries_replaces_a_round_and_keeps_the_original():
    table = Crosstable(players(2), game_entries(1, 1, 2, "*"), 2)
    updated = table.with_entries(game_entries(1, 1, 2, "0"))
    assert table.entry(1, 1).is_pending and updated.entry(1, 1).result is ResultCode.LOSS
    assert updated.with_players([Player(2, "Renamed")]).player(2).name == "Renamed"
    with pytest.raises(CrosstableError, match="no player 9"):
        table.player(9)
