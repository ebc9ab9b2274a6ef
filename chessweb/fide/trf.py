"""FIDE Tournament Report File (TRF-16): write a crosstable, read one back.

Written records: 012 (name), 042 (start date), 092 (type), XXR (planned rounds), XXC (first-round colour of
the top seed) and one 001 line per player with a 10-character block per round. Pairing engines also get
`0000 - H/Z/F/-` blocks for the round about to be paired, for players who must not be paired in it.
A game not finished yet is written with a blank result character.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from .crosstable import (
    Colour,
    Crosstable,
    CrosstableError,
    Player,
    ResultCode,
    RoundEntry,
    TournamentType,
    absent_entry,
    bye_entry,
)
from .text import one_line

_TYPE_LINES = {
    TournamentType.SWISS: "Individual: Swiss-System",
    TournamentType.ROUND_ROBIN: "Individual: Round-Robin",
    TournamentType.DOUBLE_ROUND_ROBIN: "Individual: Double Round-Robin",
}
_NOT_PAIRED_CODES = frozenset({ResultCode.HALF_POINT_BYE, ResultCode.ZERO_POINT_BYE, ResultCode.FULL_POINT_BYE,
                               ResultCode.FORFEIT_LOSS})
_PLAYER_PREFIX = 89  # characters before the first round block
_BLOCK = 10


class TrfError(ValueError):
    """A TRF file cannot be read; the message names the line and what is wrong."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


# ---------------------------------------------------------------------------------------------------- writing

def write_trf(crosstable: Crosstable, *, through_round: int | None = None,
              not_paired_next: Mapping[int, ResultCode | str] | None = None,
              ranks: Mapping[int, int] | None = None) -> str:
    """The crosstable as TRF-16 text (lines end with a newline).

    Every paired round is written for every player (no entry: `0000 - -`); entries recorded ahead of the
    pairing (byes requested for a later round) are written where they are. `through_round` drops the rounds
    after it. `not_paired_next` gives, for players who must not be paired in the next round to pair, the code
    written for it (H, Z, F or -); withdrawn players get `-` there without being named. `ranks` fills the rank
    column; by default players are ranked by points, then pairing number.
    """
    paired = crosstable.paired_rounds
    last = crosstable.last_round if through_round is None else through_round
    if not 0 <= last <= crosstable.planned_rounds:
        raise TrfError(f"cannot write through round {last}: the tournament has {crosstable.planned_rounds} rounds")
    next_round = min(paired, last) + 1
    markers = {n: bye_entry(next_round, code) for n, code in (not_paired_next or {}).items()}
    if markers and next_round > crosstable.planned_rounds:
        raise TrfError(f"there is no round {next_round} to mark players as not paired in")
    for number, marker in markers.items():
        crosstable.player(number)
        if marker.result not in _NOT_PAIRED_CODES:
            raise TrfError(f"player {number}: {marker.result.value!r} cannot mark a player who is not paired")
    if next_round <= crosstable.planned_rounds:
        # A withdrawn player must not be paired next either: say so, as readers have no withdrawal record.
        for player in crosstable.players:
            if (player.withdrawn_from is not None and player.withdrawn_from <= next_round
                    and player.number not in markers and crosstable.recorded(player.number, next_round) is None):
                markers[player.number] = absent_entry(next_round)
    rows = {p.number: _written_entries(crosstable, p.number, last, paired, markers.get(p.number), next_round)
            for p in crosstable.players}
    # The points column adds up the line, as readers check it against the results.
    points = {n: Fraction(sum(e.result.half_points for e in row if e is not None), 2) for n, row in rows.items()}
    if ranks is None:
        order = sorted(points, key=lambda n: (-points[n], n))
        ranks = {n: i for i, n in enumerate(order, start=1)}
    lines = [f"012 {one_line(crosstable.name)}".rstrip()]
    if crosstable.start_date is not None:
        lines.append(f"042 {crosstable.start_date:%Y/%m/%d}")
    lines.append(f"092 {_TYPE_LINES[crosstable.kind]}")
    lines.append(f"XXR {crosstable.planned_rounds}")
    lines.append("XXC white1" if crosstable.top_seed_colour is Colour.WHITE else "XXC black1")
    for player in crosstable.players:
        blocks = "".join(_block(e) if e is not None else " " * _BLOCK for e in rows[player.number])
        prefix = _player_prefix(player, points[player.number], ranks.get(player.number, 0))
        lines.append((prefix + blocks).rstrip())
    return "\n".join(lines) + "\n"


