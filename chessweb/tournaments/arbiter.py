"""The live fragments of the arbiter's pages and of a player's own game box.

Arbiter fragments go on `tournament:<id>:arbiter` (organizers only) and are rendered once for every arbiter:
`arbiter-rounds-<id>` (rounds with "n of m results final", reports waiting, disputes, and "Pair round n" enabled
exactly when `rounds.pairing_blocker` says pairing can succeed) and `round-entry-<id>-<n>` (one round's result
entry). The player's "Your game" box, `my-game-<id>`, is per user and goes on `user:<id>`, rendered once per
player a change concerns. Every fragment is versioned by the tournament revision read with its content.

Pushed fragments hold no CSRF token (one render serves every viewer, and the background worker has no
session); pages render them with the viewer's token, and static/js/app.js gives a pushed form the page's token
when it is submitted.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..live import channels
from ..live.fragments import fragment as make_fragment
from ..models import Tournament
from ..realtime import Fragment
from . import queries
from .forms import ResultForm
from .rounds import pairing_blocker

ARBITER_TEMPLATE = "tournaments/_arbiter.html"
PERSONAL_TEMPLATE = "tournaments/_personal.html"


def result_choices() -> dict[str, str]:
    """The arbiter's result choices (value -> label), "" first: the list the service accepts."""
    return dict(ResultForm.result.kwargs["choices"])


def rounds_panel_context(tournament_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `_arbiter.rounds_panel`: every round (drafts included), the next round's number, and why it
    cannot be paired (None when it can)."""
    tournament = loaded or queries.load_tournament(tournament_id)
    players = queries._players(tournament)
    rounds = [queries.round_view(r, players) for r in tournament.rounds]
    return {"tournament": queries.tournament_view(tournament), "rounds": rounds, "next_round": len(rounds) + 1,
            "pair_blocker": pairing_blocker(tournament)}


def round_entry_context(tournament_id: int, round_number: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `_arbiter.round_entry`; queries.NotFound for a round that does not exist."""
    context = queries.organizer_round_context(tournament_id, round_number, loaded=loaded)
    return {**context, "choices": result_choices()}


def my_game_context(tournament_id: int, user_id: int, *, loaded: Tournament | None = None) -> dict[str, Any]:
    """Arguments of `_personal.my_game` for one account: its latest published game here (or None)."""
    tournament = loaded or queries.load_tournament(tournament_id)
    games = queries.player_games(tournament_id, user_id, loaded=tournament)
    return {"tournament_id": tournament.id, "version": tournament.revision, "game": games[0] if games else None,
            "viewer_id": user_id, "next_path": ""}


def rounds_panel_fragment(tournament_id: int, *, loaded: Tournament | None = None) -> Fragment:
    ctx = rounds_panel_context(tournament_id, loaded=loaded)
    t = ctx["tournament"]
    return make_fragment(channels.tournament(t.id, "arbiter"), f"arbiter-rounds-{t.id}", t.revision, ARBITER_TEMPLATE,
                         "rounds_panel", ctx, {"tournament": t.id, "next_round": ctx["next_round"],
                                               "pair_blocker": ctx["pair_blocker"]})


def round_entry_fragment(tournament_id: int, round_number: int, *, loaded: Tournament | None = None) -> Fragment:
    ctx = round_entry_context(tournament_id, round_number, loaded=loaded)
    t, r = ctx["tournament"], ctx["round"]
    return make_fragment(channels.tournament(t.id, "arbiter"), f"round-entry-{t.id}-{r.number}", t.revision,
                         ARBITER_TEMPLATE, "round_entry", ctx,
                         {"tournament": t.id, "round": r.number, "final": r.finished_games, "boards": len(r.games)})


def arbiter_fragments(tournament_id: int, round_numbers: Iterable[int] | None = None) -> list[Fragment]:
    """The rounds panel, then the result entry of `round_numbers` (None: every round). One load for all."""
    tournament = queries.load_tournament(tournament_id)
    numbers = [r.number for r in tournament.rounds] if round_numbers is None else sorted(set(round_numbers))
    out = [rounds_panel_fragment(tournament_id, loaded=tournament)]
    for number in numbers:
        try:
            out.append(round_entry_fragment(tournament_id, number, loaded=tournament))
        except queries.NotFound:  # a discarded draft
            continue
    return out


def my_game_fragments(tournament_id: int, user_ids: Iterable[int]) -> list[Fragment]:
    """Each player's "Your game" box, one render per account, on that account's own channel."""
    tournament = queries.load_tournament(tournament_id)
    out = []
    for user_id in sorted(set(user_ids)):
        ctx = my_game_context(tournament_id, user_id, loaded=tournament)
        game = ctx["game"]
        out.append(make_fragment(channels.user(user_id), f"my-game-{tournament_id}", ctx["version"],
                                 PERSONAL_TEMPLATE, "my_game", ctx,
                                 {"tournament": tournament_id, "game": game.id if game else None,
                                  "result": game.result.value if game else None,
                                  "reported": game.reported.value if game and game.reported else None}))
    return out


def player_user_ids(tournament_id: int, game_ids: Iterable[int] | None = None) -> set[int]:
    """The accounts of the players of these games (None: of every player of the tournament)."""
    tournament = queries.load_tournament(tournament_id, with_rounds=game_ids is not None)
    if game_ids is None:
        return {r.user_id for r in tournament.registrations if r.user_id is not None}
    wanted = set(game_ids)
    accounts = {r.id: r.user_id for r in tournament.registrations}
    users: set[int] = set()
    for round_ in tournament.rounds:
        for game in round_.games:
            if game.id in wanted:
                users |= {accounts.get(game.white_id), accounts.get(game.black_id)} - {None}
    return users
