"""Plain one-line text: what names and places may hold, and how they are written into fixed formats."""
from __future__ import annotations

import unicodedata

# Zero-width (non-)joiners are format characters, but part of how Persian and Indic names are spelt.
_SPELLING_FORMAT_CHARACTERS = frozenset("\u200c\u200d")


def is_control(char: str) -> bool:
    """A control character (Unicode category C: NUL, tab, line breaks, bidi overrides...), joiners excepted."""
    return unicodedata.category(char).startswith("C") and char not in _SPELLING_FORMAT_CHARACTERS


def control_character(text: str) -> str | None:
    """The first control character in `text`, or None."""
    return next((c for c in text if is_control(c)), None)


def one_line(text: str) -> str:
    """`text` with each control character (a newline would start a new record or tag) as a space, trimmed."""
    return "".join(" " if is_control(c) else c for c in text).strip()
