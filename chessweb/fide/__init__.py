"""Pure chess-tournament logic: crosstables, Berger tables, Dutch pairings (via gacrux), tie-breaks, TRF, PGN.

Nothing in this package imports Flask or SQLAlchemy; the tournament services turn database rows into the
types of `chessweb.fide.crosstable` and call the functions of the sibling modules.
"""
