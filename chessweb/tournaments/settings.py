"""Creating a tournament and changing its settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import events
from ..live import channels
from ..extensions import db
from ..fide.berger import round_robin_rounds
from ..models import EventType, RegistrationStatus, Tournament, TournamentFormat, TournamentStatus
from . import schedule, tiebreaks
from .results import complete_if_last_round
from .service import ServiceError, audit, changing, check_shown, plain_text, require_text

MAX_SWISS_ROUNDS = 30


# The venue screen's seconds per panel: the default, and the range (a screen must neither flicker nor stall).
SCREEN_PERIOD = 15
SCREEN_PERIODS = range(5, 301)


@dataclass(frozen=True)
class TournamentSettings:
    """What an organizer chooses for a tournament; plain values as a form delivers them."""

    name: str
    format: TournamentFormat
    start_date: date
    planned_rounds: int | None = None  # Swiss only; round robins derive it from the field
    time_control: str = ""
    venue: str = ""
    is_public: bool = True
    tiebreaks: tuple[str, ...] = ()  # empty: FIDE's recommended list for the format
    tiebreak_edition: str | None = None  # None: by start date
    top_seed_colour: str = "w"
    time_zone: str = "UTC"  # IANA name; every time of the tournament is shown in it
    round_schedule: str = ""  # local round start times, "YYYY-MM-DD HH:MM" one per line (schedule.py)
    screen_period: int | None = SCREEN_PERIOD  # seconds per venue-screen panel, SCREEN_PERIODS


def round_robin_round_count(players: int, fmt: TournamentFormat) -> int:
    """Rounds of a (double) round robin for this many players; at least 1 so an empty field still shows."""
    if players < 2:
        return 1 if fmt == TournamentFormat.ROUND_ROBIN else 2
    return round_robin_rounds(players, double=fmt == TournamentFormat.DOUBLE_ROUND_ROBIN)


def _validated(settings: TournamentSettings) -> dict:
    """The column values for `settings`, or a ServiceError naming the first bad field."""
    name = require_text(settings.name, "The name", "name", 120)
    if settings.format == TournamentFormat.SWISS:
        rounds = settings.planned_rounds
        if rounds is None or not 1 <= rounds <= MAX_SWISS_ROUNDS:
            raise ServiceError(f"A Swiss needs between 1 and {MAX_SWISS_ROUNDS} rounds.", "planned_rounds")
    if settings.top_seed_colour not in ("w", "b"):
        raise ServiceError("The top seed's first colour must be white or black.", "top_seed_colour")
    if settings.tiebreak_edition not in (None, "2024", "2026"):
        raise ServiceError("Unknown tie-break edition; choose 2024, 2026 or by start date.", "tiebreak_edition")
    codes = tiebreaks.validated(settings.tiebreaks, settings.format)
    time_control = plain_text(settings.time_control, "The time control", "time_control", 40)
    venue = plain_text(settings.venue, "The venue", "venue", 120)
    try:
        time_zone = schedule.zone(settings.time_zone).key
    except schedule.ScheduleError as error:
        raise ServiceError(str(error), "time_zone") from None
    rounds = settings.planned_rounds if settings.format == TournamentFormat.SWISS else MAX_SWISS_ROUNDS * 4
    try:
        round_schedule = schedule.format_schedule(schedule.parse_schedule(settings.round_schedule, rounds or 0))
    except schedule.ScheduleError as error:
        raise ServiceError(str(error), "round_schedule") from None
    period = settings.screen_period
    if period is None or period not in SCREEN_PERIODS:
        raise ServiceError(f"The venue screen shows each panel for {SCREEN_PERIODS.start} to "
                           f"{SCREEN_PERIODS.stop - 1} seconds.", "screen_period")
    return {"screen_period": period,
            "time_zone": time_zone, "round_schedule": round_schedule, "name": name, "format": settings.format, "start_date": settings.start_date,
            "time_control": time_control, "venue": venue,
            "is_public": settings.is_public, "tiebreaks": ",".join(codes),
            "tiebreak_edition": settings.tiebreak_edition, "top_seed_colour": settings.top_seed_colour}


def create_tournament(settings: TournamentSettings, organizer_id: int) -> int:
    """A new tournament, closed for registration until the organizer opens it; returns its id."""
    values = _validated(settings)
    rounds = (settings.planned_rounds if settings.format == TournamentFormat.SWISS
              else round_robin_round_count(0, settings.format))
    tournament = Tournament(**values, planned_rounds=rounds, organizer_id=organizer_id,
                            status=TournamentStatus.UPCOMING)
    db.session.add(tournament)
    try:
        db.session.flush()
        record_tournament_created(tournament, organizer_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return tournament.id


# What the rounds already paired were paired by, so it cannot change once there are any: the format, the
# top seed's colour (round 1's colours, and through them every later colour allocation and the TRF's XXC)
# and the start date (gacrux takes the Dutch rules in force on it from the TRF's 042, and with the tie-break
# edition left "by start date" it picks the C.07 edition too). The tie-break list and an explicit edition
# stay editable: they only rank, and the standings are recomputed from every round under the new rules.
_FIXED_BY_PAIRING = {"format": "The format", "top_seed_colour": "The top seed's colour in round 1",
                     "start_date": "The start date"}


_LABELS = {"name": "name", "format": "format", "start_date": "start date", "time_control": "time control",
           "venue": "venue", "is_public": "public", "tiebreaks": "tie-breaks", "tiebreak_edition": "tie-break rules",
           "top_seed_colour": "top seed's colour", "planned_rounds": "rounds", "time_zone": "time zone",
           "round_schedule": "round start times", "screen_period": "venue screen seconds per panel"}


def _check_settings_shown(tournament: Tournament, values: dict, settings: TournamentSettings,
                          shown_revision: int | None) -> None:
    """A Conflict naming the settings that are now different from what the organizer submitted."""
    if shown_revision is None or shown_revision == tournament.settings_revision:
        return
    current = {key: getattr(tournament, key) for key in values} | {"planned_rounds": tournament.planned_rounds}
    submitted = values | {"planned_rounds": settings.planned_rounds or tournament.planned_rounds}
    differ = [f"{_LABELS[key]}: {_shown(current[key])} (you entered {_shown(submitted[key])})" for key in current
              if current[key] != submitted[key]]
    check_shown(shown_revision, tournament.settings_revision,
                "Someone else changed the settings after you opened this form; nothing was saved. "
                + (f"Now {'; '.join(differ)}. " if differ else "")
                + "The form shows the current settings: check them and save again.")


def _shown(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "value", value))


def update_tournament(tournament_id: int, settings: TournamentSettings, actor_id: int, *,
                      shown_revision: int | None = None) -> None:
    """Change the settings; what the pairing depends on cannot change once the first round is paired.

    `shown_revision` is the settings revision the form was filled from: settings changed since by someone else
    are a Conflict (nothing is saved; the message lists what differs), never overwritten unseen."""
    with changing(tournament_id) as tournament:
        values = _validated(settings)
        _check_settings_shown(tournament, values, settings, shown_revision)
        started = bool(tournament.rounds)
        for key, what in _FIXED_BY_PAIRING.items():
            if started and values[key] != getattr(tournament, key):
                raise ServiceError(f"{what} cannot change after the first pairing.", key)
        if settings.format == TournamentFormat.SWISS and settings.planned_rounds is not None:
            paired = max((r.number for r in tournament.rounds), default=0)
            if settings.planned_rounds < paired:
                raise ServiceError(f"Round {paired} is already paired; plan at least {paired} rounds.",
                                   "planned_rounds")
        changes = [f"{key}: {getattr(tournament, key)} → {value}" for key, value in values.items()
                   if getattr(tournament, key) != value]
        for key, value in values.items():
            setattr(tournament, key, value)
        if settings.format == TournamentFormat.SWISS:
            if settings.planned_rounds is not None and settings.planned_rounds != tournament.planned_rounds:
                changes.append(f"planned_rounds: {tournament.planned_rounds} → {settings.planned_rounds}")
                tournament.planned_rounds = settings.planned_rounds
                _cancel_byes_after(tournament, tournament.planned_rounds, actor_id)
        elif not started:
            tournament.planned_rounds = round_robin_round_count(active_player_count(tournament), settings.format)
        if changes:
            tournament.settings_revision = tournament.revision
            audit(tournament, "settings", actor_id=actor_id, new="; ".join(changes))
        record_tournament_updated(tournament, actor_id)
        # Cutting a Swiss short to the rounds already played means "the event ends here": it is finished as
        # the last result would have finished it, rather than left running with nothing left to pair.
        complete_if_last_round(tournament, actor_id)
        # Raising the rounds of a finished Swiss (e.g. imported from a file that did not say) re-opens pairing.
        if (tournament.status == TournamentStatus.COMPLETED and not tournament.is_round_robin
                and tournament.planned_rounds > max((r.number for r in tournament.rounds), default=0)):
            tournament.status = TournamentStatus.ACTIVE


def _cancel_byes_after(tournament: Tournament, last_round: int, actor_id: int) -> None:
    """Requested byes for rounds no longer planned go, each recorded in the audit trail."""
    for registration in tournament.registrations:
        for bye in [b for b in registration.bye_requests if b.round_number > last_round]:
            registration.bye_requests.remove(bye)
            audit(tournament, "bye_request", actor_id=actor_id, old=f"{registration.name}: bye in round "
                  f"{bye.round_number}", new="cancelled", reason=f"the tournament now has {last_round} rounds")


def active_player_count(tournament: Tournament) -> int:
    return sum(1 for r in tournament.registrations if r.status == RegistrationStatus.ACTIVE)


def refresh_round_robin_rounds(tournament: Tournament) -> None:
    """Before the start a round robin's rounds follow its field: n-1 (or twice that), one more when odd."""
    if tournament.is_round_robin and not tournament.rounds:
        tournament.planned_rounds = round_robin_round_count(active_player_count(tournament), tournament.format)


def record_tournament_created(tournament: Tournament, actor_id: int | None) -> None:
    """Record a new tournament (created or imported) for the open tournament lists, on `tournaments:all` only:
    nobody watches its own pages yet, and rendering them (a whole imported event) would cost the live worker
    seconds for no viewer."""
    events.record_event(channels.TOURNAMENTS_ALL, EventType.TOURNAMENT_UPDATED, entity_type="tournament",
                        entity_id=tournament.id, actor_id=actor_id, tournament_id=tournament.id)


def record_tournament_updated(tournament: Tournament, actor_id: int | None) -> None:
    """Record a change of settings, players' details or a draft: the header and player list re-render."""
    events.record_change(tournament, EventType.TOURNAMENT_UPDATED, entity_type="tournament",
                         entity_id=tournament.id, actor_id=actor_id)
