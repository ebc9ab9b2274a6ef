"""The tournament area of the live layer: who may join `tournament:<id>` (and its parts) and `game:<id>`,
what they show right now, and which fragments a batch of committed tournament events re-renders (each once,
for every viewer and every process).

Channels (names in chessweb/live/channels.py): `tournament:<id>` (header, players, watching),
`tournament:<id>:games` (scoreboard), `tournament:<id>:standings` (standings, provisional standings),
`tournament:<id>:crosstable` (the crosstable page), `tournament:<id>:player:<n>` (a player's page),
`game:<id>` (live board). The tournament list's channel, `tournaments:all`, is the overview area's
(overview.py).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from markupsafe import escape
from sqlalchemy import func, select

from ..extensions import db
from ..live import channels
from ..live.channels import KIND_GAME, KIND_TOURNAMENT, Channel
from ..live.consumers import CommittedEvent
from ..live.fragments import fragment as make_fragment
from ..live.reads import one_snapshot
from ..live.router import Area
from ..models import EventType, Game, Registration, Round, RoundStatus, Tournament
from ..permissions import can_manage, can_view
from ..realtime import Event, Fragment, Message, Recheck, UserInfo, realtime
from . import arbiter, queries, render_cache

FRAGMENTS = "tournaments/_fragments.html"


class TournamentArea(Area):
    """Owns `tournament:<id>[:part]` and `game:<id>`."""
    kinds = (KIND_TOURNAMENT, KIND_GAME)

    def authorize(self, user: UserInfo, channel: Channel) -> bool:
        return authorize(user, channel)

    def snapshot(self, channel: Channel) -> list[Fragment]:
        return snapshot(channel)

    def current_version(self, channel: Channel) -> int | None:
        return current_version(channel)

    def messages(self, events: Sequence[CommittedEvent]) -> Iterator[Message]:
        for tournament_id, batch in _by_tournament(events).items():
            yield from self.publish(tournament_id, batch)

    def publish(self, tournament_id: int, events: Sequence[CommittedEvent]) -> Iterable[Message]:
        """The messages of one tournament's batch: `publish_events`, here (render_process.py renders big
        events in another process), with the player pages that someone watches."""
        return publish_events(tournament_id, events, watched=realtime.watched)

    def presence(self, channel: Channel, watching: int) -> list[Message]:
        if channel.kind == KIND_TOURNAMENT and channel.part is None and channel.id is not None:
            return [watching_fragment(channel.id, watching)]
        if channel.part == "player" and watching and channel.id is not None and channel.number is not None:
            # A batch renders the player pages someone watches; another process's watcher is known up to a
            # debounce late, so a batch may have skipped this page just after it rendered its snapshot. Its
            # count is reported after that batch: send the page as it is now (not newer: the outbox drops it).
            try:
                return [player_fragment(channel.id, channel.number)]
            except queries.NotFound:
                return []
        return []


def _by_tournament(events: Sequence[CommittedEvent]) -> dict[int, list[CommittedEvent]]:
    grouped: dict[int, list[CommittedEvent]] = {}
    for event in events:
        channel = channels.parse(event.scope)
        if channel is not None and channel.kind == KIND_TOURNAMENT and channel.id is not None:
            grouped.setdefault(channel.id, []).append(event)
    return grouped


# --------------------------------------------------------------------------- who may join

def _tournament(tournament_id: int) -> Tournament | None:
    """`Session.get` of the tournament, whose row then stays in the session's identity map while it lasts.

    The identity map holds a row only while something references it, and `authorize` keeps none: the session's
    `info` does, so the channels of a page's connect sequence (`Core.one_session`) share one read of their
    tournament. A commit or rollback expires the row as usual, and `get` then reads it again (None if gone)."""
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is not None:
        db.session.info.setdefault("live_tournaments", {})[tournament_id] = tournament
    return tournament


def authorize(user: UserInfo, channel: Channel) -> bool:
    """May this user receive this tournament or game channel? Refused channels get an error, never data."""
    if channel.kind == KIND_TOURNAMENT:
        tournament = _tournament(channel.id)
        if channel.part == "arbiter":
            return tournament is not None and can_manage(user, tournament)
        return tournament is not None and can_view(user, tournament)
    game = db.session.get(Game, channel.id)
    if game is None:
        return False
    tournament = game.round.tournament
    if game.round.status == RoundStatus.DRAFT:  # unpublished pairings are the organizer's alone
        return can_manage(user, tournament)
    return can_view(user, tournament)


# --------------------------------------------------------------------------- what a channel shows now

def snapshot(channel: Channel) -> list[Fragment]:
    """Every fragment of the channel as it is now, rendered for whoever connects (no viewer inside), all read
    in one snapshot of the database (so each version names exactly the state its fragment shows)."""
    assert channel.id is not None
    with one_snapshot():
        return _snapshot(channel)


def _snapshot(channel: Channel) -> list[Fragment]:
    assert channel.id is not None
    try:
        if channel.kind == KIND_GAME:
            return [game_fragment(channel.id)]
        if channel.part == "games":
            return [scoreboard_fragment(channel.id)]
        if channel.part in ("standings", "crosstable"):
            name = channels.tournament(channel.id, channel.part)
            return [f for f in standings_fragments(channel.id) if f.channel == name]
        if channel.part == "player":
            assert channel.number is not None
            return [player_fragment(channel.id, channel.number)]
        if channel.part == "arbiter":
            return arbiter.arbiter_fragments(channel.id)
        return [header_fragment(channel.id), registrations_fragment(channel.id), watching_fragment(channel.id)]
    except queries.NotFound:
        return []


def current_version(channel: Channel) -> int | None:
    """The revision of the channel's tournament now (one primary-key read), or None when there is none.

    The live core compares it with its cached snapshot on every connect: behind means re-render. In a connect
    sequence (`Core.one_session`) a tournament channel takes the row that `authorize` read moments before, so
    each tournament is read once per connect however many of its channels the page has."""
    assert channel.id is not None
    if channel.kind == KIND_TOURNAMENT:
        tournament = _tournament(channel.id)
        return None if tournament is None else tournament.revision
    return db.session.scalar(select(Tournament.revision).join(Round, Round.tournament_id == Tournament.id)
                             .join(Game, Game.round_id == Round.id).where(Game.id == channel.id))


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


def affected_by(events: Sequence[CommittedEvent], game_rounds: dict[int, int]) -> Affected:
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


Watched = Callable[[list[str]], set[str]]  # of these channel names, the ones a connection watches


def publish_events(tournament_id: int, events: Sequence[CommittedEvent], *,
                   watched: Watched | None = None) -> Iterator[Message]:
    """The messages a batch of one tournament's committed events produces: a privacy re-check first when
    access may have changed, then the events themselves (for JSON clients), then each affected fragment once,
    each yielded as soon as it is rendered. Everything is read in one snapshot of the database: a result committed
    meanwhile is in a fragment's version if and only if it is in its content, and its own job renders it next.

    `watched` (`realtime.watched`): only the player pages it names are rendered (a result moves every player's
    page, and they were half of a 300-player batch's CPU); None renders all (the render process, which cannot
    see the sockets).
    """
    if not events:
        return
    with one_snapshot():
        yield from _publish_events(tournament_id, events, watched)


def _publish_events(tournament_id: int, events: Sequence[CommittedEvent],
                    watched: Watched | None = None) -> Iterator[Message]:
    game_ids = {e.entity_id for e in events if e.entity_type == "game" and e.entity_id is not None}
    game_rounds = dict(db.session.execute(
        select(Game.id, Round.number).join(Round, Game.round_id == Round.id)
        .where(Game.id.in_(game_ids), Round.status != RoundStatus.DRAFT)).all()) if game_ids else {}
    affected = affected_by(events, game_rounds)
    if affected.rounds and not affected.scoreboard:
        # A result changes the points shown beside the names in every later round's pairings.
        last = db.session.scalar(select(func.max(Round.number)).where(Round.tournament_id == tournament_id,
                                                                      Round.status != RoundStatus.DRAFT)) or 0
        affected.rounds |= set(range(min(affected.rounds) + 1, last + 1))
    last_event = events[-1].id
    if any(e.type in _ACCESS for e in events) and (private := _private_channels(tournament_id)):
        # Before anything else goes out: the subscribers who may no longer watch must not see it.
        yield Recheck(channels=tuple(private))
    for event in events:
        yield _event_message(tournament_id, event)
    yield from render_affected(tournament_id, affected, last_event, watched)
    for fragment in _arbiter_and_players(tournament_id, events, game_ids):
        yield _with_event(fragment, last_event)


# Events after which every player's "Your game" box may change (a new round, renumbered or withdrawn players).
_EVERY_PLAYER = {EventType.ROUND_STARTED, EventType.TOURNAMENT_STARTED, EventType.PARTICIPANT_WITHDREW,
                 EventType.TOURNAMENT_UPDATED, EventType.PAIRING_GENERATED}


def _arbiter_and_players(tournament_id: int, events: Sequence[CommittedEvent], game_ids: set[int]) -> list[Fragment]:
    """The organizers' fragments (rounds panel, result entry of the rounds touched and of the last round) and
    the "Your game" box of each player the events concern, each rendered once."""
    try:
        round_ids = {e.entity_id for e in events if e.entity_type == "round" and e.entity_id is not None}
        touched = set(db.session.scalars(select(Round.number).where(
            Round.tournament_id == tournament_id,
            Round.id.in_(round_ids) | Round.id.in_(select(Game.round_id).where(Game.id.in_(game_ids)))
            | (Round.number == select(func.max(Round.number)).where(Round.tournament_id == tournament_id)
               .scalar_subquery()))).all())
        out = arbiter.arbiter_fragments(tournament_id, touched)
        users = (arbiter.player_user_ids(tournament_id) if any(e.type in _EVERY_PLAYER for e in events)
                 else arbiter.player_user_ids(tournament_id, game_ids))
        return out + arbiter.my_game_fragments(tournament_id, users)
    except queries.NotFound:
        return []


def _private_channels(tournament_id: int) -> list[str]:
    """Every channel of a tournament that is not public (none, when it is public)."""
    if db.session.scalar(select(Tournament.is_public).where(Tournament.id == tournament_id)):
        return []
    games = db.session.scalars(select(Game.id).join(Round, Game.round_id == Round.id)
                               .where(Round.tournament_id == tournament_id)).all()
    numbers = db.session.scalars(select(Registration.pairing_number).where(
        Registration.tournament_id == tournament_id, Registration.pairing_number.is_not(None))).all()
    return channels.tournament_channels(tournament_id, list(games), list(numbers))


def render_affected(tournament_id: int, affected: Affected, event_id: int | None,
                    watched: Watched | None = None) -> Iterator[Fragment]:
    """Render each affected fragment once, yielding each as soon as it is rendered. A container goes before
    the parts inside it, so a client that applies them in order never shows an older part over a newer one;
    otherwise the most watched go first (standings and scoreboard before the many player pages)."""
    renders: list[Callable[[], Fragment | list[Fragment]]] = []
    if affected.header:
        renders.append(lambda: header_fragment(tournament_id))
    if affected.registrations:
        renders.append(lambda: registrations_fragment(tournament_id))
    if affected.scoreboard:
        renders.append(lambda: scoreboard_fragment(tournament_id))
    for number in sorted(affected.rounds):
        renders.append(lambda n=number: scoreboard_round_fragment(tournament_id, n))
    if affected.standings:
        renders.append(lambda: standings_fragments(tournament_id))
    for game_id in sorted(affected.games):
        renders.append(lambda g=game_id: game_fragment(g))
    if affected.standings:
        # The watched ones (all without `watched`): one shared computation, one small render per player.
        renders.append(lambda: player_fragments(tournament_id, watched))
    for render in renders:
        try:
            result = render()
        except queries.NotFound:  # e.g. a round that is still a draft, or a game deleted with its draft
            continue
        for fragment in (result if isinstance(result, list) else [result]):
            yield _with_event(fragment, event_id)


def _with_event(fragment: Fragment, event_id: int | None) -> Fragment:
    return Fragment(channel=fragment.channel, key=fragment.key, version=fragment.version, html=fragment.html,
                    data=fragment.data, event_id=event_id)


def _event_message(tournament_id: int, event: CommittedEvent) -> Event:
    """The event itself, for programs (JSON clients); browsers get the re-rendered fragments instead."""
    data = {"type": event.type, "tournament": tournament_id, "entity": event.entity_type,
            "entity_id": event.entity_id, "payload": event.payload, "at": event.created_at.isoformat() + "Z"}
    return Event(channel=event.scope, type=event.type, data=data, html=None, event_id=event.id)


# --------------------------------------------------------------------------- the fragments

def _fragment(channel: str, key: str, version: int, macro: str, context: dict[str, Any],
              data: dict[str, Any]) -> Fragment:
    return make_fragment(channel, key, version, FRAGMENTS, macro, context, data)


def _shared(fragment: Fragment, tournament_id: int, name: str) -> Fragment:
    """Keep a whole-page fragment in the render cache, so the page views at its revision reuse this render."""
    render_cache.cache().put((tournament_id, fragment.version, name), fragment.html)
    return fragment


def header_fragment(tournament_id: int) -> Fragment:
    ctx = queries.header_context(tournament_id)
    t = ctx["tournament"]
    return _shared(_fragment(channels.tournament(t.id), f"tournament-header-{t.id}", t.revision, "header", ctx,
                             {"tournament": t.id, "name": t.name, "status": t.status.value,
                              "current_round": ctx["current_round"], "planned_rounds": t.planned_rounds,
                              "players": ctx["player_count"]}), t.id, "header")


def registrations_fragment(tournament_id: int) -> Fragment:
    ctx = queries.registrations_context(tournament_id)
    t = ctx["tournament"]
    return _fragment(channels.tournament(t.id), f"registrations-{t.id}", t.revision, "registrations", ctx,
                     {"tournament": t.id, "players": [_player(p) for p in ctx["players"]]})


def scoreboard_fragment(tournament_id: int) -> Fragment:
    ctx = queries.scoreboard_context(tournament_id)
    t = ctx["tournament"]
    return _shared(_fragment(channels.tournament(t.id, "games"), f"scoreboard-{t.id}", t.revision, "scoreboard",
                             ctx, {"tournament": t.id, "rounds": [_round(r) for r in ctx["rounds"]]}),
                   t.id, "scoreboard")


def scoreboard_round_fragment(tournament_id: int, round_number: int) -> Fragment:
    ctx = queries.scoreboard_round_context(tournament_id, round_number)
    t = ctx["tournament"]
    return _fragment(channels.tournament(t.id, "games"), f"scoreboard-{t.id}-round-{round_number}", t.revision,
                     "scoreboard_round", ctx, {"tournament": t.id, "round": _round(ctx["round"])})


def standings_fragments(tournament_id: int) -> list[Fragment]:
    """Official and provisional standings on `tournament:<id>:standings`, and the crosstable on
    `tournament:<id>:crosstable` (one load and one computation for all). Two pages, two channels: a
    standings viewer of a 300-player Swiss is not sent the crosstable it does not show (4 of its 10 KB per
    result, compressed)."""
    loaded = queries.load_tournament(tournament_id)
    ctx = queries.standings_context(tournament_id, loaded=loaded)
    t = ctx["tournament"]
    channel = channels.tournament(t.id, "standings")
    crosstable_channel = channels.tournament(t.id, "crosstable")
    codes = [code for code, _label in ctx["tiebreaks"]]
    rows = [{"rank": r.rank, "shared": r.shared, "player": _player(r.player), "points": _number(r.points),
             "tiebreaks": dict(zip(codes, r.tiebreaks)), "change": r.change,
             "live_points": _number(r.live_points) if r.live_points is not None else None} for r in ctx["rows"]]
    out = [_shared(_fragment(channel, f"standings-{t.id}", t.revision, "standings", ctx,
                             {"tournament": t.id, "through_round": ctx["through_round"], "tiebreaks": codes,
                              "rows": rows}), t.id, "standings")]
    provisional = queries.provisional_standings_context(tournament_id, loaded=loaded)
    out.append(_shared(_fragment(
        channel, f"provisional-standings-{t.id}", t.revision, "provisional_standings", provisional,
        {"tournament": t.id, "round": provisional["round"],
         "rows": [{"rank": r.rank, "shared": r.shared, "player": _player(r.player), "points": _number(r.points),
                   "tiebreaks": dict(zip(codes, r.tiebreaks)), "change": r.change} for r in provisional["rows"]]}),
        t.id, "provisional_standings"))
    if not t.is_round_robin:
        swiss = queries.swiss_crosstable_context(tournament_id, loaded=loaded)
        out.append(_shared(_fragment(crosstable_channel, f"swiss-crosstable-{t.id}", t.revision, "swiss_crosstable",
                                     swiss,
                                     {"tournament": t.id, "rounds": swiss["rounds"],
                                      "rows": [{"rank": r.rank, "player": _player(r.player),
                                                "points": _number(r.points), "cells": [list(c) for c in r.cells]}
                                               for r in swiss["rows"]]}), t.id, "swiss_crosstable"))
    if t.is_round_robin:
        cross = queries.crosstable_context(tournament_id, loaded=loaded)
        out.append(_shared(_fragment(crosstable_channel, f"crosstable-{t.id}", cross["tournament"].revision,
                                     "crosstable",
                                     cross, {"tournament": t.id, "columns": cross["columns"],
                                             "rows": [{"player": _player(r.player), "cells": list(r.cells),
                                                       "points": _number(r.points)} for r in cross["rows"]]}),
                           t.id, "crosstable"))
    return out


def player_fragments(tournament_id: int, watched: Watched | None = None) -> list[Fragment]:
    """Every player page's fragment (`player-<id>-<n>`), each on its own `tournament:<id>:player:<n>`: a result
    moves scores, ranks and opponents' tie-break parts of many players at once, so every page is re-rendered
    (one shared computation), and each goes only to the sockets showing that page. With `watched`, only the
    pages it names (a page nobody shows is rendered when someone opens it)."""
    loaded = queries.load_tournament(tournament_id)
    numbers = sorted(r.pairing_number for r in loaded.registrations if r.pairing_number is not None)
    if watched is not None:
        names = {channels.player(tournament_id, n): n for n in numbers}
        numbers = sorted(names[name] for name in watched(list(names)))
        if not numbers:
            return []
    return [_player_fragment(loaded, ctx)
            for ctx in queries.player_contexts(tournament_id, loaded=loaded, numbers=set(numbers))]


def player_fragment(tournament_id: int, number: int) -> Fragment:
    """One player page's fragment (what a socket joining its channel gets)."""
    loaded = queries.load_tournament(tournament_id)
    return _player_fragment(loaded, queries.player_context(tournament_id, number, loaded=loaded))


