"""notification email claims

One row per (notification, user) email, claimed before the SMTP send and marked sent or failed after it, so
an email batch retried after a crash does not send to the recipients it already reached.

Revision ID: d7a3c9e5b1f4
Revises: d5e9f3a2b8c1
Create Date: 2026-12-01 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d7a3c9e5b1f4"
down_revision = "d5e9f3a2b8c1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"],
                                name=op.f("fk_notification_email_notification_id_notification")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_email_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_email")),
        sa.UniqueConstraint("notification_id", "user_id",
                            name=op.f("uq_notification_email_notification_id_user_id")),
    )


def downgrade():
    op.drop_table("notification_email")
