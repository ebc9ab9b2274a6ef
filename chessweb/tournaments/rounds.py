"""Rounds: pair the next one as a draft, adjust it by hand, publish it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import current_app

from .. import events, jobs
from ..extensions import db
from ..fide import berger, dutch
from ..fide.crosstable import ResultCode
from ..fide.pairing import Pairing, PairingError
from ..models import (EventType, Game, GameResult, Registration, RegistrationStatus, Round, RoundStatus, Tournament,
                      TournamentFormat, TournamentStatus, utcnow)
from . import crosstable, queries
from .registration import rating_order, renumber
from .results import check_game_shown, complete_if_done, mark_changed, player_user_ids
from .service import ServiceError, audit, changing, check_shown, reason_text
from .settings import active_player_count, round_robin_round_count


# A draft is the organizer's alone until it is published: pairing, changing or discarding one records no
# RealtimeEvent (every event goes to the tournament's public channel, and would tell JSON clients that a
# draft exists), changes no status, and only bumps the revision. The organizer's round page is not live.

def pair_next_round(tournament_id: int, actor_id: int) -> int:
    """Pair the next round as a draft the organizer sees first; publishing round 1 starts the tournament."""
    # The Dutch pairing may take seconds for a big field; holding the tournament's lock meanwhile (on SQLite the
    # database's write lock) would stall every other change, and under gevent the whole worker. So the round is
    # paired from one reading of the tournament, and written only if nothing changed since.
    paired = _pair_unlocked(tournament_id)
    with changing(tournament_id) as tournament:
        if tournament.revision != paired.revision + 1:  # changing() bumped it once; anything else is another change
            raise ServiceError("The tournament changed while pairing; pair again.", status=409)
        if paired.round == 1:
            _fix_field(tournament)
        if {r.id: r.pairing_number for r in tournament.registrations if r.id in paired.numbers} != paired.numbers:
            raise ServiceError("The tournament changed while pairing; pair again.", status=409)
        round_ = Round(tournament=tournament, number=paired.round, status=RoundStatus.DRAFT)
        db.session.add(round_)
        _add_games(tournament, round_, paired.pairing)
        for game in round_.games:
            mark_changed(tournament, game)
        audit(tournament, "pairing", actor_id=actor_id,
              new=f"round {paired.round} paired ({len(round_.games)} boards)")
        return paired.round


@dataclass(frozen=True)
class _Paired:
    """A round paired from the tournament as it was at `revision`."""

    revision: int
    round: int
    numbers: dict[int, int]  # registration id → the pairing number the pairing knows the player by
    pairing: Pairing


def _pair_unlocked(tournament_id: int) -> _Paired:
    """Read the tournament, end the read transaction, then pair its next round: no lock or snapshot is held."""
    try:
        tournament = queries.load_tournament(tournament_id)
        number = _check_can_pair(tournament)
        numbers = _start_numbers(tournament) if number == 1 else {
            r.id: r.pairing_number for r in tournament.registrations if r.pairing_number is not None}
        revision = tournament.revision
        pair = _pairer(tournament, number, numbers)
    except queries.NotFound:
        raise ServiceError("This tournament does not exist.", status=404) from None
    finally:
        # The lock is then taken in a transaction of its own: SQLite cannot turn a reader into a writer once
        # another writer has committed since its snapshot, and nothing read here counts after the revision check.
        db.session.rollback()
    try:
        return _Paired(revision, number, numbers, pair())
    except PairingError as error:
        raise ServiceError(f"Round {number} cannot be paired: {error}", status=409) from None


def pairing_blocker(tournament: Tournament) -> str | None:
    """Why the next round cannot be paired now (the message pairing would answer with), or None when it can.

    `tournament` as queries.load_tournament gives it; the organizer's page offers "Pair round n" only when this is
    None, and shows the reason otherwise."""
    try:
        if _check_can_pair(tournament) == 1 and active_player_count(tournament) < 2:
            return "At least two players are needed to pair a round."
    except ServiceError as error:
        return error.message
    return None


def draft_revision(round_: Round) -> int:
    """The version of a round's pairing: the latest revision stamped on its boards (pairing, swaps)."""
    return max((g.revision for g in round_.games), default=0)


