"""monitor alerts

The alerts of the admin system health that are raised now, one row per alert name, so that the processes
announce each raise to the admins once (chessweb/monitoring/notify.py).

Revision ID: d5e9f3a2b8c1
Revises: e6b2d4f8a1c3
Create Date: 2026-12-02 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d5e9f3a2b8c1"
down_revision = "e6b2d4f8a1c3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "monitor_alert",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("server", sa.String(120), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade():
    op.drop_table("monitor_alert")
