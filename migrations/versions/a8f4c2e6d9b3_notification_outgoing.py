"""notification outgoing marker and source event

Email and push owed for a notification are marked in the transaction that creates it and leased by the
process sending them, so a crash before or during the send is resumed by any process's sweep. A personal
notice names the event of the change it tells of; the notifications consumer delivers it with that event.

Revision ID: a8f4c2e6d9b3
Revises: d7a3c9e5b1f4
Create Date: 2026-12-01 07:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a8f4c2e6d9b3"
down_revision = "d7a3c9e5b1f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("outgoing_due", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("outgoing_lease_until", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_notification_outgoing_due"), ["outgoing_due"], unique=False)
        batch.add_column(sa.Column("source_event_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_notification_source_event_id"), ["source_event_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_index(batch.f("ix_notification_source_event_id"))
        batch.drop_column("source_event_id")
        batch.drop_index(batch.f("ix_notification_outgoing_due"))
        batch.drop_column("outgoing_lease_until")
        batch.drop_column("outgoing_due")
