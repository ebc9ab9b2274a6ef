"""Who plays: self-registration, players added by the organizer, pairing numbers, byes, withdrawals."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import events
from ..auth.rules import login_email  # the one spelling of an email (NFKC, case-folded)
from ..extensions import db
from ..models import (ByeRequest, EventType, Game, GameResult, Registration, RegistrationStatus, Round, RoundStatus,
                      Tournament, TournamentFormat, TournamentStatus, User)
from .service import Conflict, ServiceError, audit, changing, check_shown, plain_text, reason_text, require_text
from .settings import record_tournament_updated, refresh_round_robin_rounds

TITLES = ("GM", "IM", "FM", "CM", "WGM", "WIM", "WFM", "WCM")
MAX_RATING = 3500


@dataclass(frozen=True)
class PlayerDetails:
    """A player as the organizer enters them."""

    name: str
    rating: int | None = None
    title: str = ""
    federation: str = ""
    fide_id: str = ""


def _validated(details: PlayerDetails) -> dict:
    name = require_text(details.name, "The player's name", "name", 64)
    if details.rating is not None and not 0 <= details.rating <= MAX_RATING:
        raise ServiceError(f"A rating is between 0 and {MAX_RATING}.", "rating")
    title = details.title.strip().upper()
    if title and title not in TITLES:
        raise ServiceError(f"Unknown title {title!r}; use one of {', '.join(TITLES)}.", "title")
    federation = details.federation.strip().upper()
    if federation and not re.fullmatch(r"[A-Z]{3}", federation):
        raise ServiceError("A federation is a three-letter code such as NOR or IND.", "federation")
    fide_id = details.fide_id.strip()
    if fide_id and not re.fullmatch(r"\d{1,12}", fide_id):
        raise ServiceError("A FIDE ID is a number of at most 12 digits.", "fide_id")
    return {"name": name, "rating": details.rating or None, "title": title or None,
            "federation": federation or None, "fide_id": fide_id or None}


def _started(tournament: Tournament) -> bool:
    return tournament.status in (TournamentStatus.ACTIVE, TournamentStatus.COMPLETED)


def _field_fixed(tournament: Tournament) -> bool:
    """A round is paired: a draft of round 1 fixes the field too, though the tournament starts when it is published."""
    return bool(tournament.rounds) or _started(tournament)


def _check_no_round_one_draft(tournament: Tournament) -> None:
    """Self-registration stays shut while round 1 is drafted: the draft could not include the change."""
    if tournament.rounds:
        raise ServiceError("Registration is closed: round 1 is being paired.", status=409)


def _registration(tournament: Tournament, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.tournament_id != tournament.id:
        raise ServiceError("This player is not registered in this tournament.", status=404)
    return registration


def _mark_changed(tournament: Tournament, registration: Registration) -> None:
    """Stamp a change of the entry with the tournament's (locked, bumped) revision; forms carry the stamp."""
    registration.revision = tournament.revision


def _entry_state(registration: Registration) -> str:
    """The entry as the organizer's page shows it, for a Conflict message: name, rating, status, byes."""
    state = (f"withdrawn from round {registration.withdrawn_from_round}" if registration.withdrawn_from_round
             else registration.status.value.lower())
    byes = ", ".join(f"round {b.round_number} {b.points_label}" for b in
                     sorted(registration.bye_requests, key=lambda b: b.round_number)) or "none"
    return f"{registration.name}, rating {registration.rating or '–'}, {state}, byes requested: {byes}"


def _check_entry_shown(registration: Registration, shown_revision: int | None) -> None:
    check_shown(shown_revision, registration.revision,
                f"{registration.name}'s entry was changed by someone else after you opened the page (now: "
                f"{_entry_state(registration)}). Nothing was saved; check it and decide again.")


def roster_revision(registrations: Iterable[Registration]) -> int:
    """The version of the player list as a page shows it: the latest stamp of its entries (0 when empty).

    Every change of an entry (added, edited, bye requested or cancelled, numbered, withdrawn) stamps it with the
    tournament's new revision, so the list's version moves with any of them. Forms that act on the list, or on a
    player chosen from it, carry this version."""
    return max((r.revision for r in registrations), default=0)


