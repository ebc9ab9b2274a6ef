"""PGN as relays and older tools write it: byte-order marks, null moves, games from a position, impossible
positions, unclosed variations and comments, Latin-1 / Windows-1252 bytes."""
from __future__ import annotations

import io
from datetime import date

import chess
import chess.pgn
import pytest

from chessweb.fide.pgn import (GameRecord, PgnError, decode_pgn, encoding_problem, export_pgn, parse_relayed_pgn,
                               variant_name)

from .support import DATA

PGN = DATA / "pgn"


def test_a_leading_byte_order_mark_is_ignored():
    text = (PGN / "bom.pgn").read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    game = parse_relayed_pgn(text)
    assert game.san_moves == ("d4", "Nf6", "c4", "e6") and game.headers["Event"] == "Invented Weekend Open"


@pytest.mark.parametrize("null", ["--", "Z0", "0000"])
def test_a_null_move_is_refused_like_an_illegal_move(null):
    text = (PGN / "null-move.pgn").read_text().replace("--", null)
    with pytest.raises(PgnError, match=rf"move 3 \(black\): '{null}' is a null move"):
        parse_relayed_pgn(text)


def test_a_chess960_game_from_a_fen_is_exported_whole():
    relayed = parse_relayed_pgn((PGN / "chess960.pgn").read_text())
    assert relayed.variant == "Chess960" and relayed.starting_fen.startswith("bbrknnrq/")
    assert len(relayed.san_moves) == 6
    text = export_pgn([GameRecord("Cup", "Town", date(2026, 11, 28), 5, "A", "B", "*",
                                  moves=" ".join(relayed.san_moves), fen=relayed.starting_fen,
                                  variant=relayed.variant)])
    game = chess.pgn.read_game(io.StringIO(text))
    assert game.headers["Variant"] == "Chess960" and game.headers["SetUp"] == "1"
    assert game.headers["FEN"] == relayed.starting_fen
    assert len(list(game.mainline_moves())) == 6 and not game.errors
    assert game.end().board().fen() == relayed.fen


@pytest.mark.parametrize("spelling, name", [
    ("Chess960", "Chess960"), ("chess 960", "Chess960"), ("Fischerandom", "Chess960"), ("Freestyle", "Chess960"),
    ("Standard", None), ("From Position", None), ("crazy house", "Crazyhouse"), ("3-check", "Three-check"),
])
def test_variants_get_their_standard_name(spelling, name):
    assert variant_name({"Variant": spelling}) == name


def test_an_unknown_variant_is_refused():
    with pytest.raises(PgnError, match="'Knightmate' is not one python-chess knows"):
        parse_relayed_pgn('[Variant "Knightmate"]\n\n1. e4 *')


@pytest.mark.parametrize("fen, reason", [
    ("QQQQQQQQ/QQQQQQQQ/QQQQQQQQ/QQQQQQQQ/QQQQQQQQ/QQQQQQQQ/QQQQQQQk/QQQQQQQK w - - 0 1", "too many white pieces"),
    ("8/8/8/8/8/8/8/4K3 w - - 0 1", "no black king"),
    ("4k3/8/8/8/8/8/8/P3K3 w - - 0 1", "pawns on backrank"),
])
def test_an_impossible_position_is_refused_with_python_chess_reason(fen, reason):
    with pytest.raises(PgnError, match=f"is not a legal position: .*{reason}"):
        parse_relayed_pgn(f'[SetUp "1"]\n[FEN "{fen}"]\n\n*')


def test_the_case_file_with_an_impossible_position_is_refused():
    with pytest.raises(PgnError, match="not a legal position"):
        parse_relayed_pgn((PGN / "impossible-position.pgn").read_text())


@pytest.mark.parametrize("text, message", [
    ((PGN / "unclosed-variation.pgn").read_text(), r"1 variation\(s\) opened with '\(' are never closed"),
    ("1. e4 e5 " + "( " * 9000 + "2. f4", r"9000 variation\(s\)"),
    ("1. e4 e5 ) 2. Nf3", r"a '\)' closes a variation that was never opened"),
    ("1. e4 { good move 2. Nf3", "a comment opened with '{' is never closed"),
    ("1. e4 } 2. Nf3", "a '}' closes a comment"),
])
def test_unbalanced_variations_and_comments_are_refused(text, message):
    with pytest.raises(PgnError, match=message):
        parse_relayed_pgn(text)


def test_balanced_variations_and_comments_still_read():
    game = parse_relayed_pgn("1. e4 {best by test} e5 (1... c5 (1... e6) 2. Nf3) 2. Nf3 *")
    assert game.san_moves == ("e4", "e5", "Nf3")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_older_encodings_are_decoded_not_stored_as_mojibake(encoding):
    text = '[White "Müller, Jörg"]\n[Black "Ødegård, Åse"]\n\n1. e4 e5 *\n'
    decoded = decode_pgn(text.encode(encoding))
    assert decoded == text and encoding_problem(decoded) is None
    assert parse_relayed_pgn(decoded).headers["White"] == "Müller, Jörg"


@pytest.mark.parametrize("text", ["Müller".encode().decode("cp1252"), "Ødegård".encode().decode("cp1252"),
                                  "Jörg\ufffd"])
def test_mojibake_and_replacement_characters_are_recognised(text):
    assert encoding_problem(f'[White "{text}"]\n\n1. e4 *') is not None


@pytest.mark.parametrize("text", ["Müller", "Ødegård", "Ärzte – “Zitat”", "Łódź", "Сергей"])
def test_real_names_are_not_taken_for_mojibake(text):
    assert encoding_problem(text) is None
