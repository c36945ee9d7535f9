"""All database tables (SQLModel) and the string enums stored in them.

Timestamps are timezone-aware UTC everywhere (`UTCDateTime`, also on SQLite). The schema is only
created and changed through the alembic migrations in `routing/migrations/`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, UniqueConstraint, and_, column, false
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tid(**kw: Any) -> Any:
    """A Telegram user id column (64-bit)."""
    return Field(sa_type=BigInteger, **kw)


def _ts(**kw: Any) -> Any:
    """An aware UTC timestamp column."""
    return Field(sa_type=UTCDateTime, **kw)


class GeoLevel(StrEnum):
    street = "street"
    community = "community"
    grid = "grid"


class TicketStatus(StrEnum):
    submitted = "submitted"
    offered = "offered"
    dispatch = "dispatch"  # waiting for a coordinator's 派单
    escalated = "escalated"  # waiting, and handed one level up
    accepted = "accepted"
    in_progress = "in_progress"
    handed_back = "handed_back"
    resolved = "resolved"
    reopened = "reopened"
    closed = "closed"
    cancelled = "cancelled"


class OfferState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"  # someone else took it, it was cancelled, or went to dispatch


class OfferKind(StrEnum):
    wave = "wave"  # automatic matching
    dispatch = "dispatch"  # a coordinator's 指派, needs the member's consent


class NotificationKind(StrEnum):
    ticket_created = "ticket_created"
    offer = "offer"
    assigned = "assigned"  # a coordinator asks a member to take a ticket
    offer_withdrawn = "offer_withdrawn"  # edit the earlier offer message: taken/cancelled/expired
    offer_accepted = "offer_accepted"  # to the winner: full details incl. contact
    ticket_accepted = "ticket_accepted"
    ticket_started = "ticket_started"
    ticket_handed_back = "ticket_handed_back"
    ticket_resolved = "ticket_resolved"
    rate_request = "rate_request"
    rated = "rated"
    ticket_reopened = "ticket_reopened"
    ticket_closed = "ticket_closed"
    ticket_cancelled = "ticket_cancelled"
    ticket_reassigned = "ticket_reassigned"
    dispatch_needed = "dispatch_needed"
    ticket_raised = "ticket_raised"  # 上报 by a coordinator: to those below who had its 📮 card, where it went
    urgent_alert = "urgent_alert"
    urgent_unplaced = "urgent_unplaced"  # an emergency from someone with no grid chosen yet: to the top coordinators
    low_rating = "low_rating"
    low_rating_comment = "low_rating_comment"  # the reason told after a 差评提醒: a note to it, not a second alarm
    rating_corrected = "rating_corrected"  # to the coordinators: the 差评 was a slip, corrected; nothing to dispatch
    member_unreachable = "member_unreachable"
    member_removed = "member_removed"  # to the member a coordinator removed
    ticket_photo = "ticket_photo"  # one photo of a ticket (the resident's to its member, the work's to the resident)
    yellow_card = "yellow_card"  # 🟡 80 % of a time limit (routing.alerts.scan_alerts)
    red_card = "red_card"  # 🔴 past a time limit; the ticket escalated one level
    intake_reminder = "intake_reminder"  # a need left at its address or phone step an hour ago: to its resident
    rate_reminder = "rate_reminder"  # 回访: a resolved ticket still unrated after a day
    group_alert = "group_alert"  # to a subscribed group chat: no personal data (subscriptions.py)
    ticket_linked = "ticket_linked"  # to the assignee: a neighbour reported the same (duplicates.py)
    daily_digest = "daily_digest"  # a coordinator's morning counts for one scope (routing.reports)
    weekly_report = "weekly_report"  # the Monday report: a chart, or text when no photo can go
    decline_reason = "decline_reason"  # why a member declined, typed after 不方便: to who assigned it, or whose 派单 it waits for
    assignment_answered = "assignment_answered"  # to the coordinator who 指派'd: the member accepted or declined (urgent, taken: all alerted)
    chased = "chased"  # 催办: a resident urges a ticket not done yet, to its coordinators and its member
    urged = "urged"  # 督办: a coordinator urges the member who holds a ticket (📣 催办 under a 🟡 / 🔴 card)
    done_disputed = "done_disputed"  # a resident says a ticket marked done was not (师傅根本没来过), to its coordinators
    member_words = "member_words"  # the member who holds a ticket tells its resident (在路上了，十分钟到), through the bot
    complaint = "complaint"  # a resident complains of the work or the member on her ticket (态度太差, 收了钱), to its coordinators
    contact_added = "contact_added"  # an urgent ticket, opened at once, gets its address, phone or more words
    resolution_note = "resolution_note"  # to the resident: the member's words of the work, sent after its photo
    message_deleted = "message_deleted"  # delete an earlier message (a resident's photo a member got, on /forget)
    quarter_stars = "quarter_stars"  # 评星: to each member still serving, their stars for the quarter just rated
    shown = "shown"  # a ticket's contact in a reply sent at once (/tasks, /dispatch): recorded so it can be taken back


class NotificationStatus(StrEnum):
    pending = "pending"
    claimed = "claimed"
    sent = "sent"
    dead = "dead"  # gave up after OUTBOX_MAX_ATTEMPTS
    unreachable = "unreachable"  # the recipient blocked the bot
    cancelled = "cancelled"  # made moot before delivery (e.g. an offer withdrawn before it went out)


class GeoNode(SQLModel, table=True):
    """One node of the geography tree: street → community → grid."""

    __tablename__ = "geo_node"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    level: str = Field(max_length=10)
    parent_code: str | None = Field(default=None, foreign_key="geo_node.code", max_length=40)
    street_code: str = Field(max_length=40)
    community_code: str | None = Field(default=None, max_length=40)
    position: int = 0
    active: bool = True


class Person(SQLModel, table=True):
    """Anyone who wrote to the bot; may also be a member and a coordinator."""

    __tablename__ = "person"

    telegram_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    name: str = Field(default="", max_length=200)
    grid_code: str | None = Field(default=None, foreign_key="geo_node.code", max_length=40)
    unreachable_at: datetime | None = _ts(default=None)
    created_at: datetime = _ts()


class Coordinator(SQLModel, table=True):
    """A coordinator's scope: a grid, a community or a street."""

    __tablename__ = "coordinator"
    __table_args__ = (UniqueConstraint("telegram_id", "scope_code"),)

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _tid(foreign_key="person.telegram_id", index=True)
    scope_code: str = Field(foreign_key="geo_node.code", max_length=40, index=True)
    added_by: int | None = _tid(default=None)
    created_at: datetime = _ts()


