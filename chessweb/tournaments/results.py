"""Results: arbiters enter and correct them; players report their own game and the opponent confirms."""
from __future__ import annotations

from .. import events
from ..extensions import db
from ..models import (EventType, Game, GameResult, Round, RoundStatus, Tournament, TournamentStatus, User, utcnow)
from .service import ServiceError, audit, changing, check_shown, reason_text

ARBITER_CODES = frozenset({GameResult.WHITE_WIN, GameResult.BLACK_WIN, GameResult.DRAW,
                           GameResult.WHITE_WIN_FORFEIT, GameResult.BLACK_WIN_FORFEIT, GameResult.DOUBLE_FORFEIT})
PLAYER_CODES = frozenset({GameResult.WHITE_WIN, GameResult.BLACK_WIN, GameResult.DRAW})


def _code(value: str, allowed: frozenset[GameResult]) -> GameResult:
    try:
        code = GameResult(value)
    except ValueError:
        code = None
    if code not in allowed:
        choices = ", ".join(c.value for c in GameResult if c in allowed)
        raise ServiceError(f"Unknown result {value!r}; use one of {choices}.", "result")
    return code


def _game(tournament: Tournament, game_id: int) -> Game:
    """The game, if it belongs to this tournament and its round is published."""
    game = db.session.get(Game, game_id)
    if game is None or game.round.tournament_id != tournament.id:
        raise ServiceError("This game is not in this tournament.", status=404)
    if game.round.status == RoundStatus.DRAFT:
        raise ServiceError(f"Round {game.round.number} is not published yet.", status=409)
    if game.black_id is None:
        raise ServiceError("Byes are set by the pairing and have no result to enter.", status=409)
    return game


def mark_changed(tournament: Tournament, game: Game) -> None:
    """Stamp a change of the game's players, colours, report or result with the tournament's (locked, bumped)
    revision: forms that showed an older stamp are refused (`check_game_shown`)."""
    game.revision = tournament.revision


def describe(game: Game) -> str:
    """The game's result state in words, for a message that shows the current state (e.g. after a conflict)."""
    if game.result.is_final:
        by = f" (confirmed by {game.confirmed_by.display_name})" if game.confirmed_by is not None else ""
        return f"the result is now {game.result.label}{by}"
    if game.disputed and game.reported_result is not None:
        return f"the report {game.reported_result.label} is disputed; an arbiter decides"
    if game.reported_result is not None:
        who = game.reported_by.display_name if game.reported_by is not None else "a player"
        return f"{who} has reported {game.reported_result.label}"
    return "no result has been reported"


def check_game_shown(game: Game, shown_revision: int | None) -> None:
    """Conflict (409) when the game changed after the page that posts this form showed it."""
    check_shown(shown_revision, game.revision,
                f"Round {game.round.number} board {game.board} ({game.white.name} – "
                f"{game.black.name if game.black else 'bye'}) changed after you opened the page: {describe(game)}. "
                "Nothing was saved; check it and decide again.")


def _finalize(tournament: Tournament, game: Game, result: GameResult, actor_id: int | None) -> None:
    """Make `result` final, publish the change, and complete the round (and tournament) when it was the last."""
    mark_changed(tournament, game)
    game.result = result
    game.reported_result = None
    game.reported_by_id = None
    game.disputed = False
    game.confirmed_by_id = actor_id
    db.session.flush()
    payload = {"round": game.round.number, "board": game.board, "result": result.value}
    events.record_change(tournament, EventType.GAME_COMPLETED, entity_type="game", entity_id=game.id,
                         payload=payload, actor_id=actor_id, target_user_ids=player_user_ids(game))
    events.record_change(tournament, EventType.STANDINGS_UPDATED, entity_type="tournament", entity_id=tournament.id,
                         payload={"round": game.round.number}, actor_id=actor_id)
    complete_if_done(tournament, game.round, actor_id)


def player_user_ids(game: Game) -> list[int]:
    """The accounts of the game's players (those who have one), to notify them."""
    return [p.user_id for p in (game.white, game.black) if p is not None and p.user_id is not None]


def complete_if_done(tournament: Tournament, round_: Round, actor_id: int | None) -> None:
    """A published round whose every game is final becomes complete; after the last round, so does the tournament."""
    if round_.status != RoundStatus.PUBLISHED or not all(g.result.is_final for g in round_.games):
        return
    round_.status = RoundStatus.COMPLETED
    round_.completed_at = utcnow()
    events.record_change(tournament, EventType.ROUND_COMPLETED, entity_type="round", entity_id=round_.id,
                         payload={"round": round_.number}, actor_id=actor_id)
    complete_if_last_round(tournament, actor_id)


def complete_if_last_round(tournament: Tournament, actor_id: int | None) -> None:
    """A running tournament whose last planned round is complete is finished."""
    last = tournament.rounds[-1] if tournament.rounds else None
    if (tournament.status == TournamentStatus.ACTIVE and last is not None and last.status == RoundStatus.COMPLETED
            and last.number >= tournament.planned_rounds):
        tournament.status = TournamentStatus.COMPLETED
        events.record_change(tournament, EventType.TOURNAMENT_COMPLETED, entity_type="tournament",
                             entity_id=tournament.id, actor_id=actor_id)


