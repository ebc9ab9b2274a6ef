"""Behind a proxy on the same host, the client's address must come from X-Forwarded-For, or nobody can tell
a password guesser from everyone else (case login-lockout-dos)."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import pytest

from chessweb import create_app
from chessweb.extensions import db
from chessweb.realtime import realtime
from chessweb.proxies import refusal_for_binds

from .conftest import PASSWORD, free_port, make_user, post_form
from .processes import ROOT

PRODUCTION = {"ENV": "production", "PROXY_FIX_X_FOR": None}


@pytest.mark.parametrize("binds, refused", [
    (["127.0.0.1:8000"], True),
    (["[::1]:8000", "localhost:8001"], True),
    (["unix:/run/chessweb.sock"], True),
    (["0.0.0.0:8000"], False),
    (["127.0.0.1:8000", "192.0.2.4:8000"], False),
])
def test_production_on_loopback_only_needs_a_word_about_the_proxy(binds, refused):
    assert (refusal_for_binds(PRODUCTION, binds) is not None) == refused
    assert refusal_for_binds({**PRODUCTION, "PROXY_FIX_X_FOR": 1}, binds) is None
    assert refusal_for_binds({**PRODUCTION, "PROXY_FIX_X_FOR": 0}, binds) is None  # said explicitly
    assert refusal_for_binds({**PRODUCTION, "ENV": "development"}, binds) is None


@pytest.mark.slow
def test_gunicorn_refuses_to_start_in_production_behind_an_unnamed_loopback_proxy(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHESSWEB_") and k != "DATABASE_URL"}
    env.update({"CHESSWEB_ENV": "production", "SECRET_KEY": uuid.uuid4().hex, "PYTHONPATH": str(ROOT),
                "DATABASE_URL": f"sqlite:///{tmp_path}/refused.sqlite3", "BIND": f"127.0.0.1:{free_port()}",
                "WEB_CONCURRENCY": "1"})
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--no-control-socket", "app:app"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "PROXY_FIX_X_FOR is not set" in done.stderr + done.stdout


def test_a_loopback_peer_forwarding_for_others_is_logged_loudly_once(app, caplog):
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="chessweb.proxies"):
        for visitor in ("198.51.100.1", "198.51.100.2"):
            client.get("/", headers={"X-Forwarded-For": visitor})
    errors = [r for r in caplog.records if "PROXY_FIX_X_FOR" in r.getMessage()]
    assert len(errors) == 1 and "198.51.100.1" in errors[0].getMessage()


def test_with_the_proxy_named_the_forwarded_client_is_throttled_not_the_proxy(app_config):
    app_config["PROXY_FIX_X_FOR"] = 1
    app = create_app(app_config)
    with app.app_context():
        make_user(email="olga@example.org", name="Olga Org")
    guesser, owner = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
    try:
        for i in range(app.config["LOGIN_FAILURES_PER_EMAIL"]):
            post_form(app.test_client(), "/auth/login", {"email": "olga@example.org", "password": f"guess-{i}-x"},
                      headers=guesser)
        assert post_form(app.test_client(), "/auth/login", {"email": "olga@example.org", "password": "guess-x"},
                         headers=guesser).status_code == 429
        assert post_form(app.test_client(), "/auth/login", {"email": "olga@example.org", "password": PASSWORD},
                         headers=owner).status_code == 303
    finally:
        stop(app)


def stop(app) -> None:
    """What the `app` fixture does for its own app: the live core and the database connections end here."""
    with app.app_context():
        if "realtime" in app.extensions:
            realtime.stop(app)
        db.session.remove()
        db.engine.dispose()