def _check_draft_shown(round_: Round, shown_revision: int | None) -> None:
    # The page answering the conflict shows the draft as it is now; the message need not list every board.
    check_shown(shown_revision, draft_revision(round_),
                f"The draft of round {round_.number} was changed by someone else after you opened the page; it is "
                "shown below as it is now. Nothing was changed; check it and decide again.")


def _check_can_pair(tournament: Tournament) -> int:
    """The number of the round to pair, or a ServiceError saying why none can be."""
    if tournament.status == TournamentStatus.COMPLETED:
        raise ServiceError("The tournament is finished.", status=409)
    rounds = tournament.rounds
    if rounds:
        last = rounds[-1]
        if last.status == RoundStatus.DRAFT:
            raise ServiceError(f"Round {last.number} is already paired (draft); publish or discard it first.",
                               status=409)
        if last.status != RoundStatus.COMPLETED:
            missing = sum(1 for g in last.games if not g.result.is_final)
            raise ServiceError(f"Round {last.number} is not complete: {missing} game(s) still have no final "
                               "result.", status=409)
    number = len(rounds) + 1
    if rounds and number > tournament.planned_rounds:
        raise ServiceError(f"All {tournament.planned_rounds} rounds have been paired.", status=409)
    return number


def _start_numbers(tournament: Tournament) -> dict[int, int]:
    """Registration id → pairing number for round 1: 1..n as given, else by rating (what `_fix_field` gives)."""
    if active_player_count(tournament) < 2:
        raise ServiceError("At least two players are needed to pair a round.", status=409)
    if _numbered_one_to_n(tournament):
        return {r.id: r.pairing_number for r in tournament.registrations}
    return {r.id: number for number, r in enumerate(rating_order(tournament.registrations), start=1)}


def _fix_field(tournament: Tournament) -> None:
    """Before round 1: pairing numbers 1..n (by rating unless already given) and a round robin's rounds."""
    if not _numbered_one_to_n(tournament):
        renumber(tournament)
    if tournament.is_round_robin:
        tournament.planned_rounds = round_robin_round_count(active_player_count(tournament), tournament.format)


def _numbered_one_to_n(tournament: Tournament) -> bool:
    """Every registration has a pairing number, and they are 1..n."""
    numbers = sorted(r.pairing_number or 0 for r in tournament.registrations)
    return numbers == list(range(1, len(numbers) + 1))


def _pairer(tournament: Tournament, number: int, numbers: dict[int, int]) -> Callable[[], Pairing]:
    """What pairs round `number` (players known by `numbers`: registration id → pairing number) from plain data
    read now, so that it can run after the database session has let go."""
    if tournament.is_round_robin:
        try:
            pairing = _berger_pairing(tournament, number, numbers)  # a table look-up: done at once
        except PairingError as error:
            raise ServiceError(f"Round {number} cannot be paired: {error}", status=409) from None
        return lambda: pairing
    table = crosstable.build(tournament, numbers)
    if dutch.round_to_pair(table) != number:
        raise ServiceError(f"Round {dutch.round_to_pair(table) - 1} has no games; it cannot be followed by a "
                           "pairing.", status=409)
    byes = _requested_byes(tournament, number, numbers)
    engine = jobs.dutch_engine_for(len(table.players), current_app.config)  # big fields: off this process
    return lambda: dutch.pair_next_round(table, byes, engine=engine)


def _berger_pairing(tournament: Tournament, number: int, number_of: dict[int, int]) -> Pairing:
    """Round `number` of the Berger table, its slots 1..n standing for the pairing numbers in order.

    Numbers given here are 1..n, but an imported round robin may have gaps (1, 2, 7, 9): the k-th lowest
    number plays slot k. The rounds already played must be the table's, else the next one repeats games.
    """
    slots = sorted(number_of.values())
    double = tournament.format == TournamentFormat.DOUBLE_ROUND_ROBIN
    for played in tournament.rounds:
        if played.status == RoundStatus.DRAFT:
            continue
        table = berger.berger_round(len(slots), played.number, double=double)
        expected = {frozenset((slots[b.white - 1], slots[b.black - 1])) for b in table.boards}
        met = [(number_of[g.white_id], number_of[g.black_id]) for g in played.games if g.black_id is not None]
        stray = next((pair for pair in met if frozenset(pair) not in expected), None)
        if stray is not None:
            raise ServiceError(
                f"Round {played.number} does not follow the Berger table for these pairing numbers "
                f"({stray[0]} – {stray[1]} is not one of its games), so the next rounds cannot be taken from the "
                "table.", status=409)
    pairing = berger.berger_round(len(slots), number, double=double)
    return replace(pairing, boards=tuple(replace(b, white=slots[b.white - 1], black=slots[b.black - 1])
                                         for b in pairing.boards),
                   bye=None if pairing.bye is None else slots[pairing.bye - 1])


