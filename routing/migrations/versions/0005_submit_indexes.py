"""Indexes for a cheaper submit: fewer index writes per new ticket, matching from an index.

- `ix_ticket_status` is dropped: `ix_ticket_status_wave` (status, next_wave_at) serves every
  lookup by status;
- `ix_ticket_assignee_id` and `ix_ticket_linked_to_id` hold only the tickets that have an
  assignee / a link (a new ticket has neither), so submitting writes neither of them;
- `ix_member_skill_skill_street` also holds the score: matching reads no member_skill row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NULLABLE_INDEXES = {'ix_ticket_assignee_id': 'assignee_id', 'ix_ticket_linked_to_id': 'linked_to_id'}


def upgrade() -> None:
    """Drop the status index; index only the set assignee and link columns; cover the score."""
    op.drop_index('ix_ticket_status', table_name='ticket')
    for name, column in NULLABLE_INDEXES.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name='ticket')
        op.create_index(name, 'ticket', [column], unique=False,
                        sqlite_where=where, postgresql_where=where)
    op.drop_index('ix_member_skill_skill_street', table_name='member_skill')
    op.create_index('ix_member_skill_skill_street', 'member_skill',
                    ['skill', 'street_code', 'member_id', 'score'], unique=False)


def downgrade() -> None:
    """Back to the earlier indexes."""
    op.drop_index('ix_member_skill_skill_street', table_name='member_skill')
    op.create_index('ix_member_skill_skill_street', 'member_skill',
                    ['skill', 'street_code', 'member_id'], unique=False)
    for name, column in NULLABLE_INDEXES.items():
        op.drop_index(name, table_name='ticket')
        op.create_index(name, 'ticket', [column], unique=False)
    op.create_index('ix_ticket_status', 'ticket', ['status'], unique=False)