def _check_roster_shown(tournament: Tournament, shown_revision: int | None, now: str) -> None:
    check_shown(shown_revision, roster_revision(tournament.registrations),
                f"The player list was changed by someone else after you opened the page (now {now}). Nothing was "
                "saved; check the list and decide again.")


def _check_window_shown(tournament: Tournament, shown_revision: int | None) -> None:
    """Refuse an open/close made from a page that showed the registration window (or the settings) otherwise."""
    state = "open" if tournament.status == TournamentStatus.REGISTRATION else "closed"
    check_shown(shown_revision, tournament.settings_revision,
                f"Registration or the settings were changed by someone else after you opened the page; registration "
                f"is now {state}. Nothing was changed; decide again.")


def withdrawal_round(tournament: Tournament) -> int:
    """The first round a player who withdraws now no longer plays: the first round not yet paired."""
    return _last_paired_round(tournament) + 1


def _last_paired_round(tournament: Tournament) -> int:
    return max((r.number for r in tournament.rounds), default=0)


def _next_pairing_number(tournament: Tournament) -> int:
    return (db.session.scalar(select(func.max(Registration.pairing_number))
                              .where(Registration.tournament_id == tournament.id)) or 0) + 1


def _record(tournament: Tournament, event_type: EventType, registration: Registration, actor_id: int | None) -> None:
    db.session.flush()
    events.record_change(tournament, event_type, entity_type="registration", entity_id=registration.id,
                         payload={"name": registration.name}, actor_id=actor_id,
                         target_user_ids=[registration.user_id] if registration.user_id else [])


# --------------------------------------------------------------------------- registration window

def open_registration(tournament_id: int, actor_id: int, *, shown_revision: int | None = None) -> None:
    """Let players register themselves (a Conflict if the window or the settings changed since `shown_revision`,
    the settings revision on the organizer's page; the registration window is one of the settings)."""
    with changing(tournament_id) as tournament:
        if _started(tournament):
            raise ServiceError("The tournament has started; add late players on the manage page instead.",
                               status=409)
        _check_no_round_one_draft(tournament)
        _check_window_shown(tournament, shown_revision)
        tournament.status = TournamentStatus.REGISTRATION
        tournament.settings_revision = tournament.revision
        audit(tournament, "registration", actor_id=actor_id, old="closed", new="open")
        record_tournament_updated(tournament, actor_id)


def close_registration(tournament_id: int, actor_id: int, *, shown_revision: int | None = None) -> None:
    """Stop self-registration (the organizer can still add players); `shown_revision` as for open_registration."""
    with changing(tournament_id) as tournament:
        if _started(tournament):
            raise ServiceError("The tournament has started; registration is already closed.", status=409)
        _check_window_shown(tournament, shown_revision)
        tournament.status = TournamentStatus.UPCOMING
        tournament.settings_revision = tournament.revision
        audit(tournament, "registration", actor_id=actor_id, old="open", new="closed")
        record_tournament_updated(tournament, actor_id)


# --------------------------------------------------------------------------- players themselves

def register_self(tournament_id: int, user_id: int) -> int:
    """A player enters while registration is open; returns the registration id."""
    with changing(tournament_id) as tournament:
        if tournament.status != TournamentStatus.REGISTRATION:
            why = "the tournament has started" if _started(tournament) else "it is not open yet"
            raise ServiceError(f"Registration is closed: {why}.", status=409)
        _check_no_round_one_draft(tournament)
        if any(r.user_id == user_id for r in tournament.registrations):
            raise ServiceError("You are already registered for this tournament.", status=409)
        user = db.session.get(User, user_id)
        if user is None:
            raise ServiceError("Log in to register.", status=401)
        registration = Registration(tournament=tournament, user_id=user.id, name=user.display_name,
                                    rating=user.rating, fide_id=user.fide_id, revision=tournament.revision)
        db.session.add(registration)
        refresh_round_robin_rounds(tournament)
        _record(tournament, EventType.PARTICIPANT_REGISTERED, registration, user_id)
        return registration.id


