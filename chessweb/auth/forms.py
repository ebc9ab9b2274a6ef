"""Account forms; Flask-WTF adds and checks the CSRF token."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Regexp, ValidationError

MIN_PASSWORD_LENGTH = 10
# Long enough and not one of the passwords every guessing list starts with.
COMMON_PASSWORDS = frozenset({
    "password123", "1234567890", "qwertyuiop", "password1!", "chesschess", "iloveyou12", "0123456789",
    "passw0rd123", "qwerty1234", "abcdefghij", "1q2w3e4r5t", "password12",
})


def strong_password(_form, field) -> None:
    """Reject short, one-character-class or well-known passwords."""
    value = field.data or ""
    if value.lower() in COMMON_PASSWORDS:
        raise ValidationError("This password is too common; choose another.")
    if len(set(value)) < 5:
        raise ValidationError("Use a password with more different characters.")
    if value.isdigit() or value.isalpha():
        raise ValidationError("Mix letters with digits or symbols.")


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField("Display name", validators=[
        InputRequired(), Length(min=2, max=64),
        Regexp(r"^[\w .'-]+$", message="Use letters, digits, spaces, dots, apostrophes or dashes.")])
    password = PasswordField("Password", validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=128,
                                message=f"Use at least {MIN_PASSWORD_LENGTH} characters."),
        strong_password])
    confirm = PasswordField("Repeat password", validators=[
        InputRequired(), EqualTo("password", message="The passwords do not match.")])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=128)])
    remember = BooleanField("Remember me on this device")
