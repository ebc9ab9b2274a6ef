"""FIDE Tournament Report File (TRF-16): write a crosstable, read one back.

Written records: 012 (name), 042 (start date), 092 (type), XXR (planned rounds), XXC (first-round colour of
the top seed) and one 001 line per player with a 10-character block per round. Pairing engines also get
`0000 - H/Z/F/-` blocks for the round about to be paired, for players who must not be paired in it.
A game not finished yet is written with a blank result character.

Every field of the 001 record is written in the columns TRF-16/TRF-2026 give it (`PLAYER_COLUMNS`); a value that
does not fit (more than 99.5 points in the four columns of "format 11.5", a start number, rank or rating above
9999) is refused with a TrfError, as bbpPairings refuses it, never written across the next field.
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
    """A TRF file cannot be read; the message names the line (and column, 1-based) and what is wrong."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(_where(line, column) + message)
        self.line = line
        self.column = column


# ---------------------------------------------------------------------------------------------------- writing

def write_trf(crosstable: Crosstable, *, through_round: int | None = None,
              not_paired_next: Mapping[int, ResultCode | str] | None = None,
              ranks: Mapping[int, int] | None = None, header: TrfHeader | None = None) -> str:
    """The crosstable as TRF-16 text (lines end with a newline).

    Every paired round is written for every player (no entry: `0000 - -`); entries recorded ahead of the
    pairing (byes requested for a later round) are written where they are. `through_round` drops the rounds
    after it. `not_paired_next` gives, for players who must not be paired in the next round to pair, the code
    written for it (H, Z, F or -); withdrawn players get `-` there without being named. `ranks` fills the rank
    column; by default players are ranked by points, then pairing number (pass the standings' ranks for a
    rating report, as TRF-2026 requires). `header` adds the 022/032/052/122 records read from an imported file.

    Raises TrfError (no text written) when a value does not fit its field: above all a score over 99.5 points,
    which only a round robin of more than 100 rounds reaches (TRF-2026 record 001, columns 81-84, "format 11.5").
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
    header = header or TrfHeader()
    if header.city:
        lines.append(f"022 {one_line(header.city)}")
    if header.federation:
        lines.append(f"032 {header.federation}")
    if crosstable.start_date is not None:
        lines.append(f"042 {crosstable.start_date:%Y/%m/%d}")
    if header.end_date is not None:
        lines.append(f"052 {header.end_date:%Y/%m/%d}")
    lines.append(f"092 {_TYPE_LINES[crosstable.kind]}")
    if header.time_control:
        lines.append(f"122 {one_line(header.time_control)}")
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


# TRF-16 / TRF-2026 record 001: (first column, last column), 1-based, of each fixed-width field (FIDE handbook,
# TRF-2026 "Player Section"). A value that does not fit its columns is refused, never written over the next field.
PLAYER_COLUMNS = {
    "number": (5, 8), "sex": (10, 10), "title": (11, 13), "name": (15, 47), "rating": (49, 52),
    "federation": (54, 56), "fide_id": (58, 68), "birth": (70, 79), "points": (81, 84), "rank": (86, 89),
}
# Each round block: opponent, colour and result, relative to the block's first column (round 1 starts at 92).
BLOCK_COLUMNS = {"opponent": (3, 6), "colour": (8, 8), "result": (10, 10)}
MAX_POINTS = Fraction(199, 2)  # "Format 11.5" in four columns: 99.5 is the most it holds


def _player_prefix(player: Player, points: Fraction, rank: int) -> str:
    """The first 89 columns of a player's 001 record; TrfError when a value does not fit its field."""
    if player.birth_date:
        birth = f"{player.birth_date:%Y/%m/%d}"
    elif player.birth_year and not 1 <= player.birth_year <= 9999:
        raise TrfError(f"player {player.number}: birth year {player.birth_year} is not a four-digit year")
    else:  # TRF-2026: 00 for the unknown month and day
        birth = f"{player.birth_year:04d}/00/00" if player.birth_year else ""
    if points > MAX_POINTS:
        raise TrfError(f"player {player.number} has {_format_points(points)} points, but the TRF points field "
                       f"(columns 81-84, format 11.5) holds at most {_format_points(MAX_POINTS)}; a TRF file cannot "
                       "report this tournament")
    values = {
        "number": str(player.number), "sex": player.sex, "title": _CODE_OF_TITLE.get(player.title, ""),
        "name": one_line(player.name)[:33],  # the name field is 33 columns: longer names are cut, as by every tool
        "rating": str(player.rating or ""), "federation": player.federation[:3], "fide_id": str(player.fide_id or ""),
        "birth": birth, "points": _format_points(points), "rank": str(rank),
    }
    line = list("001" + " " * (_PLAYER_PREFIX - 3))
    for key, text in values.items():
        first, last = PLAYER_COLUMNS[key]
        width = last - first + 1
        if len(text) > width:
            raise TrfError(f"player {player.number}: {key.replace('_', ' ')} {text!r} does not fit the {width} "
                           f"columns {first}-{last} of the TRF player record")
        # Text fields are left-aligned, numbers right-aligned (TRF-16 writes them so).
        line[first - 1:last] = text.ljust(width) if key in ("name", "federation") else text.rjust(width)
    return "".join(line)