def _written_entries(crosstable: Crosstable, number: int, last: int, paired: int, marker: RoundEntry | None,
                     next_round: int) -> list[RoundEntry | None]:
    """One slot per round written: paired rounds always filled, later rounds as recorded (None: blank)."""
    slots: list[RoundEntry | None] = []
    for round_no in range(1, max(last, next_round if marker else 0) + 1):
        entry = marker if round_no == next_round else None
        if entry is None and round_no <= last:
            entry = crosstable.recorded(number, round_no)
            if entry is None and round_no <= paired:
                entry = absent_entry(round_no)
        slots.append(entry)
    return slots


def _player_prefix(player: Player, points: Fraction, rank: int) -> str:
    birth = f"{player.birth_date:%Y/%m/%d}" if player.birth_date else ""
    name = one_line(player.name)[:33]
    return (f"001 {player.number:>4} {player.sex or ' ':1}{player.title[:3]:>3} {name:<33} "
            f"{player.rating or '':>4} {player.federation[:3]:<3} {player.fide_id or '':>11} {birth:>10} "
            f"{_format_points(points):>4} {rank:>4}")


def _format_points(points: Fraction) -> str:
    whole, half = divmod(points * 2, 2)
    return f"{whole}.{5 if half else 0}"


def _block(entry: RoundEntry) -> str:
    if entry.opponent is None:
        return f"  0000 - {entry.result.value}"
    colour = entry.colour.value if entry.colour else "-"
    result = " " if entry.is_pending else entry.result.value
    return f"  {entry.opponent:>4} {colour} {result}"


# ---------------------------------------------------------------------------------------------------- reading

@dataclass
class _Draft:
    """What has been read so far."""

    name: str = ""
    start_date: date | None = None
    kind: TournamentType = TournamentType.SWISS
    planned_rounds: int | None = None
    top_colour: Colour | None = None
    players: list[Player] = field(default_factory=list)
    entries: dict[int, list[RoundEntry]] = field(default_factory=dict)
    player_lines: dict[int, int] = field(default_factory=dict)


def read_trf(data: str | bytes) -> Crosstable:
    """Read TRF-16 text (or bytes: UTF-8, else Latin-1) into a crosstable; a bad file raises TrfError."""
    lines = _decode(data).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    draft = _Draft()
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:  # no TRF field holds one, and PostgreSQL cannot store it in text
            raise TrfError("a NUL character: this is not a text file", number)
        if not line.strip():
            continue
        _read_line(draft, number, line.rstrip("\n"))
    if not draft.players:
        raise TrfError("no player (001) lines")
    last_round = max((e.round for es in draft.entries.values() for e in es), default=0)
    planned = draft.planned_rounds or max(last_round, 1)
    if last_round > planned:
        culprit = next(n for n, es in draft.entries.items() if any(e.round > planned for e in es))
        raise TrfError(f"player {culprit} has results for round {last_round} but XXR says {planned} rounds",
                       draft.player_lines[culprit])
    try:
        return Crosstable(
            players=tuple(draft.players), entries={n: tuple(es) for n, es in draft.entries.items()},
            planned_rounds=planned, start_date=draft.start_date,
            top_seed_colour=draft.top_colour or _first_round_colour(draft), kind=draft.kind, name=draft.name)
    except CrosstableError as error:
        raise TrfError(str(error), draft.player_lines.get(error.player) if error.player else None) from None


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_line(draft: _Draft, number: int, line: str) -> None:
    code, value = line[:3], line[4:].strip()
    if code == "001":
        _read_player(draft, number, line)
    elif code == "012":
        draft.name = value
    elif code == "042":
        draft.start_date = _parse_date(value, number, "start date") if value else None
    elif code == "092":
        lowered = value.lower()
        if "robin" in lowered or "berger" in lowered:
            draft.kind = TournamentType.DOUBLE_ROUND_ROBIN if "double" in lowered else TournamentType.ROUND_ROBIN
        else:
            draft.kind = TournamentType.SWISS
    elif code == "XXR":
        if not value.isdigit() or int(value) < 1:
            raise TrfError(f"XXR must give the number of rounds, got {value!r}", number)
        draft.planned_rounds = int(value)
    elif code == "XXC":
        for token in value.lower().split():
            if token in ("white1", "black1"):
                draft.top_colour = Colour.WHITE if token == "white1" else Colour.BLACK


