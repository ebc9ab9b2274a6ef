"""Organizer pages: create and edit, players and byes, rounds (draft, publish, swaps), results, audit, import."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..errors import rerender_on_csrf_error
from ..extensions import db
from ..live import channels
from ..models import AuditEntry, Game, Role, Tournament, TournamentFormat
from ..permissions import role_required
from . import arbiter, import_jobs, queries, registration, results, rounds, settings, tiebreaks
from .blueprint import bp
from .forms import (ActionForm, AddPlayerForm, ByeForm, PlayerEditForm, PlayerForm, ResultForm, SwapForm,
                    TournamentEditForm, TournamentForm, TrfImportForm, VersionedActionForm, VersionedReasonForm,
                    WithdrawPlayerForm)
from .service import Conflict, ServiceError
from .web import form_problems, is_htmx, live_url, managed_tournament, report_error


def _done(message: str, endpoint: str = "tournaments.manage", **values: Any):
    flash(message, "success")
    return redirect(url_for(endpoint, **values), code=303)


# --------------------------------------------------------------------------- create and edit

def _settings_from(form: TournamentForm) -> settings.TournamentSettings:
    return settings.TournamentSettings(
        name=form.name.data or "", format=TournamentFormat(form.format.data), start_date=form.start_date.data,
        planned_rounds=form.planned_rounds.data, time_control=form.time_control.data or "",
        venue=form.venue.data or "", is_public=bool(form.is_public.data),
        tiebreaks=tiebreaks.parse(form.tiebreaks.data or ""), tiebreak_edition=form.tiebreak_edition.data or None,
        top_seed_colour=form.top_seed_colour.data, time_zone=form.time_zone.data or "UTC",
        round_schedule=form.round_schedule.data or "", screen_period=form.screen_period.data or settings.SCREEN_PERIOD)


def _tournament_form_page(form: TournamentForm, tournament: Tournament | None, status: int):
    defaults = {f.value: ", ".join(tiebreaks.default_for(f)) for f in TournamentFormat}
    return render_template("tournaments/form.html", form=form, tournament=tournament, defaults=defaults,
                           choices=tiebreaks.CHOICES), status


@bp.route("/tournaments/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
@rerender_on_csrf_error
def new():
    """Create a tournament."""
    form = TournamentForm()
    if form.validate_on_submit():
        try:
            tournament_id = settings.create_tournament(_settings_from(form), current_user.id)
        except ServiceError as error:
            return _tournament_form_page(form, None, report_error(error, form))
        return _done("Tournament created. Open registration or add players when you are ready.",
                     tournament_id=tournament_id)
    return _tournament_form_page(form, None, 400 if form.errors else 200)


@bp.route("/tournaments/<int:tournament_id>/edit", methods=["GET", "POST"])
@rerender_on_csrf_error
def edit(tournament_id: int):
    """Change a tournament's settings (the form carries the settings revision it was filled from)."""
    tournament = managed_tournament(tournament_id)
    form = TournamentEditForm(data=None if request.method == "POST" else _form_data(tournament))
    if form.validate_on_submit():
        try:
            settings.update_tournament(tournament_id, _settings_from(form), current_user.id,
                                       shown_revision=form.version.data)
        except Conflict as conflict:
            # Someone else saved meanwhile: show the settings as they are now, and say what differs.
            db.session.expire_all()
            flash(conflict.message, "error")
            return _tournament_form_page(TournamentEditForm(formdata=None, data=_form_data(tournament)), tournament,
                                         conflict.status)
        except ServiceError as error:
            return _tournament_form_page(form, tournament, report_error(error, form))
        return _done("Settings saved.", tournament_id=tournament_id)
    return _tournament_form_page(form, tournament, 400 if form.errors else 200)


