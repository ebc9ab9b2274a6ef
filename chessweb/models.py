"""The database schema: accounts, the chess domain and the real-time tables of DESIGN.md."""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    """Now in UTC, without tzinfo: SQLite and PostgreSQL `timestamp` columns then agree."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store enum *values* as plain strings (no native PG enum types: they make migrations painful).
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


# --------------------------------------------------------------------------- accounts

class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    ORGANIZER = "ORGANIZER"
    PARTICIPANT = "PARTICIPANT"
    VIEWER = "VIEWER"


# What each role may do includes everything the roles after it may do.
ROLE_RANK = {Role.VIEWER: 0, Role.PARTICIPANT: 1, Role.ORGANIZER: 2, Role.ADMIN: 3}


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.PARTICIPANT)
    fide_id: Mapped[str | None] = mapped_column(String(12))
    rating: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt, salted

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: Role) -> bool:
        """True when this user's role is `role` or a more powerful one."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name} {self.role}>"


class LoginFailure(db.Model):
    """One failed login; counted per email and per address to slow down password guessing."""
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --------------------------------------------------------------------------- chess domain

class TournamentFormat(enum.StrEnum):
    ROUND_ROBIN = "ROUND_ROBIN"
    DOUBLE_ROUND_ROBIN = "DOUBLE_ROUND_ROBIN"
    SWISS = "SWISS"

    @property
    def label(self) -> str:
        return {"ROUND_ROBIN": "Round robin", "DOUBLE_ROUND_ROBIN": "Double round robin",
                "SWISS": "Swiss (FIDE Dutch)"}[self.value]


class TournamentStatus(enum.StrEnum):
    UPCOMING = "UPCOMING"
    REGISTRATION = "REGISTRATION"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"


class Tournament(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    format: Mapped[TournamentFormat] = mapped_column(_enum(TournamentFormat))
    planned_rounds: Mapped[int]
    time_control: Mapped[str] = mapped_column(String(40), default="")
    venue: Mapped[str] = mapped_column(String(120), default="")
    start_date: Mapped[date]
    status: Mapped[TournamentStatus] = mapped_column(_enum(TournamentStatus), default=TournamentStatus.UPCOMING)
    # Comma-separated C.07 codes in order, e.g. "BH-C1,BH,SB".
    tiebreaks: Mapped[str] = mapped_column(String(200))
    # C.07 edition ("2024" or "2026"); None means: chosen by start date.
    tiebreak_edition: Mapped[str | None] = mapped_column(String(8))
    # Colour of the top seed in round 1 ("w" or "b"); pairing engines need it.
    top_seed_colour: Mapped[str] = mapped_column(String(1), default="w")
    # Kept from an imported TRF and written back (records 032 and 052); informational.
    federation: Mapped[str | None] = mapped_column(String(3))
    end_date: Mapped[date | None]
    is_public: Mapped[bool] = mapped_column(default=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # Bumped in every transaction that changes what the live pages show; versions pushed fragments.
    revision: Mapped[int] = mapped_column(default=0)
    # The revision of the last change to the settings: the settings form carries it (no lost updates).
    settings_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    # IANA time zone every time of the tournament is shown in; the round starts are local times of it,
    # "YYYY-MM-DD HH:MM" one per line, round 1 first (tournaments/schedule.py reads them).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    round_schedule: Mapped[str] = mapped_column(String(800), default="", server_default="")
    # Seconds each panel of the venue screen (/tournaments/<id>/screen) stays; `?period=` overrides it.
    screen_period: Mapped[int] = mapped_column(default=15, server_default="15")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organizer: Mapped[User] = relationship()
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="tournament", order_by="Registration.pairing_number", cascade="all, delete-orphan")
    rounds: Mapped[list[Round]] = relationship(
        back_populates="tournament", order_by="Round.number", cascade="all, delete-orphan")

    @property
    def tiebreak_list(self) -> list[str]:
        return [code for code in self.tiebreaks.split(",") if code]

    @property
    def is_round_robin(self) -> bool:
        return self.format != TournamentFormat.SWISS

    def __repr__(self) -> str:
        return f"<Tournament {self.id} {self.name!r} {self.status}>"


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"


class Registration(db.Model):
    """A player in one tournament. Players added by an organizer or imported need no account."""
    __table_args__ = (
        UniqueConstraint("tournament_id", "user_id"),
        UniqueConstraint("tournament_id", "pairing_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournament.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int | None]  # rating at entry
    fide_id: Mapped[str | None] = mapped_column(String(12))
    federation: Mapped[str | None] = mapped_column(String(3))
    title: Mapped[str | None] = mapped_column(String(3))
    # Informational (TRF record 001): "m", "w" or None; a birth date, or only its year.
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None]
    birth_year: Mapped[int | None]
    pairing_number: Mapped[int | None]
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus), default=RegistrationStatus.ACTIVE)
    # First round the player no longer plays in (None while active).
    withdrawn_from_round: Mapped[int | None]
    # The tournament revision of the last change to this entry; forms acting on the player carry it.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tournament: Mapped[Tournament] = relationship(back_populates="registrations")
    user: Mapped[User | None] = relationship()
    bye_requests: Mapped[list[ByeRequest]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="ByeRequest.round_number")


