"""TRF details kept for a round trip, and full-point byes

An imported TRF's informational values are written back on export: the players' sex and birth date (or only
the year, TRF "1978/00/00") and the tournament's federation (032) and end date (052); the city (022) and time
control (122) already have columns. A requested bye can be a full-point bye (TRF "F"), which tournament
regulations may allow.

Revision ID: 7e3a9c1b2d40
Revises: 5c1d2e3f4a5b
Create Date: 2026-11-30 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7e3a9c1b2d40"
down_revision = "7e1a2b3c4d5f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("sex", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("tournament") as batch:
        batch.add_column(sa.Column("federation", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("end_date", sa.Date(), nullable=True))
    with op.batch_alter_table("bye_request") as batch:
        batch.add_column(sa.Column("full_point", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("bye_request") as batch:
        batch.drop_column("full_point")
    with op.batch_alter_table("tournament") as batch:
        batch.drop_column("end_date")
        batch.drop_column("federation")
    with op.batch_alter_table("registration") as batch:
        batch.drop_column("birth_year")
        batch.drop_column("birth_date")
        batch.drop_column("sex")
