"""TRF-16 export and import, PGN export: through the pages, checked against chessweb.fide's reader and gacrux."""
from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
from gacrux.trf2json import trf2json
from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.fide.berger import berger_round, round_robin_rounds
from chessweb.fide.crosstable import Colour, Crosstable, Player, TournamentType, game_entries
from chessweb.fide.trf import read_trf, write_trf
from chessweb.games.relay import relay_moves
from chessweb.models import GameResult, Registration, Tournament, TournamentStatus
from chessweb.tournaments import crosstable as tables
from chessweb.tournaments import queries, registration, results, rounds

from ..conftest import post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state, games_of, pair

DATA = Path(__file__).resolve().parents[1] / "data"
RESULTS = ["1-0", "0-1", "1/2-1/2", "1-0", "+/-", "1/2-1/2", "-/-", "0-1"]


def effective(table) -> dict:
    """Everything a TRF carries: players and each player's effective entry in every paired round."""
    return {"players": [(p.number, p.name, p.rating) for p in table.players],
            "entries": {n: [table.entry(n, r) for r in range(1, table.paired_rounds + 1)] for n in table.numbers},
            "rounds": table.planned_rounds, "kind": table.kind}


def played_swiss(organizer, *, finish: bool = True) -> int:
    """An 11-player Swiss after three rounds: forfeits, a double forfeit, a requested bye, a withdrawal."""
    tid = setup_tournament(organizer, 11, rounds_planned=5)
    entries = list(db.session.scalars(select(Registration).where(Registration.tournament_id == tid)
                                      .order_by(Registration.pairing_number)))
    registration.request_bye(tid, entries[4].id, 2, True, organizer.id)
    for number in (1, 2, 3):
        start_round(tid, organizer)
        games = [g for g in games_of(tid, number) if not g.result.is_final]
        for i, game in enumerate(games if finish or number < 3 else games[:2]):
            results.set_result(tid, game.id, RESULTS[(i + number) % len(RESULTS)], organizer.id)
        if number == 1:
            registration.withdraw_player(tid, entries[9].id, "went home", organizer.id)
    return tid


def gacrux_games(text: str) -> tuple[set, dict]:
    reader = trf2json()
    reader.parse_file(text, 0)
    assert reader.chessjson["status"]["code"] < 400, reader.chessjson["status"]
    tournament = reader.get_tournament(1)
    games = {(g["round"], g["white"]["cid"], g["black"]["cid"] if g.get("black") else 0)
             for g in tournament["gameList"]}
    return games, {c["cid"]: Fraction(str(c["gamePoints"])) for c in tournament["competitors"]}


def test_export_reads_back_to_the_same_crosstable(organizer, client):
    tid = played_swiss(organizer)
    response = client.get(f"/tournaments/{tid}/export.trf")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    ours = tables.build(queries.load_tournament(tid))
    again = read_trf(text)
    assert effective(again) == effective(ours)
    assert "XXR 5" in text and "XXC white1" in text and "042 2026/05/01" in text
    withdrawn = next(line for line in text.splitlines() if "Player 10" in line)
    assert withdrawn.endswith("  0000 - -  0000 - -  0000 - -")  # rounds 2, 3 absent; marked for round 4

    games, points = gacrux_games(text)
    expected = set()
    for n in ours.numbers:
        for r in range(1, ours.paired_rounds + 1):
            entry = ours.entry(n, r)
            if entry.opponent is None:
                expected.add((r, n, 0))
            elif entry.colour is Colour.WHITE:
                expected.add((r, n, entry.opponent))
    expected.add((4, 10, 0))  # the withdrawal's marker for the next round
    assert games == expected
    assert points == {n: ours.points(n) for n in ours.numbers}