def _format_points(points: Fraction) -> str:
    whole, half = divmod(points * 2, 2)
    return f"{whole}.{5 if half else 0}"


def _block(entry: RoundEntry) -> str:
    if entry.opponent is None:
        return f"  0000 - {entry.result.value}"
    if entry.opponent > 9999:
        raise TrfError(f"round {entry.round}: opponent {entry.opponent} does not fit the 4 columns of a TRF "
                       "round block (start numbers are 1 to 9999)")
    colour = entry.colour.value if entry.colour else "-"
    result = " " if entry.is_pending else entry.result.value
    return f"  {entry.opponent:>4} {colour} {result}"


# ---------------------------------------------------------------------------------------------------- reading

# Bounds applied while reading, the same as the forms (a Swiss has at most 30 rounds, a rating is 0..3500), so a
# hostile file costs at most this much work and memory however big it is.
MAX_PLAYERS = 2000
MAX_SWISS_ROUNDS = 30
MAX_ROUNDS = 2 * (MAX_PLAYERS - 1)  # a double round robin of the largest field
MAX_RATING = 3500
MAX_FIDE_ID = 2**31 - 1
_MAX_LINE = _PLAYER_PREFIX + _BLOCK * MAX_ROUNDS

# TRF-16/TRF-2026 title codes (FIDE handbook, TRF-2026 record 001, field "Title").
TITLE_CODES = {"g": "GM", "m": "IM", "f": "FM", "c": "CM", "wg": "WGM", "wm": "WIM", "wf": "WFM", "wc": "WCM"}
_TITLES = frozenset(TITLE_CODES.values())
_CODE_OF_TITLE = {title: code for code, title in TITLE_CODES.items()}

# Records read for what they say about the tournament; records only for people (counts, arbiters, round dates,
# tie-break lists, encoded time control) are accepted and not kept.
_INFORMATIONAL = frozenset({"062", "072", "082", "102", "112", "123", "132", "172", "182", "202", "212", "222",
                            "801", "802"})
# Records that change how points are scored or who may be paired, which ChessWeb does not support: refused rather
# than dropped, since the tournament would then be scored or paired differently from the file.
_UNSUPPORTED = {
    "250": "accelerated rounds (250)", "XXA": "accelerated rounds (XXA)", "260": "prohibited pairings (260)",
    "299": "abnormal points assignments (299)", "300": "out-of-order pairings (300)",
    "310": "team tournaments (310)", "013": "team tournaments (013)", "320": "team tournaments (320)",
    "330": "team tournaments (330)", "352": "team tournaments (352)", "362": "team tournaments (362)",
}
# Record 162 (TRF-2026) and XXS (bbpPairings / JaVaFo): the points of each outcome. Only FIDE's 1 / ½ / 0 is
# supported: W win, D draw, L loss, A absent (zero-point bye), P pairing-allocated bye, X forfeit win,
# H half-point bye, F full-point bye, Z zero-point bye, U pairing-allocated bye.
_STANDARD_162 = {"W": 1.0, "D": 0.5, "L": 0.0, "A": 0.0, "P": 1.0, "X": 1.0, "H": 0.5, "F": 1.0, "Z": 0.0, "U": 1.0}
_STANDARD_XXS = {"WW": 1.0, "BW": 1.0, "WD": 0.5, "BD": 0.5, "WL": 0.0, "BL": 0.0, "ZPB": 0.0, "HPB": 0.5,
                 "FPB": 1.0, "PAB": 1.0, "FW": 1.0, "FL": 0.0, "W": 1.0, "D": 0.5}
