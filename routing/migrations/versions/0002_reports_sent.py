"""Reports sent once per period; partial indexes for the alert scan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statuses in which a ticket's response / resolution limit can still run (as of this revision).
RESPONSE_RUNS = "('submitted', 'offered', 'dispatch', 'escalated', 'reopened', 'handed_back')"
RESOLUTION_RUNS = ("('submitted', 'offered', 'dispatch', 'escalated', 'reopened', 'handed_back', "
                   "'accepted', 'in_progress')")
RUNNING_INDEXES = {
    'ix_ticket_respond_running': (['time_class', 'respond_due_at'],
                                  f"status IN {RESPONSE_RUNS} AND accepted_at IS NULL"),
    'ix_ticket_resolve_running': (['time_class', 'resolve_due_at'], f"status IN {RESOLUTION_RUNS}"),
}


def upgrade() -> None:
    """The report_run table; the due-time indexes hold only the tickets whose limit still runs."""
    op.create_table('report_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('recipient_id', sa.BigInteger(), nullable=False),
    sa.Column('scope_code', sa.String(length=40), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'period', 'recipient_id', 'scope_code')
    )
    for name, (columns, where) in RUNNING_INDEXES.items():
        op.create_index(name, 'ticket', columns, unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    op.drop_index('ix_ticket_respond_due_at', table_name='ticket')
    op.drop_index('ix_ticket_resolve_due_at', table_name='ticket')


def downgrade() -> None:
    """Back to whole-table due-time indexes; drop report_run."""
    op.create_index('ix_ticket_resolve_due_at', 'ticket', ['resolve_due_at'], unique=False)
    op.create_index('ix_ticket_respond_due_at', 'ticket', ['respond_due_at'], unique=False)
    for name in RUNNING_INDEXES:
        op.drop_index(name, table_name='ticket')
    op.drop_table('report_run')