def _player_fragment(loaded: Tournament, ctx: dict[str, Any]) -> Fragment:
    number = ctx["player"].number
    return _fragment(channels.player(loaded.id, number), f"player-{loaded.id}-{number}", loaded.revision,
                     "player", ctx, {"tournament": loaded.id, "number": number, "points": _number(ctx["points"]),
                                     "rank": ctx["rank"], "performance": ctx["performance"],
                                     "tiebreaks": {b.code: _value(b.value) for b in ctx["breakdowns"]}})


def _value(value: Any) -> Any:
    return float(value) if isinstance(value, Fraction) else value


def game_fragment(game_id: int) -> Fragment:
    # The revision first: the content read after it is at least as new, never older than its version says.
    revision = db.session.scalar(select(Tournament.revision).join(Round, Round.tournament_id == Tournament.id)
                                 .join(Game, Game.round_id == Round.id).where(Game.id == game_id))
    ctx = queries.game_context(game_id)
    g = ctx["game"]
    return _fragment(channels.game(g.id), f"game-{g.id}", revision or 0, "game", ctx,
                     {"game": g.id, "tournament": g.tournament_id, "round": g.round, "board": g.board,
                      "white": _player(g.white), "black": _player(g.black) if g.black else None,
                      "result": g.result.value, "moves": [m for pair in g.moves for m in pair if m]})


