"""An invite code that makes a coordinator: `invite.scope_code` (the scope the new coordinator gets).

product.md: the first coordinators come from configuration; coordinators can add others. A coordinator's invite
names a node within their own scope; /join with it makes the person a coordinator of that node. A member's invite
has none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('invite', sa.Column('scope_code', sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.execute(sa.text("ALTER TABLE invite DROP COLUMN scope_code"))