_BYE_CODES_240 = {"H": ResultCode.HALF_POINT_BYE, "F": ResultCode.FULL_POINT_BYE, "Z": ResultCode.ZERO_POINT_BYE}


@dataclass(frozen=True)
class TrfHeader:
    """Tournament records that are kept and written back, though pairing does not use them.

    city: 022; federation: 032 (three letters); end_date: 052; time_control: 122 (free text).
    """

    city: str = ""
    federation: str = ""
    end_date: date | None = None
    time_control: str = ""


@dataclass(frozen=True)
class TrfFile:
    """What a TRF file says: the crosstable, the header records kept, and what the organizer should be told.

    `rounds_stated` is False when the file has neither `XXR` nor `142`: the crosstable then plans only the rounds
    it has, and the number of rounds must come from somewhere else before the tournament can be called finished.
    `warnings` name the line (and column) of each informational value that was not understood and left out.
    """

    crosstable: Crosstable
    header: TrfHeader = TrfHeader()
    rounds_stated: bool = True
    warnings: tuple[str, ...] = ()


@dataclass
class _Draft:
    """What has been read so far."""

    name: str = ""
    start_date: date | None = None
    kind: TournamentType = TournamentType.SWISS
    planned_rounds: int | None = None
    rounds_line: int | None = None
    top_colour: Colour | None = None
    players: list[Player] = field(default_factory=list)
    entries: dict[int, dict[int, RoundEntry]] = field(default_factory=dict)
    player_lines: dict[int, int] = field(default_factory=dict)
    byes_240: list[tuple[int, int, int, ResultCode]] = field(default_factory=list)  # line, player, round, code
    absent_next: list[tuple[int, int]] = field(default_factory=list)  # XXZ: line, player
    city: str = ""
    federation: str = ""
    end_date: date | None = None
    time_control: str = ""
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str, line: int, column: int | None = None) -> None:
        self.warnings.append(_where(line, column) + message)


def _where(line: int | None, column: int | None = None) -> str:
    if line is None:
        return ""
    return f"line {line}, column {column}: " if column is not None else f"line {line}: "


def _refuse(message: str, line: int | None, column: int | None = None) -> TrfError:
    return TrfError(message, line, column)


def read_trf(data: str | bytes) -> Crosstable:
    """The crosstable of a TRF-16 / TRF-2026 file (see `read_trf_file`); a bad file raises TrfError."""
    return read_trf_file(data).crosstable


def read_trf_file(data: str | bytes) -> TrfFile:
    """Read TRF-16 or TRF-2026 text (bytes: UTF-8, else Windows-1252) into a `TrfFile`.

    Source: FIDE handbook, TRF-2026 (records 001, 012-222, 240) and TRF-16, plus `XXR`/`XXC`/`XXS`/`XXZ` as
    written by JaVaFo and bbpPairings. Raises TrfError naming the line (and column) of the first defect: a value pairing
    or scoring depends on that cannot be read, a bound exceeded (players, rounds, blocks, ratings), a record
    that changes scoring or pairing and is not supported. Informational values that cannot be read (birth date,
    title, federation, sex, dates of the event) are left out with a warning instead.
    """
    text = _decode(data)
    draft = _Draft()
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if "\x00" in line:  # no TRF field holds one, and PostgreSQL cannot store it in text
            raise _refuse("a NUL character: this is not a text file", number, line.index("\x00") + 1)
        if not line.strip():
            continue
        if len(line) > _MAX_LINE:
            raise _refuse(f"the line is {len(line)} characters long; a TRF line has at most {_MAX_LINE} "
                          f"({MAX_ROUNDS} rounds)", number, _MAX_LINE + 1)
        _read_line(draft, number, line.rstrip())
    return _finish(draft)