def set_result(tournament_id: int, game_id: int, result: str, actor_id: int, reason: str = "", *,
               shown_revision: int | None = None) -> None:
    """An arbiter enters or corrects a result; a correction needs a reason. Every change is audited.

    `shown_revision` is the game's revision on the arbiter's page: a second arbiter's entry or a player's report
    made since is answered with a Conflict, never overwritten unseen."""
    with changing(tournament_id) as tournament:
        game = _game(tournament, game_id)
        new = _code(result, ARBITER_CODES)
        check_game_shown(game, shown_revision)
        reason = reason_text(reason)
        old = game.result
        if old.is_final and old != new and not reason:
            raise ServiceError(f"The result is already {old.label}; give a reason for the correction.", "reason")
        if old == new and not game.reported_result and not game.disputed:
            return  # nothing changes
        action = "result_corrected" if old.is_final else "result"
        audit(tournament, action, actor_id=actor_id, game_id=game.id, old=old.value, new=new.value, reason=reason)
        _finalize(tournament, game, new, actor_id)


def report_result(tournament_id: int, game_id: int, result: str, user_id: int, *,
                  shown_revision: int | None = None) -> None:
    """A player reports their own game: final once the opponent agrees; a contradiction is flagged.

    A report made meanwhile by the opponent (or an arbiter's result) is a Conflict when `shown_revision` is older."""
    with changing(tournament_id) as tournament:
        game = _game(tournament, game_id)
        code = _code(result, PLAYER_CODES)
        side = _side(game, user_id)
        if side is None:
            raise ServiceError("Only the two players of a game can report its result.", status=403)
        check_game_shown(game, shown_revision)
        if game.result.is_final:
            raise ServiceError(f"The result is already final ({game.result.label}); ask an arbiter to correct it.",
                               status=409)
        if game.disputed:
            raise ServiceError("The reports contradict each other; an arbiter will decide.", status=409)
        reporter = db.session.get(User, user_id)
        if game.reported_result is None or game.reported_by_id == user_id:
            audit(tournament, "result_reported", actor_id=user_id, game_id=game.id,
                  old=(game.reported_result or GameResult.PENDING).value, new=code.value)
            game.reported_result = code
            game.reported_by_id = user_id
            mark_changed(tournament, game)
            db.session.flush()
            events.record_change(tournament, EventType.GAME_RESULT_SUBMITTED, entity_type="game", entity_id=game.id,
                                 payload={"result": code.value, "by": reporter.display_name if reporter else ""},
                                 actor_id=user_id, target_user_ids=[u for u in player_user_ids(game) if u != user_id])
            return
        if code == game.reported_result:  # the opponent says the same: that is a confirmation
            audit(tournament, "result_confirmed", actor_id=user_id, game_id=game.id, old=game.result.value,
                  new=code.value)
            _finalize(tournament, game, code, user_id)
            return
        _dispute(tournament, game, user_id, code.value, "the opponent reported a different result")


def _dispute(tournament: Tournament, game: Game, user_id: int, counter: str, reason: str) -> None:
    audit(tournament, "result_disputed", actor_id=user_id, game_id=game.id, old=game.reported_result.value,
          new=counter, reason=reason)
    game.disputed = True
    mark_changed(tournament, game)
    db.session.flush()
    events.record_change(tournament, EventType.GAME_RESULT_SUBMITTED, entity_type="game", entity_id=game.id,
                         payload={"result": counter or game.reported_result.value, "disputed": True},
                         actor_id=user_id, target_user_ids=[tournament.organizer_id] + player_user_ids(game))


def _check_can_answer(game: Game, user_id: int, shown_revision: int | None, verb: str) -> None:
    """The opponent of the reporting player may confirm or dispute the report they were shown."""
    if _side(game, user_id) is None:
        raise ServiceError(f"Only the players of a game can {verb} its result.", status=403)
    check_game_shown(game, shown_revision)
    if game.result.is_final:
        raise ServiceError(f"The result is already final ({game.result.label}).", status=409)
    if game.reported_result is None:
        raise ServiceError(f"Nothing to {verb}: no result has been reported yet.", status=409)
    if game.reported_by_id == user_id:
        raise ServiceError(f"You reported this result; your opponent or an arbiter must {verb} it.", status=403)
    if game.disputed:
        raise ServiceError("The reports contradict each other; an arbiter will decide.", status=409)


def dispute_result(tournament_id: int, game_id: int, user_id: int, *, shown_revision: int | None = None) -> None:
    """The opponent of the reporting player disagrees with the report they were shown: an arbiter decides."""
    with changing(tournament_id) as tournament:
        game = _game(tournament, game_id)
        _check_can_answer(game, user_id, shown_revision, "dispute")
        _dispute(tournament, game, user_id, "", "the opponent disputes the report")


def confirm_result(tournament_id: int, game_id: int, user_id: int, *, shown_revision: int | None = None) -> None:
    """The opponent of the reporting player agrees with the report; the result becomes final.

    With `shown_revision`, only the report the player was shown is confirmed: a report changed since is a
    Conflict whose message shows the new one (case result-confirm-stale-report)."""
    with changing(tournament_id) as tournament:
        game = _game(tournament, game_id)
        _check_can_answer(game, user_id, shown_revision, "confirm")
        audit(tournament, "result_confirmed", actor_id=user_id, game_id=game.id, old=game.result.value,
              new=game.reported_result.value)
        _finalize(tournament, game, game.reported_result, user_id)


def _side(game: Game, user_id: int) -> str | None:
    """'white' or 'black' when `user_id` plays this game."""
    if game.white.user_id == user_id:
        return "white"
    if game.black is not None and game.black.user_id == user_id:
        return "black"
    return None
