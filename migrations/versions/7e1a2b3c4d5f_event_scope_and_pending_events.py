"""event scope and per-consumer pending events

Every RealtimeEvent names the channel scope it belongs to (not only a tournament), and each consumer of
committed events (live pages, notifications, ...) keeps its own unfinished work in pending_event, claimed
with a lease that any process may take over when it runs out.

Revision ID: 7e1a2b3c4d5f
Revises: 5c1d2e3f4a5b
Create Date: 2026-11-30 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "7e1a2b3c4d5f"
down_revision = "5c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("realtime_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=80), nullable=False, server_default="system"))
        batch_op.create_index(batch_op.f("ix_realtime_event_scope"), ["scope"], unique=False)
    op.execute("UPDATE realtime_event SET scope = 'tournament:' || CAST(tournament_id AS VARCHAR(12)) "
               "WHERE tournament_id IS NOT NULL")
    op.create_table(
        "pending_event",
        sa.Column("consumer", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["realtime_event.id"],
                                name=op.f("fk_pending_event_event_id_realtime_event"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_pending_event")),
    )
    with op.batch_alter_table("pending_event", schema=None) as batch_op:
        batch_op.create_index("ix_pending_event_consumer_scope", ["consumer", "scope"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_event_claimed_until"), ["claimed_until"], unique=False)
    # Events left unpublished by the old single flag are handed to the live pages' consumer.
    op.execute("INSERT INTO pending_event (consumer, event_id, scope, claimed_until) "
               "SELECT 'live', id, scope, created_at FROM realtime_event WHERE NOT processed")


def downgrade():
    op.drop_table("pending_event")
    with op.batch_alter_table("realtime_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_realtime_event_scope"))
        batch_op.drop_column("scope")
