"""notifications: personal and broadcast, audiences, lazy read state, delivery counts

A broadcast names its audience (roles, users, a tournament, everyone) in a few rows instead of one row per
recipient; read state is a per-user "read through" mark plus a receipt per notification read one by one.

Revision ID: 8a1b2c3d4e5f
Revises: 8b4f0d2c3e51
Create Date: 2026-11-30 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "8a1b2c3d4e5f"
down_revision = "8b4f0d2c3e51"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tournament_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("realtime_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("targeted_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("email_sent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("email_failed", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_foreign_key(batch_op.f("fk_notification_recipient_id_user"), "user", ["recipient_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_notification_tournament_id_tournament"), "tournament",
                                    ["tournament_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_notification_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_tournament_id"), ["tournament_id"], unique=False)

    op.create_table(
        "notification_audience",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"],
                                name=op.f("fk_notification_audience_notification_id_notification")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_audience")),
    )
    with op.batch_alter_table("notification_audience", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_audience_notification_id"), ["notification_id"],
                              unique=False)
        batch_op.create_index("ix_notification_audience_kind_value", ["kind", "value"], unique=False)

    op.create_table(
        "notification_read_mark",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_through_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_read_mark_user_id_user")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_read_mark")),
    )


def downgrade() -> None:
    op.drop_table("notification_read_mark")
    with op.batch_alter_table("notification_audience", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_audience_kind_value")
        batch_op.drop_index(batch_op.f("ix_notification_audience_notification_id"))
    op.drop_table("notification_audience")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_tournament_id"))
        batch_op.drop_index(batch_op.f("ix_notification_recipient_id"))
        batch_op.drop_constraint(batch_op.f("fk_notification_tournament_id_tournament"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_notification_recipient_id_user"), type_="foreignkey")
        for column in ("email_failed", "email_sent", "targeted_count", "realtime_event_id", "withdrawn_at",
                       "expires_at", "data", "tournament_id", "recipient_id", "kind"):
            batch_op.drop_column(column)
