"""What every tournament service shares: the one error type, the one-transaction frame, the audit trail."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .. import events
from ..extensions import db
from ..fide.text import control_character
from ..models import AuditEntry, Tournament


class ServiceError(Exception):
    """Bad input for a service; `message` is for the user, `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class Conflict(ServiceError):
    """The state a form acts on changed after the user was shown it (HTTP 409, RFC 9110 §15.5.10).

    `message` says what the state is now, so the user can decide again; nothing was changed."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field, status=409)


def check_shown(shown: int | None, current: int, message: str) -> None:
    """Refuse a change made from a page that showed another version of what it acts on (a lost update).

    `shown` is the revision the form carried (None: a caller with no page, such as the CLI or the demo, which
    acts on the state it reads under the lock); `current` is the revision read under the tournament's lock.
    Raises Conflict with `message`, which should describe the current state."""
    if shown is not None and shown != current:
        raise Conflict(message)


@contextmanager
def changing(tournament_id: int) -> Iterator[Tournament]:
    """Lock the tournament (bumping its revision), yield it, commit once; roll back on any error.

    A ServiceError raised inside leaves the database exactly as it was: the revision bump goes too.
    """
    try:
        tournament = events.lock_tournament(tournament_id)
    except LookupError:
        db.session.rollback()
        raise ServiceError("This tournament does not exist.", status=404) from None
    try:
        yield tournament
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def audit(tournament: Tournament, action: str, *, actor_id: int | None, old: str = "", new: str = "",
          reason: str = "", game_id: int | None = None) -> AuditEntry:
    """Add one audit-trail row to the current transaction."""
    entry = AuditEntry(tournament_id=tournament.id, game_id=game_id, actor_id=actor_id, action=action,
                       old_value=old[:200], new_value=new[:200], reason=reason.strip()[:500])
    db.session.add(entry)
    return entry


def plain_text(value: str | None, what: str, field: str, max_length: int, *, required: bool = False) -> str:
    """A stripped one-line text of at most `max_length` characters, with no control character."""
    # Names and places end up in PGN tags, TRF records and PostgreSQL text, none of which takes a line break
    # or a NUL; a name with a newline would also stop the Dutch pairing engine from reading the tournament.
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(f"{what} is required.", field)
    if len(text) > max_length:
        raise ServiceError(f"{what} is too long (at most {max_length} characters).", field)
    bad = control_character(text)
    if bad is not None:
        raise ServiceError(f"{what} contains a control character (U+{ord(bad):04X}); use one line of plain text.",
                           field)
    return text


def require_text(value: str | None, what: str, field: str, max_length: int) -> str:
    """A stripped, non-empty one-line text of at most `max_length` characters."""
    return plain_text(value, what, field, max_length, required=True)


MAX_REASON = 500


def reason_text(reason: str | None, missing: str | None = None) -> str:
    """A reason for the audit trail: one line of plain text; `missing` is the message when it is required."""
    text = plain_text(reason, "The reason", "reason", MAX_REASON)
    if missing and not text:
        raise ServiceError(missing, "reason")
    return text
