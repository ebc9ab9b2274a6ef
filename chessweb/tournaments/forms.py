"""Forms of the tournament pages; Flask-WTF adds and checks the CSRF token on each."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..fide.trf import MAX_ROUNDS as MAX_TRF_ROUNDS
from ..models import GameResult, TournamentFormat
from .registration import MAX_RATING, TITLES
from .settings import MAX_SWISS_ROUNDS, SCREEN_PERIOD, SCREEN_PERIODS

# What an arbiter may enter; byes are set by the pairing, never by hand. (Value → label dicts: WTForms'
# shorthand for choices.)
ARBITER_RESULTS = {
    GameResult.WHITE_WIN.value: "1–0", GameResult.BLACK_WIN.value: "0–1", GameResult.DRAW.value: "½–½",
    GameResult.WHITE_WIN_FORFEIT.value: "1–0 forfeit (black did not play)",
    GameResult.BLACK_WIN_FORFEIT.value: "0–1 forfeit (white did not play)",
    GameResult.DOUBLE_FORFEIT.value: "double forfeit",
}
PLAYER_RESULTS = dict(list(ARBITER_RESULTS.items())[:3])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def shown_version() -> IntegerField:
    """The hidden version of what the form acts on, as the page showed it (a game's, a draft's, a player entry's
    or the settings' revision); the service answers 409 when it has changed since (no lost updates)."""
    return IntegerField("Page version", widget=HiddenInput(), validators=[
        InputRequired(message="The page is out of date; reload it and try again."), NumberRange(min=0)])


class VersionedActionForm(FlaskForm):
    """A button acting on something the page showed: the CSRF token and that thing's version."""
    version = shown_version()


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[InputRequired(message="Say why (kept in the audit trail)."),
                                               Length(max=500)])


class VersionedReasonForm(ReasonForm):
    version = shown_version()


class WithdrawPlayerForm(VersionedReasonForm):
    from_round = IntegerField("From round", widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])


class WithdrawSelfForm(FlaskForm):
    """A player's withdrawal from the remaining rounds: confirmed with a tick, for the round the page named."""
    from_round = IntegerField("From round", widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])
    confirm = BooleanField("I will not play any further round", validators=[
        InputRequired(message="Tick the box to confirm that you withdraw.")])


class TournamentForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    format = SelectField("Format", choices={f.value: f.label for f in TournamentFormat},
                         default=TournamentFormat.SWISS.value)
    planned_rounds = IntegerField("Rounds", validators=[Optional(), NumberRange(1, MAX_SWISS_ROUNDS)])
    time_control = StringField("Time control", validators=[Optional(), Length(max=40)])
    venue = StringField("Venue", validators=[Optional(), Length(max=120)])
    start_date = DateField("Start date", validators=[InputRequired(message="Choose the first day.")])
    is_public = BooleanField("Public (anyone may watch)", default=True)
    tiebreaks = StringField("Tie-breaks, in order", validators=[Optional(), Length(max=200)])
    tiebreak_edition = SelectField("Tie-break rules (FIDE C.07 edition)", choices={
        "": "In force on the start date", "2024": "2024 edition", "2026": "2026 edition (capped dummy)"})
    top_seed_colour = SelectField("Top seed's colour in round 1", choices={"w": "White", "b": "Black"})
    time_zone = StringField("Time zone (IANA, e.g. Europe/Oslo)", default="UTC",
                            validators=[Optional(), Length(max=64)])
    round_schedule = TextAreaField("Round start times, local, one per line (2026-05-01 14:00)",
                                   validators=[Optional(), Length(max=800)])
    screen_period = IntegerField("Venue screen: seconds per panel", default=SCREEN_PERIOD,
                                 validators=[Optional(), NumberRange(SCREEN_PERIODS.start, SCREEN_PERIODS.stop - 1)])


class TournamentEditForm(TournamentForm):
    version = shown_version()


class PlayerForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=64)])
    rating = IntegerField("Rating", validators=[Optional(), NumberRange(0, MAX_RATING)])
    title = SelectField("Title", choices={"": "–", **{t: t for t in TITLES}}, validators=[Optional()])
    federation = StringField("Federation", validators=[Optional(), Length(max=3)])
    fide_id = StringField("FIDE ID", validators=[Optional(), Length(max=12)])


class PlayerEditForm(PlayerForm):
    version = shown_version()


class AddPlayerForm(PlayerForm):
    account_email = EmailField("Account email (optional: links the player's login)",
                               validators=[Optional(), Email(check_deliverability=False), Length(max=254)])


class ByeForm(FlaskForm):
    registration_id = SelectField("Player", coerce=int, validators=[InputRequired()])
    round_number = IntegerField("Round", validators=[InputRequired(), NumberRange(1, MAX_SWISS_ROUNDS)])
    points = SelectField("Bye", choices={"half": "½-point bye", "zero": "0-point bye",
                                         "full": "1-point bye (if the regulations allow)"})
    version = shown_version()  # of the player list the player was chosen from (registration.roster_revision)


class SwapForm(FlaskForm):
    version = shown_version()
    first = SelectField("Player", coerce=int, validators=[InputRequired()])
    second = SelectField("swaps places with", coerce=int, validators=[InputRequired()])
    reason = StringField("Reason", validators=[InputRequired(message="Say why (kept in the audit trail)."),
                                               Length(max=500)])


class ResultForm(FlaskForm):
    # Starts empty: a preset result is one mistaken tap from being recorded.
    result = SelectField("Result", choices={"": "Choose…", **ARBITER_RESULTS},
                         validators=[InputRequired(message="Choose a result.")])
    reason = StringField("Reason (needed to correct a result)", validators=[Optional(), Length(max=500)])
    version = shown_version()


class ReportForm(FlaskForm):
    result = SelectField("Result", choices={"": "Choose…", **PLAYER_RESULTS},
                         validators=[InputRequired(message="Choose a result.")])
    version = shown_version()


class TrfImportForm(FlaskForm):
    trf = FileField("TRF file (TRF-16 or TRF-2026)", validators=[FileRequired(message="Choose a TRF file to upload.")])
    # Needed when the file has no XXR or 142 record; otherwise it overrides the file's number.
    planned_rounds = IntegerField("Number of rounds", validators=[Optional(), NumberRange(1, MAX_TRF_ROUNDS)])
    is_public = BooleanField("Public (anyone may watch)", default=True)


class MovesForm(FlaskForm):
    pgn = TextAreaField("Moves (PGN)", validators=[Optional(), Length(max=20000)])
    # Older tools write Latin-1 / Windows-1252 files: uploaded bytes are decoded by chessweb.fide.pgn.decode_pgn.
    pgn_file = FileField("or a PGN file (UTF-8, Latin-1 or Windows-1252)")

    def moves(self) -> str | bytes | None:
        """The uploaded file's bytes, else the pasted text; None when neither was given."""
        upload = self.pgn_file.data
        if upload is not None and getattr(upload, "filename", ""):
            return upload.read(self.MAX_FILE_BYTES + 1)
        return self.pgn.data or None

    MAX_FILE_BYTES = 20000