def _requested_byes(tournament: Tournament, number: int, numbers: dict[int, int]) -> dict[int, ResultCode]:
    """Pairing number → H, Z or F for active players who asked to sit out round `number` (or were granted a
    full-point bye)."""
    return {numbers[r.id]: ResultCode(b.code)
            for r in tournament.registrations if r.status == RegistrationStatus.ACTIVE and r.id in numbers
            for b in r.bye_requests if b.round_number == number}


def _add_games(tournament: Tournament, round_: Round, pairing: Pairing) -> None:
    """One Game per board, then the pairing-allocated bye, then requested byes (Swiss)."""
    by_number = {r.pairing_number: r for r in tournament.registrations if r.pairing_number is not None}
    board = 0
    for pair in pairing.boards:
        board += 1
        game = Game(board=board, white_id=by_number[pair.white].id, black_id=by_number[pair.black].id)
        round_.games.append(game)
        _score_withdrawals(game, by_number[pair.white], by_number[pair.black], round_.number)
    if pairing.bye is not None and pairing.bye_result in crosstable.BYE_RESULTS:
        board += 1
        round_.games.append(Game(board=board, white_id=by_number[pairing.bye].id,
                                 result=crosstable.BYE_RESULTS[pairing.bye_result]))
    if not tournament.is_round_robin:
        numbers = {r.id: number for number, r in by_number.items()}
        for number, code in sorted(_requested_byes(tournament, round_.number, numbers).items()):
            board += 1
            round_.games.append(Game(board=board, white_id=by_number[number].id,
                                     result=crosstable.BYE_RESULTS[code]))


def _withdrawn_by(registration: Registration, round_number: int) -> bool:
    return (registration.status == RegistrationStatus.WITHDRAWN and registration.withdrawn_from_round is not None
            and registration.withdrawn_from_round <= round_number)


def _score_withdrawals(game: Game, white: Registration, black: Registration, round_number: int) -> None:
    """In a round robin a withdrawn player's remaining games are lost by forfeit."""
    gone = (_withdrawn_by(white, round_number), _withdrawn_by(black, round_number))
    game.result = {(True, True): GameResult.DOUBLE_FORFEIT, (True, False): GameResult.BLACK_WIN_FORFEIT,
                   (False, True): GameResult.WHITE_WIN_FORFEIT}.get(gone, GameResult.PENDING)


def _round(tournament: Tournament, number: int) -> Round:
    round_ = next((r for r in tournament.rounds if r.number == number), None)
    if round_ is None:
        raise ServiceError(f"Round {number} has not been paired.", status=404)
    return round_


def _draft(tournament: Tournament, number: int) -> Round:
    round_ = _round(tournament, number)
    if round_.status != RoundStatus.DRAFT:
        raise ServiceError(f"Round {number} is published; its pairings can no longer change.", status=409)
    return round_


def publish_round(tournament_id: int, round_number: int, actor_id: int, *,
                  shown_revision: int | None = None) -> None:
    """Make a draft's pairings visible to everyone; the round is being played from now on.

    `shown_revision` is the draft's revision (`draft_revision`) the organizer checked: a draft changed since is a
    Conflict, so nobody publishes pairings they did not see."""
    with changing(tournament_id) as tournament:
        round_ = _draft(tournament, round_number)
        _check_draft_shown(round_, shown_revision)
        round_.status = RoundStatus.PUBLISHED
        round_.started_at = utcnow()
        audit(tournament, "publish", actor_id=actor_id, new=f"round {round_number} published")
        db.session.flush()
        if tournament.status in (TournamentStatus.UPCOMING, TournamentStatus.REGISTRATION):
            tournament.status = TournamentStatus.ACTIVE
            events.record_change(tournament, EventType.TOURNAMENT_STARTED, entity_type="tournament",
                                 entity_id=tournament.id, actor_id=actor_id)
        events.record_change(tournament, EventType.PAIRING_GENERATED, entity_type="round", entity_id=round_.id,
                             payload={"round": round_number}, actor_id=actor_id)
        events.record_change(tournament, EventType.ROUND_STARTED, entity_type="round", entity_id=round_.id,
                             payload={"round": round_number},
                             target_user_ids=sorted({u for g in round_.games for u in player_user_ids(g)}),
                             actor_id=actor_id)
        complete_if_done(tournament, round_, actor_id)  # a round of forfeits and byes only is complete at once