def test_export_of_a_running_round_and_import_continues_it(organizer, org_client):
    tid = played_swiss(organizer, finish=False)  # round 3 has results missing
    text = org_client.get(f"/tournaments/{tid}/export.trf").get_data(as_text=True)
    response = post_form(org_client, "/tournaments/import", {"trf": (io.BytesIO(text.encode()), "open.trf"),
                                                             "is_public": "y"}, content_type="multipart/form-data")
    assert response.status_code == 303
    new = int(response.headers["Location"].split("/")[2])
    assert new != tid
    imported = queries.load_tournament(new)
    assert imported.status == TournamentStatus.ACTIVE and imported.name == "Test Open"
    assert effective(tables.build(imported)) == effective(tables.build(queries.load_tournament(tid)))
    assert [(r.name, r.status.value, r.withdrawn_from_round) for r in imported.registrations
            if r.status.value == "WITHDRAWN"] == [("Player 10", "WITHDRAWN", 4)]
    # Finish round 3 of the imported copy, then pair round 4 from it.
    for game in games_of(new, 3):
        if not game.result.is_final:
            results.set_result(new, game.id, "1/2-1/2", organizer.id)
    assert pair(org_client, new).status_code == 303
    assert len(games_of(new, 4)) >= 5


def test_import_the_fide_tiebreak_exercise_and_get_the_published_values(org_client):
    data = (DATA / "fide-tec-tiebreak-exercise-2024.trf").read_bytes()
    response = post_form(org_client, "/tournaments/import", {"trf": (io.BytesIO(data), "exercise.trf")},
                         content_type="multipart/form-data")
    tid = int(response.headers["Location"].split("/")[2])
    tournament = db.session.get(Tournament, tid)
    assert tournament.status == TournamentStatus.COMPLETED and not tournament.is_public
    # The file has no start date (042): the import's date stays, the 2024 edition is chosen by hand.
    edit = {"name": tournament.name[:120], "format": "SWISS", "planned_rounds": "5",
            "start_date": tournament.start_date.isoformat(),
            "time_control": "", "venue": "", "tiebreaks": "BH, BH-C1, SB", "tiebreak_edition": "2024",
            "top_seed_colour": "w"}
    assert post_form(org_client, f"/tournaments/{tid}/edit", edit).status_code == 303
    expected = json.loads((DATA / "fide-tec-tiebreak-exercise-2024.expected.json").read_text())
    rows = {row.player.number: row for row in queries.standings_context(tid)["rows"]}
    for column, key in enumerate(("BH", "BH_C1", "SB")):
        for number, value in expected[key].items():
            assert rows[int(number)].tiebreaks[column] == f"{value:g}", (key, number)
    page = org_client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert "After round 5" in page


