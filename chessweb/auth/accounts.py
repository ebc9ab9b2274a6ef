"""Making an account: the one path for the registration form, `flask create-user` and the demo."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import NotificationPreference, Role, User
from . import names, rules


class AccountTaken(ValueError):
    """The email or display name belongs to another account; `problems` maps each field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def create_user(email: str, display_name: str, password: str, role: Role) -> User:
    """Add an account with its notification preferences to the session (the caller commits).

    Raises ValueError with a message for the person typing when a value breaks the account rules, and
    AccountTaken when the email or name is in use. A concurrent insert of the same account can still end
    in IntegrityError at the flush or commit."""
    email, display_name, password = rules.email(email), rules.display_name(display_name), rules.password(password)
    problems = {}
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        problems["email"] = "An account with this email already exists."
    # Look-alikes count as taken (names.py): every name is compared, a few milliseconds per thousand accounts.
    if names.look_alike(display_name, list(db.session.scalars(select(User.display_name)))):
        problems["display_name"] = "This display name is taken, or looks like one that is."
    if problems:
        raise AccountTaken(problems)
    user = User(email=email, display_name=display_name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.add(NotificationPreference(user_id=user.id))
    return user
