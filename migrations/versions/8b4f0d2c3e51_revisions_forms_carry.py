"""revisions that forms carry

Every form that acts on something the user was shown carries its version, so a change made meanwhile by
someone else is answered with a conflict instead of being silently overwritten: the tournament revision of
a game's last pairing/report/result change, of a player entry's last change, and of the last settings change.

Revision ID: 8b4f0d2c3e51
Revises: 7a3e9c1b2d40
Create Date: 2026-11-30 22:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = "8b4f0d2c3e51"
down_revision = "7a3e9c1b2d40"
branch_labels = None
depends_on = None

COLUMNS = (("game", "revision"), ("registration", "revision"), ("tournament", "settings_revision"))


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
