"""TRF files as other tools write them (TRF-2026 records, blank fields, codes, other spellings) and the bounds that
hold however hostile a file is; every refusal names its line and column."""
from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from chessweb.fide.crosstable import Colour, ResultCode, RoundEntry
from chessweb.fide.dutch import pair_next_round
from chessweb.fide.trf import MAX_PLAYERS, TrfError, read_trf, read_trf_file, write_trf

from .support import DATA

TRF = DATA / "trf"


def player_line(number: int, name: str, rating: str = "2000", blocks: str = "") -> str:
    return f"001 {number:4d}      {name:<33}{rating:>4}                              0.0 {number:4d}{blocks}"


def test_birth_year_only_and_title_codes_are_read_and_written_back():
    file = read_trf_file((TRF / "birth-year-only.trf").read_bytes())
    alpha, bravo, charlie = (file.crosstable.player(n) for n in (1, 2, 3))
    assert (alpha.title, alpha.sex, alpha.birth_year, alpha.birth_date) == ("GM", "m", 1978, None)
    assert (bravo.title, charlie.title, charlie.sex) == ("IM", "", "w")
    assert (file.header.city, file.header.federation, file.header.end_date) == ("Sometown", "ESP", date(2010, 10, 2))
    assert file.crosstable.start_date == date(2010, 9, 24) and file.warnings == ()
    text = write_trf(file.crosstable, header=file.header)
    assert "022 Sometown" in text and "032 ESP" in text and "052 2010/10/02" in text
    assert "001    1 m  g Alpha Andres" in text and "1978/00/00" in text
    again = read_trf_file(text)
    assert again.crosstable == file.crosstable and again.header == file.header
    assert write_trf(again.crosstable, header=again.header) == text


def test_trf_2026_records_set_rounds_colour_and_requested_byes():
    file = read_trf_file((TRF / "trf26-records.trf").read_bytes())
    table = file.crosstable
    assert (table.planned_rounds, table.top_seed_colour, file.rounds_stated) == (5, Colour.BLACK, True)
    assert table.recorded(5, 1) == RoundEntry(1, None, None, ResultCode.HALF_POINT_BYE)
    pairing = pair_next_round(table)
    assert pairing.bye is None and len(pairing.boards) == 2
    assert 5 not in pairing.paired_players()
    top_board = next(b for b in pairing.boards if 1 in (b.white, b.black))
    assert top_board.black == 1  # 152 B: the top seed has black in round 1


@pytest.mark.parametrize("record, column", [
    ("162  W 1.0    D 0.5    L 0.0    A 0.0    P 1.0    X 1.0", None),  # FIDE's own points: accepted
    ("XXS WW=1.0 BW=1.0 WD=0.5 BD=0.5", None),
    ("162  W 3.0    D 1.0    L 0.0", 6),
    ("XXS WW=3 BW=3", 5),
    ("250 0001 0002", 1), ("260 0001 0002", 1), ("XXA 0001 0001", 1), ("310 Team", 1),
])
def test_records_that_change_scoring_or_pairing_are_refused_not_dropped(record, column):
    text = f"012 Test\n{record}\n{player_line(1, 'A')}\n{player_line(2, 'B')}\n"
    if column is None:
        assert read_trf(text).planned_rounds == 1
        return
    with pytest.raises(TrfError) as caught:
        read_trf(text)
    assert (caught.value.line, caught.value.column) == (2, column)


def test_a_blank_result_without_opponent_is_a_zero_point_bye():
    table = read_trf((TRF / "blank-result.trf").read_bytes())
    assert table.recorded(3, 1) == RoundEntry(1, None, None, ResultCode.ZERO_POINT_BYE)
    assert all(p.withdrawn_from is None for p in table.players)
    # Four blank opponent characters are 0000, a blank colour is '-'.
    blank = read_trf(f"XXR 3\n{player_line(1, 'A', blocks='         H')}\n{player_line(2, 'B')}\n")
    assert blank.recorded(1, 1) == RoundEntry(1, None, None, ResultCode.HALF_POINT_BYE)