class Invite(SQLModel, table=True):
    """A one-time invite code created by a coordinator: for a member, or (with a scope) for a coordinator."""

    __tablename__ = "invite"

    code: str = Field(primary_key=True, max_length=16)
    created_by: int = _tid(foreign_key="person.telegram_id")
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(default=None)
    used_by: int | None = _tid(default=None)
    scope_code: str | None = Field(default=None, max_length=40)  # a coordinator's invite: the scope they get


class Member(SQLModel, table=True):
    """A member's (党员/志愿者) profile; grid, community and street are copied for matching."""

    __tablename__ = "member"
    __table_args__ = (Index("ix_member_street_duty", "street_code", "on_duty"),)

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _tid(foreign_key="person.telegram_id", unique=True)
    display_name: str = Field(max_length=100)
    skill_tags: list[str] = Field(default_factory=list, sa_type=JSON)
    grid_code: str = Field(foreign_key="geo_node.code", max_length=40, index=True)
    community_code: str = Field(max_length=40, index=True)
    street_code: str = Field(max_length=40)
    on_duty: bool = True
    capacity: int = 3
    active_count: int = 0  # tickets accepted and not yet resolved/handed back
    points: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    last_assigned_at: datetime | None = _ts(default=None)
    joined_at: datetime = _ts()
    invite_code: str | None = Field(default=None, max_length=16)
    # Removed by a coordinator (moved away, no longer serving): no offers, not a member to the bot, until /join again
    left_at: datetime | None = _ts(default=None)


class MemberSkill(SQLModel, table=True):
    """A taxonomy skill a member covers, with how well their own tag matched it (0–1).

    The member's street is copied here so that matching reads only the ticket's street.
    """

    __tablename__ = "member_skill"
    # With the score, matching reads a skill's members from the index, not the table rows.
    __table_args__ = (Index("ix_member_skill_skill_street", "skill", "street_code", "member_id",
                            "score"),)

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    skill: str = Field(primary_key=True, max_length=50)
    street_code: str = Field(max_length=40)
    score: float = 1.0
    tag: str = Field(default="", max_length=50)  # what the member wrote


# The statuses in which a ticket's response / resolution limit can still run (routing.alerts). The
# partial due-time indexes below hold only these tickets, so that the time-limit scan's ranges do
# not grow with the closed ones; a query uses them when it repeats their WHERE with literal values.
RESPONSE_RUNS = (TicketStatus.submitted, TicketStatus.offered, TicketStatus.dispatch,
                 TicketStatus.escalated, TicketStatus.reopened, TicketStatus.handed_back)
