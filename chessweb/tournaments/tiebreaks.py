"""Which tie-breaks an organizer may choose, and the default list per format (both from chessweb.fide)."""
from __future__ import annotations

from collections.abc import Iterable

from ..fide.tiebreaks import TieBreak, TieBreakError, default_tiebreaks, parse_tiebreaks
from ..models import TournamentFormat
from .crosstable import KIND
from .service import ServiceError

CHOICES: tuple[tuple[str, str], ...] = tuple((t.value, t.label) for t in TieBreak)
# Everyone in a round robin meets the same field, so Buchholz says nothing there (C.07).
_NOT_FOR_ROUND_ROBIN = frozenset({TieBreak.BH, TieBreak.BH_C1, TieBreak.BH_C2, TieBreak.BH_M1})


def default_for(fmt: TournamentFormat) -> tuple[str, ...]:
    """FIDE's recommended list for the format."""
    return tuple(t.value for t in default_tiebreaks(KIND[fmt]))


def label(code: str) -> str:
    try:
        return TieBreak(code).label
    except ValueError:
        return code


def parse(text: str) -> tuple[str, ...]:
    """'bh-c1, BH  sb' → ('BH-C1', 'BH', 'SB')."""
    return tuple(part.upper() for part in text.replace(",", " ").split() if part)


def validated(codes: Iterable[str], fmt: TournamentFormat) -> tuple[str, ...]:
    """The list to store: the default when empty; a ServiceError naming an unknown, repeated or unfit code."""
    codes = tuple(codes)
    if not codes:
        return default_for(fmt)
    try:
        parsed = parse_tiebreaks(codes)
    except TieBreakError as error:
        raise ServiceError(f"Tie-breaks: {error}.", "tiebreaks") from None
    if fmt != TournamentFormat.SWISS:
        unfit = [t.value for t in parsed if t in _NOT_FOR_ROUND_ROBIN]
        if unfit:
            raise ServiceError(f"Buchholz ({', '.join(unfit)}) is not used in round robins: everyone meets the "
                               "same field.", "tiebreaks")
    return tuple(t.value for t in parsed)