def withdraw_self(tournament_id: int, user_id: int, *, shown_from_round: int | None = None) -> None:
    """A player leaves: while registration is open the entry is removed (nothing was played); once the tournament
    has started, the player withdraws from the remaining rounds (`_withdraw`). `shown_from_round` is the round the
    player's page said the withdrawal starts from."""
    with changing(tournament_id) as tournament:
        registration = next((r for r in tournament.registrations if r.user_id == user_id), None)
        if registration is None:
            raise ServiceError("You are not registered for this tournament.", status=409)
        if _started(tournament):
            _withdraw(tournament, registration, user_id, "withdrew from the remaining rounds", shown_from_round,
                      by_player=True)
            return
        if tournament.status != TournamentStatus.REGISTRATION:
            raise ServiceError("Registration is closed; ask the organizer to withdraw you.", status=409)
        _check_no_round_one_draft(tournament)
        _record(tournament, EventType.PARTICIPANT_WITHDREW, registration, user_id)
        tournament.registrations.remove(registration)
        refresh_round_robin_rounds(tournament)


# --------------------------------------------------------------------------- the organizer

def add_player(tournament_id: int, details: PlayerDetails, actor_id: int, *, account_email: str = "") -> int:
    """Enter a player (with or without an account); in a running Swiss this is a late entry."""
    with changing(tournament_id) as tournament:
        values = _validated(details)
        if tournament.status == TournamentStatus.COMPLETED:
            raise ServiceError("The tournament is finished.", status=409)
        late = _field_fixed(tournament)
        if late and tournament.format != TournamentFormat.SWISS:
            why = "it has started" if _started(tournament) else "round 1 is paired; discard the draft to add players"
            raise ServiceError(f"A round robin's field is fixed once {why}.", status=409)
        user_id = None
        account_email = plain_text(account_email, "The account email", "account_email", 254)
        if account_email:
            user = db.session.scalar(select(User).where(func.lower(User.email) == login_email(account_email)))
            if user is None:
                raise ServiceError("No account has this email.", "account_email")
            if any(r.user_id == user.id for r in tournament.registrations):
                raise ServiceError(f"{user.display_name} is already registered.", "account_email", status=409)
            user_id = user.id
        number = _next_pairing_number(tournament) if late else None
        registration = Registration(tournament=tournament, user_id=user_id, pairing_number=number,
                                    revision=tournament.revision, **values)
        db.session.add(registration)
        if late:
            audit(tournament, "late_entry", actor_id=actor_id, new=values["name"],
                  reason=f"joins from round {_last_paired_round(tournament) + 1}")
        refresh_round_robin_rounds(tournament)
        _record(tournament, EventType.PARTICIPANT_REGISTERED, registration, actor_id)
        return registration.id


def update_player(tournament_id: int, registration_id: int, details: PlayerDetails, actor_id: int, *,
                  shown_revision: int | None = None) -> None:
    """Correct a player's name, rating, title, federation or FIDE ID (a Conflict if the entry changed since
    `shown_revision`, the entry's revision on the organizer's form)."""
    with changing(tournament_id) as tournament:
        registration = _registration(tournament, registration_id)
        values = _validated(details)
        _check_entry_shown(registration, shown_revision)
        changes = [f"{key}: {getattr(registration, key) or '–'} → {value or '–'}" for key, value in values.items()
                   if getattr(registration, key) != value]
        if not changes:
            return
        for key, value in values.items():
            setattr(registration, key, value)
        _mark_changed(tournament, registration)
        audit(tournament, "player", actor_id=actor_id, old=registration.name, new="; ".join(changes))
        record_tournament_updated(tournament, actor_id)


