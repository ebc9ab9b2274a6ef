"""Forms of the notification pages; Flask-WTF adds and checks the CSRF token on each."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models import NotificationType, Priority, Role
from .kinds import CHANNELS, GROUPS
from .service import MESSAGE_MAX, TITLE_MAX


class PreferencesForm(FlaskForm):
    """Five groups × three delivery channels, one switch each."""


for _name, _label in GROUPS + CHANNELS:
    setattr(PreferencesForm, _name, BooleanField(_label))


class SendForm(FlaskForm):
    """The notification center's form; the service checks targets and permissions."""
    title = StringField("Title", validators=[InputRequired(message="Give the notification a title."),
                                             Length(max=TITLE_MAX)])
    message = TextAreaField("Message", validators=[InputRequired(message="Write a message."),
                                                   Length(max=MESSAGE_MAX)])
    type = SelectField("Type", choices={t.value: t.value.title() for t in NotificationType},
                       default=NotificationType.INFO.value)
    priority = SelectField("Priority", choices={p.value: p.value.title() for p in Priority},
                           default=Priority.NORMAL.value)
    roles = SelectMultipleField("Roles", choices={r.value: r.value.title() for r in Role}, validate_choice=False)
    users = StringField("User ids", validators=[Optional(), Length(max=4000)],
                        description="Comma-separated ids; search below by name or email.")
    tournament = IntegerField("Everyone in tournament", validators=[Optional(), NumberRange(min=1)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