class ByeRequest(db.Model):
    """A requested half- or zero-point bye for a future round, or a full-point bye the regulations allow."""
    __table_args__ = (UniqueConstraint("registration_id", "round_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    round_number: Mapped[int]
    half_point: Mapped[bool] = mapped_column(default=True)
    full_point: Mapped[bool] = mapped_column(default=False, server_default=false())  # wins over half_point

    @property
    def code(self) -> str:
        """The TRF code: F, H or Z."""
        return "F" if self.full_point else "H" if self.half_point else "Z"

    @property
    def points_label(self) -> str:
        """The bye's points as shown: "1", "½" or "0"."""
        return {"F": "1", "H": "½", "Z": "0"}[self.code]

    registration: Mapped[Registration] = relationship(back_populates="bye_requests")


class RoundStatus(enum.StrEnum):
    DRAFT = "DRAFT"          # paired, visible to the organizer only
    PUBLISHED = "PUBLISHED"  # being played
    COMPLETED = "COMPLETED"  # every game has a final result


# SQLite reuses the highest rowid after a delete; a discarded draft's round and game ids must never come back
# for other games (live channels, cached pages and the audit trail name games by id).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Round(db.Model):
    __table_args__ = (UniqueConstraint("tournament_id", "number"), NEVER_REUSE_IDS)
    id: Mapped[int] = mapped_column(primary_key=True)
    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournament.id"), index=True)
    number: Mapped[int]
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus), default=RoundStatus.DRAFT)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    tournament: Mapped[Tournament] = relationship(back_populates="rounds")
    games: Mapped[list[Game]] = relationship(
        back_populates="round", order_by="Game.board", cascade="all, delete-orphan")


class GameResult(enum.StrEnum):
    """Every outcome a board can have; byes are games without a black player."""
    PENDING = "*"
    WHITE_WIN = "1-0"
    BLACK_WIN = "0-1"
    DRAW = "1/2-1/2"
    WHITE_WIN_FORFEIT = "+/-"
    BLACK_WIN_FORFEIT = "-/+"
    DOUBLE_FORFEIT = "-/-"
    BYE_PAIRING = "U"   # pairing-allocated bye, a win's points
    BYE_FULL = "F"      # requested/awarded full-point bye
    BYE_HALF = "H"      # requested half-point bye
    BYE_ZERO = "Z"      # requested zero-point bye

    @property
    def is_bye(self) -> bool:
        return self in (GameResult.BYE_PAIRING, GameResult.BYE_FULL, GameResult.BYE_HALF, GameResult.BYE_ZERO)

    @property
    def is_final(self) -> bool:
        return self is not GameResult.PENDING

    @property
    def label(self) -> str:
        return {"*": "–", "1-0": "1–0", "0-1": "0–1", "1/2-1/2": "½–½", "+/-": "+ –", "-/+": "– +",
                "-/-": "– –", "U": "bye (1)", "F": "bye (1)", "H": "bye (½)", "Z": "bye (0)"}[self.value]


