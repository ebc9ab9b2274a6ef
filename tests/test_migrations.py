"""The schema comes from migrations/: an empty database upgraded to head matches the models exactly."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from chessweb import create_app
from chessweb.extensions import db

from .conftest import _with_search_path


def upgrade_then_check(url: str) -> None:
    """`flask db upgrade` on an empty database, then `flask db check` passes; after a manual change it fails."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    runner = app.test_cli_runner()
    try:
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        checked = runner.invoke(args=["db", "check"])
        assert checked.exit_code == 0, checked.output
        # The check compares the real database with the models: drift makes it fail.
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE tournament DROP COLUMN venue"))
        drifted = runner.invoke(args=["db", "check"])
        assert drifted.exit_code == 1
    finally:
        with app.app_context():
            db.engine.dispose()


def test_sqlite_upgrade_has_no_drift(tmp_path):
    upgrade_then_check(f"sqlite:///{tmp_path}/empty.sqlite3")


def test_postgres_upgrade_has_no_drift(postgres_url):
    url = postgres_url
    schema = f"cw_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_with_search_path(url, "public"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        upgrade_then_check(_with_search_path(url, schema))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize("table", ["user", "tournament", "game", "web_socket_connection", "realtime_event",
                                   "notification", "user_notification", "notification_preference"])
def test_tables_exist_in_the_test_database(app, table):
    from sqlalchemy import inspect
    assert table in inspect(db.engine).get_table_names()


def test_a_discarded_drafts_ids_never_come_back(app):
    from chessweb.models import Game, Role
    from chessweb.tournaments import rounds
    from sqlalchemy import select
    from .conftest import make_user
    from .tournaments.conftest import setup_tournament
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 6, name="Draft Cup")
    rounds.pair_next_round(tid, organizer.id)
    first = set(db.session.scalars(select(Game.id)).all())
    rounds.discard_draft(tid, 1, "wrong ratings", organizer.id)
    rounds.pair_next_round(tid, organizer.id)
    again = set(db.session.scalars(select(Game.id)).all())
    assert again and not first & again


def test_upgrading_a_database_with_games_keeps_them(tmp_path):
    """The id migration rebuilds tables that other rows reference; existing rows must survive it."""
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "ab6f7c2579a7"]).exit_code == 0
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO user (id, email, display_name, password_hash, role, created_at) "
                              "VALUES (1, 'o@x.org', 'O', 'h', 'ORGANIZER', '2026-01-01')"))
            conn.execute(text("INSERT INTO tournament (id, name, format, planned_rounds, time_control, venue, "
                              "start_date, status, tiebreaks, top_seed_colour, is_public, organizer_id, revision, "
                              "created_at, updated_at) VALUES (1, 'T', 'SWISS', 5, '', '', '2026-01-01', 'ACTIVE', "
                              "'BH', 'w', 1, 1, 1, '2026-01-01', '2026-01-01')"))
            conn.execute(text("INSERT INTO registration (id, tournament_id, name, status, created_at) "
                              "VALUES (1, 1, 'P', 'ACTIVE', '2026-01-01')"))
            conn.execute(text("INSERT INTO round (id, tournament_id, number, status) VALUES (1, 1, 1, 'PUBLISHED')"))
            conn.execute(text("INSERT INTO game (id, round_id, board, white_id, result, disputed, pgn, updated_at) "
                              "VALUES (1, 1, 1, 1, 'U', 0, '', '2026-01-01')"))
    try:
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        with app.app_context(), db.engine.connect() as conn:
            assert conn.execute(text("SELECT round_id, result FROM game")).all() == [(1, "U")]
            assert "AUTOINCREMENT" in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'game'")).scalar()
    finally:
        with app.app_context():
            db.engine.dispose()