def _finish(draft: _Draft) -> TrfFile:
    if not draft.players:
        raise TrfError("no player (001) lines")
    for line, player, round_no, code in draft.byes_240:
        if player not in draft.entries:
            raise _refuse(f"record 240 names player {player}, who has no 001 line", line)
        entry = RoundEntry(round_no, None, None, code)
        present = draft.entries[player].get(round_no)
        if present is not None and present != entry:
            raise _refuse(f"record 240 gives player {player} a {code.value!r} bye in round {round_no}, but the "
                          f"001 line (line {draft.player_lines[player]}) has another entry for that round", line)
        draft.entries[player][round_no] = entry
    paired = max((e.round for es in draft.entries.values() for e in es.values()
                   if e.opponent is not None or e.result is ResultCode.PAIRING_ALLOCATED_BYE), default=0)
    for line, player in draft.absent_next:
        if player not in draft.entries:
            raise _refuse(f"XXZ names player {player}, who has no 001 line", line)
        draft.entries[player].setdefault(paired + 1, RoundEntry(paired + 1, None, None, ResultCode.ZERO_POINT_BYE))
    last_round = max((r for es in draft.entries.values() for r in es), default=0)
    stated = draft.planned_rounds is not None
    planned = draft.planned_rounds if draft.planned_rounds is not None else max(last_round, 1)
    if draft.kind is TournamentType.SWISS and planned > MAX_SWISS_ROUNDS:
        raise _refuse(f"a Swiss has at most {MAX_SWISS_ROUNDS} rounds, the file says {planned}", draft.rounds_line)
    most = 2 * len(draft.players)  # a double round robin of an odd field: twice n rounds (C.05 Annex 1)
    if draft.kind.is_round_robin and planned > most:
        raise _refuse(f"a round robin of {len(draft.players)} players has at most {most} rounds, the file says "
                      f"{planned}", draft.rounds_line)
    if last_round > planned:
        culprit, late = next((n, r) for n, es in draft.entries.items() for r in es if r > planned)
        raise _refuse(f"player {culprit} has an entry for round {late} but the file says {planned} rounds",
                      draft.player_lines[culprit], _PLAYER_PREFIX + (late - 1) * _BLOCK + 1)
    try:
        table = Crosstable(
            players=tuple(draft.players), entries={n: tuple(es.values()) for n, es in draft.entries.items()},
            planned_rounds=planned, start_date=draft.start_date,
            top_seed_colour=draft.top_colour or _first_round_colour(draft), kind=draft.kind, name=draft.name)
    except CrosstableError as error:
        line = draft.player_lines.get(error.player) if error.player else None
        column = _PLAYER_PREFIX + (error.round - 1) * _BLOCK + 3 if line and error.round else None  # the opponent
        raise _refuse(str(error), line, column) from None
    header = TrfHeader(city=draft.city, federation=draft.federation, end_date=draft.end_date,
                       time_control=draft.time_control)
    return TrfFile(table, header, stated, tuple(draft.warnings))