def discard_draft(tournament_id: int, round_number: int, reason: str, actor_id: int, *,
                  shown_revision: int | None = None) -> None:
    """Throw a draft away, to pair the round again after a change (a Conflict if it changed since it was shown)."""
    with changing(tournament_id) as tournament:
        round_ = _draft(tournament, round_number)
        _check_draft_shown(round_, shown_revision)
        reason = reason_text(reason, "Say why the draft is discarded.")
        tournament.rounds.remove(round_)
        audit(tournament, "draft_discarded", actor_id=actor_id, old=f"round {round_number} draft", reason=reason)


def swap_players(tournament_id: int, round_number: int, first_id: int, second_id: int, reason: str,
                 actor_id: int, *, shown_revision: int | None = None) -> None:
    """Exchange two players' places in a draft (boards, colours or the pairing-allocated bye).

    `shown_revision`: the draft's revision on the organizer's page; a draft changed since is a Conflict."""
    with changing(tournament_id) as tournament:
        round_ = _draft(tournament, round_number)
        _check_draft_shown(round_, shown_revision)
        if tournament.is_round_robin:  # the next rounds would repeat games or leave some unplayed
            raise ServiceError("In a round robin the Berger table decides who meets whom; only colours can be "
                               "swapped by hand.", status=409)
        reason = reason_text(reason, "Say why the pairing is changed by hand.")
        if first_id == second_id:
            raise ServiceError("Choose two different players.", "second")
        places = {}
        for player_id in (first_id, second_id):
            game = next((g for g in round_.games if player_id in (g.white_id, g.black_id)), None)
            if game is None:
                raise ServiceError("Both players must be in this round's pairing.", "first")
            if game.result in (GameResult.BYE_HALF, GameResult.BYE_ZERO):
                raise ServiceError(f"{game.white.name} asked for a bye this round; cancel that first.", "first")
            places[player_id] = game
        names = {g.white_id: g.white.name for g in round_.games} | {
            g.black_id: g.black.name for g in round_.games if g.black is not None}
        swap = {first_id: second_id, second_id: first_id}
        for game in set(places.values()):
            mark_changed(tournament, game)
            game.white_id = swap.get(game.white_id, game.white_id)
            if game.black_id is not None:
                game.black_id = swap.get(game.black_id, game.black_id)
        db.session.flush()
        for game in set(places.values()):
            db.session.refresh(game)
            if game.black is not None:
                _score_withdrawals(game, game.white, game.black, round_number)
        audit(tournament, "pairing_swap", actor_id=actor_id, reason=reason,
              new=f"round {round_number}: {names[first_id]} ⇄ {names[second_id]}")


def swap_colours(tournament_id: int, game_id: int, reason: str, actor_id: int, *,
                 shown_revision: int | None = None) -> None:
    """Give white to black and black to white on one board of a draft.

    `shown_revision`: the board's revision on the organizer's page; a board changed since is a Conflict."""
    with changing(tournament_id) as tournament:
        game = db.session.get(Game, game_id)
        if game is None or game.round.tournament_id != tournament.id:
            raise ServiceError("This game is not in this tournament.", status=404)
        _draft(tournament, game.round.number)
        if game.black_id is None:
            raise ServiceError("A bye has no colours.", status=409)
        reason = reason_text(reason, "Say why the colours are changed by hand.")
        check_game_shown(game, shown_revision)
        mark_changed(tournament, game)
        game.white_id, game.black_id = game.black_id, game.white_id
        game.result = {GameResult.WHITE_WIN_FORFEIT: GameResult.BLACK_WIN_FORFEIT,
                       GameResult.BLACK_WIN_FORFEIT: GameResult.WHITE_WIN_FORFEIT}.get(game.result, game.result)
        audit(tournament, "colour_swap", actor_id=actor_id, game_id=game.id, reason=reason,
              new=f"round {game.round.number} board {game.board}")
