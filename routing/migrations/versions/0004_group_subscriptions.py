"""Group chats subscribed to a scope's alerts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The group_subscription table (the group_alert notification kind needs no schema)."""
    op.create_table('group_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('scope_code', sa.String(length=40), nullable=False),
    sa.Column('subscribed_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scope_code'], ['geo_node.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat_id', 'scope_code')
    )
    with op.batch_alter_table('group_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_subscription_scope_code'), ['scope_code'],
                              unique=False)


def downgrade() -> None:
    """Drop the group_subscription table."""
    with op.batch_alter_table('group_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_subscription_scope_code'))

    op.drop_table('group_subscription')
