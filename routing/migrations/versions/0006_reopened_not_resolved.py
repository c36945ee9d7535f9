"""A ticket reopened by a low rating is no longer resolved: clear its `resolved_at`.

Until now the reopening kept the first round's resolution time, so a reopened ticket (and one taken
again after it) counted as resolved: its resolution limit was no longer watched once a member took
it again, and the digest and the statistics counted it as resolved on time. The code now clears
`resolved_at` when it reopens a ticket; this clears it on the tickets reopened before. (The first
round's resolution stays in the ticket's events.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Every ticket that is not resolved or closed has no resolution of its current round."""
    op.execute(sa.text("UPDATE ticket SET resolved_at = NULL "
                       "WHERE resolved_at IS NOT NULL AND status NOT IN ('resolved', 'closed')"))


def downgrade() -> None:
    """Nothing to undo: the code before this revision reads a cleared `resolved_at` as unresolved too."""
