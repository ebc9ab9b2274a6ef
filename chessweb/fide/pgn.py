"""PGN with python-chess: export games, read and check relayed games move by move, draw a position as SVG."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import chess
import chess.pgn
import chess.svg
import chess.variant

from .crosstable import ResultCode
from .text import one_line


class PgnError(ValueError):
    """A PGN, move or position is not valid; the message names the first thing that is wrong."""


RESULTS = ("1-0", "0-1", "1/2-1/2", "*")
_WHITE_SCORE = {ResultCode.WIN: "1-0", ResultCode.FORFEIT_WIN: "1-0", ResultCode.UNRATED_WIN: "1-0",
                ResultCode.LOSS: "0-1", ResultCode.FORFEIT_LOSS: "0-1", ResultCode.UNRATED_LOSS: "0-1",
                ResultCode.DRAW: "1/2-1/2", ResultCode.UNRATED_DRAW: "1/2-1/2", ResultCode.PENDING: "*"}


def pgn_result(white_result: ResultCode | str) -> str:
    """The PGN result of a game from White's result code (a double forfeit has no PGN result: "*")."""
    try:
        return _WHITE_SCORE[ResultCode(white_result)]
    except (KeyError, ValueError):
        raise PgnError(f"{white_result!r} is not the result of a game") from None


@dataclass(frozen=True)
class GameRecord:
    """A game to export; `moves` is PGN movetext (may be empty, e.g. for a forfeit)."""

    event: str
    site: str
    date: date | None
    round: int
    white: str
    black: str
    result: str = "*"
    board: int | None = None
    white_elo: int | None = None
    black_elo: int | None = None
    moves: str = ""
    fen: str | None = None  # the starting position, when it is not the standard one (PGN standard 9.7)
    variant: str | None = None  # as `variant_name` gives it; None for standard chess


def export_pgn(games: Iterable[GameRecord]) -> str:
    """The games as one PGN file: Seven Tag Roster, then WhiteElo/BlackElo (and Board), Variant, SetUp and FEN
    for a game that starts from a position (PGN standard 9.7), then the moves."""
    chunks = []
    for record in games:
        if record.result not in RESULTS:
            raise PgnError(f"round {record.round}, {record.white} - {record.black}: result {record.result!r} "
                           f"is not one of {', '.join(RESULTS)}")
        game = chess.pgn.Game()
        game.headers["Event"] = tag_value(record.event) or "?"
        game.headers["Site"] = tag_value(record.site) or "?"
        game.headers["Date"] = record.date.strftime("%Y.%m.%d") if record.date else "????.??.??"
        game.headers["Round"] = str(record.round)
        game.headers["White"] = tag_value(record.white) or "?"
        game.headers["Black"] = tag_value(record.black) or "?"
        game.headers["Result"] = record.result
        if record.white_elo:
            game.headers["WhiteElo"] = str(record.white_elo)
        if record.black_elo:
            game.headers["BlackElo"] = str(record.black_elo)
        if record.board is not None:
            game.headers["Board"] = str(record.board)
        if record.variant:
            game.headers["Variant"] = record.variant
        if record.fen:
            game.headers["SetUp"] = "1"
            game.headers["FEN"] = record.fen
        try:
            board = _starting_board(game.headers)
            if record.moves.strip():
                game.add_line(_replay(board, record.moves).moves)
        except PgnError as error:
            raise PgnError(f"round {record.round}, {record.white} - {record.black}: {error}") from None
        chunks.append(game.accept(chess.pgn.StringExporter(headers=True, variations=False, comments=False)))
    return "\n\n".join(chunks) + ("\n" if chunks else "")


def tag_value(text: str) -> str:
    """`text` as the inside of a PGN tag's string: backslash and quote escaped, control characters as spaces."""
    # PGN standard 8.1.1 and 7: a string holds no newline or tab, and escapes \ and ". python-chess writes
    # header values as given, so without this a name could close its tag and add tags or moves of its own.
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class RelayedGame:
    """A relayed game after checking every move."""

    headers: Mapping[str, str]
    san_moves: tuple[str, ...]
    fen: str  # the final position
    result: str  # "1-0", "0-1", "1/2-1/2" or "*"
    last_move: str | None = None  # UCI, for highlighting
    uci_moves: tuple[str, ...] = field(default=(), repr=False)
    starting_fen: str | None = None  # the FEN tag's position, when the game starts from one
    variant: str | None = None  # the variant's standard name (`variant_name`); None for standard chess


