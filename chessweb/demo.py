"""Demo data for `flask seed-demo`: accounts and three tournaments, made through the same services as the pages.

Results are drawn from the Elo expectation with a fixed seed, so every seeded database looks the same.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select

from .auth.accounts import create_user
from .extensions import db
from .fide.crosstable import ResultCode
from .fide.simulation import game_result
from .games.relay import relay_moves
from .models import (AuditEntry, Game, GameResult, Notification, NotificationAudience, NotificationEmail,
                     NotificationPreference, NotificationReadMark, RealtimeEvent, Role, Round, Tournament,
                     TournamentFormat, User, UserNotification)
from .tournaments import registration, results, rounds, settings
from .tournaments.registration import PlayerDetails

SEED = 2026


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    name: str
    email: str
    password: str


# Demo only: fixed so that `make run` can print them again on every start.
LOGINS = (
    DemoLogin(Role.ADMIN, "Ada Admin", "admin@chessweb.example", "admin-demo-2026"),
    DemoLogin(Role.ORGANIZER, "Oskar Organizer", "organizer@chessweb.example", "organizer-demo-2026"),
    DemoLogin(Role.PARTICIPANT, "Maria Lindqvist", "maria@chessweb.example", "player-demo-2026"),
    DemoLogin(Role.PARTICIPANT, "Tomasz Wrobel", "tomasz@chessweb.example", "player-demo-2026"),
    DemoLogin(Role.PARTICIPANT, "Aisha Okonkwo", "aisha@chessweb.example", "player-demo-2026"),
    DemoLogin(Role.PARTICIPANT, "Diego Salazar", "diego@chessweb.example", "player-demo-2026"),
)
ACCOUNT_RATINGS = {"Maria Lindqvist": 2184, "Tomasz Wrobel": 1947, "Aisha Okonkwo": 1763, "Diego Salazar": 1618}

# (name, federation): invented, international, none of them a real player.
NAMES = (
    ("Arjun Raghavan", "IND"), ("Elena Vasquez", "ESP"), ("Lukas Brandt", "GER"), ("Sofia Moretti", "ITA"),
    ("Nikolai Petrenko", "UKR"), ("Ingrid Solberg", "NOR"), ("Kenji Nakamura", "JPN"), ("Amara Diallo", "SEN"),
    ("Mateo Fernandez", "ARG"), ("Chloe Martin", "FRA"), ("Viktor Horvath", "HUN"), ("Leila Haddad", "LBN"),
    ("Samuel Osei", "GHA"), ("Anna Kowalczyk", "POL"), ("Wei Zhang", "CHN"), ("Olivia Bennett", "ENG"),
    ("Rafael Costa", "BRA"), ("Mila Novak", "CRO"), ("Hamid Rahimi", "IRI"), ("Freya Jensen", "DEN"),
    ("Pavel Dvorak", "CZE"), ("Yasmin Aziz", "EGY"), ("Jonas Virtanen", "FIN"), ("Isabel Rocha", "POR"),
    ("Dmitri Volkov", "KAZ"), ("Hannah Weiss", "AUT"), ("Tariq Mahmood", "PAK"), ("Lucia Popescu", "ROU"),
    ("Emre Yildiz", "TUR"), ("Grace Kim", "KOR"), ("Bram de Vries", "NED"), ("Nadia Benali", "ALG"),
    ("Oliver Walsh", "IRL"), ("Zara Petrosyan", "ARM"), ("Andres Gutierrez", "MEX"), ("Elif Demir", "TUR"),
    ("Marek Novotny", "SVK"), ("Priya Sharma", "IND"), ("Felix Lambert", "BEL"), ("Nina Ivanova", "BUL"),
    ("Carlos Mendes", "POR"), ("Astrid Nilsson", "SWE"), ("Giorgi Beridze", "GEO"), ("Mei Lin", "SGP"),
    ("Thomas Keller", "SUI"), ("Irina Sokolova", "LAT"),
)


def _title(rating: int, rng: random.Random) -> str:
    if rating >= 2500:
        return "GM"
    if rating >= 2400:
        return "IM"
    if rating >= 2300:
        return rng.choice(("FM", "FM", "IM"))
    if rating >= 2200:
        return rng.choice(("CM", "FM", ""))
    return ""


def is_empty() -> bool:
    """Nothing to overwrite: no accounts and no tournaments."""
    return not (db.session.scalar(select(func.count()).select_from(User))
                or db.session.scalar(select(func.count()).select_from(Tournament)))


def is_seeded() -> bool:
    return db.session.scalar(select(User.id).where(User.email == LOGINS[0].email)) is not None


def seed_demo(today: date | None = None) -> bool:
    """Fill an empty database with the demo; returns False (and changes nothing) when it is not empty.

    The services commit step by step, so a seed that fails half-way removes what it made before re-raising:
    the database is empty again and seed-demo can simply be run again."""
    if not is_empty():
        return False
    try:
        _seed(today or date.today())
    except BaseException:
        db.session.rollback()
        _remove_demo()
        raise
    return True


def _seed(today: date) -> None:
    rng = random.Random(SEED)
    accounts = _accounts()
    organizer = accounts["Oskar Organizer"]
    names = list(NAMES)
    rng.shuffle(names)
    _round_robin(organizer, names[:9], rng, today)
    _swiss(organizer, accounts, names[9:], rng, today)
    _upcoming(organizer, accounts, today)


def _remove_demo() -> None:
    """Delete the demo accounts, their tournaments and every row made with them (the database was empty)."""
    users = select(User.id).where(User.email.in_([login.email for login in LOGINS]))
    tournaments = select(Tournament.id).where(Tournament.organizer_id.in_(users))
    db.session.execute(delete(AuditEntry).where(AuditEntry.tournament_id.in_(tournaments)))
    notices = select(Notification.id).where(or_(Notification.recipient_id.in_(users),
                                                Notification.tournament_id.in_(tournaments),
                                                Notification.created_by_id.in_(users)))
    for model in (UserNotification, NotificationAudience, NotificationEmail):
        db.session.execute(delete(model).where(model.notification_id.in_(notices)))
    db.session.execute(delete(Notification).where(Notification.id.in_(notices)))
    db.session.execute(delete(NotificationReadMark).where(NotificationReadMark.user_id.in_(users)))
    db.session.execute(delete(RealtimeEvent).where(or_(RealtimeEvent.tournament_id.in_(tournaments),
                                                       RealtimeEvent.created_by_id.in_(users))))
    for tournament in db.session.scalars(select(Tournament).where(Tournament.id.in_(tournaments))).all():
        db.session.delete(tournament)  # with its players, byes, rounds and games
    db.session.flush()
    for model in (UserNotification, NotificationPreference, NotificationEmail):
        db.session.execute(delete(model).where(model.user_id.in_(users)))
    db.session.execute(delete(User).where(User.id.in_(users)))
    db.session.commit()


def _accounts() -> dict[str, User]:
    users = {}
    for login in LOGINS:
        user = create_user(login.email, login.name, login.password, login.role)
        user.rating = ACCOUNT_RATINGS.get(login.name)
        users[login.name] = user
    db.session.commit()
    return users


def _field(rng: random.Random, count: int, low: int, high: int, names: list[tuple[str, str]]) -> list[PlayerDetails]:
    """`count` players with ratings spread from `high` down to about `low`, titles for the strongest."""
    chosen = rng.sample(names, count)
    ratings = sorted((rng.randint(low, high) for _ in range(count)), reverse=True)
    ratings[0] = high
    return [PlayerDetails(name=name, rating=rating, title=_title(rating, rng), federation=fed,
                          fide_id=str(rng.randint(1_000_000, 99_999_999)))
            for (name, fed), rating in zip(chosen, ratings)]


_GAME_RESULT = {ResultCode.WIN: GameResult.WHITE_WIN.value, ResultCode.DRAW: GameResult.DRAW.value,
                ResultCode.LOSS: GameResult.BLACK_WIN.value}


def _play(tournament_id: int, round_number: int, actor_id: int, rng: random.Random, *, leave_open: int = 0) -> None:
    """Pair and publish a round, then enter every result but the last `leave_open` boards."""
    rounds.pair_next_round(tournament_id, actor_id)
    rounds.publish_round(tournament_id, round_number, actor_id)
    games = db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tournament_id,
                                                              Round.number == round_number)
                               .order_by(Game.board)).all()
    boards = [g for g in games if g.black_id is not None and not g.result.is_final]
    for game in boards[:len(boards) - leave_open]:
        white_result = game_result(game.white.rating, game.black.rating, rng)
        results.set_result(tournament_id, game.id, _GAME_RESULT[white_result], actor_id)


def _round_robin(organizer: User, names: list[tuple[str, str]], rng: random.Random, today: date) -> None:
    """A 10-player round robin, four of nine rounds played and the fifth under way with a live board."""
    tid = settings.create_tournament(settings.TournamentSettings(
        name="Nordic Masters Invitational", format=TournamentFormat.ROUND_ROBIN, start_date=today - timedelta(days=4),
        time_control="90+30", venue="Bergen, Grieghallen"), organizer.id)
    for details in _field(rng, 9, 2380, 2690, names):
        registration.add_player(tid, details, organizer.id)
    registration.add_player(tid, PlayerDetails(name="Maria Lindqvist", rating=2384, title="IM", federation="SWE"),
                            organizer.id, account_email="maria@chessweb.example")
    registration.assign_pairing_numbers(tid, organizer.id)
    for number in range(1, 5):
        _play(tid, number, organizer.id, rng)
    _play(tid, 5, organizer.id, rng, leave_open=2)
    game = db.session.scalars(select(Game).join(Round).where(Round.tournament_id == tid, Round.number == 5,
                                                             Game.result == "*").order_by(Game.board)).first()
    if game is not None:
        relay_moves(tid, game.id, "1. d4 Nf6 2. c4 e6 3. Nc3 Bb4 4. e3 O-O 5. Bd3 d5 6. Nf3 c5 7. O-O dxc4 "
                                  "8. Bxc4 Nbd7 9. Qe2 b6 10. Rd1", organizer.id)


def _swiss(organizer: User, accounts: dict[str, User], names: list[tuple[str, str]], rng: random.Random,
           today: date) -> None:
    """A 40-player open: three rounds played, the fourth under way, a withdrawal and a requested bye."""
    tid = settings.create_tournament(settings.TournamentSettings(
        name="City Open 2026", format=TournamentFormat.SWISS, planned_rounds=7, start_date=today - timedelta(days=2),
        time_control="60+15", venue="Rotterdam, De Doelen"), organizer.id)
    for details in _field(rng, 37, 1200, 2650, names):
        registration.add_player(tid, details, organizer.id)
    for name, federation in (("Tomasz Wrobel", "POL"), ("Aisha Okonkwo", "NGR"), ("Diego Salazar", "COL")):
        user = accounts[name]
        registration.add_player(tid, PlayerDetails(name=name, rating=user.rating, federation=federation),
                                organizer.id, account_email=user.email)
    registration.assign_pairing_numbers(tid, organizer.id)
    players = db.session.get(Tournament, tid).registrations
    registration.request_bye(tid, players[-5].id, 3, True, organizer.id)
    for number in range(1, 4):
        _play(tid, number, organizer.id, rng)
    registration.withdraw_player(tid, players[-1].id, "Had to travel home", organizer.id)
    _play(tid, 4, organizer.id, rng, leave_open=6)


def _upcoming(organizer: User, accounts: dict[str, User], today: date) -> None:
    """Next month's rapid, open for registration with two players in."""
    tid = settings.create_tournament(settings.TournamentSettings(
        name="Autumn Rapid", format=TournamentFormat.SWISS, planned_rounds=9, start_date=today + timedelta(days=30),
        time_control="15+10", venue="Online and at the club"), organizer.id)
    registration.open_registration(tid, organizer.id)
    for name in ("Maria Lindqvist", "Diego Salazar"):
        registration.register_self(tid, accounts[name].id)
