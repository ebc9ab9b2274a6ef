"""The schema comes from migrations/: an empty database upgraded to head matches the models exactly."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from chessweb import create_app
from chessweb.extensions import db

from .conftest import _postgres_url, _with_search_path
from .servers import require_postgres


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


def test_postgres_upgrade_has_no_drift():
    url = _postgres_url() or os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    require_postgres(url)
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
