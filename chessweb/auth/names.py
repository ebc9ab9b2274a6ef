"""Display names people can tell apart: one spelling, visible, and not a look-alike of another account's.

A name is shown on pairings, standings and the live pages, where "Magnus" in Cyrillic letters, "BiII" with
capital I's for "Bill", or a name of Hangul fillers (which render as nothing) would pass for, or hide, a player.
The look-alike test is the skeleton of Unicode Technical Standard #39, section 4 ("Confusable Detection"), on
the confusables table shipped by the confusable-homoglyphs package, closed transitively so that every member
of a class of look-alikes maps to the same prototype; names differing only in case are look-alikes too.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources

# Letters that render as blank space although Unicode calls them letters (Lo), and blank symbols.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Marks, format characters (zero-width joiners, bidi controls), controls, unassigned and private-use code points.
INVISIBLE_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cc", "Cn", "Co", "Cs", "Zl", "Zp"})
SPACES = re.compile(r"\s+")


def one_spelling(value: str | None) -> str:
    """NFKC (Unicode TR15: full-width and ligature forms become ordinary letters), trimmed, runs of white space
    as one space: the form a name is stored and shown in."""
    return SPACES.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


def invisible_characters(name: str) -> list[str]:
    """The characters of `name` that show nothing (e.g. ["U+3164"]), in order of appearance."""
    return [f"U+{ord(c):04X}" for c in name
            if c in BLANK_LETTERS or unicodedata.category(c) in INVISIBLE_CATEGORIES]


def visible_length(name: str) -> int:
    """How many letters or digits of `name` a reader sees."""
    return sum(1 for c in name if c.isalnum() and c not in BLANK_LETTERS)


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character -> the smallest code point of its class of look-alikes (single characters)."""
    table = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for char, homoglyphs in table.items():
        for glyph in homoglyphs:
            other = glyph["c"].strip("\u200e\u200f")  # the table wraps right-to-left letters in direction marks
            if len(char) == 1 and len(other) == 1:
                a, b = find(char), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {c: find(c) for c in parent}


def _skeleton(name: str) -> str:
    table = _prototypes()
    mapped = "".join(table.get(c, c) for c in unicodedata.normalize("NFKC", name))
    return "".join(c for c in unicodedata.normalize("NFKC", mapped.casefold()) if c.isalnum())


def skeletons(name: str) -> tuple[str, str]:
    """The look-alike keys of a name: two names sharing a key are names a reader cannot reliably tell apart.

    UTS #39 skeleton (prototype of each character), then case folding, of the name as typed and in capitals: "BiII" and "Bill" meet in the first ("I" and "l" look alike), "Dieg0" and
    "Diego" in the second ("O" and "0" do); each is compared with its own kind, or "Maria" would meet "Marla"
    ("I" like "l" across the two). Spaces, dots, apostrophes and dashes are dropped."""
    return _skeleton(name), _skeleton(name.upper())


def look_alike(name: str, others: list[str]) -> str | None:
    """The first of `others` that `name` could be mistaken for, if any."""
    as_typed, in_capitals = skeletons(name)
    return next((other for other in others
                 if (keys := skeletons(other))[0] == as_typed or keys[1] == in_capitals), None)