def _decode(data: str | bytes) -> str:
    """Text as given; bytes as UTF-8 (a byte-order mark dropped), else Windows-1252, else Latin-1."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        pass
    try:  # older Windows tools: Latin-1 with typographic quotes and dashes in 0x80-0x9F
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_line(draft: _Draft, number: int, line: str) -> None:
    code, value = line[:3], line[4:].strip()
    if code == "001":
        _read_player(draft, number, line)
    elif code == "012":
        draft.name = value
    elif code == "022":
        draft.city = value
    elif code == "032":
        if re.fullmatch(r"[A-Za-z]{3}", value):
            draft.federation = value.upper()
        elif value:
            draft.warn(f"federation {value!r} is not a three-letter code; left out", number, 5)
    elif code == "042":
        draft.start_date = _informational_date(draft, value, number, "start date")
    elif code == "052":
        draft.end_date = _informational_date(draft, value, number, "end date")
    elif code == "092":
        lowered = value.lower()
        if "robin" in lowered or "berger" in lowered:
            draft.kind = TournamentType.DOUBLE_ROUND_ROBIN if "double" in lowered else TournamentType.ROUND_ROBIN
        else:
            draft.kind = TournamentType.SWISS
    elif code == "122":
        draft.time_control = value
    elif code in ("XXR", "142"):
        rounds = _number(value, number, 5, f"{code} (number of rounds)")
        if rounds is None or not 1 <= rounds <= MAX_ROUNDS:
            raise _refuse(f"{code} must give the number of rounds (1 to {MAX_ROUNDS}), got {value!r}", number, 5)
        draft.planned_rounds, draft.rounds_line = rounds, number
    elif code == "XXC":
        for token in value.lower().split():
            if token in ("white1", "black1"):
                draft.top_colour = Colour.WHITE if token == "white1" else Colour.BLACK
    elif code == "152":
        if value.upper() not in ("W", "B"):
            raise _refuse(f"152 (initial colour) must be W or B, got {value!r}", number, 5)
        draft.top_colour = Colour.WHITE if value.upper() == "W" else Colour.BLACK
    elif code == "162":
        _check_scoring(line[4:], number, _STANDARD_162, r"([A-Z])\s*(\S+)", "162")
    elif code == "XXS":
        _check_scoring(line[4:], number, _STANDARD_XXS, r"([A-Z]+)\s*=\s*(\S+)", "XXS")
    elif code == "192":
        if draft.kind is TournamentType.SWISS and value and "DUTCH" not in value.upper():
            draft.warn(f"pairing system {value!r}: ChessWeb pairs later rounds by the FIDE Dutch system", number, 5)
    elif code == "240":
        _read_bye_record(draft, number, line)
    elif code == "XXZ":  # bbpPairings/gacrux: players absent from the round to pair (a zero-point bye)
        for match in re.finditer(r"[^\s,/]+", line[4:]):
            player = _number(match.group(), number, 5 + match.start(), "XXZ: the player")
            if not player:
                raise _refuse(f"XXZ: {match.group()!r} is not a pairing number", number, 5 + match.start())
            draft.absent_next.append((number, player))
    elif code in _UNSUPPORTED:
        raise _refuse(f"{_UNSUPPORTED[code]} are not supported; ChessWeb would score or pair the tournament "
                      "differently from the file", number, 1)
    elif code not in _INFORMATIONAL:
        draft.warn(f"record {code!r} is not known; ignored", number, 1)


def _check_scoring(value: str, number: int, standard: dict[str, float], pattern: str, code: str) -> None:
    """Refuse a points system other than FIDE's 1 / ½ / 0 (the only one ChessWeb scores by)."""
    for match in re.finditer(pattern, value):
        key, points = match.group(1), match.group(2)
        try:
            worth = float(points) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", points) else None
        except ValueError:
            worth = None
        if key not in standard or worth != standard[key]:
            raise _refuse(f"{code}: {key} scored {points}; only FIDE's 1 / ½ / 0 scoring is supported", number,
                          4 + match.start() + 1)


def _read_bye_record(draft: _Draft, number: int, line: str) -> None:
    """TRF-2026 record 240: `240 T RRR PPPP PPPP ...`, byes of type T (H, F, Z) in round RRR for these players."""
    kind = line[4:5]
    if kind not in _BYE_CODES_240:
        raise _refuse(f"240: the bye type must be H, F or Z, got {kind!r}", number, 5)
    round_no = _number(line[6:9], number, 7, "240: the round")
    if round_no is None or not 1 <= round_no <= MAX_ROUNDS:
        raise _refuse(f"240: the round must be 1 to {MAX_ROUNDS}, got {line[6:9]!r}", number, 7)
    if draft.planned_rounds is not None and round_no > draft.planned_rounds:
        raise _refuse(f"240: round {round_no} is after the last round {draft.planned_rounds}", number, 7)
    players = 0
    for match in re.finditer(r"\S+", line[9:]):
        column = 10 + match.start()
        player = _number(match.group(), number, column, "240: the player")
        if not player:
            raise _refuse(f"240: {match.group()!r} is not a pairing number", number, column)
        draft.byes_240.append((number, player, round_no, _BYE_CODES_240[kind]))
        players += 1
    if not players:
        raise _refuse("240 names no player", number, 11)