def _form_data(tournament: Tournament) -> dict[str, Any]:
    """The settings as TournamentForm's fields show them."""
    return {"name": tournament.name, "format": tournament.format.value,
            "planned_rounds": tournament.planned_rounds if tournament.format == TournamentFormat.SWISS else None,
            "time_control": tournament.time_control, "venue": tournament.venue, "start_date": tournament.start_date,
            "is_public": tournament.is_public, "tiebreaks": ", ".join(tournament.tiebreak_list),
            "tiebreak_edition": tournament.tiebreak_edition or "", "top_seed_colour": tournament.top_seed_colour,
            "time_zone": tournament.time_zone, "round_schedule": tournament.round_schedule,
            "screen_period": tournament.screen_period,
            "version": tournament.settings_revision}


# --------------------------------------------------------------------------- the organizer's hub

def _manage_page(tournament: Tournament, status: int = 200, *, add_form: AddPlayerForm | None = None,
                 bye_form: ByeForm | None = None):
    db.session.expire_all()
    loaded = queries.load_tournament(tournament.id)
    context = queries.registrations_context(tournament.id, loaded=loaded)
    header = queries.header_context(tournament.id, loaded=loaded)
    rounds_ = loaded.rounds
    withdraw_from = registration.withdrawal_round(loaded)
    bye_form = bye_form or ByeForm(formdata=None)
    bye_form.registration_id.choices = [(p.id, f"{p.number or '–'} {p.name}") for p in context["players"]
                                        if not p.withdrawn]
    # The versions the page shows: forms acting on the list (or a player chosen from it), and on the
    # registration window, carry them; a form refused as stale shows the current version to decide again.
    roster_version = max((p.revision for p in context["players"]), default=0)
    bye_form.version.data, bye_form.version.raw_data = roster_version, None  # not the value posted
    return render_template(
        "tournaments/manage.html", header=header, players=context["players"], rounds=rounds_,
        add_form=add_form or AddPlayerForm(formdata=None), bye_form=bye_form, action_form=ActionForm(),
        manage=True, live_url=_arbiter_live_url(loaded), next_round=len(rounds_) + 1,
        rounds_panel=arbiter.rounds_panel_context(tournament.id, loaded=loaded), withdraw_from=withdraw_from,
        roster_version=roster_version, window_version=loaded.settings_revision), status


def _arbiter_live_url(tournament: Tournament) -> str | None:
    """The organizer's pages go live on the tournament (header) and its arbiter channel (rounds, results)."""
    return live_url(channels.tournament(tournament.id), channels.tournament(tournament.id, "arbiter"),
                    since=tournament.revision)


@bp.get("/tournaments/<int:tournament_id>/manage")
def manage(tournament_id: int):
    """Registration, players, byes and rounds, for the organizer."""
    return _manage_page(managed_tournament(tournament_id))


def _action(tournament: Tournament, call, success: str, form=None, endpoint: str = "tournaments.manage",
            page=None, **values: Any):
    """Validate a one-button (or small) form, call one service, redirect; on failure show the page with a 4xx."""
    form = form or ActionForm()
    page = page or (lambda status: _manage_page(tournament, status))
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        return page(400)
    try:
        call(form)
    except ServiceError as error:
        flash(error.message, "error")
        return page(error.status)
    return _done(success, endpoint, tournament_id=tournament.id, **values)


@bp.post("/tournaments/<int:tournament_id>/registration/<any(open, close):action>")
def toggle_registration(tournament_id: int, action: str):
    """Open or close self-registration (the form carries the settings revision the page showed)."""
    tournament = managed_tournament(tournament_id)
    service = registration.open_registration if action == "open" else registration.close_registration
    return _action(tournament, lambda f: service(tournament_id, current_user.id, shown_revision=f.version.data),
                   "Registration is open." if action == "open" else "Registration is closed.",
                   VersionedActionForm())


@bp.post("/tournaments/<int:tournament_id>/players")
def add_player(tournament_id: int):
    """Add a player (a late entry once a Swiss has started)."""
    tournament = managed_tournament(tournament_id)
    form = AddPlayerForm()
    if not form.validate_on_submit():
        return _manage_page(tournament, 400, add_form=form)
    try:
        registration.add_player(tournament_id, _details(form), current_user.id,
                                account_email=form.account_email.data or "")
    except ServiceError as error:
        status = report_error(error, form)
        return _manage_page(tournament, status, add_form=form)
    return _done(f"{form.name.data.strip()} is added.", tournament_id=tournament_id)


