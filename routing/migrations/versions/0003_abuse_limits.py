"""Rate limits and duplicate / near-duplicate requests.

- `message_window`: one row per person counting messages in the current minute (routing.abuse);
- `ticket.linked_to_id`: a neighbour's near-identical request points at the group's first ticket;
- `ix_ticket_resident_created` replaces `ix_ticket_resident_id` (tickets per hour, /my).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('message_window',
    sa.Column('telegram_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('telegram_id')
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline REFERENCES in place; alembic's way (batch: copy and
        # move the table) would trip the foreign keys of every table that points at `ticket`.
        op.execute("ALTER TABLE ticket ADD COLUMN linked_to_id INTEGER REFERENCES ticket (id)")
    else:
        op.add_column('ticket', sa.Column('linked_to_id', sa.Integer(), nullable=True))
        op.create_foreign_key('ticket_linked_to_id_fkey', 'ticket', 'ticket', ['linked_to_id'], ['id'])
    op.create_index('ix_ticket_linked_to_id', 'ticket', ['linked_to_id'], unique=False)
    op.create_index('ix_ticket_resident_created', 'ticket', ['resident_id', 'created_at'],
                    unique=False)
    op.drop_index('ix_ticket_resident_id', table_name='ticket')


def downgrade() -> None:
    """Undo this revision."""
    op.create_index('ix_ticket_resident_id', 'ticket', ['resident_id'], unique=False)
    op.drop_index('ix_ticket_resident_created', table_name='ticket')
    op.drop_index('ix_ticket_linked_to_id', table_name='ticket')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE ticket DROP COLUMN linked_to_id")  # in place, as it was added
    else:
        op.drop_constraint('ticket_linked_to_id_fkey', 'ticket', type_='foreignkey')
        op.drop_column('ticket', 'linked_to_id')
    op.drop_table('message_window')
