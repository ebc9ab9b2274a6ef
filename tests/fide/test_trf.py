"""TRF-16: the reference files read, our files round-trip, gacrux reads them back, bad files name their line."""
from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import pytest

from chessweb.fide.crosstable import Colour, Crosstable, Player, ResultCode, RoundEntry, TournamentType, game_entries
from chessweb.fide.simulation import Mishaps, simulate_round_robin, simulate_swiss
from chessweb.fide.trf import TrfError, read_trf, write_trf

from .support import DATA, gacrux_tournament, random_pairer

W, B = Colour.WHITE, Colour.BLACK


@pytest.mark.parametrize("name, players, planned, last, top, samples", [
    ("fide-tec-tiebreak-exercise-2024.trf", 16, 5, 5, W, {
        (4, 2): RoundEntry(2, None, None, "H"), (9, 4): RoundEntry(4, 11, W, "-"),
        (11, 4): RoundEntry(4, 9, B, "+"), (12, 5): RoundEntry(5, None, None, "-"),
        (6, 3): RoundEntry(3, None, None, "U"), (1, 1): RoundEntry(1, 9, W, "1")}),
    ("bbp-dutch-2025-C5.input.trf", 6, 3, 3, W, {(4, 3): RoundEntry(3, None, None, "Z"),
                                                 (2, 2): RoundEntry(2, 1, W, "0")}),
    ("bbp-dutch-2025-C9.input.trf", 5, 3, 1, W, {(5, 1): RoundEntry(1, None, None, "Z")}),
    # Old Mac line ends; the top seed had black in round 1; forfeits and draws in 14 rounds.
    ("bbp-issue-7.input.trf", 60, 15, 14, B, {(1, 1): RoundEntry(1, 31, B, "1"), (4, 1): RoundEntry(1, 34, W, "+"),
                                              (60, 14): RoundEntry(14, 59, B, "=")}),
])
def test_reference_files_are_read(name, players, planned, last, top, samples):
    table = read_trf((DATA / name).read_bytes())
    assert (len(table.players), table.planned_rounds, table.last_round, table.top_seed_colour) == (
        players, planned, last, top)
    for (number, round_no), entry in samples.items():
        assert table.entry(number, round_no) == entry


def test_player_fields_are_read_from_their_columns():
    line = ("001   12 wWGM Doe, Jane                         2415 NOR     1503014 1990/05/17  1.5    3"
            "     2 b 1  0000 - H")
    table = read_trf("012 Columns\n042 2026/04/01\nXXR 5\n" + line + "\n" +
                     "001    2 m    Roe, Richard                      2300 GER " + " " * 11 + " 1990/00/00  0.0    9"
                     "    12 w 0\n")
    jane = table.player(12)
    assert jane == Player(12, "Doe, Jane", 2415, 1503014, "NOR", "WGM", "w", date(1990, 5, 17))
    assert table.player(2).birth_date is None and table.player(2).fide_id is None  # 00 = unknown month/day
    assert (table.name, table.start_date, table.planned_rounds) == ("Columns", date(2026, 4, 1), 5)


@pytest.mark.parametrize("name", ["fide-tec-tiebreak-exercise-2024.trf", "bbp-dutch-2025-C5.input.trf",
                                  "bbp-dutch-2025-C9.input.trf", "bbp-issue-7.input.trf"])
def test_reference_files_round_trip(name):
    table = read_trf((DATA / name).read_bytes())
    assert read_trf(write_trf(table)) == table


def effective(table: Crosstable) -> dict[tuple[int, int], RoundEntry]:
    return {(n, r): table.entry(n, r) for n in table.numbers for r in range(1, table.paired_rounds + 1)}