def _details(form: PlayerForm) -> registration.PlayerDetails:
    return registration.PlayerDetails(name=form.name.data or "", rating=form.rating.data, title=form.title.data or "",
                                      federation=form.federation.data or "", fide_id=form.fide_id.data or "")


# At /edit: /tournaments/<id>/players/<n> is the public player page (by pairing number).
@bp.route("/tournaments/<int:tournament_id>/players/<int:registration_id>/edit", methods=["GET", "POST"])
@rerender_on_csrf_error
def edit_player(tournament_id: int, registration_id: int):
    """Correct a player's details and rating."""
    tournament = managed_tournament(tournament_id)
    player = next((r for r in tournament.registrations if r.id == registration_id), None)
    if player is None:
        abort(404)
    form = PlayerEditForm(obj=None if request.method == "POST" else player)
    if request.method == "GET":
        form.title.data = player.title or ""
        form.version.data = player.revision
    if form.validate_on_submit():
        try:
            registration.update_player(tournament_id, registration_id, _details(form), current_user.id,
                                       shown_revision=form.version.data)
        except Conflict as conflict:
            db.session.expire_all()
            flash(conflict.message, "error")
            form = PlayerEditForm(formdata=None, obj=player)
            form.title.data, form.version.data = player.title or "", player.revision
            status = conflict.status
        except ServiceError as error:
            status = report_error(error, form)
        else:
            return _done("Player updated.", tournament_id=tournament_id)
    else:
        status = 400 if form.errors else 200
    return render_template("tournaments/player_form.html", form=form, tournament=tournament, player=player), status


@bp.post("/tournaments/<int:tournament_id>/players/<int:registration_id>/withdraw")
def withdraw_player(tournament_id: int, registration_id: int):
    """Withdraw a player: not paired again (before the start, the entry is removed)."""
    tournament = managed_tournament(tournament_id)
    return _action(tournament, lambda f: registration.withdraw_player(
        tournament_id, registration_id, f.reason.data, current_user.id, shown_revision=f.version.data,
        shown_from_round=f.from_round.data), "The player is withdrawn.", WithdrawPlayerForm())


@bp.post("/tournaments/<int:tournament_id>/players/numbers")
def assign_numbers(tournament_id: int):
    """Number the players by rating, then name (the form carries the player list's version it was shown)."""
    tournament = managed_tournament(tournament_id)
    return _action(tournament, lambda f: registration.assign_pairing_numbers(
        tournament_id, current_user.id, shown_revision=f.version.data), "Pairing numbers assigned by rating.",
        VersionedActionForm())


@bp.post("/tournaments/<int:tournament_id>/byes")
def request_bye(tournament_id: int):
    """Record a requested half- or zero-point bye (or a full-point bye, within the configured limit)."""
    tournament = managed_tournament(tournament_id)
    form = ByeForm()
    form.registration_id.choices = [(r.id, r.name) for r in tournament.registrations]
    if not form.validate_on_submit():
        return _manage_page(tournament, 400, bye_form=form)
    try:
        registration.request_bye(tournament_id, form.registration_id.data, form.round_number.data,
                                 form.points.data == "half", current_user.id, full_point=form.points.data == "full",
                                 full_point_limit=current_app.config["FULL_POINT_BYES_PER_PLAYER"],
                                 shown_revision=form.version.data)
    except ServiceError as error:  # a Conflict (409) included: the page then shows the current list's version
        return _manage_page(tournament, report_error(error, form), bye_form=form)
    return _done("Bye recorded.", tournament_id=tournament_id)


@bp.post("/tournaments/<int:tournament_id>/byes/<int:registration_id>/<int:round_number>/cancel")
def cancel_bye(tournament_id: int, registration_id: int, round_number: int):
    """Take back a requested bye (the form carries the entry's revision the page showed)."""
    tournament = managed_tournament(tournament_id)
    return _action(tournament, lambda f: registration.cancel_bye(
        tournament_id, registration_id, round_number, current_user.id, shown_revision=f.version.data),
        "Bye cancelled.", VersionedActionForm())


