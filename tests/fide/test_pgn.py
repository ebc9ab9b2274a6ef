"""PGN: export read back by python-chess, relayed games checked move by move, board SVG."""
from __future__ import annotations

import io
from datetime import date

import chess
import chess.pgn
import pytest

from chessweb.fide.crosstable import ResultCode
from chessweb.fide.pgn import GameRecord, PgnError, board_svg, export_pgn, parse_relayed_pgn, pgn_result

SEVEN_TAGS = ["Event", "Site", "Date", "Round", "White", "Black", "Result"]


def test_export_has_the_seven_tag_roster_then_elos_and_replays():
    games = [
        GameRecord("Club Open", "Oslo", date(2026, 4, 1), 3, "Hansen, Ola", "Berg, Kari", "1-0", board=2,
                   white_elo=2210, black_elo=2105, moves="1. e4 e5 2. Nf3 {[%clk 1:29:50]} Nc6 (2... d6) 3. Bb5 a6 1-0"),
        GameRecord("Club Open", "Oslo", None, 3, "Forfeit, Fred", "Present, Petra", "0-1"),
    ]
    text = export_pgn(games)
    stream = io.StringIO(text)
    first, second = chess.pgn.read_game(stream), chess.pgn.read_game(stream)
    assert chess.pgn.read_game(stream) is None
    assert list(first.headers)[:7] == SEVEN_TAGS
    assert dict(first.headers) == {"Event": "Club Open", "Site": "Oslo", "Date": "2026.04.01", "Round": "3",
                                   "White": "Hansen, Ola", "Black": "Berg, Kari", "Result": "1-0",
                                   "WhiteElo": "2210", "BlackElo": "2105", "Board": "2"}
    assert [m.uci() for m in first.mainline_moves()] == ["e2e4", "e7e5", "g1f3", "b8c6", "f1b5", "a7a6"]
    assert second.headers["Date"] == "????.??.??" and "WhiteElo" not in second.headers
    assert list(second.mainline_moves()) == [] and second.headers["Result"] == "0-1"
    assert export_pgn([]) == ""


def test_header_values_are_escaped_and_kept_on_one_line():
    record = GameRecord('Open "Spring"\r\n1. e4 *', "C:\\club", date(2026, 4, 1), 1, 'A"] [White "Hacker',
                        "B\nC", "1-0", moves="1. e4 e5")
    text = export_pgn([record])
    assert text.splitlines()[:7] == ['[Event "Open \\"Spring\\"  1. e4 *"]', '[Site "C:\\\\club"]',
                                     '[Date "2026.04.01"]', '[Round "1"]', '[White "A\\"] [White \\"Hacker"]',
                                     '[Black "B C"]', '[Result "1-0"]']
    # Our reader undoes the escapes; python-chess sees one game with one White tag and the moves.
    relayed = parse_relayed_pgn(text)
    assert relayed.headers["White"] == 'A"] [White "Hacker' and relayed.headers["Site"] == "C:\\club"
    game = chess.pgn.read_game(io.StringIO(text))
    assert [m.uci() for m in game.mainline_moves()] == ["e2e4", "e7e5"] and game.headers["Black"] == "B C"


@pytest.mark.parametrize("record, message", [
    (GameRecord("E", "S", None, 1, "A", "B", "2-0"), "result '2-0'"),
    (GameRecord("E", "S", None, 4, "A", "B", "*", moves="1. e4 e5 2. Ke3"), r"round 4, A - B: move 2 \(white\): 'Ke3'"),
])
def test_export_refuses_bad_games(record, message):
    with pytest.raises(PgnError, match=message):
        export_pgn([record])


@pytest.mark.parametrize("code, result", [
    ("1", "1-0"), ("+", "1-0"), ("W", "1-0"), ("0", "0-1"), ("-", "0-1"), ("L", "0-1"), ("=", "1/2-1/2"),
    ("D", "1/2-1/2"), ("*", "*"),
])
def test_pgn_result_from_whites_code(code, result):
    assert pgn_result(ResultCode(code)) == result


