"""Player pages, provisional standings, the Swiss crosstable, points in pairings: over HTTP, checked against
chessweb.fide on the files in tests/data."""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from chessweb.extensions import db
from chessweb.fide.standings import standings
from chessweb.fide.tiebreaks import TieBreakCalculator
from chessweb.models import Tournament
from chessweb.tournaments import crosstable as tables
from chessweb.tournaments import queries, results

from .conftest import setup_tournament, start_round
from .helpers import games_of
from .test_interchange_files import DATA, imported

EXERCISE = DATA / "fide-tec-tiebreak-exercise-2024.trf"
BREAKDOWN = re.compile(r'<details class="breakdown" data-tiebreak="([A-Z0-9-]+)"[^>]*>.*?<span class="value">([^<]*)'
                       r'</span>(.*?)</details>', re.S)
PART = re.compile(r'<tr data-counted="(yes|no)">.*?<td class="part-value[^"]*">([^<]*)</td>', re.S)


def value(text: str) -> Fraction:
    return Fraction(text) if text else Fraction(0)


def shown_breakdowns(client, tid: int, number: int) -> dict[str, tuple[Fraction, Fraction, int]]:
    """Tie-break code → (value shown, sum of the counted parts shown, number of parts cut)."""
    response = client.get(f"/tournaments/{tid}/players/{number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = {}
    for code, total, body in BREAKDOWN.findall(html):
        parts = PART.findall(body)
        shown[code] = (value(total), sum((value(v) for counted, v in parts if counted == "yes"), Fraction(0)),
                       sum(1 for counted, _ in parts if counted == "no"))
    return shown


FILES = [EXERCISE, DATA / "bbp-issue-7.input.trf", DATA / "bbp-dutch-2025-C5.input.trf",
         DATA / "bbp-dutch-2025-C9.input.trf", DATA / "trf" / "full-point-bye.trf"]


# The values come out of chessweb.fide (pure code) from results the database gives back as stored; the page and
# read-model tests above and below check that reading on PostgreSQL too.
@pytest.mark.any_database
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("tiebreaks", ["BH-C1 BH SB", "BH-C2 BH-M1 PS ARO", "WIN WON BPG BWG"])
def test_each_tiebreak_shown_is_the_fide_value_and_its_parts_sum_to_it(org_client, path: Path, tiebreaks: str):
    client = org_client
    tid = imported(org_client, path.read_bytes(), tiebreaks=tiebreaks)
    tournament = queries.load_tournament(tid)
    table = tables.build(tournament)
    calculator = TieBreakCalculator(table, table.paired_rounds, provisional=True)
    expected = {row.number: row for row in standings(table, tournament.tiebreak_list,
                                                     through_round=table.paired_rounds, provisional=True)}
    assert expected
    for number, row in expected.items():
        shown = shown_breakdowns(client, tid, number)
        assert list(shown) == list(row.tiebreaks)
        for code, (total, parts, _cut) in shown.items():
            assert total == (calculator.value(code, number) or 0) == (row.tiebreaks[code] or 0), (number, code)
            if code == "ARO":  # an average: the counted parts are the ratings, their mean rounded half up
                count = len(re.findall(r"<td class=\"part-value\">", shown_html(client, tid, number)))
                assert not count or total == int(parts / count + Fraction(1, 2)), (number, code)
            else:
                assert parts == total, (number, code)


def shown_html(client, tid: int, number: int) -> str:
    html = client.get(f"/tournaments/{tid}/players/{number}").get_data(as_text=True)
    return re.search(r'data-tiebreak="ARO".*?</details>', html, re.S).group(0)


def test_the_exercise_values_match_the_fide_tec_answers(org_client):
    """Buchholz and its Cut-1 as the FIDE TEC's exercise answers them (2024 rules), cuts shown as cut."""
    client = org_client
    answers = json.loads((DATA / "fide-tec-tiebreak-exercise-2024.expected.json").read_text())
    tid = imported(org_client, EXERCISE.read_bytes(), tiebreaks="BH-C1 BH SB")
    db.session.get(Tournament, tid).tiebreak_edition = "2024"  # the exercise's rules: no capped dummy
    db.session.commit()
    for key, code in (("BH", "BH"), ("BH_C1", "BH-C1")):
        for number, expected in answers[key].items():
            total, parts, cut = shown_breakdowns(client, tid, int(number))[code]
            assert total == parts == Fraction(str(expected)), (code, number)
            assert cut == (1 if code == "BH-C1" else 0)
    page = client.get(f"/tournaments/{tid}/players/9").get_data(as_text=True)
    assert "virtual opponent" in page and "(VUR first)" in page  # player 9's half-point byes and forfeit


def test_player_page_lists_rounds_score_rank_and_performance(organizer, client):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    winner = games_of(tid, 1)[0].white
    html = client.get(f"/tournaments/{tid}/players/{winner.pairing_number}").get_data(as_text=True)
    assert f'id="player-{tid}-{winner.pairing_number}"' in html
    loser = games_of(tid, 1)[0].black
    row = re.search(r'<tr data-round="1">(.*?)</tr>', html, re.S).group(1)
    assert loser.name in row and "white" in row and '<td class="result">1</td>' in row
    assert f'/tournaments/{tid}/players/{loser.pairing_number}"' in row
    assert '<dd data-field="points">1</dd>' in html
    # One win against one rated opponent: Rp = Ra + 800 (FIDE B.02 table 8.1(a)).
    assert f'<dd data-field="performance">{loser.rating + 800}</dd>' in html
    assert client.get(f"/tournaments/{tid}/players/99").status_code == 404
    assert client.get(f"/tournaments/{tid}/players/0").status_code == 404


def test_provisional_standings_rank_the_results_so_far_and_official_ones_are_a_switch_away(organizer, client):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    start_round(tid, organizer)
    first = games_of(tid, 2)[0]
    results.set_result(tid, first.id, "0-1", organizer.id)
    html = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert 'data-view="provisional"' in html
    section = re.search(rf'<section id="provisional-standings-{tid}".*?</section>', html, re.S).group(0)
    assert "Provisional" in section and "round 2 in progress, 1 of 3 results" in section
    ranked = [int(n) for n in re.findall(r'data-number="(\d+)"', section)]
    table = tables.build(queries.load_tournament(tid))
    fide = standings(table, ("BH-C1", "BH", "SB"), through_round=2, provisional=True)
    assert ranked == [row.number for row in fide]
    assert fide[0].points == 2 and fide[0].number == first.black.pairing_number  # the only one on 2 points
    official = client.get(f"/tournaments/{tid}/standings?view=official").get_data(as_text=True)
    assert 'data-view="official"' in official and "After round 1" in official
    assert 'aria-current="true">Official' in official
    # Between rounds there is nothing provisional: the section is idle and the switch hidden by CSS.
    for game in games_of(tid, 2):
        if not game.result.is_final:
            results.set_result(tid, game.id, "1/2-1/2", organizer.id)
    html = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert f'id="provisional-standings-{tid}" hx-swap-oob="true"' in html and "provisional-standings idle" in html


def test_pairings_show_points_before_the_round_and_the_swiss_crosstable(organizer, client):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    start_round(tid, organizer)
    html = client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    round_two = re.search(rf'id="scoreboard-{tid}-round-2".*?</section>', html, re.S).group(0)
    points = re.findall(r'<td class="pts">([^<]*)</td>', round_two)
    assert sorted(points) == ["0", "0", "1", "1"]  # the winners of round 1 meet, and the losers
    round_one = re.search(rf'id="scoreboard-{tid}-round-1".*?</section>', html, re.S).group(0)
    assert re.findall(r'<td class="pts">([^<]*)</td>', round_one) == ["0"] * 4
    cross = client.get(f"/tournaments/{tid}/crosstable").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*>\s*<td>(\d+)=?</td>.*?</tr>", cross, re.S)
    assert rows == ["1", "1", "3", "3"]
    cells = re.findall(r'<td class="cell">([^<]*)</td>', cross)
    assert "3w1" in cells or "3b1" in cells  # a winner's round 1: the opponent's rank, colour, result
