"""A member a coordinator removed (a member who leaves): `member.left_at`.

Such a member gets no offers and is no longer a member to the bot; /join with a new code makes them one again
(the same row: their points and history stay theirs).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('member', sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # (ALTER TABLE … DROP COLUMN, which SQLite has since 3.35: a batch copy of the table would have to drop the
    # table other tables' foreign keys point at)
    op.execute(sa.text("ALTER TABLE member DROP COLUMN left_at"))