class Game(db.Model):
    __table_args__ = (UniqueConstraint("round_id", "board"), NEVER_REUSE_IDS)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    board: Mapped[int]
    white_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    black_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), index=True)
    result: Mapped[GameResult] = mapped_column(_enum(GameResult), default=GameResult.PENDING)
    # A player's report waits here until the opponent or an arbiter confirms it.
    reported_result: Mapped[GameResult | None] = mapped_column(_enum(GameResult))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    disputed: Mapped[bool] = mapped_column(default=False)
    pgn: Mapped[str] = mapped_column(Text, default="")
    # The tournament revision of the last change to the pairing, report or result (not relayed moves): forms
    # acting on the game carry it, so nobody confirms or corrects a state they were not shown.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship(back_populates="games")
    white: Mapped[Registration] = relationship(foreign_keys=[white_id])
    black: Mapped[Registration | None] = relationship(foreign_keys=[black_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])


class AuditEntry(db.Model):
    """Who changed what in a tournament and why: result changes, manual pairings, withdrawals."""
    id: Mapped[int] = mapped_column(primary_key=True)
    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournament.id"), index=True)
    # The trail outlives what it mentions: a discarded draft's game or a deleted account leaves the row, its
    # texts saying what it was about.
    game_id: Mapped[int | None] = mapped_column(ForeignKey("game.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(String(200), default="")
    new_value: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


# --------------------------------------------------------------------------- real time

class EventType(enum.StrEnum):
    GAME_STARTED = "GAME_STARTED"
    GAME_UPDATED = "GAME_UPDATED"  # relayed moves
    GAME_RESULT_SUBMITTED = "GAME_RESULT_SUBMITTED"
    GAME_COMPLETED = "GAME_COMPLETED"
    ROUND_STARTED = "ROUND_STARTED"
    ROUND_COMPLETED = "ROUND_COMPLETED"
    TOURNAMENT_STARTED = "TOURNAMENT_STARTED"
    TOURNAMENT_COMPLETED = "TOURNAMENT_COMPLETED"
    TOURNAMENT_UPDATED = "TOURNAMENT_UPDATED"  # settings or registration window changed
    PARTICIPANT_REGISTERED = "PARTICIPANT_REGISTERED"
    PARTICIPANT_WITHDREW = "PARTICIPANT_WITHDREW"
    STANDINGS_UPDATED = "STANDINGS_UPDATED"
    PAIRING_GENERATED = "PAIRING_GENERATED"
    SYSTEM_ANNOUNCEMENT = "SYSTEM_ANNOUNCEMENT"
    USER_JOINED = "USER_JOINED"
    USER_LEFT = "USER_LEFT"


class WebSocketConnection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Which server process holds the socket, so a restarted process can retire its dead rows.
    server_id: Mapped[str] = mapped_column(String(120), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    format: Mapped[str] = mapped_column(String(8), default="html")
    subscriptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_ping_at: Mapped[datetime] = mapped_column(default=utcnow)
    disconnected_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True, index=True)

    user: Mapped[User | None] = relationship()


class RealtimeEvent(db.Model):
    """A committed change, for every consumer (live pages, notifications, ...) to see once.

    `scope` is the channel it belongs to (`tournament:<id>`, `user:<id>`, `system`, `admin`,
    `tournaments:all`); `processed` turns true once every consumer has finished with it."""
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[EventType] = mapped_column(_enum(EventType))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    scope: Mapped[str] = mapped_column(String(80), default="system", index=True)
    tournament_id: Mapped[int | None] = mapped_column(ForeignKey("tournament.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    processed: Mapped[bool] = mapped_column(default=False)
    delivered_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PendingEvent(db.Model):
    """One consumer's unfinished work: a committed event it has not handled yet (deleted once it has).

    Rows are born claimed by the committing process (`claimed_by`) for a lease (`claimed_until`); rows
    whose lease ran out (the process died before finishing) are claimed again by any process's sweep."""
    __table_args__ = (Index("ix_pending_event_consumer_scope", "consumer", "scope"),)
    consumer: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("realtime_event.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime] = mapped_column(index=True)

    event: Mapped[RealtimeEvent] = relationship()


class MonitorAlert(db.Model):
    """An alert of the admin system health that is raised now (chessweb/monitoring/notify.py): one row per alert
    name, written by the process that announced it to the admins. The key makes every process agree that a
    raise was announced once, also while the broker is down and each process raises it on its own."""
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    notification_id: Mapped[int | None]  # the admins' notification that announced it (no key: a record)
    server: Mapped[str] = mapped_column(String(120), default="")  # the process that announced it
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(db.Model):
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    # What to hear about ...
    game_results: Mapped[bool] = mapped_column(default=True)
    tournament_updates: Mapped[bool] = mapped_column(default=True)
    standings_changes: Mapped[bool] = mapped_column(default=True)
    pairing_updates: Mapped[bool] = mapped_column(default=True)
    system_alerts: Mapped[bool] = mapped_column(default=True)
    # ... and how.
    realtime: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    push: Mapped[bool] = mapped_column(default=False)


class NotificationType(enum.StrEnum):
    INFO = "INFO"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"
    ANNOUNCEMENT = "ANNOUNCEMENT"


class Priority(enum.StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Notification(db.Model):
    """A message as sent; each recipient's copy and read state is a UserNotification."""
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    type: Mapped[NotificationType] = mapped_column(_enum(NotificationType), default=NotificationType.INFO)
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    # Which preference switch governs it ("game_results", ...); None = always delivered (emergency).
    category: Mapped[str | None] = mapped_column(String(40))
    target_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    link: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # What it is about ("paired", "result_reported", ... ; "" for the admin center's messages).
    kind: Mapped[str] = mapped_column(String(40), default="")
    # A personal notification has one recipient; a broadcast has NotificationAudience rows instead.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    tournament_id: Mapped[int | None] = mapped_column(ForeignKey("tournament.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. the game to confirm
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    # The RealtimeEvent row the live core credits with sockets reached (no key: events are pruned).
    realtime_event_id: Mapped[int | None]
    # A personal notice: the RealtimeEvent of the change it tells of; delivered when that event is consumed.
    source_event_id: Mapped[int | None] = mapped_column(index=True)
    targeted_count: Mapped[int] = mapped_column(default=0)
    email_sent: Mapped[int] = mapped_column(default=0)
    email_failed: Mapped[int] = mapped_column(default=0)
    # Email and push still owed (set in the creating transaction) and the lease of the process sending them:
    # a crash loses neither (notifications/outgoing.py).
    outgoing_due: Mapped[bool] = mapped_column(default=False, index=True)
    outgoing_lease_until: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class NotificationAudience(db.Model):
    """Who a broadcast is for: kind "role" (value = role), "user" (user id), "tournament" (tournament id) or
    "everyone". One row per target, never per recipient: sending to 10,000 users writes a handful of rows."""
    __table_args__ = (db.Index("ix_notification_audience_kind_value", "kind", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(40), default="")


class NotificationReadMark(db.Model):
    """A user's "mark all read": every notification up to this id is read, without a row per notification."""
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    read_through_id: Mapped[int] = mapped_column(default=0)


class PushSubscription(db.Model):
    """One browser's Web Push subscription (RFC 8030): where to post, and the keys to encrypt for it (RFC 8291)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationEmail(db.Model):
    """One notification's email to one user, claimed (committed) before the SMTP send and marked after it, so a
    worker killed mid-batch and the retry never email the same user twice for the same notification.
    `state`: "sending" (claimed), "sent", "failed" (every attempt failed, or a crash left the send unknown)."""
    __table_args__ = (UniqueConstraint("notification_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserNotification(db.Model):
    """One user's read receipt of one notification, written when it is read (the inbox itself is a query)."""
    __table_args__ = (UniqueConstraint("user_id", "notification_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notification: Mapped[Notification] = relationship()
