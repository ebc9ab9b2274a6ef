"""The chess side of the live core: who may join which channel, what a channel shows right now, and
which fragments a committed change re-renders (each once, for every viewer and every process).

Channels (DESIGN.md): `tournaments:all`, `tournament:<id>` (header, players, watching),
`tournament:<id>:games` (scoreboard), `tournament:<id>:standings` (standings, crosstable),
`game:<id>` (live board), `user:<id>` (that user only), `system` (everyone), `admin` (admins only).
The last four (and `tournaments:all`) are authorized already but carry nothing yet: they are for the
dashboard, personal notifications and the admin notification center, which come next.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from flask import Flask, current_app, get_template_attribute, has_request_context
from markupsafe import escape
from sqlalchemy import select, update

from .extensions import db
from .models import EventType, Game, RealtimeEvent, Role, Round, RoundStatus, Tournament
from .notifications import channels as notice_channels
from .permissions import can_manage, can_view
from .realtime import Event, Fragment, Message, Recheck, UserInfo, realtime
from .tournaments import queries

CHANNEL = re.compile(
    r"^(?:(?P<everyone>tournaments:all|system|alerts)|(?P<admin>admin)|system:role:(?P<role>[A-Z]{1,16})"
    r"|tournament:(?P<tournament>\d{1,9})(?::(?P<part>games|standings|notices))?"
    r"|game:(?P<game>\d{1,9})|user:(?P<user>\d{1,9}))$")

FRAGMENTS = "tournaments/_fragments.html"


def init_app(app: Flask) -> None:
    """Bind the live core to the app with the chess rules below."""
    realtime.init_app(app, authorize=authorize, snapshot=snapshot, on_presence=publish_watching)


def tournament_changed(tournament_id: int) -> None:
    """After the current transaction commits, publish what its events changed (coalesced per tournament)."""
    realtime.after_commit(f"tournament:{tournament_id}", lambda: publish_pending_events(tournament_id))


# --------------------------------------------------------------------------- who may join

def authorize(user: UserInfo, channel: str) -> bool:
    """May this user receive this channel? Refused channels get an error, never data."""
    match = CHANNEL.match(channel)
    if match is None:
        return False
    if match["everyone"]:
        return True
    if match["admin"]:
        return user.role == Role.ADMIN.value
    if match["role"]:
        return notice_channels.may_join_role_channel(user, match["role"])
    if match["user"]:
        return user.id is not None and user.id == int(match["user"])
    if match["tournament"]:
        tournament = db.session.get(Tournament, int(match["tournament"]))
        return tournament is not None and can_view(user, tournament)
    game = db.session.get(Game, int(match["game"]))
    if game is None:
        return False
    tournament = game.round.tournament
    if game.round.status == RoundStatus.DRAFT:  # unpublished pairings are the organizer's alone
        return can_manage(user, tournament)
    return can_view(user, tournament)


# --------------------------------------------------------------------------- what a channel shows now

def snapshot(channel: str) -> list[Fragment]:
    """Every fragment of the channel as it is now, rendered for whoever connects (no viewer inside)."""
    match = CHANNEL.match(channel)
    if match is None:
        return []
    if match["user"] or channel == "alerts":
        return notice_channels.snapshot(channel)
    with _url_context():
        if match["tournament"] and match["part"] != "notices":
            tid = int(match["tournament"])
            try:
                if match["part"] == "games":
                    return [scoreboard_fragment(tid)]
                if match["part"] == "standings":
                    return standings_fragments(tid)
                return [header_fragment(tid), registrations_fragment(tid), watching_fragment(tid)]
            except queries.NotFound:
                return []
        if match["game"]:
            try:
                return [game_fragment(int(match["game"]))]
            except queries.NotFound:
                return []
    return []


# --------------------------------------------------------------------------- publishing a change

@dataclass
class Affected:
    """What a batch of events changed, so each fragment is rendered once however many events touched it."""
    header: bool = False
    registrations: bool = False
    scoreboard: bool = False  # the whole scoreboard: a round appeared
    rounds: set[int] = field(default_factory=set)
    standings: bool = False
    games: set[int] = field(default_factory=set)


# Which parts of the pages each event type changes (beyond the header, which is cheap and always sent).
_REGISTRATION = {EventType.PARTICIPANT_REGISTERED, EventType.PARTICIPANT_WITHDREW, EventType.TOURNAMENT_UPDATED,
                 EventType.TOURNAMENT_STARTED}
_STANDINGS = {EventType.GAME_COMPLETED, EventType.STANDINGS_UPDATED, EventType.ROUND_COMPLETED,
              EventType.ROUND_STARTED, EventType.PARTICIPANT_WITHDREW, EventType.TOURNAMENT_UPDATED,
              EventType.TOURNAMENT_COMPLETED, EventType.TOURNAMENT_STARTED}
_WHOLE_SCOREBOARD = {EventType.ROUND_STARTED, EventType.TOURNAMENT_STARTED, EventType.PARTICIPANT_WITHDREW,
                     EventType.TOURNAMENT_UPDATED}  # renamed or renumbered players show on every board
# Events after which someone may have lost the right to watch a private tournament.
_ACCESS = {EventType.TOURNAMENT_UPDATED, EventType.PARTICIPANT_WITHDREW}


def affected_by(events: list[RealtimeEvent], game_rounds: dict[int, int]) -> Affected:
    """Fold a batch of events into the set of fragments to re-render."""
    affected = Affected(header=True)
    for event in events:
        affected.registrations |= event.type in _REGISTRATION
        affected.standings |= event.type in _STANDINGS
        affected.scoreboard |= event.type in _WHOLE_SCOREBOARD
        if event.entity_type == "game" and event.entity_id is not None:
            affected.games.add(event.entity_id)
            if event.entity_id in game_rounds:
                affected.rounds.add(game_rounds[event.entity_id])
        if event.type == EventType.ROUND_COMPLETED and "round" in event.payload:
            affected.rounds.add(int(event.payload["round"]))
    return affected


def publish_pending_events(tournament_id: int) -> list[Message]:
    """The after-commit job: claim this tournament's unpublished events, render what they changed once.

    Claiming (processed=false → true in one UPDATE) means that with several processes each event is
    published by exactly one of them, and jobs that coalesced still publish every event.
    """
    claimed = db.session.scalars(
        update(RealtimeEvent)
        .where(RealtimeEvent.tournament_id == tournament_id, RealtimeEvent.processed.is_(False))
        .values(processed=True).returning(RealtimeEvent.id)).all()
    db.session.commit()
    if not claimed:
        return []
    events = db.session.scalars(select(RealtimeEvent).where(RealtimeEvent.id.in_(claimed))
                                .order_by(RealtimeEvent.id)).all()
    game_ids = {e.entity_id for e in events if e.entity_type == "game" and e.entity_id is not None}
    game_rounds = dict(db.session.execute(
        select(Game.id, Round.number).join(Round, Game.round_id == Round.id)
        .where(Game.id.in_(game_ids), Round.status != RoundStatus.DRAFT)).all()) if game_ids else {}
    affected = affected_by(list(events), game_rounds)
    last_event = events[-1].id
    messages: list[Message] = []
    if any(e.type in _ACCESS for e in events) and (private := _private_channels(tournament_id)):
        # Before anything else goes out: the subscribers who may no longer watch must not see it.
        messages.append(Recheck(channels=tuple(private)))
    with _url_context():
        messages += [_event_message(e) for e in events]
        messages += render_affected(tournament_id, affected, last_event)
    return messages


def _private_channels(tournament_id: int) -> list[str]:
    """Every channel of a tournament that is not public (none, when it is public)."""
    if db.session.scalar(select(Tournament.is_public).where(Tournament.id == tournament_id)):
        return []
    games = db.session.scalars(select(Game.id).join(Round, Game.round_id == Round.id)
                               .where(Round.tournament_id == tournament_id)).all()
    base = f"tournament:{tournament_id}"
    return [base, f"{base}:games", f"{base}:standings", f"{base}:notices", *(f"game:{g}" for g in games)]


def render_affected(tournament_id: int, affected: Affected, event_id: int | None) -> list[Fragment]:
    """Render each affected fragment once. A container goes before the parts inside it, so a client that
    applies them in order never shows an older part over a newer one."""
    out: list[Fragment] = []

    def add(render: Callable[[], Fragment | list[Fragment]]) -> None:
        try:
            result = render()
        except queries.NotFound:  # e.g. a round that is still a draft, or a game deleted with its draft
            return
        for fragment in (result if isinstance(result, list) else [result]):
            out.append(_with_event(fragment, event_id))

    if affected.header:
        add(lambda: header_fragment(tournament_id))
    if affected.registrations:
        add(lambda: registrations_fragment(tournament_id))
    if affected.scoreboard:
        add(lambda: scoreboard_fragment(tournament_id))
    for number in sorted(affected.rounds):
        add(lambda n=number: scoreboard_round_fragment(tournament_id, n))
    if affected.standings:
        add(lambda: standings_fragments(tournament_id))
    for game_id in sorted(affected.games):
        add(lambda g=game_id: game_fragment(g))
    return out


def _with_event(fragment: Fragment, event_id: int | None) -> Fragment:
    return Fragment(channel=fragment.channel, key=fragment.key, version=fragment.version, html=fragment.html,
                    data=fragment.data, event_id=event_id)


def _event_message(event: RealtimeEvent) -> Event:
    """The event itself, for programs (JSON clients); browsers get the re-rendered fragments instead."""
    data = {"type": event.type.value, "tournament": event.tournament_id, "entity": event.entity_type,
            "entity_id": event.entity_id, "payload": event.payload, "at": event.created_at.isoformat() + "Z"}
    return Event(channel=f"tournament:{event.tournament_id}", type=event.type.value, data=data, html=None,
                 event_id=event.id)


# --------------------------------------------------------------------------- the fragments

# Fragments hold no <pre> or <textarea>, so any run of whitespace means the same as one space; the
# indentation would otherwise be a fifth of every frame sent to every socket.
_WHITESPACE = re.compile(r"\s{2,}")


def _render(macro: str, context: dict[str, Any]) -> str:
    return _WHITESPACE.sub(" ", str(get_template_attribute(FRAGMENTS, macro)(**context)))


def header_fragment(tournament_id: int) -> Fragment:
    ctx = queries.header_context(tournament_id)
    t = ctx["tournament"]
    return Fragment(channel=f"tournament:{t.id}", key=f"tournament-header-{t.id}", version=t.revision,
                    html=_render("header", ctx),
                    data={"tournament": t.id, "name": t.name, "status": t.status.value,
                          "current_round": ctx["current_round"], "planned_rounds": t.planned_rounds,
                          "players": ctx["player_count"]})


def registrations_fragment(tournament_id: int) -> Fragment:
    ctx = queries.registrations_context(tournament_id)
    t = ctx["tournament"]
    return Fragment(channel=f"tournament:{t.id}", key=f"registrations-{t.id}", version=t.revision,
                    html=_render("registrations", ctx),
                    data={"tournament": t.id, "players": [_player(p) for p in ctx["players"]]})


def scoreboard_fragment(tournament_id: int) -> Fragment:
    ctx = queries.scoreboard_context(tournament_id)
    t = ctx["tournament"]
    return Fragment(channel=f"tournament:{t.id}:games", key=f"scoreboard-{t.id}", version=t.revision,
                    html=_render("scoreboard", ctx),
                    data={"tournament": t.id, "rounds": [_round(r) for r in ctx["rounds"]]})


def scoreboard_round_fragment(tournament_id: int, round_number: int) -> Fragment:
    ctx = queries.scoreboard_round_context(tournament_id, round_number)
    t = ctx["tournament"]
    return Fragment(channel=f"tournament:{t.id}:games", key=f"scoreboard-{t.id}-round-{round_number}",
                    version=t.revision, html=_render("scoreboard_round", ctx),
                    data={"tournament": t.id, "round": _round(ctx["round"])})


def standings_fragments(tournament_id: int) -> list[Fragment]:
    ctx = queries.standings_context(tournament_id)
    t = ctx["tournament"]
    channel = f"tournament:{t.id}:standings"
    codes = [code for code, _label in ctx["tiebreaks"]]
    rows = [{"rank": r.rank, "shared": r.shared, "player": _player(r.player), "points": _number(r.points),
             "tiebreaks": dict(zip(codes, r.tiebreaks)), "change": r.change,
             "live_points": _number(r.live_points) if r.live_points is not None else None} for r in ctx["rows"]]
    out = [Fragment(channel=channel, key=f"standings-{t.id}", version=t.revision, html=_render("standings", ctx),
                    data={"tournament": t.id, "through_round": ctx["through_round"], "tiebreaks": codes,
                          "rows": rows})]
    if t.is_round_robin:
        cross = queries.crosstable_context(tournament_id)
        out.append(Fragment(channel=channel, key=f"crosstable-{t.id}", version=t.revision,
                            html=_render("crosstable", cross),
                            data={"tournament": t.id, "columns": cross["columns"],
                                  "rows": [{"player": _player(r.player), "cells": list(r.cells),
                                            "points": _number(r.points)} for r in cross["rows"]]}))
    return out


def game_fragment(game_id: int) -> Fragment:
    # The revision first: the content read after it is at least as new, never older than its version says.
    revision = db.session.scalar(select(Tournament.revision).join(Round, Round.tournament_id == Tournament.id)
                                 .join(Game, Game.round_id == Round.id).where(Game.id == game_id))
    ctx = queries.game_context(game_id)
    g = ctx["game"]
    return Fragment(channel=f"game:{g.id}", key=f"game-{g.id}", version=revision or 0, html=_render("game", ctx),
                    data={"game": g.id, "tournament": g.tournament_id, "round": g.round, "board": g.board,
                          "white": _player(g.white), "black": _player(g.black) if g.black else None,
                          "result": g.result.value, "moves": [m for pair in g.moves for m in pair if m]})


def watching_fragment(tournament_id: int, count: int | None = None) -> Fragment:
    """"N watching": a count summed over every process; versioned by time, as it has no revision."""
    channel = f"tournament:{tournament_id}"
    count = realtime.watching(channel) if count is None else count
    label = "1 watching" if count == 1 else f"{count} watching"
    html = (f'<span id="watching-{tournament_id}" hx-swap-oob="true" class="watching" '
            f'title="People with this tournament open right now">{escape(label)}</span>')
    return Fragment(channel=channel, key=f"watching-{tournament_id}", version=time.time_ns() // 1000,
                    html=html, data={"tournament": tournament_id, "watching": count})


def publish_watching(channel: str, count: int) -> None:
    """Presence callback: a tournament's watcher count changed somewhere; push the new number."""
    match = CHANNEL.match(channel)
    if match and match["tournament"] and not match["part"]:
        realtime.publish(watching_fragment(int(match["tournament"]), count))


def _player(p: Any) -> dict[str, Any]:
    return {"number": p.number, "name": p.name, "title": p.title or None, "rating": p.rating,
            "federation": p.federation or None, "withdrawn": p.withdrawn}


def _round(r: Any) -> dict[str, Any]:
    return {"number": r.number, "status": r.status.value,
            "games": [{"id": g.id, "board": g.board, "white": _player(g.white),
                       "black": _player(g.black) if g.black else None, "result": g.result.value,
                       "reported": g.reported.value if g.reported else None} for g in r.games]}


def _number(value: Fraction | int) -> float:
    return float(value)


class _url_context:
    """url_for needs a request; the background worker has none, so lend it one for the site root."""

    def __enter__(self) -> None:
        self._ctx = None if has_request_context() else current_app.test_request_context("/")
        if self._ctx is not None:
            self._ctx.push()

    def __exit__(self, *exc: object) -> None:
        if self._ctx is not None:
            self._ctx.pop()
