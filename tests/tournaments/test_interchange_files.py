"""TRF and PGN as other tools write them, through the real pages: what is imported, what is refused (naming the
line and column, writing nothing), what the export gives back, and how the next round is paired."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.fide.trf import read_trf, read_trf_file
from chessweb.models import ByeRequest, GameResult, Registration, RegistrationStatus, Tournament, TournamentStatus
from chessweb.tournaments import crosstable as tables
from chessweb.tournaments import queries, results

from ..conftest import post_form
from .conftest import setup_tournament, start_round
from .helpers import db_state, games_of, manage_action, pair

DATA = Path(__file__).resolve().parents[1] / "data"
TRF = DATA / "trf"
PGN = DATA / "pgn"


def upload(client, data: bytes | str, **fields):
    if isinstance(data, str):
        data = data.encode()
    return post_form(client, "/tournaments/import", {"trf": (io.BytesIO(data), "event.trf"), "is_public": "y",
                                                     **fields}, content_type="multipart/form-data")


def imported(client, data: bytes | str, **fields) -> int:
    response = upload(client, data, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    return int(response.headers["Location"].split("/")[2])


def refused(client, data: bytes | str, where: str, **fields) -> str:
    before = db_state()
    response = upload(client, data, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[-2000:]
    assert escape(where) in html, html[-2000:]
    assert db_state() == before
    assert db.session.scalar(select(Tournament.id)) is None
    return html


def exported(client, tid: int) -> str:
    response = client.get(f"/tournaments/{tid}/export.trf")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def boards(tid: int, number: int) -> list[tuple[int, int]]:
    """(white, black) pairing numbers of a round, (n, 0) for a pairing-allocated bye."""
    numbers = {r.id: r.pairing_number for r in db.session.scalars(select(Registration))}
    return [(numbers[g.white_id], numbers[g.black_id] if g.black_id else 0) for g in games_of(tid, number)
            if g.black_id is not None or g.result is GameResult.BYE_PAIRING]


# ------------------------------------------------------------------ what is imported

def test_birth_year_titles_and_header_records_are_imported_and_exported(org_client):
    original = (TRF / "birth-year-only.trf").read_bytes()
    tid = imported(org_client, original)
    players = {r.pairing_number: r for r in db.session.scalars(select(Registration))}
    assert [(players[n].title, players[n].sex, players[n].birth_year) for n in (1, 2, 3)] == [
        ("GM", "m", 1978), ("IM", "m", 1981), (None, "w", 1981)]
    page = org_client.get(f"/tournaments/{tid}/manage").get_data(as_text=True)
    assert ">g Alpha" not in page and ">g<" not in page and ">GM<" in page
    text = exported(org_client, tid)
    for line in ("022 Sometown", "032 ESP", "042 2010/09/24", "052 2010/10/02", "XXR 5"):
        assert line in text.splitlines(), line
    alpha = next(line for line in text.splitlines() if "Alpha Andres" in line)
    assert alpha.startswith("001    1 m  g Alpha Andres") and "1978/00/00" in alpha


def test_trf_2026_records_give_rounds_colour_and_byes_and_round_one_pairs_four(org_client):
    tid = imported(org_client, (TRF / "trf26-records.trf").read_bytes())
    tournament = db.session.get(Tournament, tid)
    assert (tournament.planned_rounds, tournament.top_seed_colour) == (5, "b")
    echo = db.session.scalar(select(Registration).where(Registration.pairing_number == 5))
    assert [(b.round_number, b.code) for b in echo.bye_requests] == [(1, "H")]
    assert pair(org_client, tid).status_code == 303
    played = boards(tid, 1)
    assert len(played) == 2 and all(0 not in pair_ for pair_ in played)  # no pairing-allocated bye
    assert next(p for p in played if 1 in p)[1] == 1  # 152 B: the top seed has black
    assert "XXC black1" in exported(org_client, tid)


def test_a_record_that_changes_scoring_is_refused_naming_its_line(org_client):
    text = (TRF / "trf26-records.trf").read_text().replace("192 FIDE_DUTCH", "162  W 3.0    D 1.0    L 0.0")
    refused(org_client, text, "line 6, column 6: 162: W scored 3.0")


def test_a_blank_result_is_a_zero_point_bye_not_a_withdrawal(org_client):
    tid = imported(org_client, (TRF / "blank-result.trf").read_bytes())
    registrations = list(db.session.scalars(select(Registration)))
    assert all(r.status is RegistrationStatus.ACTIVE for r in registrations)
    charlie = next(r for r in registrations if r.name == "Charlie, Cid")
    assert [(b.round_number, b.code) for b in charlie.bye_requests] == [(1, "Z")]
    assert "  0000 - Z" in next(line for line in exported(org_client, tid).splitlines() if "Charlie" in line)
    assert pair(org_client, tid).status_code == 303
    assert len(boards(tid, 1)) == 2


def test_a_block_with_a_colour_but_no_opponent_or_result_is_refused(org_client):
    refused(org_client, (TRF / "blank-result-malformed.trf").read_bytes(),
            "line 6, column 97: player 1, round 1: a round without an opponent has no colour")


def test_a_file_that_does_not_say_its_rounds_is_asked_for_them_and_never_finished(org_client, organizer):
    data = (TRF / "running-without-xxr.trf").read_bytes()
    refused(org_client, data, "The file does not say how many rounds the tournament has")
    tid = imported(org_client, data, planned_rounds="5")
    tournament = db.session.get(Tournament, tid)
    assert (tournament.status, tournament.planned_rounds) == (TournamentStatus.ACTIVE, 5)
    assert pair(org_client, tid).status_code == 303
    assert len(boards(tid, 3)) == 8


def test_raising_the_rounds_of_a_finished_import_reopens_pairing(org_client):
    tid = imported(org_client, (TRF / "running-without-xxr.trf").read_bytes(), planned_rounds="2")
    tournament = db.session.get(Tournament, tid)
    assert tournament.status is TournamentStatus.COMPLETED
    edit = {"name": tournament.name, "format": "SWISS", "planned_rounds": "5",
            "start_date": tournament.start_date.isoformat(), "time_control": "", "venue": "", "tiebreaks": "",
            "tiebreak_edition": "", "top_seed_colour": "w"}
    assert post_form(org_client, f"/tournaments/{tid}/edit", edit).status_code == 303
    db.session.expire_all()
    assert db.session.get(Tournament, tid).status is TournamentStatus.ACTIVE
    assert pair(org_client, tid).status_code == 303


def test_a_full_point_bye_before_the_pairing_is_kept_and_round_two_pairs_as_bbppairings(org_client):
    tid = imported(org_client, (TRF / "full-point-bye.trf").read_bytes())
    alpha = db.session.scalar(select(Registration).where(Registration.pairing_number == 1))
    assert [(b.round_number, b.code) for b in alpha.bye_requests] == [(2, "F")]
    assert "0000 - F" in exported(org_client, tid)
    assert pair(org_client, tid).status_code == 303
    expected = (TRF / "full-point-bye.output.expected").read_text().split()
    assert boards(tid, 2) == [tuple(map(int, expected[i:i + 2])) for i in range(1, len(expected), 2)]
    assert [g.result for g in games_of(tid, 2) if g.white_id == alpha.id] == [GameResult.BYE_FULL]


# ------------------------------------------------------------------ full-point byes granted by the organizer

def bye(client, tid: int, registration_id: int, round_number: int, points: str):
    return manage_action(client, tid, "byes", {"registration_id": str(registration_id),
                                               "round_number": str(round_number), "points": points})


def test_the_organizer_grants_full_point_byes_within_the_configured_limit(org_client, organizer, app):
    tid = setup_tournament(organizer, 6, rounds_planned=5)
    first, second = db.session.scalars(select(Registration).order_by(Registration.pairing_number)).all()[:2]
    assert bye(org_client, tid, first.id, 2, "full").status_code == 303
    assert [(b.round_number, b.code) for b in db.session.scalars(select(ByeRequest))] == [(2, "F")]
    before = db_state()
    response = bye(org_client, tid, first.id, 3, "full")
    assert response.status_code == 400 and "allow 1 full-point bye(s) per player" in response.get_data(as_text=True)
    assert db_state() == before
    app.config["FULL_POINT_BYES_PER_PLAYER"] = 0
    response = bye(org_client, tid, second.id, 3, "full")
    assert response.status_code == 400 and "allow no full-point byes" in response.get_data(as_text=True)
    assert bye(org_client, tid, second.id, 3, "half").status_code == 303
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        if not game.result.is_final:
            results.set_result(tid, game.id, "1/2-1/2", organizer.id)
    assert pair(org_client, tid).status_code == 303
    assert [g.result for g in games_of(tid, 2) if g.white_id == first.id] == [GameResult.BYE_FULL]


# ------------------------------------------------------------------ bounds and refusals

@pytest.mark.parametrize("name, where", [
    ("xxr-huge.trf", "line 2, column 5: XXR must give the number of rounds"),
    ("rating-9999.trf", "line 3, column 49: rating 9999 is above 3500"),
])
def test_values_the_forms_refuse_are_refused_on_import(org_client, name, where):
    refused(org_client, (TRF / name).read_bytes(), where)


@pytest.mark.parametrize("text, where", [
    ("012 Sup\nXXR \u00b2\n{a}\n{b}\n", "line 2, column 5: XXR (number of rounds) '\u00b2' is not a number"),
    ("012 Sup\n{a_rating}\n{b}\n", "line 2, column 49: rating"),
    ("012 Sup\n001    \u00b9      A\n{b}\n", "line 2, column 5: start number '\u00b9' is not a number"),
])
def test_unicode_digits_are_a_400_naming_the_line(org_client, text, where):
    a = "001    1      A                                 2000                             0.0    1"
    b = "001    2      B                                 2000                             0.0    2"
    text = text.format(a=a, b=b, a_rating=a[:48] + "\u00b2\u00b3\u00b9\u2070" + a[52:])
    refused(org_client, text, where)


def test_a_file_of_endless_requested_byes_is_refused_at_the_first_block_too_many(org_client):
    line = "001    1      Alpha                             2000                             0.0    1"
    refused(org_client, f"XXR 30\n{line}{'  0000 - H' * 1000}\n", "line 2, column 390: player 1 has an entry "
            "for round 31 but the file says 30 rounds")
    # Like the 0.9 MB file of the worker-kill report (kept under the test client's 500 kB spooling threshold):
    # refused by its length before a block is read.
    refused(org_client, f"XXR 30\n{line}{'  0000 - H' * 40_000}\n", "line 2, column 40070: the line is 400089 "
            "characters long")


# ------------------------------------------------------------------ export: rank, round trip, checker, next round

def test_the_rank_column_is_the_standings_rank(org_client):
    tid = imported(org_client, (DATA / "fide-tec-tiebreak-exercise-2024.trf").read_bytes())
    standing = {row.player.number: row.rank for row in queries.standings_context(tid)["rows"]}
    text = exported(org_client, tid)
    ranks = {int(line[4:8]): int(line[85:89]) for line in text.splitlines() if line.startswith("001")}
    assert ranks == standing
    assert ranks[1] == standing[1] != 2  # points-then-number gave player 1 rank 2


ALL_FILES = sorted([*DATA.glob("*.trf"), *(p for p in TRF.glob("*.trf") if p.name not in (
    "blank-result-malformed.trf", "rating-9999.trf", "xxr-huge.trf"))])


def checker_verdict(path: Path) -> str:
    checked = subprocess.run([sys.executable, "-m", "gacrux.pairingchecker", "-i", str(path), "-c", "-dT"],
                             check=False, capture_output=True, text=True, timeout=300)
    return checked.stdout.strip().splitlines()[-1] if checked.stdout.strip() else checked.stderr


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_file_round_trips_and_the_checker_agrees(org_client, path, tmp_path):
    data = path.read_bytes()
    rounds = {} if read_trf_file(data).rounds_stated else {"planned_rounds": "5"}
    first = exported(org_client, imported(org_client, data, **rounds))
    again = exported(org_client, imported(org_client, first))
    assert again == first  # the export reads back identically
    original, ours = read_trf(data), read_trf(first)
    assert [ours.entry(n, r) for n in ours.numbers for r in range(1, original.paired_rounds + 1)] == [
        original.entry(n, r) for n in original.numbers for r in range(1, original.paired_rounds + 1)]
    written = tmp_path / "export.trf"
    written.write_text(first, encoding="utf-8")
    assert checker_verdict(written) == checker_verdict(path)


@pytest.mark.parametrize("name", ["bbp-dutch-2025-C5", "bbp-dutch-2025-C9", "bbp-issue-7"])
def test_the_next_round_after_import_is_bbppairings_pairing(org_client, name):
    tid = imported(org_client, (DATA / f"{name}.input.trf").read_bytes())
    number = tables.build(queries.load_tournament(tid)).paired_rounds + 1
    assert pair(org_client, tid).status_code == 303
    expected = (DATA / f"{name}.output.expected").read_text().split()
    want = {frozenset(map(int, expected[i:i + 2])) for i in range(1, len(expected), 2)}
    assert {frozenset(p) for p in boards(tid, number)} == want
    assert int(expected[0]) == len(boards(tid, number))


# ------------------------------------------------------------------ PGN relay and export

def relay(client, game_id: int, text: str | None = None, *, file: bytes | None = None):
    data = {"pgn": text or ""}
    if file is not None:
        data["pgn_file"] = (io.BytesIO(file), "game.pgn")
    return post_form(client, f"/games/{game_id}/moves", data, form_url=f"/games/{game_id}",
                     content_type="multipart/form-data")


@pytest.fixture
def live_game(organizer):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    return tid, next(g for g in games_of(tid, 1) if g.black_id is not None)


def test_a_byte_order_mark_is_ignored(org_client, live_game):
    _, game = live_game
    response = relay(org_client, game.id, (PGN / "bom.pgn").read_bytes().decode("utf-8"))
    assert response.status_code == 303
    response = relay(org_client, game.id, file=(PGN / "bom.pgn").read_bytes())
    assert response.status_code == 303
    assert "Board updated: 4 half-moves." in org_client.get(f"/games/{game.id}").get_data(as_text=True)


@pytest.mark.parametrize("name, message", [
    ("null-move.pgn", "Nothing was changed: move 3 (black): &#39;--&#39; is a null move"),
    ("impossible-position.pgn", "Nothing was changed: the FEN tag"),
    ("unclosed-variation.pgn", "Nothing was changed: 1 variation(s) opened with &#39;(&#39; are never closed"),
])
def test_a_null_move_an_impossible_position_and_an_unclosed_variation_change_nothing(org_client, live_game, name,
                                                                                      message):
    _, game = live_game
    before = db_state()
    response = relay(org_client, game.id, (PGN / name).read_text())
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db_state() == before


def test_a_chess960_game_is_exported_with_its_position_variant_and_moves(org_client, client, live_game):
    tid, game = live_game
    assert relay(org_client, game.id, (PGN / "chess960.pgn").read_text()).status_code == 303
    page = client.get(f"/games/{game.id}")
    assert page.status_code == 200 and "O-O" in page.get_data(as_text=True)
    text = client.get(f"/tournaments/{tid}/games.pgn").get_data(as_text=True)
    assert '[Variant "Chess960"]' in text and '[SetUp "1"]' in text
    assert '[FEN "bbrknnrq/pppppppp/8/8/8/8/PPPPPPPP/BBRKNNRQ w KQkq - 0 1"]' in text
    assert "1. Nf3 Nf6 2. Ng3 Ng6 3. O-O O-O *" in text


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_latin1_and_windows1252_uploads_are_read_with_their_accents(org_client, client, live_game, encoding):
    tid, game = live_game
    text = '[Event "Vétérans"]\n[Annotator "Jörg Müller"]\n\n1. e4 {Très bien} e5 *\n'
    assert relay(org_client, game.id, file=text.encode(encoding)).status_code == 303
    db.session.expire_all()
    assert "Jörg Müller" in db.session.get(type(game), game.id).pgn


def test_pasted_mojibake_is_refused_not_stored(org_client, live_game):
    _, game = live_game
    before = db_state()
    response = relay(org_client, game.id, '[Annotator "JÃ¶rg"]\n\n1. e4 *')
    assert response.status_code == 400 and "read in the wrong encoding" in response.get_data(as_text=True)
    assert db_state() == before


def test_informational_values_import_with_warnings_the_organizer_sees(org_client):
    text = (TRF / "birth-year-only.trf").read_text().replace("1950", "19x0").replace("052 02/10/2010", "052 soon")
    response = upload(org_client, text)
    assert response.status_code == 303
    page = org_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tournament imported." in page
    assert escape("Imported with a warning: line 5, column 5: end date 'soon' is not a date") in page
    assert escape("Imported with a warning: line 11, column 70: birth date '19x0' is not a date") in page
    delta = db.session.scalar(select(Registration).where(Registration.pairing_number == 4))
    assert (delta.birth_year, delta.birth_date) == (None, None)


def test_a_trf_2026_file_with_a_round_played_is_running_not_completed(org_client):
    text = (TRF / "trf26-records.trf").read_bytes().decode().replace("240 H 001 0005\r\n", "")
    played = {1: "     2 b 1", 2: "     1 w 0", 3: "     4 b =", 4: "     3 w =", 5: "  0000 - U"}
    lines = [line + played[int(line[4:8])] if line.startswith("001") else line for line in text.split("\r\n")]
    tid = imported(org_client, "\r\n".join(lines))
    tournament = db.session.get(Tournament, tid)
    assert (tournament.status, tournament.planned_rounds) == (TournamentStatus.ACTIVE, 5)
    assert pair(org_client, tid).status_code == 303


def test_a_relay_with_neither_text_nor_file_changes_nothing(org_client, live_game):
    _, game = live_game
    before = db_state()
    response = relay(org_client, game.id, "")
    assert response.status_code == 400 and "Paste the moves, or choose a PGN file." in response.get_data(as_text=True)
    assert db_state() == before


@pytest.mark.any_database  # the refusal is the TRF writer's (pure code); importing 5,304 games takes 20 s on PostgreSQL
def test_a_score_too_big_for_the_trf_points_field_is_a_409_not_a_shifted_file(org_client):
    """A double round robin of 52 players (102 rounds) whose top seed wins every game: 102 points, more than the
    four columns of TRF's points field hold (99.5). The export says so instead of writing a file whose round
    blocks have moved a column (which our own import then refused)."""
    from chessweb.fide.berger import berger_schedule
    from chessweb.fide.crosstable import Crosstable, Player, ResultCode, TournamentType, game_entries
    from chessweb.fide.trf import _block, write_trf
    entries: dict[int, list] = {n: [] for n in range(1, 53)}
    for round_no, pairing in enumerate(berger_schedule(52, double=True), start=1):
        for board in pairing.boards:
            code = (ResultCode.WIN if board.white == 1 else ResultCode.LOSS if board.black == 1 else ResultCode.DRAW)
            for number, entry in game_entries(round_no, board.white, board.black, code).items():
                entries[number].append(entry)
    table = Crosstable(players=tuple(Player(n, f"Player {n}", 2600 - n) for n in range(1, 53)), entries=entries,
                       planned_rounds=102, kind=TournamentType.DOUBLE_ROUND_ROBIN, name="Marathon")
    # Written through round 99 (99 points at most), then rounds 100-102 added by hand: readers ignore the points.
    lines = write_trf(table, through_round=99).splitlines()
    text = "\n".join(line + "".join(_block(e) for e in entries[int(line[4:8])][99:]) if line.startswith("001")
                     else line for line in lines) + "\n"
    assert read_trf(text) == table
    tid = imported(org_client, text.encode())
    response = org_client.get(f"/tournaments/{tid}/export.trf")
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:300]
    assert "player 1 has 102.0 points" in body and "columns 81-84" in body and "at most 99.5" in body
