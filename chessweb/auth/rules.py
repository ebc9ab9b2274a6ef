"""The account rules, in one place for the registration form and `flask create-user`.

Each check returns the cleaned value or raises ValueError with a message for the person typing it.
"""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from . import names

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
NAME_PATTERN = re.compile(r"^[\w .'-]{2,64}$")
# Long enough and not one of the passwords every guessing list starts with.
COMMON_PASSWORDS = frozenset({
    "password123", "1234567890", "qwertyuiop", "password1!", "chesschess", "iloveyou12", "0123456789",
    "passw0rd123", "qwerty1234", "abcdefghij", "1q2w3e4r5t", "password12",
})


def login_email(value: str | None) -> str:
    """The one spelling of a typed email: trimmed, NFKC, case-folded (Unicode TR15, and TR44 for
    case folding), so "ＭＡＧＮＵＳ@example.org" and "magnus@example.org" are one account, one throttle counter."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", (value or "").strip()).casefold())


def email(value: str | None) -> str:
    """A syntactically valid address in its one spelling (see `login_email`)."""
    text = login_email(value)
    if len(text) > 254:
        raise ValueError("This email address is too long.")
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("Invalid email address.") from None
    return text


def display_name(value: str | None) -> str:
    """2 to 64 letters, digits, spaces, dots, apostrophes or dashes, in one spelling (NFKC, single spaces), with
    at least two letters or digits a reader can see (see chessweb/auth/names.py)."""
    text = names.one_spelling(value)
    if not 2 <= len(text) <= 64:
        raise ValueError("Use 2 to 64 characters.")
    hidden = names.invisible_characters(text)
    if hidden:
        raise ValueError(f"The name contains characters that show nothing ({', '.join(hidden[:3])}); remove them.")
    if not NAME_PATTERN.match(text):
        raise ValueError("Use letters, digits, spaces, dots, apostrophes or dashes.")
    if names.visible_length(text) < 2:
        raise ValueError("Use at least two visible letters or digits.")
    return text


def password(value: str | None) -> str:
    """Long enough, not one character class, not a well-known password."""
    text = value or ""
    if not MIN_PASSWORD_LENGTH <= len(text) <= MAX_PASSWORD_LENGTH:
        raise ValueError(f"Use at least {MIN_PASSWORD_LENGTH} characters (and at most {MAX_PASSWORD_LENGTH}).")
    if text.lower() in COMMON_PASSWORDS:
        raise ValueError("This password is too common; choose another.")
    if len(set(text)) < 5:
        raise ValueError("Use a password with more different characters.")
    if text.isdigit() or text.isalpha():
        raise ValueError("Mix letters with digits or symbols.")
    return text