# --------------------------------------------------------------------------- rounds

@bp.post("/tournaments/<int:tournament_id>/rounds")
def pair_round(tournament_id: int):
    """Pair the next round as a draft."""
    tournament = managed_tournament(tournament_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form_problems(form), "error")
        return _manage_page(tournament, 400)
    try:
        number = rounds.pair_next_round(tournament_id, current_user.id)
    except ServiceError as error:
        flash(error.message, "error")
        return _manage_page(tournament, error.status)
    return _done("Paired. Check the draft, then publish it.", "tournaments.manage_round", tournament_id=tournament_id,
                 round_number=number)


def _round_page(tournament: Tournament, round_number: int, status: int = 200, *, swap_form: SwapForm | None = None):
    db.session.expire_all()
    loaded = queries.load_tournament(tournament.id)
    try:
        context = queries.organizer_round_context(tournament.id, round_number, loaded=loaded)
    except queries.NotFound:
        abort(404)
    round_ = context["round"]
    swap_form = swap_form or SwapForm(formdata=None)
    swap_form.version.data = round_.revision  # a refused swap shows the draft as it is now, with its version
    choices = [(g.white.id, g.white.name) for g in round_.games] + [
        (g.black.id, g.black.name) for g in round_.games if g.black is not None]
    swap_form.first.choices = swap_form.second.choices = sorted(choices, key=lambda c: c[1])
    return render_template("tournaments/round.html", header=queries.header_context(tournament.id, loaded=loaded),
                           swap_form=swap_form, action_form=ActionForm(), manage=True,
                           live_url=_arbiter_live_url(loaded), choices=arbiter.result_choices(), **context), status


@bp.get("/tournaments/<int:tournament_id>/rounds/<int:round_number>")
def manage_round(tournament_id: int, round_number: int):
    """One round for the organizer: the draft with its tools, or result entry once published."""
    return _round_page(managed_tournament(tournament_id), round_number)


def _round_action(tournament: Tournament, round_number: int, call, success: str, form=None):
    return _action(tournament, call, success, form, "tournaments.manage_round",
                   page=lambda status: _round_page(tournament, round_number, status), round_number=round_number)


@bp.post("/tournaments/<int:tournament_id>/rounds/<int:round_number>/publish")
def publish_round(tournament_id: int, round_number: int):
    """Publish a draft: everyone sees the pairings, play starts."""
    tournament = managed_tournament(tournament_id)
    return _round_action(tournament, round_number,
                         lambda f: rounds.publish_round(tournament_id, round_number, current_user.id,
                                                        shown_revision=f.version.data),
                         f"Round {round_number} is published.", VersionedActionForm())


@bp.post("/tournaments/<int:tournament_id>/rounds/<int:round_number>/discard")
def discard_round(tournament_id: int, round_number: int):
    """Throw a draft away so the round can be paired again."""
    tournament = managed_tournament(tournament_id)
    return _action(tournament, lambda f: rounds.discard_draft(tournament_id, round_number, f.reason.data,
                                                               current_user.id, shown_revision=f.version.data),
                   f"The draft of round {round_number} is discarded.", VersionedReasonForm(),
                   page=lambda status: _round_page(tournament, round_number, status))


@bp.post("/tournaments/<int:tournament_id>/rounds/<int:round_number>/swap")
def swap_players(tournament_id: int, round_number: int):
    """Exchange two players' places in a draft."""
    tournament = managed_tournament(tournament_id)
    form = SwapForm()
    ids = [r.id for r in tournament.registrations]
    form.first.choices = form.second.choices = [(i, str(i)) for i in ids]
    if not form.validate_on_submit():
        return _round_page(tournament, round_number, 400, swap_form=form)
    try:
        rounds.swap_players(tournament_id, round_number, form.first.data, form.second.data, form.reason.data,
                            current_user.id, shown_revision=form.version.data)
    except ServiceError as error:
        return _round_page(tournament, round_number, report_error(error, form), swap_form=form)
    return _done("Pairing changed.", "tournaments.manage_round", tournament_id=tournament_id,
                 round_number=round_number)


