"""audit trail outlives what it mentions

An audit entry named its game and actor with plain foreign keys, so deleting a draft round whose board had
been edited by hand (a colour swap) failed: the entry blocked the delete. Both keys now become NULL when what
they name is deleted; the entry stays, and its texts say which round and board it was about.

Revision ID: 7a3e9c1b2d40
Revises: 5c1d2e3f4a5b
Create Date: 2026-11-30 22:00:00
"""
from alembic import op

revision = "7a3e9c1b2d40"
down_revision = "7e3a9c1b2d40"
branch_labels = None
depends_on = None

KEYS = (("game_id", "game"), ("actor_id", "user"))


def _rekey(ondelete: str | None) -> None:
    with op.batch_alter_table("audit_entry") as batch_op:
        for column, table in KEYS:
            name = f"fk_audit_entry_{column}_{table}"
            batch_op.drop_constraint(name, type_="foreignkey")
            batch_op.create_foreign_key(name, table, [column], ["id"], ondelete=ondelete)


def upgrade():
    _rekey("SET NULL")


def downgrade():
    _rekey(None)