def test_a_block_without_opponent_but_with_a_colour_is_refused_naming_it():
    with pytest.raises(TrfError, match="player 1, round 1: a round without an opponent has no colour") as caught:
        read_trf((TRF / "blank-result-malformed.trf").read_bytes())
    assert (caught.value.line, caught.value.column) == (6, 97)


def test_a_file_without_its_number_of_rounds_says_so():
    file = read_trf_file((TRF / "running-without-xxr.trf").read_bytes())
    assert not file.rounds_stated and file.crosstable.paired_rounds == 2
    assert read_trf_file((TRF / "trf26-records.trf").read_bytes()).rounds_stated


def test_a_full_point_bye_before_the_pairing_is_kept_and_the_player_not_paired():
    table = read_trf((TRF / "full-point-bye.trf").read_bytes())
    assert table.recorded(1, 2) == RoundEntry(2, None, None, ResultCode.FULL_POINT_BYE)
    pairing = pair_next_round(table)
    expected = (TRF / "full-point-bye.output.expected").read_text().split("\n")
    boards = [tuple(map(int, line.split())) for line in expected[1:] if line.strip()]
    assert len(pairing.boards) + (pairing.bye is not None) == int(expected[0])
    assert [(b.white, b.black) for b in pairing.boards] + [(pairing.bye, 0)] == boards


@pytest.mark.parametrize("birth", ["1978", "1978/00/00", "00/00/1978", "1978-00-00"])
def test_birth_dates_with_unknown_parts_keep_the_year(birth):
    table = read_trf(f"{player_line(1, 'A')[:69]}{birth:<10}{player_line(1, 'A')[79:]}\n{player_line(2, 'B')}\n")
    assert (table.player(1).birth_year, table.player(1).birth_date) == (1978, None)


@pytest.mark.parametrize("spelling", ["1990/05/17", "1990-05-17", "1990.05.17", "17.05.1990", "90/05/17",
                                      "19900517"])
def test_date_spellings(spelling):
    table = read_trf(f"042 {spelling}\n{player_line(1, 'A')}\n{player_line(2, 'B')}\n")
    assert table.start_date == date(1990, 5, 17)


@pytest.mark.parametrize("line, warning", [
    ("042 tomorrow", "line 1, column 5: start date 'tomorrow' is not a date"),
    ("052 soon", "line 1, column 5: end date 'soon'"),
    ("032 Norway", "line 1, column 5: federation 'Norway'"),
    ("001    3 x    Gamma                             1800", "line 1, column 10: sex"),
    ("001    3   zz Gamma                             1800", "line 1, column 11: title 'zz'"),
    ("001    3      Gamma                             1800 NOR     1234567 1990/13/45",
     "line 1, column 70: birth date '1990/13/45'"),
    ("001    3      Gamma                             1800 N0R", "line 1, column 54: federation 'N0R'"),
    ("ABC something", "line 1, column 1: record 'ABC' is not known"),
])
def test_informational_values_warn_instead_of_refusing(line, warning):
    file = read_trf_file(f"{line}\n{player_line(1, 'A')}\n{player_line(2, 'B')}\n")
    assert len(file.warnings) == 1 and file.warnings[0].startswith(warning), file.warnings


# ------------------------------------------------------------------ bounds, checked while reading

@pytest.mark.parametrize("name, line, column, message", [
    ("xxr-huge.trf", 2, 5, "XXR must give the number of rounds"),
    ("rating-9999.trf", 3, 49, "rating 9999 is above 3500"),
])
def test_values_outside_the_forms_bounds_are_refused(name, line, column, message):
    with pytest.raises(TrfError, match=message) as caught:
        read_trf((TRF / name).read_bytes())
    assert (caught.value.line, caught.value.column) == (line, column)