def test_pgn_result_refuses_byes():
    with pytest.raises(PgnError, match="not the result of a game"):
        pgn_result("U")


def test_relayed_game_gives_final_position_moves_and_result():
    text = """[Event "Club Open"]
[White "Hansen, Ola"]
[Black "Berg, Kari"]
[Result "*"]

1. e4 {[%clk 1:30:00]} e5 2. Nf3 Nc6 3. Bb5 a6 $1 4. Ba4!? Nf6 5. O-O Be7 *
"""
    game = parse_relayed_pgn(text)
    board = chess.Board()
    for san in ["e4", "e5", "Nf3", "Nc6", "Bb5", "a6", "Ba4", "Nf6", "O-O", "Be7"]:
        board.push_san(san)
    assert game.san_moves == ("e4", "e5", "Nf3", "Nc6", "Bb5", "a6", "Ba4", "Nf6", "O-O", "Be7")
    assert (game.fen, game.result, game.last_move) == (board.fen(), "*", "f8e7")
    assert game.headers["White"] == "Hansen, Ola" and len(game.uci_moves) == 10


def test_relayed_game_ending_in_mate_and_from_a_fen_tag():
    mate = parse_relayed_pgn('[Result "0-1"]\n\n1. f3 e5 2. g4 Qh4# 0-1')
    assert mate.result == "0-1" and chess.Board(mate.fen).is_checkmate() and mate.san_moves[-1] == "Qh4#"
    fen = "7k/8/8/8/8/8/8/K5R1 w - - 0 1"
    endgame = parse_relayed_pgn(f'[SetUp "1"]\n[FEN "{fen}"]\n\n1. Rg7 Kxg7 1/2-1/2')
    assert endgame.result == "1/2-1/2" and endgame.fen.startswith("8/6k1/8/8/8/8/8/K7 w")


@pytest.mark.parametrize("text, message", [
    ("1. e4 e5 2. Nf3 zz 3. Bb5 *", r"move 2 \(black\): 'zz' is not a legal move"),
    ("1. e4 e5 2. Nf3 Nc6 3. Bb5 Qxf7 *", r"move 3 \(black\): 'Qxf7'"),
    ("1. e4 e6 2. d4 Bb4+ 3. Kd2 *", r"move 3 \(white\): 'Kd2'"),  # stays in check
    ("", "no game"),
    ('[Result "1-0"]\n\n1. e4 0-1', "Result tag says 1-0 but the moves end with 0-1"),
    ('[Result "2-0"]\n\n1. e4 *', "Result tag '2-0'"),
    ("1. e4 1-0 e5", "text after the result 1-0"),
    ('[FEN "not a position"]\n\n1. e4 *', "FEN tag 'not a position'"),
])
def test_bad_relayed_games_name_the_first_fault(text, message):
    with pytest.raises(PgnError, match=message):
        parse_relayed_pgn(text)


def test_board_svg_highlights_the_last_move_and_refuses_bad_input():
    game = parse_relayed_pgn("1. e4 e5 2. Nf3 *")
    svg = board_svg(game.fen, game.last_move, size=300)
    assert svg.startswith("<svg") and 'width="300"' in svg
    assert "lastmove" in svg and "lastmove" not in board_svg(game.fen)
    assert board_svg(flipped=True) != board_svg()
    with pytest.raises(PgnError, match="invalid FEN"):
        board_svg("rubbish")
    with pytest.raises(PgnError, match="invalid move 'e9e4'"):
        board_svg(chess.STARTING_FEN, "e9e4")


def test_board_svg_has_no_style_attributes_so_a_strict_csp_keeps_the_pieces_coloured():
    svg = board_svg("r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3", "b8c6")
    assert "style=" not in svg
    assert 'fill="#000000"' in svg and 'stroke-linecap="round"' in svg  # the same colours, as attributes
