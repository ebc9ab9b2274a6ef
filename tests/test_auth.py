"""Accounts through the real forms: register, log in, log out, and every kind of bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from chessweb import models
from chessweb.auth import views
from chessweb.extensions import db
from chessweb.models import LoginFailure, NotificationPreference, Role, User, utcnow

from .conftest import PASSWORD, make_user, post_form

GOOD = {"email": "Magnus@Example.org", "display_name": "Magnus C", "password": "e4e5Nf3Nc6!", "confirm": "e4e5Nf3Nc6!"}


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_participant_and_logs_in(client):
    response = post_form(client, "/auth/register", GOOD)
    assert response.status_code == 303
    user = db.session.scalar(select(User))
    assert (user.email, user.display_name, user.role) == ("magnus@example.org", "Magnus C", Role.PARTICIPANT)
    assert user.password_hash.startswith("scrypt:") and "e4e5" not in user.password_hash
    assert db.session.get(NotificationPreference, user.id) is not None
    assert "Magnus C" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("change, field_message", [
    ({"password": "short1!", "confirm": "short1!"}, "at least 10 characters"),
    ({"password": "abcdefghijkl", "confirm": "abcdefghijkl"}, "Mix letters with digits"),
    ({"password": "password123", "confirm": "password123"}, "too common"),
    ({"confirm": "something-else-1"}, "do not match"),
    ({"email": "not-an-email"}, "Invalid email"),
    ({"display_name": "<script>"}, "Use letters, digits"),
    ({"display_name": ""}, "This field is required"),
])
def test_register_rejects_bad_input_and_writes_nothing(client, change, field_message):
    response = post_form(client, "/auth/register", {**GOOD, **change})
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True)
    assert user_count() == 0


def test_register_rejects_duplicate_email_and_name(client, app):
    make_user(email="magnus@example.org", name="Someone")
    make_user(email="other@example.org", name="magnus c")
    response = post_form(client, "/auth/register", GOOD)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already exists" in html and "display name is taken" in html
    assert user_count() == 2


def test_register_with_bad_csrf_token_rerenders_form_and_writes_nothing(client):
    response = client.post("/auth/register", data={**GOOD, "csrf_token": "forged"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form has expired or did not come from this site" in html
    assert 'name="display_name"' in html  # the form itself, with the user's input kept
    assert 'value="Magnus C"' in html
    assert user_count() == 0


def test_role_field_cannot_be_smuggled_into_registration(client):
    response = post_form(client, "/auth/register", {**GOOD, "role": "ADMIN"})
    assert response.status_code == 303
    assert db.session.scalar(select(User.role)) == Role.PARTICIPANT


def test_login_logout_and_cookie_flags(client, app):
    user = make_user(Role.ORGANIZER, name="Olga Org")
    response = post_form(client, "/auth/login", {"email": user.email.upper(), "password": PASSWORD,
                                                 "remember": "y"})
    assert response.status_code == 303
    cookies = {c.key: c for c in client._cookies.values()}
    assert cookies["session"].http_only and cookies["session"].same_site == "Lax"
    assert cookies["remember_token"].http_only
    assert "Olga Org" in client.get("/").get_data(as_text=True)
    # Logging out needs a POST with the token; a bare GET or a forged POST does nothing.
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 400
    assert "Olga Org" in client.get("/").get_data(as_text=True)
    assert post_form(client, "/auth/logout", {}, form_url="/").status_code == 303
    assert "Olga Org" not in client.get("/").get_data(as_text=True)


def test_wrong_password_then_lockout(client, app):
    user = make_user()
    for _ in range(app.config["LOGIN_FAILURES_PER_EMAIL"]):
        response = post_form(client, "/auth/login", {"email": user.email, "password": "wrong-password-1"})
        assert response.status_code == 400
        assert "Wrong email or password" in response.get_data(as_text=True)
    # From the guessing address, even the right password waits its turn, and the page says why (another
    # address is heard at once: tests/test_login_throttle.py).
    response = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert user.display_name not in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 5


def test_successful_login_clears_failures(client, app):
    user = make_user()
    post_form(client, "/auth/login", {"email": user.email, "password": "wrong-password-1"})
    assert post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_failures_older_than_the_window_are_forgotten_and_deleted(client, app):
    user = make_user()
    long_ago = utcnow() - timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW_SECONDS"] + 60)
    db.session.add_all([LoginFailure(email=user.email, ip="127.0.0.1", at=long_ago)
                        for _ in range(app.config["LOGIN_FAILURES_PER_EMAIL"])])
    db.session.commit()
    response = post_form(client, "/auth/login", {"email": user.email, "password": "wrong-password-1"})
    assert response.status_code == 400  # not 429: the old failures no longer count
    remaining = db.session.scalars(select(LoginFailure.at)).all()
    assert len(remaining) == 1 and remaining[0] > long_ago  # the old ones were deleted, the new one counted


def test_an_unknown_email_costs_the_same_password_check_as_a_wrong_password(client, monkeypatch):
    """Otherwise a quick "wrong email or password" would tell which emails have an account."""
    user = make_user()
    user.set_password(PASSWORD)  # the app's own hash, not the tests' cheap one
    db.session.commit()
    checked: list[str] = []

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(views, "check_password_hash", spy)
    monkeypatch.setattr(models, "check_password_hash", spy)
    for email in (user.email, "nobody@example.org"):
        response = post_form(client, "/auth/login", {"email": email, "password": "wrong-password-1"})
        assert response.status_code == 400 and "Wrong email or password" in response.get_data(as_text=True)
    assert len(checked) == 2 and checked[0] == checked[1]  # one hash check each, with the same scheme


@pytest.mark.parametrize("target, expected", [
    ("/tournaments/1", "/tournaments/1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
])
def test_login_follows_only_local_next(client, app, target, expected):
    user = make_user()
    token_page = f"/auth/login?next={target}"
    response = post_form(client, token_page, {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_unknown_pages_and_json_errors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)
    assert client.get("/tournaments/999999").status_code == 404


def test_blank_or_decomposed_names_are_cleaned_before_the_rules(client):
    response = post_form(client, "/auth/register", {**GOOD, "display_name": "   "})
    assert response.status_code == 400 and "Use 2 to 64 characters" in response.get_data(as_text=True)
    assert user_count() == 0
    decomposed = "Ma\u0301ria"  # "Mária" typed with a combining accent
    assert post_form(client, "/auth/register", {**GOOD, "display_name": decomposed}).status_code == 303
    assert db.session.scalar(select(User.display_name)) == "M\u00e1ria"


def test_htmx_requests_get_errors_as_a_toast_not_a_page(client):
    response = client.post("/auth/logout", data={"csrf_token": "forged"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#toasts" and response.headers["HX-Reswap"] == "beforeend"
    html = response.get_data(as_text=True)
    assert html.startswith('<div class="toast toast-error" role="alert">') and "<html" not in html
    missing = client.get("/tournaments/999", headers={"HX-Request": "true"})
    assert missing.status_code == 404 and "There is nothing here" in missing.get_data(as_text=True)