_HEADER = re.compile(r'^\s*\[(\w+)\s+"((?:[^"\\]|\\.)*)"\s*\]\s*$')


def parse_relayed_pgn(text: str) -> RelayedGame:
    """Read one game, play its main line from the start (or from its FEN tag) and report where it ended.

    A leading byte-order mark is ignored (Windows tools write one). Raises PgnError for: a FEN that is not a
    legal position (python-chess `Board.status()`), a variant python-chess does not know, an illegal or null
    move (`--`: PGN standard 8.2.3 has no null move), a variation or comment never closed, text after the
    result, a Result tag the moves contradict.
    """
    headers: dict[str, str] = {}
    movetext_lines = []
    in_headers = True
    for line in text.lstrip("\ufeff").replace("\r\n", "\n").split("\n"):
        match = _HEADER.match(line) if in_headers else None
        if match:
            headers[match.group(1)] = match.group(2).replace('\\"', '"').replace("\\\\", "\\")
        elif line.strip() or not in_headers:
            in_headers = False
            movetext_lines.append(line)
    if not headers and not "".join(movetext_lines).strip():
        raise PgnError("no game in the PGN text")
    board = _starting_board(headers)
    board_fen = board.fen()
    replay = _replay(board, "\n".join(movetext_lines))
    header_result = headers.get("Result", "*")
    if header_result not in RESULTS:
        raise PgnError(f"the Result tag {header_result!r} is not one of {', '.join(RESULTS)}")
    result = replay.result or header_result
    if replay.result and header_result != "*" and replay.result != header_result:
        raise PgnError(f"the Result tag says {header_result} but the moves end with {replay.result}")
    return RelayedGame(headers=headers, san_moves=replay.san, fen=replay.board.fen(), result=result,
                       last_move=replay.moves[-1].uci() if replay.moves else None,
                       uci_moves=tuple(m.uci() for m in replay.moves),
                       starting_fen=board_fen if headers.get("FEN") else None,
                       variant=variant_name(headers))


def board_svg(fen: str = chess.STARTING_FEN, last_move: str | None = None, *, size: int = 360,
              flipped: bool = False) -> str:
    """An SVG of the position, the last move (UCI) highlighted."""
    try:
        board = chess.Board(fen)
    except ValueError as error:
        raise PgnError(f"invalid FEN {fen!r}: {error}") from None
    move = None
    if last_move:
        try:
            move = chess.Move.from_uci(last_move)
        except ValueError:
            raise PgnError(f"invalid move {last_move!r}: expected UCI such as e2e4") from None
    svg = chess.svg.board(board, lastmove=move, size=size, orientation=chess.BLACK if flipped else chess.WHITE)
    return _STYLED_TAG.sub(_presentation_attributes, svg)


# python-chess draws pieces with style="fill:...; stroke:..." attributes, which a Content-Security-Policy
# without 'unsafe-inline' styles blocks (the pieces lose their colours). SVG presentation attributes say the
# same (SVG 1.1, section 6.4) and are not styles.
_STYLED_TAG = re.compile(r"<[a-zA-Z][^<>]*?\sstyle=\"([^\"]*)\"[^<>]*>")
_DECLARATION = re.compile(r"^\s*([a-z-]+)\s*:\s*([^;]+?)\s*$")


def _presentation_attributes(match: re.Match[str]) -> str:
    tag = match.group(0)
    before, _, after = tag.partition(f' style="{match.group(1)}"')
    attributes = []
    for declaration in match.group(1).split(";"):
        parsed = _DECLARATION.match(declaration)
        if parsed and not re.search(rf"\s{parsed[1]}=", before + after):
            attributes.append(f' {parsed[1]}="{parsed[2]}"')
    return before + "".join(attributes) + after


# ------------------------------------------------------------------ movetext

@dataclass
class _Replay:
    board: chess.Board
    moves: list[chess.Move] = field(default_factory=list)
    san: tuple[str, ...] = ()
    result: str | None = None


_TOKEN = re.compile(r"\{[^}]*\}|[{}]|;[^\n]*|^%[^\n]*|\(|\)|\$\d+|[^\s(){};]+", re.MULTILINE)
_MOVE_NUMBER = re.compile(r"^\d+\.+")


# Spellings of Chess960 that relays use besides python-chess's own (lichess calls it "Freestyle" in events).
_CHESS960_SPELLINGS = frozenset({"freestyle", "freestyle chess", "fischer random chess", "960"})