def _read_player(draft: _Draft, number: int, line: str) -> None:
    if len(draft.players) >= MAX_PLAYERS:
        raise _refuse(f"more than {MAX_PLAYERS} players", number, 1)
    padded = line.ljust(_PLAYER_PREFIX)
    start = _number(padded[4:8], number, 5, "start number")
    if start is None:
        raise _refuse("start number is missing", number, 5)
    if start < 1:
        raise _refuse("start number must be 1 or more", number, 5)
    if start in draft.player_lines:
        raise _refuse(f"start number {start} is used twice (first on line {draft.player_lines[start]})", number, 5)
    sex = padded[9].strip().lower()
    if sex not in ("", "m", "w"):
        draft.warn(f"sex must be 'm', 'w' or blank, got {padded[9]!r}; left out", number, 10)
        sex = ""
    name = padded[14:47].strip()
    if not name:
        raise _refuse(f"player {start} has no name", number, 15)
    rating = _number(padded[48:52], number, 49, "rating")
    if rating is not None and rating > MAX_RATING:
        raise _refuse(f"rating {rating} is above {MAX_RATING}", number, 49)
    fide_id = _number(padded[57:68], number, 58, "FIDE id")
    if fide_id is not None and fide_id > MAX_FIDE_ID:
        raise _refuse(f"FIDE id {fide_id} is too large", number, 58)
    birth_date, birth_year = _birth(draft, padded[69:79].strip(), number)
    player = Player(
        number=start, name=name, rating=rating, fide_id=fide_id or None,
        federation=_federation(draft, padded[53:56].strip(), number), title=_title(draft, padded[10:13], number),
        sex=sex, birth_date=birth_date, birth_year=birth_year)
    rounds_known = draft.planned_rounds
    entries: dict[int, RoundEntry] = {}
    for index, offset in enumerate(range(_PLAYER_PREFIX, len(line), _BLOCK), start=1):
        block = line[offset:offset + _BLOCK].ljust(_BLOCK)
        if not block.strip():
            continue
        if rounds_known is not None and index > rounds_known:
            raise _refuse(f"player {start} has an entry for round {index} but the file says {rounds_known} rounds",
                          number, offset + 1)
        entries[index] = _read_block(block, index, start, number, offset)
    draft.players.append(player)
    draft.entries[start] = entries
    draft.player_lines[start] = number


def _title(draft: _Draft, text: str, number: int) -> str:
    """A title as GM, IM, ... from a TRF code (g, m, wg, ...) or the title itself; anything else is left out."""
    value = text.strip()
    if not value:
        return ""
    title = TITLE_CODES.get(value.lower(), value.upper())
    if title not in _TITLES:
        draft.warn(f"title {value!r} is not a FIDE title code (g, m, f, c, wg, wm, wf, wc); left out", number, 11)
        return ""
    return title


def _federation(draft: _Draft, text: str, number: int) -> str:
    if not text:
        return ""
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        draft.warn(f"federation {text!r} is not a three-letter code; left out", number, 54)
        return ""
    return text.upper()


def _birth(draft: _Draft, text: str, number: int) -> tuple[date | None, int | None]:
    """A birth date, or only its year (a bare year, or a date with 00 month/day); unreadable: a warning."""
    if not text:
        return None, None
    if re.fullmatch(r"[0-9]{4}", text):
        year = int(text)
        return (None, year) if year else (None, None)
    parts = _date_parts(text)
    if parts is not None:
        year, month, day = parts
        if month == 0 or day == 0:
            return (None, year) if year else (None, None)
        try:
            return date(year, month, day), year
        except ValueError:
            pass
    draft.warn(f"birth date {text!r} is not a date (YYYY/MM/DD); left out", number, 70)
    return None, None


