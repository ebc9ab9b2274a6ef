"""Account forms; Flask-WTF adds and checks the CSRF token."""
from typing import Any, Callable

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from . import rules


def rule(check: Callable[[str], str]) -> Callable[[Any, Field], None]:
    """A WTForms validator from one of the account rules; the field keeps the cleaned value."""
    def validate(_form: Any, field: Field) -> None:
        try:
            field.data = check(field.data)
        except ValueError as problem:
            raise ValidationError(str(problem)) from None
    return validate


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), rule(rules.email)])
    display_name = StringField("Display name", validators=[InputRequired(), rule(rules.display_name)])
    password = PasswordField("Password", validators=[InputRequired(), rule(rules.password)])
    confirm = PasswordField("Repeat password", validators=[
        InputRequired(), EqualTo("password", message="The passwords do not match.")])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=128)])
    remember = BooleanField("Remember me on this device")
