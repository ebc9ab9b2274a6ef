"""Protections every route gets: bounded ids, no NUL bytes, no framing, secure cookies, private metrics."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chessweb import create_app
from chessweb.extensions import db
from chessweb.models import Role, User

from .conftest import make_user, post_form


@pytest.mark.parametrize("path", ["/tournaments/99999999999999999999", "/tournaments/2147483648/standings",
                                  "/games/99999999999999999999", "/tournaments/9223372036854775808/export.trf"])
def test_ids_beyond_the_database_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_huge_ids_in_posts_are_not_found_either(client, auth):
    organizer = make_user(Role.ORGANIZER)
    auth.login(organizer)
    token_page = client.get("/").get_data(as_text=True)
    token = token_page.split('name="csrf_token" value="')[1].split('"')[0]
    for path in ("/tournaments/1/games/99999999999999999999/result", "/games/2147483648/report",
                 "/tournaments/99999999999999999999/rounds"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_nul_characters_are_refused_and_change_nothing(client):
    before = db.session.scalar(select(func.count()).select_from(User))
    response = post_form(client, "/auth/register", {"email": "a@example.org", "display_name": "Nul\x00Name",
                                                    "password": "e4e5Nf3Nc6!", "confirm": "e4e5Nf3Nc6!"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert post_form(client, "/auth/login", {"email": "a\x00b@example.org", "password": "x"}).status_code == 400
    assert client.get("/?q=%00").status_code == 400
    assert client.get("/?q=fine&q=%00").status_code == 400  # the second value of a repeated key too
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_pages_cannot_be_framed(client):
    headers = client.get("/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_sends_a_script_policy_and_hsts(monkeypatch, tmp_path):
    """production-headers-hsts-csp: the CSP only forbade framing, and no HSTS was sent."""
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.delenv("CHESSWEB_ENV", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    headers = app.test_client().get("/healthz", base_url="https://chess.example").headers
    policy = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == "'none'"
    max_age = int(headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600


def test_no_hsts_for_a_site_served_over_plain_http(app):
    """Development and a club LAN (SESSION_COOKIE_SECURE=false) must stay reachable over http://."""
    assert not app.config["SESSION_COOKIE_SECURE"]
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


def test_cookies_are_secure_outside_development(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.delenv("CHESSWEB_ENV", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setenv("CHESSWEB_SESSION_COOKIE_SECURE", "false")  # a club LAN served over plain HTTP
    assert not create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"}).config[
        "SESSION_COOKIE_SECURE"]


def test_metrics_are_closed_by_default_even_to_a_same_host_proxy(app):
    """metrics-exposure: a proxy on this host makes every request look local; loopback is no credential."""
    client = app.test_client()
    assert app.config["ENV"] == "production"
    assert client.get("/metrics").status_code == 403  # loopback, no token configured
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    app.config["ENV"] = "development"  # `make run`: this machine may look
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403


def test_metrics_with_the_token_from_anywhere(app):
    client = app.test_client()
    app.config["METRICS_TOKEN"] = "s3cret"
    assert client.get("/metrics").status_code == 403
    refused = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 403 and "METRICS_TOKEN" in refused.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret\u00e9"}).status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert ok.status_code == 200 and "chessweb_ws_connections_open" in ok.get_data(as_text=True)


def test_client_address_from_trusted_proxy(app_config):
    app_config["PROXY_FIX_X_FOR"] = 1
    app = create_app(app_config)

    @app.get("/whoami")
    def whoami():
        from flask import request
        return request.remote_addr or ""

    seen = app.test_client().get("/whoami", headers={"X-Forwarded-For": "198.51.100.7"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen.get_data(as_text=True) == "198.51.100.7"
