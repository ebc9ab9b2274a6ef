"""The user's settings page for personal API tokens: make one (shown once), see them, revoke one."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from . import tokens
from .tokens_model import SCOPES

settings_bp = Blueprint("api_settings", __name__, url_prefix="/settings")

SCOPE_HELP = {"read": "read private tournaments you may see", "report": "report the results of your own games",
              "arbiter": "enter results in tournaments you run", "relay": "push moves in tournaments you run"}


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=64)])
    scopes = SelectMultipleField("Scopes", choices={s: f"{s}: {SCOPE_HELP[s]}" for s in SCOPES},
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput())


class RevokeForm(FlaskForm):
    token_id = HiddenField(validators=[DataRequired()])


@settings_bp.route("/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """GET: the page; POST: make a token and show its secret once."""
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            secret = tokens.create(current_user.id, form.name.data or "", list(form.scopes.data or [])).secret
            form = TokenForm(formdata=None)
        except tokens.TokenError as error:
            form.scopes.errors = [str(error)]
    status = 422 if form.errors else 200
    return render_template("api/tokens.html", form=form, secret=secret, revoke_form=RevokeForm(),
                           tokens=tokens.of_user(current_user.id)), status


@settings_bp.post("/tokens/revoke")
@login_required
def revoke_token():
    form = RevokeForm()
    if form.validate_on_submit() and str(form.token_id.data).isdigit() and \
            tokens.revoke(current_user.id, int(form.token_id.data)):
        flash("The token is revoked: programs using it are refused from now on.", "success")
    else:
        flash("No such token to revoke.", "error")
    return redirect(url_for("api_settings.api_tokens"))
