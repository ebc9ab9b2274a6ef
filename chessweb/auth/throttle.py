"""Slowing down password guessing without locking out the account's owner.

Failures are counted per (email, client address) pair and per client address, never per email alone: an
email refused everywhere after a few guesses lets anyone lock an arbiter out of result entry. Past the free
attempts, each further failure doubles the wait before the next attempt from that pair (or that address)
is heard, up to the window: the guesser slows down exponentially while the owner, from any other address,
logs in as usual. This follows OWASP's Authentication Cheat Sheet ("Login Throttling": throttle the
source, do not lock the account). The caller passes the *client's* address: behind a proxy that is only
true with PROXY_FIX_X_FOR set (see chessweb.security).

Both the login and the registration form (whose "email taken" answer tells that an account exists) count
here, so enumerating accounts through either costs the same.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, select

from ..extensions import db
from ..models import LoginFailure, utcnow


@dataclass(frozen=True)
class Limits:
    """Free failures per (email, address) pair and per address, the first wait in seconds (doubled with
    each further failure) and the window in seconds after which a failure is forgotten."""
    per_pair: int
    per_address: int
    first_wait: float
    window: float

    @classmethod
    def from_config(cls) -> Limits:
        cfg = current_app.config
        return cls(per_pair=int(cfg["LOGIN_FAILURES_PER_EMAIL"]), per_address=int(cfg["LOGIN_FAILURES_PER_IP"]),
                   first_wait=float(cfg["LOGIN_FIRST_WAIT_SECONDS"]),
                   window=float(cfg["LOGIN_FAILURE_WINDOW_SECONDS"]))

    def wait_after(self, failures: int, free: int) -> float:
        """Seconds to wait after the last of `failures`: 0 while free, then first_wait, 2x, 4x... capped."""
        if failures < free:
            return 0.0
        return min(self.first_wait * 2 ** min(failures - free, 32), self.window)


def seconds_to_wait(email: str, address: str, *, now: datetime | None = None) -> int:
    """Whole seconds until an attempt on `email` from `address` will be heard; 0 means now.

    `email` is the normalised address typed (whether or not an account has it, so the answer tells
    nothing about which accounts exist)."""
    limits = Limits.from_config()
    now = now or utcnow()
    since = now - timedelta(seconds=limits.window)
    of_pair = and_(LoginFailure.email == email, LoginFailure.ip == address)
    pair_count, pair_last, address_count, address_last = db.session.execute(
        select(func.count().filter(of_pair), func.max(LoginFailure.at).filter(of_pair),
               func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.at >= since, LoginFailure.ip == address)).one()
    ready = now
    if pair_count:
        ready = max(ready, pair_last + timedelta(seconds=limits.wait_after(pair_count, limits.per_pair)))
    if address_count:
        ready = max(ready, address_last + timedelta(seconds=limits.wait_after(address_count, limits.per_address)))
    return math.ceil((ready - now).total_seconds())


def record_failure(email: str, address: str) -> None:
    """Count one failed attempt and commit; failures older than the window count for nothing, so they go."""
    since = utcnow() - timedelta(seconds=float(current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"]))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    db.session.add(LoginFailure(email=email, ip=address))
    db.session.commit()


def forget_failures(email: str, address: str) -> None:
    """After a successful login: this pair's failures go (the caller commits). Failures on the same email
    from other addresses stay: the owner's login must not reset a guesser elsewhere."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.ip == address))


def wait_message(seconds: int) -> str:
    """What the form says while an address must wait."""
    if seconds >= 90:
        return f"Too many failed attempts. Try again in {math.ceil(seconds / 60)} minutes."
    return f"Too many failed attempts. Try again in {seconds} seconds."
