"""never reuse round and game ids on SQLite

Discarding a draft deletes its round and games; SQLite then hands their ids to the next
rows, so a live channel, a cached page or an audit entry naming game 42 could suddenly mean
another game. AUTOINCREMENT makes SQLite never reuse them (PostgreSQL sequences never do).

Revision ID: 5c1d2e3f4a5b
Revises: ab6f7c2579a7
Create Date: 2026-11-26 08:30:00
"""
from alembic import op

revision = "5c1d2e3f4a5b"
down_revision = "ab6f7c2579a7"
branch_labels = None
depends_on = None

TABLES = ("round", "game")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Rebuilding a table drops the old one, which games and audit entries reference: check the keys after
    # the copy instead (SQLite's documented procedure for altering tables).
    op.execute("PRAGMA foreign_keys=OFF")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    op.execute("PRAGMA foreign_keys=ON")
    if problems:
        raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