def assign_pairing_numbers(tournament_id: int, actor_id: int, *, shown_revision: int | None = None) -> None:
    """Number every player 1..n by rating (highest first), then name; only before round 1 is paired.

    `shown_revision` is the player list's version on the organizer's page (`roster_revision`): a player added,
    corrected or removed since is a Conflict, as the numbers would not be those of the list the organizer saw."""
    with changing(tournament_id) as tournament:
        # The numbers are the initial order (C.04.2) the rounds are paired by: once round 1 is out they stay,
        # and a late entry gets the next free number.
        if any(r.status != RoundStatus.DRAFT for r in tournament.rounds):
            raise ServiceError("Pairing numbers are fixed once round 1 is published; a late entry gets the next "
                               "free number.", status=409)
        if tournament.rounds:
            raise ServiceError("Round 1 was paired with the current numbers: discard its draft first.", status=409)
        _check_roster_shown(tournament, shown_revision, f"{len(tournament.registrations)} players: " + ", ".join(
            f"{r.pairing_number or '–'} {r.name} {r.rating or '–'}" for r in
            sorted(tournament.registrations, key=lambda r: (r.pairing_number is None, r.pairing_number or 0))))
        old = {r.id: r.pairing_number for r in tournament.registrations}
        renumber(tournament)
        for entry in tournament.registrations:
            if old[entry.id] != entry.pairing_number:
                _mark_changed(tournament, entry)
        moved = [f"{r.name} {old[r.id] or '–'}→{r.pairing_number}" for r in rating_order(tournament.registrations)
                 if old[r.id] != r.pairing_number]
        audit(tournament, "pairing_numbers", actor_id=actor_id, new="by rating, then name: " + (
            ", ".join(moved) or "no change"))
        record_tournament_updated(tournament, actor_id)


def rating_order(registrations: list[Registration]) -> list[Registration]:
    """The registrations in pairing-number order by C.04.2's initial order: rating (highest first), then name."""
    return sorted(registrations, key=lambda r: (-(r.rating or 0), r.name.casefold(), r.id))


def renumber(tournament: Tournament) -> None:
    """Give every registration its number in the (rating desc, name) order, in the current transaction."""
    ordered = rating_order(tournament.registrations)
    for registration in ordered:  # clear first: numbers are unique per tournament at every moment
        registration.pairing_number = None
    db.session.flush()
    for number, registration in enumerate(ordered, start=1):
        registration.pairing_number = number
    db.session.flush()


def request_bye(tournament_id: int, registration_id: int, round_number: int, half_point: bool,
                actor_id: int, *, full_point: bool = False, full_point_limit: int = 0,
                shown_revision: int | None = None) -> None:
    """Record a requested half- or zero-point bye for a round not paired yet (Swiss only).

    `full_point` grants a full-point bye instead (TRF "F"), which tournament regulations may allow: at most
    `full_point_limit` per player in the tournament, those already played included (FIDE C.04.1 leaves
    requested byes and their points to the regulations). `shown_revision` is the player list's version on the
    organizer's page (`roster_revision`): the player is chosen from that list, so a change to it is a Conflict."""
    with changing(tournament_id) as tournament:
        registration = _registration(tournament, registration_id)
        _check_roster_shown(tournament, shown_revision, _entry_state(registration))
        if tournament.format != TournamentFormat.SWISS:
            raise ServiceError("Requested byes are for Swiss tournaments; in a round robin enter a forfeit.",
                               "round_number")
        first_open = _last_paired_round(tournament) + 1
        if not first_open <= round_number <= tournament.planned_rounds:
            raise ServiceError(f"Choose a round from {first_open} to {tournament.planned_rounds}; earlier rounds "
                               "are already paired.", "round_number")
        if registration.status == RegistrationStatus.WITHDRAWN:
            raise ServiceError(f"{registration.name} has withdrawn.", status=409)
        existing = next((b for b in registration.bye_requests if b.round_number == round_number), None)
        if full_point:
            _check_full_point_limit(registration, round_number, full_point_limit)
        old = "" if existing is None else existing.points_label
        if existing is None:
            existing = ByeRequest(round_number=round_number)
            registration.bye_requests.append(existing)
        existing.half_point, existing.full_point = half_point and not full_point, full_point
        _mark_changed(tournament, registration)
        audit(tournament, "bye_request", actor_id=actor_id, old=old,
              new=f"{registration.name}: {existing.points_label}-point bye in round {round_number}")
        record_tournament_updated(tournament, actor_id)


def _check_full_point_limit(registration: Registration, round_number: int, limit: int) -> None:
    """Refuse a full-point bye beyond the regulations' limit (granted ones, played or ahead, counted)."""
    ahead = sum(1 for b in registration.bye_requests if b.full_point and b.round_number != round_number)
    played = db.session.scalar(select(func.count()).select_from(Game).where(
        Game.white_id == registration.id, Game.black_id.is_(None), Game.result == GameResult.BYE_FULL)) or 0
    if ahead + played >= limit:
        allowed = "allow no full-point byes" if limit == 0 else f"allow {limit} full-point bye(s) per player"
        raise ServiceError(f"The regulations {allowed}; {registration.name} has {ahead + played} already.",
                           "points")


