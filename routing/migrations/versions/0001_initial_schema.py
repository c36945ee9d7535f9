"""Initial schema: geography, people, members, tickets, offers, events, outbox, drafts.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER ticket_event_no_update BEFORE UPDATE ON ticket_event
       BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only'); END""",
    """CREATE TRIGGER ticket_event_no_delete BEFORE DELETE ON ticket_event
       BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only'); END""",
]
APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'ticket_event is append-only'; END $$""",
    """CREATE TRIGGER ticket_event_append_only BEFORE UPDATE OR DELETE ON ticket_event
       FOR EACH ROW EXECUTE FUNCTION ticket_event_append_only()""",
]


def _append_only(create: bool) -> None:
    """The event log refuses UPDATE and DELETE (a trigger, so that no code path can edit it)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = APPEND_ONLY_SQLITE if create else [
            "DROP TRIGGER IF EXISTS ticket_event_no_update",
            "DROP TRIGGER IF EXISTS ticket_event_no_delete"]
    elif dialect == "postgresql":
        statements = APPEND_ONLY_POSTGRESQL if create else [
            "DROP TRIGGER IF EXISTS ticket_event_append_only ON ticket_event",
            "DROP FUNCTION IF EXISTS ticket_event_append_only()"]
    else:
        statements = []
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('draft',
    sa.Column('telegram_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('flow', sa.String(length=30), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('telegram_id', 'flow')
    )
    op.create_table('geo_node',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_code', sa.String(length=40), nullable=True),
    sa.Column('street_code', sa.String(length=40), nullable=False),
    sa.Column('community_code', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['geo_node.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('person',
    sa.Column('telegram_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('grid_code', sa.String(length=40), nullable=True),
    sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_code'], ['geo_node.code'], ),
    sa.PrimaryKeyConstraint('telegram_id')
    )
    op.create_table('coordinator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('scope_code', sa.String(length=40), nullable=False),
    sa.Column('added_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scope_code'], ['geo_node.code'], ),
    sa.ForeignKeyConstraint(['telegram_id'], ['person.telegram_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('telegram_id', 'scope_code')
    )
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinator_scope_code'), ['scope_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordinator_telegram_id'), ['telegram_id'], unique=False)

    op.create_table('invite',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['person.telegram_id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('skill_tags', sa.JSON(), nullable=False),
    sa.Column('grid_code', sa.String(length=40), nullable=False),
    sa.Column('community_code', sa.String(length=40), nullable=False),
    sa.Column('street_code', sa.String(length=40), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('active_count', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Integer(), nullable=False),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('last_assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invite_code', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['grid_code'], ['geo_node.code'], ),
    sa.ForeignKeyConstraint(['telegram_id'], ['person.telegram_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('telegram_id')
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index('ix_member_street_duty', ['street_code', 'on_duty'], unique=False)

    op.create_table('member_skill',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=50), nullable=False),
    sa.Column('street_code', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('tag', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('member_id', 'skill')
    )
    with op.batch_alter_table('member_skill', schema=None) as batch_op:
        batch_op.create_index('ix_member_skill_skill_street', ['skill', 'street_code', 'member_id'], unique=False)

    op.create_table('member_star',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('rating_avg', sa.Float(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('member_id', 'quarter')
    )
    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('resident_id', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('normalized_text', sa.String(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('time_class', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('grid_code', sa.String(length=40), nullable=False),
    sa.Column('community_code', sa.String(length=40), nullable=False),
    sa.Column('street_code', sa.String(length=40), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('wave', sa.Integer(), nullable=False),
    sa.Column('next_wave_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('resolution_note', sa.String(length=2000), nullable=False),
    sa.Column('resolution_attachments', sa.JSON(), nullable=False),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('respond_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolve_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['grid_code'], ['geo_node.code'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['person.telegram_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_ticket_community_created', ['community_code', 'created_at'], unique=False)
        batch_op.create_index('ix_ticket_grid_created', ['grid_code', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_resolve_due_at'), ['resolve_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_respond_due_at'), ['respond_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_status'), ['status'], unique=False)
        batch_op.create_index('ix_ticket_status_wave', ['status', 'next_wave_at'], unique=False)
        batch_op.create_index('ix_ticket_street_created', ['street_code', 'created_at'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('limit_kind', sa.String(length=10), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'limit_kind', 'level')
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('refers_to_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('telegram_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['refers_to_id'], ['notification.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('point_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('point_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_entry_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_point_member_created', ['member_id', 'created_at'], unique=False)

    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['person.telegram_id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'round')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_member_id'), ['member_id'], unique=False)

    op.create_table('ticket_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_event_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('wave', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('dispatched_by', sa.BigInteger(), nullable=True),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'member_id')
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index('ix_offer_member_state', ['member_id', 'state'], unique=False)

    _append_only(create=True)


def downgrade() -> None:
    """Undo this revision."""
    _append_only(create=False)
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_member_state')

    op.drop_table('offer')
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_event_ticket_id'))

    op.drop_table('ticket_event')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_member_id'))

    op.drop_table('rating')
    with op.batch_alter_table('point_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_point_member_created')
        batch_op.drop_index(batch_op.f('ix_point_entry_ticket_id'))

    op.drop_table('point_entry')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_notification_recipient_id'))
        batch_op.drop_index('ix_notification_due')

    op.drop_table('notification')
    op.drop_table('alert')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_street_created')
        batch_op.drop_index('ix_ticket_status_wave')
        batch_op.drop_index(batch_op.f('ix_ticket_status'))
        batch_op.drop_index(batch_op.f('ix_ticket_respond_due_at'))
        batch_op.drop_index(batch_op.f('ix_ticket_resolve_due_at'))
        batch_op.drop_index(batch_op.f('ix_ticket_resident_id'))
        batch_op.drop_index('ix_ticket_grid_created')
        batch_op.drop_index('ix_ticket_community_created')
        batch_op.drop_index(batch_op.f('ix_ticket_assignee_id'))

    op.drop_table('ticket')
    op.drop_table('member_star')
    with op.batch_alter_table('member_skill', schema=None) as batch_op:
        batch_op.drop_index('ix_member_skill_skill_street')

    op.drop_table('member_skill')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index('ix_member_street_duty')
        batch_op.drop_index(batch_op.f('ix_member_grid_code'))
        batch_op.drop_index(batch_op.f('ix_member_community_code'))

    op.drop_table('member')
    op.drop_table('invite')
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinator_telegram_id'))
        batch_op.drop_index(batch_op.f('ix_coordinator_scope_code'))

    op.drop_table('coordinator')
    op.drop_table('person')
    op.drop_table('geo_node')
    op.drop_table('draft')