def _tournament_game(tournament: Tournament, game_id: int) -> Game:
    """404 for a game of another tournament (a tampered URL)."""
    game = db.session.scalar(select(Game).where(Game.id == game_id).options(joinedload(Game.round)))
    if game is None or game.round.tournament_id != tournament.id:
        abort(404)
    return game


@bp.post("/tournaments/<int:tournament_id>/games/<int:game_id>/colours")
def swap_colours(tournament_id: int, game_id: int):
    """Swap colours on one board of a draft."""
    tournament = managed_tournament(tournament_id)
    game = _tournament_game(tournament, game_id)
    number = game.round.number
    return _round_action(tournament, number, lambda f: rounds.swap_colours(
        tournament_id, game_id, f.reason.data, current_user.id, shown_revision=f.version.data), "Colours swapped.",
        VersionedReasonForm())


@bp.post("/tournaments/<int:tournament_id>/games/<int:game_id>/result")
def enter_result(tournament_id: int, game_id: int):
    """Enter or correct a result (arbiter); htmx gets the updated row back."""
    tournament = managed_tournament(tournament_id)
    game = _tournament_game(tournament, game_id)
    number = game.round.number
    form = ResultForm()
    error_message, status = None, 200
    if not form.validate_on_submit():
        error_message, status = form_problems(form), 400
    else:
        try:
            results.set_result(tournament_id, game_id, form.result.data, current_user.id, form.reason.data or "",
                               shown_revision=form.version.data)
        except ServiceError as error:
            error_message, status = error.message, error.status
    if is_htmx():
        db.session.expire_all()
        context = queries.organizer_round_context(tournament_id, number)
        row = next(g for g in context["round"].games if g.id == game_id)
        html = render_template("tournaments/_result_row.html", g=row, tournament=context["tournament"],
                               round=context["round"], csrf=generate_csrf(), choices=arbiter.result_choices(),
                               error=error_message, saved=error_message is None)
        response = make_response(html, status)
        response.vary.add("HX-Request")
        return response
    if error_message:
        flash(error_message, "error")
        return _round_page(tournament, number, status)
    return _done("Result saved.", "tournaments.manage_round", tournament_id=tournament_id, round_number=number,
                 _anchor=f"board-{game.board}")


# --------------------------------------------------------------------------- audit and import

@bp.get("/tournaments/<int:tournament_id>/audit")
def audit_trail(tournament_id: int):
    """Every recorded change: who, when, old → new, why."""
    tournament = managed_tournament(tournament_id)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.tournament_id == tournament_id)
                                 .options(joinedload(AuditEntry.actor))
                                 .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())).all()
    games = {g.id: (r.number, g.board) for r in tournament.rounds for g in r.games}
    return render_template("tournaments/audit.html", header=queries.header_context(tournament_id), entries=entries,
                           games=games, manage=True, live_url=None)


MAX_IMPORT_WARNINGS = 20  # shown after an import; the rest are counted


@bp.route("/tournaments/import", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
@rerender_on_csrf_error
def import_trf():
    """Create a tournament from a FIDE TRF file (TRF-16 or TRF-2026); what the file left out is listed."""
    form = TrfImportForm()
    status = 200
    if form.validate_on_submit():
        try:
            imported = import_jobs.import_trf_job(form.trf.data.read(), current_user.id,
                                                  is_public=bool(form.is_public.data),
                                                  planned_rounds=form.planned_rounds.data)
        except ServiceError as error:
            status = report_error(error, form)
        else:
            for warning in imported.warnings[:MAX_IMPORT_WARNINGS]:
                flash(f"Imported with a warning: {warning}.", "warning")
            if len(imported.warnings) > MAX_IMPORT_WARNINGS:
                flash(f"… and {len(imported.warnings) - MAX_IMPORT_WARNINGS} more warnings.", "warning")
            return _done("Tournament imported.", tournament_id=imported.tournament_id)
    elif form.errors:
        status = 400
    return render_template("tournaments/import.html", form=form), status

