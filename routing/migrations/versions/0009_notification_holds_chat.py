"""A notification whose send failed for a while (429, the network, Telegram down) holds its chat: `holds_chat`.

The person's later notifications wait behind it, whichever delivery pass or worker claims them, so that a chat keeps
its order ("已接单" before "已开始办理"). One rejected or held for the quiet hours does not hold it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('notification', sa.Column('holds_chat', sa.Boolean(), server_default=sa.false(), nullable=False))
    # (what a later notification looks up: the person's earlier ones still to send, not their whole history)
    op.create_index('ix_notification_recipient_status', 'notification', ['recipient_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_notification_recipient_status', table_name='notification')
    # (ALTER TABLE … DROP COLUMN, which SQLite has since 3.35: see 0007)
    op.execute(sa.text("ALTER TABLE notification DROP COLUMN holds_chat"))
