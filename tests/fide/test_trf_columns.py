"""Every fixed-width field the TRF writer emits stays in its columns, at the largest values, or is refused.

The column ranges are FIDE's (TRF-16 and TRF-2026, record 001 and the round blocks), written out here rather
than taken from the writer, so the test checks the writer against the format and not against itself. A value too
big for its field used to spill into the next one (a 100-point score shifted every round block one column to the
right, and our own reader then refused the file); bbpPairings refuses such a file too ("scores above 99.9").
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from gacrux.trf2json import trf2json

from chessweb.fide.berger import berger_schedule
from chessweb.fide.crosstable import Colour, Crosstable, Player, ResultCode, RoundEntry, TournamentType, game_entries
from chessweb.fide.trf import MAX_FIDE_ID, MAX_RATING, TrfError, read_trf, write_trf

# TRF-2026 "Player Section": (first, last) column, 1-based.
SPEC_001 = {"code": (1, 3), "number": (5, 8), "sex": (10, 10), "title": (11, 13), "name": (15, 47),
            "rating": (49, 52), "federation": (54, 56), "fide_id": (58, 68), "birth": (70, 79), "points": (81, 84),
            "rank": (86, 89)}
FIRST_BLOCK = 92  # round 1: opponent 92-95, colour 97, result 99; each later round 10 columns on
BLOCK = {"opponent": (0, 3), "colour": (5, 5), "result": (7, 7)}


def field(line: str, first: int, last: int) -> str:
    return line.ljust(last)[first - 1:last]


def check_player_line(line: str, expected: dict[str, str], blocks: list[tuple[str, str, str]]) -> None:
    """Each field holds exactly its expected text (right- or left-aligned), every other column is blank."""
    used = set()
    for key, (first, last) in SPEC_001.items():
        text = field(line, first, last)
        assert text.strip() == expected[key], (key, line)
        used.update(range(first, last + 1))
    for index, (opponent, colour, result) in enumerate(blocks):
        start = FIRST_BLOCK + 10 * index
        for key, value in zip(BLOCK, (opponent, colour, result), strict=True):
            first, last = BLOCK[key]
            assert field(line, start + first, start + last).strip() == value, (index + 1, key, line)
            used.update(range(start + first, start + last + 1))
    assert all(ch == " " for column, ch in enumerate(line, start=1) if column not in used), line
    assert len(line) <= FIRST_BLOCK - 1 + 10 * len(blocks)


def player_lines(text: str) -> dict[int, str]:
    return {int(line[4:8]): line for line in text.splitlines() if line.startswith("001")}


def test_the_largest_value_of_every_field_stays_in_its_columns():
    jane = Player(9999, "N" * 33, MAX_RATING, MAX_FIDE_ID, "NOR", "WGM", "w", date(9999, 12, 31))
    joe = Player(1, "Jo", None, None, "", "", "", None, birth_year=1950)
    table = Crosstable(players=(jane, joe), entries={**game_entries(1, 9999, 1, "1")} | {
        9999: (RoundEntry(1, 1, Colour.WHITE, "1"), RoundEntry(2, None, None, "F")),
        1: (RoundEntry(1, 9999, Colour.BLACK, "0"), RoundEntry(2, None, None, "Z"))},
        planned_rounds=3, name="Extremes")
    text = write_trf(table, ranks={9999: 9999, 1: 2})
    lines = player_lines(text)
    check_player_line(lines[9999], {"code": "001", "number": "9999", "sex": "w", "title": "wg", "name": "N" * 33,
                                    "rating": str(MAX_RATING), "federation": "NOR", "fide_id": str(MAX_FIDE_ID),
                                    "birth": "9999/12/31", "points": "2.0", "rank": "9999"},
                      [("1", "w", "1"), ("0000", "-", "F")])
    check_player_line(lines[1], {"code": "001", "number": "1", "sex": "", "title": "", "name": "Jo", "rating": "",
                                 "federation": "", "fide_id": "", "birth": "1950/00/00", "points": "0.0",
                                 "rank": "2"}, [("9999", "b", "0"), ("0000", "-", "Z")])
    assert read_trf(text) == table
    # The other records: one code, a blank, a value (free-format, so no column to overflow).
    records = {line[:3]: line for line in text.splitlines() if not line.startswith("001")}
    assert records["XXR"] == "XXR 3" and records["XXC"] == "XXC white1" and records["012"] == "012 Extremes"


def all_draws_round_robin(players: int) -> Crosstable:
    entries: dict[int, list[RoundEntry]] = {n: [] for n in range(1, players + 1)}
    for round_no, pairing in enumerate(berger_schedule(players), start=1):
        for board in pairing.boards:
            for number, entry in game_entries(round_no, board.white, board.black, ResultCode.DRAW).items():
                entries[number].append(entry)
    return Crosstable(players=tuple(Player(n, f"Player {n}", 2000) for n in range(1, players + 1)),
                      entries=entries, planned_rounds=players - 1, kind=TournamentType.ROUND_ROBIN,
                      start_date=date(2026, 4, 1), name="Marathon")


def test_a_99_point_5_round_robin_of_200_players_round_trips_with_every_column_in_place():
    table = all_draws_round_robin(200)  # 199 rounds, every game drawn: 99.5 points each, the most TRF holds
    text = write_trf(table)
    assert read_trf(text) == table
    lines = player_lines(text)
    assert len(lines) == 200
    for number, line in lines.items():
        expected = {"code": "001", "number": str(number), "sex": "", "title": "", "name": f"Player {number}",
                    "rating": "2000", "federation": "", "fide_id": "", "birth": "", "points": "99.5",
                    "rank": str(number)}
        blocks = [(str(e.opponent), e.colour.value, "=") for e in table.entries[number]]
        check_player_line(line, expected, blocks)


def byes_only(half_points: int) -> Crosstable:
    """One player with `half_points` half-point byes (and a second who was never paired)."""
    return Crosstable(players=(Player(1, "Bye Collector"), Player(2, "Other")),
                      entries={1: tuple(RoundEntry(r, None, None, "H") for r in range(1, half_points + 1))},
                      planned_rounds=half_points, name="Byes")


def test_99_point_5_is_written_and_100_points_are_refused_naming_the_player_and_the_field():
    text = write_trf(byes_only(199))
    line = player_lines(text)[1]
    assert field(line, 81, 84) == "99.5" and field(line, 86, 89) == "   1" and line[91:99] == "0000 - H"
    reader = trf2json()  # gacrux, the engine we pair with, reads the score and rank from the same columns
    reader.parse_file(text, 0)
    assert reader.chessjson["status"]["code"] < 400, reader.chessjson["status"]
    assert (reader.pcompetitors[1]["gamePoints"], reader.pcompetitors[1]["rank"]) == (Decimal("99.5"), 1)
    with pytest.raises(TrfError, match=r"player 1 has 100\.0 points.*columns 81-84.*at most 99\.5"):
        write_trf(byes_only(200))


@pytest.mark.parametrize("player, ranks, message", [
    (Player(10000, "Big"), None, r"number '10000' does not fit the 4 columns 5-8"),
    (Player(1, "Big", rating=10000), None, r"rating '10000' does not fit the 4 columns 49-52"),
    (Player(1, "Big", fide_id=10**11), None, r"fide id '100000000000' does not fit the 11 columns 58-68"),
    (Player(1, "Big", birth_year=12345), None, r"birth year 12345 is not a four-digit year"),
    (Player(1, "Big"), {1: 10000, 2: 1}, r"rank '10000' does not fit the 4 columns 86-89"),
])
def test_a_value_too_big_for_its_field_is_refused_not_written_over_the_next(player, ranks, message):
    table = Crosstable(players=(player, Player(2, "Other")), entries={}, planned_rounds=1)
    with pytest.raises(TrfError, match=message):
        write_trf(table, ranks=ranks)


def test_an_opponent_number_too_big_for_a_round_block_is_refused():
    table = Crosstable(players=(Player(1, "Small"), Player(10000, "Big")), entries=game_entries(1, 1, 10000, "1"),
                       planned_rounds=1)
    with pytest.raises(TrfError):
        write_trf(table)


def test_points_add_up_what_the_line_says():
    table = byes_only(3)
    assert field(player_lines(write_trf(table))[1], 81, 84) == " 1.5"
    assert Fraction(3, 2) == sum(e.result.half_points for e in table.entries[1]) / 2