RESOLUTION_RUNS = (*RESPONSE_RUNS, TicketStatus.accepted, TicketStatus.in_progress)
_RESPONSE_RUNS_WHERE = and_(column("status").in_([str(s) for s in RESPONSE_RUNS]),
                            column("accepted_at").is_(None))
_RESOLUTION_RUNS_WHERE = column("status").in_([str(s) for s in RESOLUTION_RUNS])
_ASSIGNED_WHERE = column("assignee_id").is_not(None)
_LINKED_WHERE = column("linked_to_id").is_not(None)


class Ticket(SQLModel, table=True):
    """A resident's request (工单)."""

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_street_created", "street_code", "created_at"),
        Index("ix_ticket_community_created", "community_code", "created_at"),
        Index("ix_ticket_grid_created", "grid_code", "created_at"),
        Index("ix_ticket_status_wave", "status", "next_wave_at"),
        Index("ix_ticket_resident_created", "resident_id", "created_at"),  # /my, tickets per hour
        # The time-limit scan: per time class, a range of due times of the tickets still running.
        Index("ix_ticket_respond_running", "time_class", "respond_due_at",
              sqlite_where=_RESPONSE_RUNS_WHERE, postgresql_where=_RESPONSE_RUNS_WHERE),
        Index("ix_ticket_resolve_running", "time_class", "resolve_due_at",
              sqlite_where=_RESOLUTION_RUNS_WHERE, postgresql_where=_RESOLUTION_RUNS_WHERE),
        # Most tickets have no assignee or link (a new one never has): indexing only the set ones
        # spares every submit two index writes; `= value` lookups imply IS NOT NULL on both.
        Index("ix_ticket_assignee_id", "assignee_id",
              sqlite_where=_ASSIGNED_WHERE, postgresql_where=_ASSIGNED_WHERE),
        Index("ix_ticket_linked_to_id", "linked_to_id",
              sqlite_where=_LINKED_WHERE, postgresql_where=_LINKED_WHERE),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=8, unique=True)  # public, e.g. A1234 (shown as #A1234)
    resident_id: int = _tid(foreign_key="person.telegram_id")
    text: str
    normalized_text: str = ""
    label: str | None = Field(default=None, max_length=60)  # category.item; NULL: 其他/派单
    category: str | None = Field(default=None, max_length=30)
    confidence: float | None = None
    urgent: bool = False
    time_class: str = Field(max_length=20)
    status: str = Field(max_length=20)  # looked up through ix_ticket_status_wave (status first)
    grid_code: str = Field(foreign_key="geo_node.code", max_length=40)
    community_code: str = Field(max_length=40)
    street_code: str = Field(max_length=40)
    address: str = Field(default="", max_length=500)
    phone: str | None = Field(default=None, max_length=40)
    attachments: list[str] = Field(default_factory=list, sa_type=JSON)
    assignee_id: int | None = Field(default=None, foreign_key="member.id")  # partial index
    wave: int = 0
    next_wave_at: datetime | None = _ts(default=None)
    escalation_level: int = 0  # 0 grid, 1 community, 2 street
    reopen_count: int = 0
    rating: int | None = None  # latest rating, for 满意率
    resolution_note: str = Field(default="", max_length=2000)
    resolution_attachments: list[str] = Field(default_factory=list, sa_type=JSON)
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    offered_at: datetime | None = _ts(default=None)
    dispatch_at: datetime | None = _ts(default=None)
    accepted_at: datetime | None = _ts(default=None)  # first acceptance (响应)
    started_at: datetime | None = _ts(default=None)
    # this round's resolution: a low rating that reopens the ticket clears it (its limits run again)
    resolved_at: datetime | None = _ts(default=None)
    closed_at: datetime | None = _ts(default=None)
    cancelled_at: datetime | None = _ts(default=None)
    respond_due_at: datetime = _ts()  # indexed while running: ix_ticket_respond_running
    resolve_due_at: datetime = _ts()  # ix_ticket_resolve_running
    updated_at: datetime = _ts()
    version: int = 1  # bumped by every transition (optimistic concurrency)
    # The earliest open ticket of a group of neighbours' near-identical requests (duplicates.py).
    linked_to_id: int | None = Field(default=None, foreign_key="ticket.id")  # partial index


