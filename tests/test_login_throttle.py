"""Password guessing is slowed per (email, client address) and per address; the owner is never locked out.

Case login-lockout-dos: five wrong passwords for an email used to refuse that email everywhere for 15 minutes,
correct password included, and twenty from one address refused everyone behind it.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.models import LoginFailure, Role

from .conftest import PASSWORD, make_user, post_form

GUESSER = "198.51.100.7"
OWNER = "203.0.113.20"


def attempt(client, email: str, password: str, address: str):
    return post_form(client, "/auth/login", {"email": email, "password": password},
                     environ_base={"REMOTE_ADDR": address})


def age_failures(seconds: float) -> None:
    """Move every recorded failure `seconds` into the past, as if that much time went by."""
    for failure in db.session.scalars(select(LoginFailure)):
        failure.at -= timedelta(seconds=seconds)
    db.session.commit()


def test_guesses_from_one_address_do_not_lock_the_owner_out_from_another(app):
    organizer = make_user(Role.ORGANIZER, name="Olga Org")
    guesser = app.test_client()
    for i in range(app.config["LOGIN_FAILURES_PER_EMAIL"] + 3):
        response = attempt(guesser, organizer.email, f"guess-{i}-xx", GUESSER)
    assert response.status_code == 429  # the guesser waits
    assert int(response.headers["Retry-After"]) > 0
    owner = app.test_client()
    assert attempt(owner, organizer.email, PASSWORD, OWNER).status_code == 303
    assert "Olga Org" in owner.get("/").get_data(as_text=True)


def test_the_guesser_waits_longer_after_each_failure_and_is_heard_again_later(app):
    user = make_user()
    client = app.test_client()
    free = app.config["LOGIN_FAILURES_PER_EMAIL"]
    first = app.config["LOGIN_FIRST_WAIT_SECONDS"]
    for i in range(free):
        assert attempt(client, user.email, f"guess-{i}-xx", GUESSER).status_code == 400
    waits = []
    for i in range(3):
        refused = attempt(client, user.email, "guess-again-1", GUESSER)
        assert refused.status_code == 429 and "Too many failed attempts" in refused.get_data(as_text=True)
        waits.append(int(refused.headers["Retry-After"]))
        age_failures(waits[-1])  # the wait is over: the next guess is heard, and fails
        assert attempt(client, user.email, f"late-guess-{i}", GUESSER).status_code == 400
    assert waits[0] == first and waits[1] == 2 * first and waits[2] == 4 * first
    # Refused attempts were not even checked, and not counted.
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == free + 3


def test_spraying_many_emails_from_one_address_slows_that_address_only(app):
    maria = make_user(name="Maria P", email="maria@example.org")
    sprayer = app.test_client()
    for i in range(app.config["LOGIN_FAILURES_PER_IP"]):
        assert attempt(sprayer, f"x{i}@example.org", "Guess-2026!", GUESSER).status_code == 400
    assert attempt(sprayer, "x99@example.org", "Guess-2026!", GUESSER).status_code == 429
    assert attempt(app.test_client(), maria.email, PASSWORD, OWNER).status_code == 303


def test_a_successful_login_forgets_only_its_own_address_failures(app):
    user = make_user()
    client = app.test_client()
    attempt(client, user.email, "guess-one-xx", GUESSER)
    assert attempt(app.test_client(), user.email, PASSWORD, OWNER).status_code == 303
    assert db.session.scalars(select(LoginFailure.ip)).all() == [GUESSER]


def test_one_spelling_of_an_email_for_login_and_throttle(app):
    user = make_user(email="magnus@example.org", name="Magnus C")
    client = app.test_client()
    # Full-width letters and another case are the same address (NFKC, case folding).
    assert attempt(client, " ＭＡＧＮＵＳ@Example.org ", PASSWORD, OWNER).status_code == 303
    for i in range(app.config["LOGIN_FAILURES_PER_EMAIL"]):
        spelling = ["MAGNUS@example.org", "ｍａｇｎｕｓ@example.org", "Magnus@EXAMPLE.org"][i % 3]
        attempt(app.test_client(), spelling, f"guess-{i}-xx", GUESSER)
    assert attempt(app.test_client(), user.email, "guess-again-1", GUESSER).status_code == 429


def register(client, email: str, name: str, address: str):
    return post_form(client, "/auth/register", {"email": email, "display_name": name, "password": "e4e5Nf3Nc6!",
                                                "confirm": "e4e5Nf3Nc6!"}, environ_base={"REMOTE_ADDR": address})


def test_registration_tells_an_email_is_taken_only_as_often_as_login_would(app):
    """Registration must say "taken" (there is no other way to refuse it), so asking is throttled as login is."""
    make_user(email="magnus@example.org", name="Magnus C")
    prober = app.test_client()
    for i in range(app.config["LOGIN_FAILURES_PER_EMAIL"]):
        response = register(prober, "MAGNUS@example.org", f"Other {i}", GUESSER)
        assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    response = register(prober, "magnus@example.org", "Other again", GUESSER)
    assert response.status_code == 429 and "already exists" not in response.get_data(as_text=True)
    assert register(app.test_client(), "newcomer@example.org", "Newcomer", OWNER).status_code == 303
