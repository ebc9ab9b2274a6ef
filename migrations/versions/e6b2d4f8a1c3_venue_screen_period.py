"""venue screen period

The seconds each panel of a tournament's venue screen (/tournaments/<id>/screen) stays, set by the organizer;
15 for every existing tournament. A `?period=` in the screen's address still overrides it.

Revision ID: e6b2d4f8a1c3
Revises: c4d8e2f1a9b7
Create Date: 2026-12-01 03:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "e6b2d4f8a1c3"
down_revision = "c4d8e2f1a9b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tournament") as batch_op:
        batch_op.add_column(sa.Column("screen_period", sa.Integer(), nullable=False, server_default="15"))


def downgrade():
    with op.batch_alter_table("tournament") as batch_op:
        batch_op.drop_column("screen_period")