class TicketEvent(SQLModel, table=True):
    """Append-only log of everything that happens to a ticket (a trigger forbids edits)."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = _ts()
    actor_id: int | None = _tid(default=None)
    actor_role: str = Field(max_length=20)  # resident | member | coordinator | system
    kind: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Offer(SQLModel, table=True):
    """A ticket offered to one member (a wave offer or a coordinator's 指派)."""

    __tablename__ = "offer"
    __table_args__ = (UniqueConstraint("ticket_id", "member_id"),
                      Index("ix_offer_member_state", "member_id", "state"))

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    member_id: int = Field(foreign_key="member.id")
    wave: int = 1
    kind: str = Field(default=OfferKind.wave, max_length=10)
    state: str = Field(default=OfferState.pending, max_length=12)
    score: float | None = None
    dispatched_by: int | None = _tid(default=None)
    notification_id: int | None = Field(default=None, foreign_key="notification.id")
    sent_at: datetime = _ts()
    answered_at: datetime | None = _ts(default=None)
    reason: str | None = Field(default=None, max_length=200)


class Rating(SQLModel, table=True):
    """A resident's 1–5 star rating of one resolution (round = reopen count at the time)."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("ticket_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    round: int = 0
    resident_id: int = _tid(foreign_key="person.telegram_id")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    stars: int
    comment: str = Field(default="", max_length=1000)
    created_at: datetime = _ts()


class PointEntry(SQLModel, table=True):
    """One line of the points ledger (negative lines take points back)."""

    __tablename__ = "point_entry"
    __table_args__ = (Index("ix_point_member_created", "member_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    points: int
    reason: str = Field(max_length=30)
    round: int = 0
    created_at: datetime = _ts()


class MemberStar(SQLModel, table=True):
    """A member's stars (1–5) for one quarter, e.g. 2025Q3, with the record behind them."""

    __tablename__ = "member_star"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    quarter: str = Field(primary_key=True, max_length=7)
    stars: int
    points: int = 0
    resolved: int = 0
    on_time: int = 0
    rated: int = 0
    rating_avg: float | None = None
    reopened: int = 0
    computed_at: datetime = _ts()


class Alert(SQLModel, table=True):
    """A yellow/red card sent for a ticket's time limit: once per (ticket, limit, level)."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("ticket_id", "limit_kind", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    limit_kind: str = Field(max_length=10)  # respond | resolve
    level: str = Field(max_length=10)  # yellow | red
    escalation_level: int = 0
    created_at: datetime = _ts()


class ReportRun(SQLModel, table=True):
    """A daily digest or weekly report queued for one recipient, scope and period: once, whatever
    the number of bot processes (the row goes in first, INSERT … ON CONFLICT DO NOTHING, as `Alert`)."""

    __tablename__ = "report_run"
    __table_args__ = (UniqueConstraint("kind", "period", "recipient_id", "scope_code"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # daily_digest | weekly_report
    period: str = Field(max_length=10)  # the local date (2025-03-03) or ISO week (2025-W10)
    recipient_id: int = _tid()
    scope_code: str = Field(max_length=40)
    late: bool = False  # queued after its moment, e.g. the bot was down at 08:00
    created_at: datetime = _ts()


class Notification(SQLModel, table=True):
    """Outbox: a message someone must receive, written in the same transaction as its cause."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),
                      # (a person's notifications still to send: what a later one waits behind, see outbox)
                      Index("ix_notification_recipient_status", "recipient_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = _tid(index=True)
    kind: str = Field(max_length=30)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    refers_to_id: int | None = Field(default=None, foreign_key="notification.id")
    status: str = Field(default=NotificationStatus.pending, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    lease_until: datetime | None = _ts(default=None)
    claimed_by: str | None = Field(default=None, max_length=100)
    last_error: str | None = Field(default=None, max_length=500)
    # (a send that failed for a while — 429, the network — holds the person's later notifications behind it)
    holds_chat: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(default=None)
    telegram_chat_id: int | None = _tid(default=None)
    telegram_message_id: int | None = _tid(default=None)


class MessageWindow(SQLModel, table=True):
    """How many messages a person sent in the current one-minute window (routing.abuse): one row per
    person, upserted by every intake message, so that several bot processes share the count."""

    __tablename__ = "message_window"

    telegram_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    window_start: datetime = _ts()
    count: int = 0


class Draft(SQLModel, table=True):
    """A conversation in progress, so that any process can continue it after a restart."""

    __tablename__ = "draft"

    telegram_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    flow: str = Field(primary_key=True, max_length=30)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = _ts()


class GroupSubscription(SQLModel, table=True):
    """A group chat that gets a scope's alerts (a coordinator's /subscribe there), without
    personal data: urgent tickets, red cards, dispatch needs and low ratings."""

    __tablename__ = "group_subscription"
    __table_args__ = (UniqueConstraint("chat_id", "scope_code"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _tid()  # a group's id (negative)
    scope_code: str = Field(foreign_key="geo_node.code", max_length=40, index=True)
    subscribed_by: int = _tid()  # the coordinator who sent /subscribe
    created_at: datetime = _ts()
