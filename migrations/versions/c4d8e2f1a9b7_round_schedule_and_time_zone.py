"""round schedule and time zone

A tournament's time zone (an IANA name, e.g. Europe/Oslo) in which every time of it is shown, and the
planned start of each round as local times of that zone ("YYYY-MM-DD HH:MM", one per line, round 1 first).

Revision ID: c4d8e2f1a9b7
Revises: 8b4f0d2c3e51
Create Date: 2026-11-30 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c4d8e2f1a9b7"
down_revision = "c4e8a1f2b9d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tournament") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"))
        batch_op.add_column(sa.Column("round_schedule", sa.String(800), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("tournament") as batch_op:
        batch_op.drop_column("round_schedule")
        batch_op.drop_column("time_zone")
