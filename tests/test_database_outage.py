"""A PostgreSQL restart seen from the pages: while the database is away every request is answered 503 with
Retry-After and a message that says nothing was saved (never a 500, never a trace, one log line each), and
the first request after it is back works without restarting the app."""
from __future__ import annotations

import logging
import time

from sqlalchemy import func, select

from chessweb import create_app
from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.realtime import realtime

from .conftest import AuthActions, IsolatedClient, _upgrade, hearing, make_user
from .servers import PrivatePostgres
from .tournaments.helpers import TODAY

FORM = {"name": "Restart Open", "format": "SWISS", "planned_rounds": "5", "start_date": TODAY,
        "time_control": "90+30", "venue": "Oslo", "is_public": "y", "tiebreaks": "", "tiebreak_edition": "",
        "top_seed_colour": "w"}


def test_requests_during_a_postgresql_restart_get_503_and_work_again_after(servers, caplog):
    server = PrivatePostgres(servers.root / "restarting-postgresql").start()  # its own: this one is stopped
    app = None
    try:
        _upgrade(server.url)
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": server.url,
                          "BROKER_URL": "memory://", "SERVER_NAME": None})
        app.test_client_class = IsolatedClient
        with app.app_context():
            organizer = make_user(Role.ORGANIZER, name="Olga Outage")
            client = app.test_client()
            assert AuthActions(client).login(organizer).status_code == 303
            page = client.get("/tournaments/new").get_data(as_text=True)
            token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
            db.session.remove()

            server.executor.stop()  # the restart begins: every pooled connection is cut
            caplog.clear()
            with hearing(app.logger, caplog), caplog.at_level(logging.WARNING):
                for answer in (client.post("/tournaments/new", data={**FORM, "csrf_token": token}),
                               client.get("/"),
                               client.get("/api/v1/tournaments"),
                               client.post("/tournaments/new", data={**FORM, "csrf_token": token},
                                           headers={"HX-Request": "true"})):
                    body = answer.get_data(as_text=True)
                    assert answer.status_code == 503, body[:500]
                    assert answer.headers["Retry-After"] == "5"
                    assert "Nothing was saved" in body and "Traceback" not in body and "psycopg" not in body
            requests_log = [r for r in caplog.records if r.name == app.logger.name]
            assert not [r for r in requests_log if r.exc_info], "an outage is one log line per request, not a trace"
            assert any("Database unavailable on POST /tournaments/new" in r.getMessage() for r in requests_log)

            server.executor.start()  # back: the pool checks its connections before use (pool_pre_ping)
            deadline = time.monotonic() + 15
            while True:  # as a client told Retry-After does: the server may still say "starting up" at first
                answer = client.post("/tournaments/new", data={**FORM, "csrf_token": token})
                if answer.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
            db.session.remove()
            assert db.session.scalar(select(func.count()).select_from(Tournament)) == 1  # the 503s wrote nothing
    finally:
        if app is not None:
            with app.app_context():
                if "realtime" in app.extensions:
                    realtime.stop(app)  # its threads must not go on querying a server that is about to go
                db.session.remove()
                db.engine.dispose()
        if not server.executor.running():
            server.executor.start()  # stop() expects a running server
        server.stop()