def variant_name(headers: Mapping[str, str]) -> str | None:
    """The Variant tag's variant under its standard name ("Chess960", "Crazyhouse", ...), whatever spelling the
    relay used; None for standard chess. An unknown variant raises PgnError (python-chess's list)."""
    given = headers.get("Variant", "").strip()
    if not given:
        return None
    tags = chess.pgn.Headers(Variant=given)
    if tags.is_chess960() or given.lower() in _CHESS960_SPELLINGS:
        return "Chess960"
    try:
        board_class = chess.variant.find_variant(given)
    except ValueError:
        raise PgnError(f"the variant {given!r} is not one python-chess knows") from None
    return None if board_class is chess.Board else board_class.aliases[0]


def _starting_board(headers: Mapping[str, str]) -> chess.Board:
    """The position the game starts from: the FEN tag's (checked to be legal) or the variant's start."""
    name = variant_name(headers)
    chess960 = name == "Chess960"
    board_class = chess.Board if name in (None, "Chess960") else chess.variant.find_variant(name)
    fen = headers.get("FEN")
    if not fen:
        return board_class(chess960=chess960)
    try:
        board = board_class(fen, chess960=chess960)
    except ValueError as error:
        raise PgnError(f"the FEN tag {fen!r} is not a valid position: {error}") from None
    board.chess960 = board.chess960 or board.has_chess960_castling_rights()
    if not board.is_valid():
        reasons = ", ".join(_status_text(flag) for flag in chess.Status if flag and flag in board.status())
        raise PgnError(f"the FEN tag {fen!r} is not a legal position: {reasons}")
    return board


def _status_text(flag: chess.Status) -> str:
    """python-chess's name for what is wrong with a position, in words: TOO_MANY_KINGS -> "too many kings"."""
    return (flag.name or str(flag)).lower().replace("_", " ")


def _replay(board: chess.Board, movetext: str) -> _Replay:
    """Play the main line; the first token that is not a legal move raises PgnError naming it."""
    replay = _Replay(board)
    san: list[str] = []
    depth = 0
    for token in _TOKEN.findall(movetext):
        if token in ("{", "}"):  # a brace the comment pattern could not pair up
            raise PgnError("a comment opened with '{' is never closed" if token == "{"
                           else "a '}' closes a comment that was never opened")
        if token.startswith(("{", ";", "%", "$")):
            continue
        if token == "(":
            depth += 1
            continue
        if token == ")":
            if not depth:
                raise PgnError("a ')' closes a variation that was never opened")
            depth -= 1
            continue
        if depth:
            continue  # variations are not part of the game
        if replay.result is not None:
            raise PgnError(f"text after the result {replay.result}: {token!r}")
        if token in RESULTS:
            replay.result = token
            continue
        move_text = _MOVE_NUMBER.sub("", token).rstrip("!?")
        if not move_text or set(move_text) <= {"."}:
            continue
        where = f"move {board.fullmove_number} ({'white' if board.turn == chess.WHITE else 'black'})"
        try:
            move = board.parse_san(move_text)
        except ValueError:
            raise PgnError(f"{where}: {move_text!r} is not a legal move in {board.fen()}") from None
        if not move:  # python-chess reads "--", "Z0" and "0000" as a null move: no move of a real game
            raise PgnError(f"{where}: {move_text!r} is a null move, not a legal move in {board.fen()}")
        san.append(board.san(move))
        board.push(move)
        replay.moves.append(move)
    if depth:
        raise PgnError(f"{depth} variation(s) opened with '(' are never closed")
    replay.san = tuple(san)
    return replay


def decode_pgn(data: bytes) -> str:
    """PGN bytes as text: UTF-8 (a byte-order mark dropped), else Windows-1252, the superset of Latin-1 that
    older Windows tools write (PGN standard 4.1 asks for Latin-1); bytes neither can read raise PgnError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise PgnError(f"the file is neither UTF-8 nor Windows-1252/Latin-1 text (byte {error.start + 1})") from None


_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                       "\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def encoding_problem(text: str) -> str | None:
    """Why `text` looks mis-decoded, or None: a U+FFFD (bytes that were not UTF-8), or UTF-8 read as
    Windows-1252 ("MÃ¼ller" for "Müller"), which would be stored and shown as mojibake."""
    if "\ufffd" in text:
        return "it contains U+FFFD, left where bytes were not UTF-8: upload the file, or save it as UTF-8"
    for match in _MOJIBAKE.finditer(text):
        try:
            fixed = match.group().encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return (f"{match.group()!r} looks like {fixed!r} read in the wrong encoding: save the file as UTF-8 "
                "or upload it")
    return None

