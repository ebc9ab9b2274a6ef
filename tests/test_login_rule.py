"""One rule for pages that need a login: a page redirects to the login form with `next`, JSON and htmx
requests get 401; a logged-in user without the role gets the friendly 403 page."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from chessweb.models import Role
from chessweb.permissions import role_required

from .conftest import make_user, post_form
from .tournaments.conftest import setup_tournament

JSON = {"Accept": "application/json"}
HTMX = {"HX-Request": "true"}


def login_target(response) -> str | None:
    """The `next` of a redirect to the login form (AssertionError unless it is one)."""
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login", response.headers["Location"]
    return parse_qs(location.query).get("next", [None])[0]


@pytest.fixture
def admin_only(app):
    @app.get("/test-admin-only")
    @role_required(Role.ADMIN)
    def admin_only_page():
        return "admin things"
    return "/test-admin-only"


@pytest.fixture
def managed(app) -> str:
    """A manage page (its check is in the view, not a decorator: it used to answer 401 with a page)."""
    return f"/tournaments/{setup_tournament(make_user(Role.ORGANIZER), 2)}/manage"


def test_every_kind_of_login_check_redirects_a_page_with_next(client, managed, admin_only):
    for path in ("/tournaments/new", managed, admin_only, f"{managed}?tab=players"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert login_target(response) == path
    assert "Please log in" in client.get("/auth/login").get_data(as_text=True)  # the flashed reason


def test_json_and_htmx_requests_get_401(client, managed, admin_only):
    for path in ("/tournaments/new", managed, admin_only):
        as_json = client.get(path, headers=JSON)
        assert as_json.status_code == 401 and as_json.get_json()["status"] == 401, path
        as_htmx = client.get(path, headers=HTMX)
        assert as_htmx.status_code == 401 and as_htmx.headers["HX-Retarget"] == "#toasts", path


def test_a_form_posted_without_login_returns_to_the_page_it_was_on(client, managed):
    tid = managed.split("/")[2]
    response = post_form(client, f"/tournaments/{tid}/register", {}, form_url="/auth/login",
                         headers={"Referer": f"http://localhost/tournaments/{tid}"})
    assert response.status_code == 302
    assert login_target(response) == f"/tournaments/{tid}"
    foreign = post_form(client, f"/tournaments/{tid}/register", {}, form_url="/auth/login",
                        headers={"Referer": "https://evil.example/x"})
    assert login_target(foreign) is None


def test_logged_in_without_the_role_gets_the_friendly_403_page(client, auth, managed, admin_only):
    auth.login(make_user(Role.PARTICIPANT))
    for path in ("/tournaments/new", managed, admin_only):
        response = client.get(path)
        assert response.status_code == 403, path
        page = response.get_data(as_text=True)
        assert "You do not have permission to do that." in page and "<html" in page, path