def watching_fragment(tournament_id: int, count: int | None = None) -> Fragment:
    """"N watching": a count summed over every process; versioned by time, as it has no revision."""
    channel = channels.tournament(tournament_id)
    count = realtime.watching(channel) if count is None else count
    label = "1 watching" if count == 1 else f"{count} watching"
    version = time.time_ns() // 1000
    html = (f'<span id="watching-{tournament_id}" hx-swap-oob="true" data-version="{version}" class="watching" '
            f'title="People with this tournament open right now">{escape(label)}</span>')
    return Fragment(channel=channel, key=f"watching-{tournament_id}", version=version,
                    html=html, data={"tournament": tournament_id, "watching": count})


def _player(p: Any) -> dict[str, Any]:
    return {"number": p.number, "name": p.name, "title": p.title or None, "rating": p.rating,
            "federation": p.federation or None, "withdrawn": p.withdrawn}


def _round(r: Any) -> dict[str, Any]:
    return {"number": r.number, "status": r.status.value,
            "games": [{"id": g.id, "board": g.board, "white": _player(g.white),
                       "black": _player(g.black) if g.black else None, "result": g.result.value,
                       "reported": g.reported.value if g.reported else None,
                       # points before the round, as shown beside the names
                       "white_points": _number(r.scores.get(g.white.number, 0)),
                       "black_points": _number(r.scores.get(g.black.number, 0)) if g.black else None}
                      for g in r.games]}


def _number(value: Fraction | int) -> float:
    return float(value)