def _informational_date(draft: _Draft, text: str, number: int, what: str) -> date | None:
    if not text:
        return None
    parts = _date_parts(text)
    if parts is not None:
        try:
            return date(*parts)
        except ValueError:
            pass
    draft.warn(f"{what} {text!r} is not a date (YYYY/MM/DD); left out", number, 5)
    return None


_DATE_FORMATS = (
    (re.compile(r"([0-9]{4})[/\-.]([0-9]{1,2})[/\-.]([0-9]{1,2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{1,2})[.\-/]([0-9]{1,2})[.\-/]([0-9]{4})"), (3, 2, 1)),
    (re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"), (1, 2, 3)),
)


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of YYYY/MM/DD (also - or .), DD.MM.YYYY, YY/MM/DD (TRF-16) or YYYYMMDD; 00 kept."""
    for pattern, (y, m, d) in _DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match:
            year = int(match.group(y))
            if len(match.group(y)) == 2:  # TRF-16's YY/MM/DD: 50-99 are the 1900s
                year += 1900 if year >= 50 else 2000
            return year, int(match.group(m)), int(match.group(d))
    return None


_OPPONENT = re.compile(r"[ 0-9]{4}")


def _read_block(block: str, round_no: int, start: int, number: int, offset: int) -> RoundEntry:
    """One round block `  oooo c r` (TRF-2026: four blank opponent characters mean 0000, a blank colour '-',
    a blank result a zero-point bye without an opponent, a game not finished with one)."""
    where = f"player {start}, round {round_no}"
    if block[:2] != "  " or block[6] != " " or block[8] != " ":
        raise _refuse(f"{where}: the round block {block!r} is not 'oooo c r' in its columns", number, offset + 1)
    opponent_text = block[2:6]
    if not _OPPONENT.fullmatch(opponent_text) or (opponent_text.strip() and " " in opponent_text.strip()):
        raise _refuse(f"{where}: opponent {opponent_text.strip()!r} is not a pairing number", number, offset + 3)
    opponent = int(opponent_text) if opponent_text.strip() else 0
    colour_char, result_char = block[7].lower(), block[9].upper()
    if colour_char not in "wb- ":
        raise _refuse(f"{where}: colour {block[7]!r} is not w, b or -", number, offset + 8)
    if opponent == 0:
        if colour_char in "wb":
            raise _refuse(f"{where}: a round without an opponent has no colour, got {block[7]!r}", number,
                          offset + 8)
        result = ResultCode.ZERO_POINT_BYE if result_char == " " else _result(result_char, where, number, offset)
        colour = None
    else:
        result = ResultCode.PENDING if result_char == " " else _result(result_char, where, number, offset)
        colour = Colour(colour_char) if colour_char in "wb" else None
    try:
        return RoundEntry(round_no, opponent or None, colour, result)
    except CrosstableError as error:
        raise _refuse(f"player {start}, {error}", number, offset + 10) from None


def _result(char: str, where: str, number: int, offset: int) -> ResultCode:
    if char != ResultCode.PENDING.value:
        try:
            return ResultCode(char)
        except ValueError:
            pass
    raise _refuse(f"{where}: unknown result code {char!r}", number, offset + 10)


def _number(text: str, number: int, column: int, what: str) -> int | None:
    """An ASCII number (blank: None); Unicode digits such as '²' are not TRF numbers."""
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+", text, flags=re.ASCII):
        raise _refuse(f"{what} {text!r} is not a number", number, column)
    return int(text)


def _first_round_colour(draft: _Draft) -> Colour:
    """Without XXC or 152: the colour the lower number had on the round-1 board of the best-numbered player."""
    games = [(n, e) for n, es in draft.entries.items() for e in es.values()
             if e.round == 1 and e.opponent is not None and e.colour is not None]
    if not games:
        return Colour.WHITE
    number, entry = min(games, key=lambda g: min(g[0], g[1].opponent or g[0]))
    assert entry.colour is not None and entry.opponent is not None
    return entry.colour if number < entry.opponent else entry.colour.opposite