@pytest.mark.parametrize("seed", range(4))
def test_generated_swiss_round_trips(seed):
    table = simulate_swiss(30, 7, seed, mishaps=Mishaps(0.06, 0.01, 0.05, 0.03, 0.03), pair=random_pairer(seed),
                           start_date=date(2025, 9, 1))
    again = read_trf(write_trf(table))
    assert effective(again) == effective(table)
    # TRF-16 has no withdrawal record: the rounds after it come back as explicit "not paired" entries.
    assert again.players == tuple(dataclasses.replace(p, withdrawn_from=None) for p in table.players)
    assert (again.planned_rounds, again.start_date, again.top_seed_colour, again.kind) == (
        table.planned_rounds, table.start_date, table.top_seed_colour, table.kind)
    assert read_trf(write_trf(again)) == again


@pytest.mark.parametrize("double", [False, True])
def test_round_robin_type_round_trips(double):
    table = simulate_round_robin(7, 3, double=double)
    again = read_trf(write_trf(table))
    assert again.kind is (TournamentType.DOUBLE_ROUND_ROBIN if double else TournamentType.ROUND_ROBIN)
    assert effective(again) == effective(table)


@pytest.mark.parametrize("seed", range(3))
def test_gacrux_reads_our_file_back_to_the_same_games_and_scores(seed):
    table = simulate_swiss(24, 6, seed, mishaps=Mishaps(0.06, 0.01, 0.05, 0.03, 0.03), pair=random_pairer(seed))
    tournament = gacrux_tournament(write_trf(table))
    assert tournament["numRounds"] == 6
    assert tournament["tournamentInfo"]["startDate"] == table.start_date.isoformat()
    theirs = set()
    for game in tournament["gameList"]:
        black = game["black"]["cid"] if game.get("black") else 0
        theirs.add((game["round"], game["white"]["cid"], black))
    ours = set()
    for n in table.numbers:
        for entry in table.entries.get(n, ()):
            if entry.opponent is None:
                ours.add((entry.round, n, 0))
            elif entry.colour is W:
                ours.add((entry.round, n, entry.opponent))
    absent = {(r, n, 0) for n in table.numbers for r in range(1, table.paired_rounds + 1)
              if table.recorded(n, r) is None}
    assert theirs == ours | absent
    for competitor in tournament["competitors"]:
        assert Fraction(str(competitor["gamePoints"])) == table.points(competitor["cid"])


def test_pairing_markers_and_pending_games_are_written():
    table = Crosstable((Player(1, "A"), Player(2, "B"), Player(3, "C")),
                       {**game_entries(1, 1, 2, "*"), 3: RoundEntry(1, None, None, "U")}, 3)
    text = write_trf(table)
    assert text.splitlines()[4][89:99].ljust(10) == "     2 w  "  # blank result: not played yet
    assert read_trf(text).entry(1, 1).is_pending
    finished = table.with_entries(game_entries(1, 1, 2, "="))
    marked = write_trf(finished, not_paired_next={3: "H", 2: ResultCode.ZERO_POINT_BYE})
    lines = marked.splitlines()
    assert lines[-1].endswith("  0000 - U  0000 - H") and lines[-2].endswith("  0000 - Z")
    assert lines[-1][80:84] == " 1.5"  # the points column adds up the line, marker included
    with pytest.raises(TrfError, match="cannot mark"):
        write_trf(finished, not_paired_next={3: "U"})
    with pytest.raises(TrfError, match="no round 2"):
        write_trf(Crosstable((Player(1, "A"), Player(2, "B")), game_entries(1, 1, 2, "1"), 1),
                  not_paired_next={1: "H"})


def test_withdrawn_players_are_marked_not_to_be_paired_next():
    players = (Player(1, "A"), Player(2, "B"), Player(3, "C", withdrawn_from=2), Player(4, "D", withdrawn_from=3))
    table = Crosstable(players, {**game_entries(1, 1, 2, "1"), **game_entries(1, 3, 4, "=")}, 3)
    lines = write_trf(table).splitlines()
    assert lines[-2].endswith("     4 w =  0000 - -") and lines[-1].endswith("     3 b =")
    again = read_trf(write_trf(table))
    assert again.entry(3, 2).result is ResultCode.FORFEIT_LOSS and again.recorded(4, 2) is None
    finished = Crosstable(players[:2], {n: e for n, e in game_entries(1, 1, 2, "1").items()}, 1)
    assert "0000" not in write_trf(finished)  # no next round to mark