def _read_player(draft: _Draft, number: int, line: str) -> None:
    padded = line.ljust(_PLAYER_PREFIX)
    start = _int_field(padded[4:8], number, "start number")
    if start is None:
        raise TrfError("start number is missing", number)
    if start in draft.player_lines:
        raise TrfError(f"start number {start} is used twice (first on line {draft.player_lines[start]})", number)
    sex = padded[9].strip().lower()
    if sex not in ("", "m", "w"):
        raise TrfError(f"sex must be 'm', 'w' or blank, got {padded[9]!r}", number)
    name = padded[14:47].strip()
    if not name:
        raise TrfError(f"player {start} has no name", number)
    birth = padded[69:79].strip()
    player = Player(
        number=start, name=name, rating=_int_field(padded[48:52], number, "rating"),
        fide_id=_int_field(padded[57:68], number, "FIDE id"), federation=padded[53:56].strip(),
        title=padded[10:13].strip(), sex=sex,
        birth_date=_parse_date(birth, number, "birth date", allow_unknown=True) if birth else None)
    entries = []
    for index, offset in enumerate(range(_PLAYER_PREFIX, len(line), _BLOCK), start=1):
        block = line[offset:offset + _BLOCK].ljust(_BLOCK)
        if block.strip():
            entries.append(_read_block(block, index, start, number))
    draft.players.append(player)
    draft.entries[start] = entries
    draft.player_lines[start] = number


_BLOCK_RE = re.compile(r"^  ([ \d]{4}) ([wWbB\- ]) (.)$")


def _read_block(block: str, round_no: int, start: int, number: int) -> RoundEntry:
    where = f"player {start}, round {round_no}"
    match = _BLOCK_RE.match(block)
    if not match or not match.group(1).strip().isdigit():
        raise TrfError(f"{where}: the round block {block!r} is not 'oooo c r' in its columns", number)
    opponent = int(match.group(1))
    colour_char, result_char = match.group(2).lower(), match.group(3).upper()
    if opponent == 0:
        result = ResultCode.FORFEIT_LOSS if result_char == " " else _result(result_char, where, number)
        colour = None
    else:
        result = ResultCode.PENDING if result_char == " " else _result(result_char, where, number)
        colour = Colour(colour_char) if colour_char in "wb" else None
    try:
        return RoundEntry(round_no, opponent or None, colour, result)
    except CrosstableError as error:
        raise TrfError(f"player {start}, {error}", number) from None


def _result(char: str, where: str, number: int) -> ResultCode:
    if char == ResultCode.PENDING.value:
        raise TrfError(f"{where}: unknown result code {char!r}", number)
    try:
        return ResultCode(char)
    except ValueError:
        raise TrfError(f"{where}: unknown result code {char!r}", number) from None


def _int_field(text: str, number: int, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise TrfError(f"{what} {text!r} is not a number", number)
    return int(text)


_DATE_FORMATS = (
    (re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{2})/(\d{2})/(\d{2})$"), (1, 2, 3)),
)


def _parse_date(text: str, number: int, what: str, allow_unknown: bool = False) -> date | None:
    """YYYY/MM/DD (also with - or .), DD.MM.YYYY or YY/MM/DD; `allow_unknown` accepts 00 for month and day."""
    for pattern, (y, m, d) in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            year, month, day = int(match.group(y)), int(match.group(m)), int(match.group(d))
            if year < 100:
                year += 2000
            if allow_unknown and (month == 0 or day == 0):
                return None
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise TrfError(f"{what} {text!r} is not a date (YYYY/MM/DD)", number)


def _first_round_colour(draft: _Draft) -> Colour:
    """Without XXC: the colour the lower number had on the round-1 board of the best-numbered player."""
    games = [(n, e) for n, es in draft.entries.items() for e in es
             if e.round == 1 and e.opponent is not None and e.colour is not None]
    if not games:
        return Colour.WHITE
    number, entry = min(games, key=lambda g: min(g[0], g[1].opponent or g[0]))
    assert entry.colour is not None and entry.opponent is not None
    return entry.colour if number < entry.opponent else entry.colour.opposite
