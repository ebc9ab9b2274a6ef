"""Forms of the admin pages (CSRF through Flask-WTF)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from .connections import MAX_REASON


class CloseConnectionForm(FlaskForm):
    """Close one connection: the reason is sent to the client in the close frame."""
    reason = StringField("Reason", validators=[Length(max=MAX_REASON)])
    ban = BooleanField("Ban (the page does not reconnect)")