@pytest.mark.parametrize("content, line", [
    ("012 Broken\nXXR 3\n001    1      Alice                             2000"
     "                             0.0    1     2 w 1\n001    2      Bob\n", "line 3, column 92: player 1, round 1"),
    ("012 Broken\n001    1      Alice                             2000                             0.0    1"
     "     2 w 1\n001    2      Bob                               1900                             0.0    2"
     "     1 w 0\n", "line 2"),
    ("012 Broken\n001    x      Alice\n", "line 2"),
    ("012 No players\n", "no player"),
])
def test_a_broken_file_names_its_line_and_creates_nothing(org_client, content, line):
    before = db_state()
    response = post_form(org_client, "/tournaments/import", {"trf": (io.BytesIO(content.encode()), "bad.trf")},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "The TRF file cannot be read" in html and line in html
    assert db_state() == before
    assert db.session.scalar(select(func.count()).select_from(Tournament)) == 0


def test_import_needs_a_file_and_an_organizer(org_client, login, players):
    response = post_form(org_client, "/tournaments/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a TRF file" in response.get_data(as_text=True)
    assert login(players[0]).get("/tournaments/import").status_code == 403


def test_pgn_has_every_game_with_headers(organizer, client):
    tid = setup_tournament(organizer, 5)
    start_round(tid, organizer)
    games = games_of(tid, 1)
    played = [g for g in games if g.black_id is not None]
    relay_moves(tid, played[0].id, "1. e4 e5 2. Nf3 Nc6 3. Bb5 a6", organizer.id)
    results.set_result(tid, played[0].id, "1-0", organizer.id)
    results.set_result(tid, played[1].id, "-/+", organizer.id)  # a forfeit is no game
    response = client.get(f"/tournaments/{tid}/games.pgn")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "application/x-chess-pgn"
    assert text.count('[Event "Test Open"]') == 1
    for tag in ('[Site "?"]', '[Date "', '[Round "1"]', '[White "Player 01"]', '[Result "1-0"]',
                '[WhiteElo "2400"]', '[BlackElo "'):
        assert tag in text, tag
    assert "1. e4 e5 2. Nf3 Nc6 3. Bb5 a6 1-0" in text
    assert [g.result for g in games if g.black_id is None] == [GameResult.BYE_PAIRING]


def import_round_robin(client, numbers: tuple[int, ...], round_one: list[tuple[int, int]], *,
                       double: bool = False) -> int:
    """Import a round robin with these start numbers whose round 1 was played as (white, black) wins."""
    players = tuple(Player(n, f"Player {n}", 1500) for n in numbers)
    entries: dict = {}
    for white, black in round_one:
        entries.update(game_entries(1, white, black, "1"))
    kind = TournamentType.DOUBLE_ROUND_ROBIN if double else TournamentType.ROUND_ROBIN
    rounds = round_robin_rounds(len(numbers), double)
    text = write_trf(Crosstable(players, entries, rounds, kind=kind, name="Imported RR"))
    response = post_form(client, "/tournaments/import", {"trf": (io.BytesIO(text.encode()), "rr.trf")},
                         content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/")[2])


def met(tid: int, number: int) -> list[tuple[int, int]]:
    """(white, black) pairing numbers of a round's boards."""
    by_id = {r.id: r.pairing_number for r in db.session.scalars(select(Registration))}
    return [(by_id[g.white_id], by_id[g.black_id]) for g in games_of(tid, number) if g.black_id is not None]


def draw_round(tid: int, number: int, organizer) -> None:
    """Publish the draft of round `number` and draw every game."""
    rounds.publish_round(tid, number, organizer.id)
    for game in games_of(tid, number):
        if not game.result.is_final:
            results.set_result(tid, game.id, "1/2-1/2", organizer.id)


@pytest.mark.parametrize("numbers", [(1, 2, 7, 9), (3, 4, 5, 11, 12)])
def test_an_imported_round_robin_with_gaps_in_its_numbers_goes_on_by_the_berger_table(org_client, organizer,
                                                                                       numbers):
    slot = dict(enumerate(numbers, start=1))
    first = [(slot[b.white], slot[b.black]) for b in berger_round(len(numbers), 1).boards]
    tid = import_round_robin(org_client, numbers, first)
    for number in range(2, round_robin_rounds(len(numbers)) + 1):
        assert pair(org_client, tid).status_code == 303
        assert met(tid, number) == [(slot[b.white], slot[b.black]) for b in berger_round(len(numbers), number).boards]
        draw_round(tid, number, organizer)
    pairs = [frozenset(p) for number in range(1, round_robin_rounds(len(numbers)) + 1) for p in met(tid, number)]
    assert len(pairs) == len(set(pairs)) == len(numbers) * (len(numbers) - 1) // 2  # everyone met everyone once
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status == TournamentStatus.COMPLETED


def test_an_imported_round_robin_that_left_the_berger_table_is_not_paired_on(org_client):
    tid = import_round_robin(org_client, (1, 2, 7, 9), [(1, 2), (7, 9)])  # the table's round 1 is 1-9, 2-7
    before = db_state()
    response = pair(org_client, tid)
    assert response.status_code == 409
    assert ("Round 1 does not follow the Berger table for these pairing numbers (1 – 2 is not one of its games)"
            in response.get_data(as_text=True))
    assert db_state() == before