def cancel_bye(tournament_id: int, registration_id: int, round_number: int, actor_id: int, *,
               shown_revision: int | None = None) -> None:
    """Take back a requested bye for a round not paired yet (a Conflict if the entry changed since
    `shown_revision`, the entry's revision on the organizer's page)."""
    with changing(tournament_id) as tournament:
        registration = _registration(tournament, registration_id)
        _check_entry_shown(registration, shown_revision)
        request = next((b for b in registration.bye_requests if b.round_number == round_number), None)
        if request is None:
            raise ServiceError(f"{registration.name} has no bye requested for round {round_number}.", status=409)
        if round_number <= _last_paired_round(tournament):
            raise ServiceError(f"Round {round_number} is already paired.", status=409)
        registration.bye_requests.remove(request)
        _mark_changed(tournament, registration)
        audit(tournament, "bye_request", actor_id=actor_id,
              old=f"{registration.name}: bye in round {round_number}", new="cancelled")
        record_tournament_updated(tournament, actor_id)


def withdraw_player(tournament_id: int, registration_id: int, reason: str, actor_id: int, *,
                    shown_revision: int | None = None, shown_from_round: int | None = None) -> None:
    """Take a player out: before the start the entry is removed, afterwards they are not paired again.

    `shown_revision` (the entry's revision) and `shown_from_round` (the round the page said the withdrawal takes
    effect from) are what the organizer's page showed; a change since is a Conflict."""
    with changing(tournament_id) as tournament:
        registration = _registration(tournament, registration_id)
        reason = reason_text(reason)
        _check_entry_shown(registration, shown_revision)
        _withdraw(tournament, registration, actor_id, reason, shown_from_round, by_player=False)


def _withdraw(tournament: Tournament, registration: Registration, actor_id: int, reason: str,
              shown_from_round: int | None, *, by_player: bool) -> None:
    """Withdraw as FIDE expects: the player gets no further pairing (the remaining rounds count as zero-point
    byes, Handbook C.07 Art. 16), and every game already played, or paired (the arbiter scores it), stands.
    Before any round is paired nothing was played, and the entry is removed."""
    if registration.status == RegistrationStatus.WITHDRAWN:
        raise ServiceError(f"{registration.name} has already withdrawn.", status=409)
    if tournament.status == TournamentStatus.COMPLETED:
        raise ServiceError("The tournament is finished.", status=409)
    draft = next((r for r in tournament.rounds if r.status == RoundStatus.DRAFT), None)
    if draft is not None and _in_round(draft, registration.id):
        if by_player:
            raise ServiceError(f"Round {draft.number} is being paired right now; try again once it is published, "
                               "or tell the arbiter.", status=409)
        raise ServiceError(f"{registration.name} is in the draft of round {draft.number}; discard the draft "
                           "first, then withdraw.", status=409)
    from_round = withdrawal_round(tournament)
    if shown_from_round is not None and shown_from_round != from_round:
        raise Conflict(f"Round {from_round - 1} was paired after you opened the page: withdrawing now takes effect "
                       f"from round {from_round}, and {registration.name}'s game in round {from_round - 1} stands. "
                       "Nothing was changed; check and decide again.")
    audit(tournament, "withdrawal", actor_id=actor_id, old=registration.name,
          new=f"from round {from_round}" if tournament.rounds else "entry removed", reason=reason)
    _record(tournament, EventType.PARTICIPANT_WITHDREW, registration, actor_id)
    if not tournament.rounds:
        tournament.registrations.remove(registration)
        refresh_round_robin_rounds(tournament)
        return
    registration.status = RegistrationStatus.WITHDRAWN
    registration.withdrawn_from_round = from_round
    registration.bye_requests.clear()
    _mark_changed(tournament, registration)


def _in_round(round_: Round, registration_id: int) -> bool:
    return any(registration_id in (g.white_id, g.black_id) for g in round_.games)