def test_a_swiss_has_at_most_thirty_rounds_and_blocks_stop_at_the_rounds():
    with pytest.raises(TrfError, match="a Swiss has at most 30 rounds") as caught:
        read_trf(f"XXR 31\n{player_line(1, 'A')}\n{player_line(2, 'B')}\n")
    assert caught.value.line == 1
    byes = "  0000 - H" * 1000
    with pytest.raises(TrfError, match="entry for round 11 but the file says 10 rounds") as caught:
        read_trf(f"XXR 10\n{player_line(1, 'A', blocks=byes)}\n")
    assert (caught.value.line, caught.value.column) == (2, 190)
    with pytest.raises(TrfError, match="a Swiss has at most 30 rounds"):  # no XXR: the blocks say 1000 rounds
        read_trf(f"{player_line(1, 'A', blocks=byes)}\n")
    many_byes = "  0000 - H" * 100_000  # the 1 MB line that blocked the worker: refused before it is split
    with pytest.raises(TrfError, match="a TRF line has at most"):
        read_trf(f"{player_line(1, 'A', blocks=many_byes)}\n")


def test_more_players_than_the_limit_are_refused_at_the_first_extra_line():
    lines = [player_line(n, f"P{n}") for n in range(1, MAX_PLAYERS + 2)]
    with pytest.raises(TrfError, match=f"more than {MAX_PLAYERS} players") as caught:
        read_trf("\n".join(lines))
    assert caught.value.line == MAX_PLAYERS + 1


UNICODE_DIGITS = sorted({c for c in map(chr, range(0x80, 0x30000)) if c.isdigit() or unicodedata.category(c) == "Nd"})


@pytest.mark.parametrize("template, column", [
    ("XXR {d}\n{a}\n{b}\n", 5),
    ("{a_rating}\n{b}\n", 49),
    ("001    {d}      A\n{b}\n", 5),
    ("{a_fide}\n{b}\n", 58),
])
def test_unicode_digits_are_not_numbers(template, column):
    a, b = player_line(1, "A"), player_line(2, "B")
    for digit in UNICODE_DIGITS[::7] + ["\u00b2", "\u00b9", "\u0663", "\uff11"]:
        text = template.format(d=digit, a=a, b=b, a_rating=a[:48] + "23" + digit + "0" + a[52:],
                               a_fide=a[:57] + digit * 7 + a[64:])
        with pytest.raises(TrfError, match="is not a number") as caught:
            read_trf(text)
        assert (caught.value.line, caught.value.column) == (1, column), digit


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_accented_names_in_the_encodings_older_tools_write(encoding):
    text = f"012 Open “Ørsta” – 2026\n{player_line(1, 'Müller, Jörg')}\n{player_line(2, 'Ødegård, Åse')}\n"
    if encoding == "latin-1":
        text = text.replace("“", '"').replace("”", '"').replace("–", "-")
    table = read_trf(text.encode(encoding))
    assert [p.name for p in table.players] == ["Müller, Jörg", "Ødegård, Åse"]
    assert "Ørsta" in table.name


def test_xxz_players_sit_out_the_round_to_pair():
    text = (TRF / "full-point-bye.trf").read_text() + "XXZ 5 6\n"
    table = read_trf(text)
    assert table.recorded(5, 2) == table.recorded(6, 2) == RoundEntry(2, None, None, ResultCode.ZERO_POINT_BYE)
    assert table.recorded(1, 2).result is ResultCode.FULL_POINT_BYE
    pairing = pair_next_round(table)
    assert pairing.paired_players() == {2, 3, 4} and pairing.bye is not None
    with pytest.raises(TrfError, match="XXZ names player 9") as caught:
        read_trf(text.replace("XXZ 5 6", "XXZ 9"))
    assert caught.value.line == 11


def test_a_round_robin_has_no_more_rounds_than_its_field_allows():
    text = f"092 Individual: Round-Robin\nXXR 200000\n{player_line(1, 'A')}\n{player_line(2, 'B')}\n"
    with pytest.raises(TrfError, match="XXR must give the number of rounds"):
        read_trf(text)
    with pytest.raises(TrfError, match="a round robin of 2 players has at most 4 rounds") as caught:
        read_trf(text.replace("200000", "5"))
    assert caught.value.line == 2
    assert read_trf(text.replace("200000", "1")).planned_rounds == 1
