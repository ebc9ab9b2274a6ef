"""Personal notifications from the changes the tournament services record.

The services already write a RealtimeEvent row for every change (chessweb.events.record_change). A session
hook collects the rows flushed in a transaction and, just before it commits, turns them into notifications
for the players concerned, in the same transaction: a change and its notifications commit or roll back
together, and no service has to know about notifications.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import url_for
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (AuditEntry, EventType, Game, GameResult, RealtimeEvent, Registration, RegistrationStatus,
                      Round, Tournament)
from . import preferences, service
from .kinds import group_of
from .urls import url_context

log = logging.getLogger(__name__)
_COLLECTED = "chessweb.notifications.events"  # Session.info key: ids of RealtimeEvent rows flushed
Notify = Callable[..., None]  # takes service.notify_user's arguments


def install(session_target: Any) -> None:
    """Listen on the scoped session (once) for flushed events, commits and rollbacks."""
    if event.contains(session_target, "after_flush", _after_flush):
        return
    event.listen(session_target, "after_flush", _after_flush)
    event.listen(session_target, "before_commit", _before_commit)
    event.listen(session_target, "after_rollback", _forget)


def _after_flush(session: Session, _context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, RealtimeEvent)]
    if new:
        session.info.setdefault(_COLLECTED, []).extend(obj.id for obj in new)


def _forget(session: Session) -> None:
    session.info.pop(_COLLECTED, None)


def _before_commit(session: Session) -> None:
    if _COLLECTED not in session.info:
        session.flush()  # events added since the last flush are collected now
    ids = session.info.pop(_COLLECTED, None)
    if not ids:
        return
    # Work out every notice first (reads only), then write them all: a fault while composing must never
    # cost the tournament change itself, nor leave half of the notices. (No savepoint: a SAVEPOINT inside
    # before_commit made SQLAlchemy report the commit before it reached the database.)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    try:
        for realtime_event in session.scalars(select(RealtimeEvent).where(RealtimeEvent.id.in_(ids))
                                              .order_by(RealtimeEvent.id)):
            calls += notices_for(realtime_event)
    except Exception:
        log.exception("notifications: composing notifications for events %s failed", ids)
        calls = []
    session.info.pop(_COLLECTED, None)
    for args, kwargs in calls:
        service.notify_user(*args, **kwargs)
    session.info.pop(_COLLECTED, None)


def notices_for(ev: RealtimeEvent) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The personal notifications one recorded change calls for (none for most changes), as
    service.notify_user arguments."""
    handler = _HANDLERS.get(ev.type)
    if handler is None or ev.tournament_id is None:
        return []
    tournament = db.session.get(Tournament, ev.tournament_id)
    if tournament is None:
        return []
    out: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    with url_context():
        # Each notice names the event it comes from: the `notifications` consumer delivers it with that event.
        handler(ev, tournament, lambda *args, **kwargs: out.append((args, {**kwargs, "source_event_id": ev.id})))
    return out


# --------------------------------------------------------------------------- one handler per event type

def _round_started(ev: RealtimeEvent, tournament: Tournament, notify: Notify) -> None:
    """Publishing a round starts it, so every player in it hears "round N started" once: a paired player with
    board, colour and opponent (the pairing notice and the start are one notice, not two), a player with a bye
    with the bye. A player who turned the detail's group (pairing updates) off but keeps tournament updates on
    still hears that the round started, without the pairing."""
    round_ = db.session.get(Round, ev.entity_id) if ev.entity_id else None
    if round_ is None:
        return
    started = f"{tournament.name}: round {round_.number} started"
    for game in round_.games:
        sides = [("White", game.white, game.black), ("Black", game.black, game.white)] if game.black else \
            [("", game.white, None)]
        for colour, me, opponent in sides:
            if me is None or me.user_id is None:
                continue
            link = url_for("games.detail", game_id=game.id)
            plain = ("round_started", started, f"Round {round_.number} has started; your game is ready.",
                     {"game": game.id, "round": round_.number})
            if opponent is None:
                requested = game.result in (GameResult.BYE_HALF, GameResult.BYE_ZERO, GameResult.BYE_FULL)
                detail = ("bye_granted" if requested else "round_started", f"{started}, {game.result.label}",
                          f"Round {round_.number} has started. "
                          + ("Your requested bye was granted" if requested else "You have a bye this round")
                          + f" ({game.result.label}).",
                          {"game": game.id, "round": round_.number, "bye": game.result.value})
            else:
                rating = f" ({opponent.rating})" if opponent.rating else ""
                detail = ("paired", f"{started}, board {game.board}, {colour}",
                          f"Round {round_.number} has started. You play {colour} against {opponent.name}{rating} "
                          f"on board {game.board}.",
                          {"game": game.id, "round": round_.number, "board": game.board, "colour": colour.lower(),
                           "opponent": {"name": opponent.name, "rating": opponent.rating}})
            prefs = preferences.load(me.user_id)
            kind, title, message, data = detail if prefs.wants(group_of(detail[0])) else plain
            notify(me.user_id, kind, title, message, link=link, tournament_id=tournament.id, data=data)


