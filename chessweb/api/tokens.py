"""Personal API tokens: made and revoked by their owner, checked on every Bearer request (RFC 6750 §2.1).

A token is `cw_` + 43 characters of base64url (256 random bits); only its SHA-256 is stored. Each token has its
own request budget (API_TOKEN_RATE, the `limits` notation Flask-Limiter uses), counted in the app's limiter
storage (Redis when the app has one, so every process counts together).
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import current_app, g, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from ..extensions import db
from ..models import User, utcnow
from .tokens_model import SCOPES, ApiToken

PREFIX = "cw_"
MAX_TOKENS_PER_USER = 20
DEFAULT_RATE = "120 per minute;2000 per hour"


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown to its owner once and never again."""
    id: int
    secret: str


class TokenError(ValueError):
    """A token that cannot be made; the text is for the user."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(user_id: int, name: str, scopes: list[str]) -> NewToken:
    """Make a token for `user_id` with `scopes` (a subset of SCOPES); TokenError for bad input."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise TokenError("Give the token a name of 1 to 64 characters.")
    chosen = [s for s in SCOPES if s in scopes]
    if not chosen or len(chosen) != len(set(scopes)):
        raise TokenError(f"Choose at least one scope from: {', '.join(SCOPES)}.")
    live = db.session.scalar(select(db.func.count(ApiToken.id)).where(ApiToken.user_id == user_id,
                                                                       ApiToken.revoked_at.is_(None)))
    if live >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You have {MAX_TOKENS_PER_USER} tokens; revoke one first.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, prefix=secret[:10], token_hash=digest(secret),
                     scopes=" ".join(chosen))
    db.session.add(token)
    db.session.commit()
    return NewToken(token.id, secret)


def revoke(user_id: int, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when there is no such live token of theirs."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.commit()
    return True


def of_user(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


# --------------------------------------------------------------------------- Bearer authentication

def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _limiter() -> tuple[MovingWindowRateLimiter, str]:
    state = current_app.extensions.get("api_token_limiter")
    if state is None:
        uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        state = (MovingWindowRateLimiter(storage_from_string(uri)), uri)
        current_app.extensions["api_token_limiter"] = state
    return state


def _within_rate(token: ApiToken) -> bool:
    limiter, _ = _limiter()
    rate = str(current_app.config.get("API_TOKEN_RATE", DEFAULT_RATE))
    prefix = str(current_app.config.get("BROKER_PREFIX", "chessweb"))
    try:
        return all([limiter.hit(item, prefix, "api-token", str(token.id)) for item in parse_many(rate)])
    except Exception:  # noqa: BLE001 - the counter store is down: serve rather than refuse (as RATELIMIT_SWALLOW_ERRORS)
        return True


def authenticate(scope: str) -> User:
    """The account of the request's Bearer token, checked as `token_required` says (raises its 401/403/429)."""
    secret = _bearer()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret))) \
        if secret and len(secret) < 200 else None
    if token is None or token.revoked_at is not None:
        raise Unauthorized("a valid API token is needed: Authorization: Bearer <token>")
    if scope not in token.scope_list:
        raise Forbidden(f"this token lacks the {scope!r} scope")
    if not _within_rate(token):
        raise TooManyRequests("this token made too many requests; slow down")
    user = db.session.get(User, token.user_id)
    if user is None:
        raise Unauthorized("the token's account no longer exists")
    token.last_used_at = utcnow()
    db.session.commit()
    return user


def has_bearer() -> bool:
    return _bearer() is not None


def token_required(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator: a live token with `scope` in `Authorization: Bearer`, within its rate; the acting user in
    `g.api_user`. 401 without a valid token (cookies do not count: these requests carry no CSRF token), 403 for
    a token without the scope, 429 past its rate."""
    assert scope in SCOPES, scope

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = authenticate(scope)
            g.api_user = user
            return view(*args, **kwargs)
        return wrapped
    return decorator
