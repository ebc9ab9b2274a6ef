"""Relayed moves: an organizer posts a game's PGN; it is checked move by move before it is stored."""
from __future__ import annotations

from .. import events
from ..extensions import db
from ..fide.pgn import PgnError, decode_pgn, encoding_problem, parse_relayed_pgn
from ..fide.text import control_character
from ..models import EventType, Game, RoundStatus
from ..tournaments.service import ServiceError, changing


def relay_moves(tournament_id: int, game_id: int, pgn_text: str | bytes, actor_id: int) -> int:
    """Replace the game's moves with `pgn_text` when every move is legal; returns the number of half-moves.

    Bytes (an uploaded file) are read as UTF-8, else Windows-1252/Latin-1; a leading byte-order mark is dropped.
    Text that looks mis-decoded (U+FFFD, or UTF-8 read as Windows-1252) is refused rather than stored as
    mojibake. Every refusal is a ServiceError (400) saying "Nothing was changed" and why."""
    if isinstance(pgn_text, bytes):
        try:
            pgn_text = decode_pgn(pgn_text)
        except PgnError as error:
            raise ServiceError(f"Nothing was changed: {error}.", "pgn") from None
    pgn_text = pgn_text.lstrip("\ufeff")
    with changing(tournament_id) as tournament:
        game = db.session.get(Game, game_id)
        if game is None or game.round.tournament_id != tournament.id:
            raise ServiceError("This game is not in this tournament.", status=404)
        if game.round.status == RoundStatus.DRAFT:
            raise ServiceError("The round is not published yet.", status=409)
        if game.black_id is None:
            raise ServiceError("A bye has no moves.", status=409)
        bad = control_character(pgn_text.replace("\n", "").replace("\r", "").replace("\t", ""))
        if bad is not None:
            raise ServiceError(f"Nothing was changed: the PGN contains a control character (U+{ord(bad):04X}).",
                               "pgn")
        problem = encoding_problem(pgn_text)
        if problem is not None:
            raise ServiceError(f"Nothing was changed: the PGN is not readable text: {problem}.", "pgn")
        try:
            relayed = parse_relayed_pgn(pgn_text)
        except PgnError as error:
            raise ServiceError(f"Nothing was changed: {error}.", "pgn") from None
        if not relayed.san_moves and "FEN" not in relayed.headers:
            raise ServiceError("Nothing was changed: the PGN has no moves (and no FEN tag to start from).", "pgn")
        # The first moves start the game; later relays update it. Either way the event names the game,
        # so its fragment is pushed on game:<id>.
        event_type = EventType.GAME_UPDATED if game.pgn else EventType.GAME_STARTED
        game.pgn = pgn_text.strip()
        db.session.flush()
        events.record_change(tournament, event_type, entity_type="game", entity_id=game.id,
                             payload={"moves": len(relayed.san_moves),
                                      "last": relayed.san_moves[-1] if relayed.san_moves else None},
                             actor_id=actor_id)
        return len(relayed.san_moves)