def _result_submitted(ev: RealtimeEvent, tournament: Tournament, notify: Notify) -> None:
    game = db.session.get(Game, ev.entity_id) if ev.entity_id else None
    if game is None:
        return
    where = f"{tournament.name}, round {game.round.number}, board {game.board}"
    link = url_for("games.detail", game_id=game.id)
    label = _label(ev.payload.get("result"))
    for user_id in dict.fromkeys(ev.target_user_ids or []):
        if ev.payload.get("disputed"):
            notify(user_id, "result_disputed", f"Result disputed: {where}",
                                f"The players reported different results ({label} last); an arbiter will decide.",
                                link=link, tournament_id=tournament.id, data={"game": game.id})
        else:
            by = ev.payload.get("by") or "Your opponent"
            notify(user_id, "result_reported", f"{by} reported {label}: {where}",
                                "Confirm it if it is right, or report the result you have.", link=link,
                                tournament_id=tournament.id,
                                data={"game": game.id, "result": ev.payload.get("result"), "confirm": True,
                                      # the report this notice shows: answering it is refused once it changed
                                      "version": game.revision})


def _game_completed(ev: RealtimeEvent, tournament: Tournament, notify: Notify) -> None:
    game = db.session.get(Game, ev.entity_id) if ev.entity_id else None
    if game is None:
        return
    last = db.session.scalar(select(AuditEntry.action).where(AuditEntry.game_id == game.id)
                             .order_by(AuditEntry.id.desc()).limit(1))
    kind, verb = ("result_corrected", "corrected to") if last == "result_corrected" else ("result_confirmed",
                                                                                          "confirmed:")
    where = f"{tournament.name}, round {game.round.number}, board {game.board}"
    for user_id in dict.fromkeys(ev.target_user_ids or []):
        if user_id == ev.created_by_id:
            continue  # the player who confirmed knows
        notify(user_id, kind, f"Result {verb} {game.result.label}", where,
                            link=url_for("games.detail", game_id=game.id), tournament_id=tournament.id,
                            data={"game": game.id, "result": game.result.value})


def _registration(ev: RealtimeEvent, tournament: Tournament, notify: Notify) -> None:
    accepted = ev.type == EventType.PARTICIPANT_REGISTERED
    for user_id in dict.fromkeys(ev.target_user_ids or []):
        notify(
            user_id, "registration_accepted" if accepted else "registration_withdrawn",
            f"{'Registered for' if accepted else 'Withdrawn from'} {tournament.name}",
            "You are on the players' list." if accepted else "You are no longer paired in this tournament.",
            link=url_for("tournaments.detail", tournament_id=tournament.id), tournament_id=tournament.id)


def _tournament_started(ev: RealtimeEvent, tournament: Tournament, notify: Notify) -> None:
    for user_id in _players(tournament.id):
        notify(user_id, "tournament_started", f"{tournament.name} has started",
                            "Round 1 is published.", link=url_for("tournaments.detail", tournament_id=tournament.id),
                            tournament_id=tournament.id)


def _tournament_completed(ev: RealtimeEvent, tournament: Tournament, notify: Notify) -> None:
    from ..tournaments import queries  # the standings read model; imported late, it renders nothing here
    ranks = {row.player.user_id: row.rank for row in queries.standings_context(tournament.id)["rows"]
             if row.player.user_id is not None}
    for user_id in _players(tournament.id):
        rank = ranks.get(user_id)
        notify(user_id, "tournament_completed", f"{tournament.name} is over",
                            f"You finished {_ordinal(rank)}." if rank else "The final standings are out.",
                            link=url_for("tournaments.standings", tournament_id=tournament.id),
                            tournament_id=tournament.id, data={"rank": rank})


_HANDLERS = {
    EventType.ROUND_STARTED: _round_started,
    EventType.GAME_RESULT_SUBMITTED: _result_submitted,
    EventType.GAME_COMPLETED: _game_completed,
    EventType.PARTICIPANT_REGISTERED: _registration,
    EventType.PARTICIPANT_WITHDREW: _registration,
    EventType.TOURNAMENT_STARTED: _tournament_started,
    EventType.TOURNAMENT_COMPLETED: _tournament_completed,
}


def _players(tournament_id: int) -> list[int]:
    return list(db.session.scalars(select(Registration.user_id).where(
        Registration.tournament_id == tournament_id, Registration.user_id.is_not(None),
        Registration.status == RegistrationStatus.ACTIVE)))


def _label(code: str | None) -> str:
    try:
        return GameResult(code).label if code else "a result"
    except ValueError:
        return str(code)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
