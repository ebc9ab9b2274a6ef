"""Who may do what: the one place role checks live (views call these; templates are only given results)."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import select

from .extensions import db, login_manager
from .models import Registration, Role, Tournament, User


class Anonymous(AnonymousUserMixin):
    """A visitor who is not logged in: a spectator."""
    id = None
    role = Role.VIEWER
    display_name = "Guest"

    def has_role(self, role: Role) -> bool:
        return role == Role.VIEWER


login_manager.anonymous_user = Anonymous
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def role_required(role: Role) -> Callable:
    """View decorator: log in first, then 403 unless the user has `role` (or a higher one)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


# `user` below is Flask-Login's current user or the live core's UserInfo: anything with `is_authenticated`,
# `id` and `role` (a Role or its string value).

def can_manage(user: Any, tournament: Tournament) -> bool:
    """Organizers run their own tournaments; admins run all."""
    if not user.is_authenticated:
        return False
    return user.role == Role.ADMIN or (user.role == Role.ORGANIZER and tournament.organizer_id == user.id)


def can_view(user: Any, tournament: Tournament) -> bool:
    """Public tournaments are for everyone; private ones for their organizer, admins and players."""
    if tournament.is_public or can_manage(user, tournament):
        return True
    return user.is_authenticated and db.session.scalar(
        select(Registration.id).where(Registration.tournament_id == tournament.id,
                                      Registration.user_id == user.id).limit(1)) is not None


def require_manage(tournament: Tournament) -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not can_manage(current_user, tournament):
        abort(403)