def test_names_with_line_breaks_write_one_record_each():
    table = Crosstable((Player(1, "A\r\n001    9      Injected"), Player(2, "B\tC")), game_entries(1, 1, 2, "1"), 1,
                       name="Open\n001    8      Also injected")
    text = write_trf(table)
    assert [line[:3] for line in text.splitlines()] == ["012", "092", "XXR", "XXC", "001", "001"]
    again = read_trf(text)
    assert again.name == "Open 001    8      Also injected"
    assert [p.name for p in again.players] == ["A  001    9      Injected"[:33].rstrip(), "B C"]
    assert again.numbers == (1, 2)


@pytest.mark.parametrize("data", ["012 Open\n001    1      A\x00B\n", b"012 Open\r\n001    1      A\x00B\r\n"])
def test_a_nul_byte_is_refused_naming_its_line(data):
    with pytest.raises(TrfError, match="NUL character") as caught:
        read_trf(data)
    assert caught.value.line == 2


def test_bytes_are_utf8_or_latin1():
    table = Crosstable((Player(1, "Müller, Jörg"), Player(2, "Ødegård, Åse")), game_entries(1, 1, 2, "1"), 1)
    text = write_trf(table)
    assert read_trf(text.encode("utf-8")) == read_trf(text.encode("latin-1")) == table


GOOD = "001    1      Alpha                             2000                             1.0    1     2 w 1\n" \
       "001    2      Beta                              1900                             0.0    2     1 b 0\n"


@pytest.mark.parametrize("text, line, column, message", [
    ("012 Nothing\n", None, None, "no player"),
    ("XXR x\n" + GOOD, 1, 5, "XXR"),
    (GOOD + "001   1x      Gamma                             1800\n", 3, 5, "start number '1x'"),
    (GOOD + "001           Gamma                             1800\n", 3, 5, "start number is missing"),
    (GOOD + "001    1      Gamma                             1800\n", 3, 5, "start number 1 is used twice"),
    (GOOD + "001    3      Gamma                             18a0\n", 3, 49, "rating '18a0'"),
    (GOOD + "001    3                                        1800\n", 3, 15, "no name"),
    (GOOD.replace("2 w 1", "2 w 9"), 1, 99, "unknown result code '9'"),
    (GOOD.replace("     2 w 1", "    2 w 1 "), 1, 90, "not 'oooo c r' in its columns"),
    (GOOD.replace("2 w 1", "7 w 1"), 1, 92, "opponent 7 is not a player"),
    # A game recorded differently on two lines is reported on the first, naming the opponent.
    (GOOD.replace("1 b 0", "1 b 1"), 1, 92, r"results '1' and '1' \(opponent 2\)"),
    (GOOD.replace("1 b 0", "1 w 0"), 1, 92, r"colours 'w' and 'w' \(opponent 2\)"),
    (GOOD.replace("2 w 1", "0 w 1"), 1, 97, "without an opponent has no colour"),
    ("XXR 1\n" + GOOD.replace("2 w 1", "2 w 1  0000 - H"), 2, 100, "entry for round 2 but the file says 1 rounds"),
    (GOOD.replace("2 w 1", "2 w 1  0000 - H") + "XXR 1\n", 1, 100, "round 2 but the file says 1 rounds"),
])
def test_bad_files_name_the_line_and_the_fault(text, line, column, message):
    with pytest.raises(TrfError, match=message) as caught:
        read_trf(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    if line is not None:
        where = f"line {line}: " if column is None else f"line {line}, column {column}: "
        assert str(caught.value).startswith(where)
