"""Group chats that get a scope's alerts: a coordinator sends /subscribe in a group (issue 6).

Intake is served in private chats only; a group hears nothing but these alerts, for the tickets
under the subscribed scope (a grid, a community or a street): urgent tickets, red cards (红牌超期),
dispatch needs (nobody took a ticket) and low ratings. Each is a `group_alert` notification in
the same outbox as everything else, written in the same transaction as the coordinators' copy
(`queue_group_alerts`, called by `outbox.notify_rows`), so it survives restarts and goes out once.

A group is read by many people: its payload keeps the ticket number, item, grid, escalation level
and what happened — never the resident's words, name, phone or address, nor a rating comment.
Coordinators act in their private chats. A group that removed the bot (403) is unsubscribed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from routing.db import among, core, is_postgres
from routing.errors import InvalidInput, NotAllowed, NotFound
from routing.geography import NodeInfo, get_node
from routing.members import covers, require_coordinator
from routing.models import (
    GeoLevel,
    GeoNode,
    GroupSubscription,
    Notification,
    NotificationKind,
    NotificationStatus,
    Ticket,
)

# The coordinators' alerts a subscribed group gets a copy of (yellow cards stay private).
# (rating_corrected: a 差评 the group was alarmed by was a slip, the ticket closed: no /dispatch needed)
GROUP_ALERT_KINDS = frozenset({NotificationKind.urgent_alert, NotificationKind.red_card,
                               NotificationKind.dispatch_needed, NotificationKind.low_rating,
                               NotificationKind.rating_corrected})
# What a group alert may carry over from the coordinators' payload: nothing about a person.
PUBLIC_FIELDS = ("ticket_id", "number", "category_name", "item_name", "grid_name",
                 "community_name", "urgent", "status_name", "reason", "limit", "level", "due_at",
                 "late", "escalated_to", "stars", "was", "needs_dispatch")
LEVEL_NAMES = {GeoLevel.grid: "网格", GeoLevel.community: "社区", GeoLevel.street: "街道"}
LEVEL_WORDS = {**{name: level for level, name in LEVEL_NAMES.items()},
               **{str(level): level for level in GeoLevel}}


@dataclass(frozen=True, slots=True)
class Subscribed:
    """The outcome of /subscribe: the scope, and whether the group was subscribed already."""

    code: str
    name: str
    level: str
    created: bool


def is_group_chat(chat_id: int) -> bool:
    """Group and supergroup ids are negative (a private chat's id is the person's user id)."""
    return chat_id < 0


def _names(nodes: Sequence[NodeInfo]) -> str:
    return "、".join(n.name for n in nodes)


def resolve_scope(session: Session, coordinator_id: int, wanted: str | None = None) -> NodeInfo:
    """The scope a coordinator names: nothing (their only scope), a level word such as 社区
    (their scope at that level), or the code or name of a node within their scopes."""
    scopes = require_coordinator(session, coordinator_id)
    nodes = [get_node(session, code) for code in scopes]
    wanted = " ".join((wanted or "").split())[:60]
    if not wanted:
        if len(nodes) == 1:
            return nodes[0]
        raise InvalidInput(f"您管辖多个范围（{_names(nodes)}），请写明订阅哪一个，例如：/subscribe {nodes[0].name}")
    level = LEVEL_WORDS.get(wanted.lower())
    if level is not None:
        at_level = [n for n in nodes if n.level == level]
        if len(at_level) == 1:
            return at_level[0]
        if not at_level:
            raise NotAllowed(f"您没有{LEVEL_NAMES[level]}一级的管辖范围（您管辖：{_names(nodes)}）")
        raise InvalidInput(f"您管辖多个{LEVEL_NAMES[level]}（{_names(at_level)}），请写明名称")
    codes = session.exec(select(GeoNode.code).where(
        or_(GeoNode.code == wanted, GeoNode.name == wanted), GeoNode.active)).all()
    if not codes:
        raise NotFound(f"没有找到「{wanted}」。可以写 网格 / 社区 / 街道，或区域的名称")
    covered = [get_node(session, code) for code in codes if covers(session, scopes, code)]
    if not covered:
        raise NotAllowed(f"「{wanted}」不在您的管辖范围内")
    if len(covered) > 1:
        raise InvalidInput(f"「{wanted}」有重名，请改用区域编码：{'、'.join(n.code for n in covered)}")
    return covered[0]


def subscribe_group(session: Session, chat_id: int, coordinator_id: int, now: datetime, *,
                    scope: str | None = None) -> Subscribed:
    """/subscribe [scope] in a group: it gets the alerts of that scope from now on (idempotent)."""
    if not is_group_chat(chat_id):
        raise InvalidInput("请在群聊里发送 /subscribe")
    node = resolve_scope(session, coordinator_id, scope)
    insert = pg_insert if is_postgres(session) else sqlite_insert
    table = GroupSubscription.__table__
    statement = (insert(table).on_conflict_do_nothing(index_elements=["chat_id", "scope_code"])
                 .returning(table.c.id))
    created = core(session, statement, {"chat_id": chat_id, "scope_code": node.code,
                                        "subscribed_by": coordinator_id,
                                        "created_at": now}).first() is not None
    return Subscribed(node.code, node.name, node.level, created)


def group_scopes(session: Session, chat_id: int) -> list[NodeInfo]:
    """The scopes a group is subscribed to."""
    codes = session.exec(select(GroupSubscription.scope_code)
                         .where(GroupSubscription.chat_id == chat_id)
                         .order_by(GroupSubscription.id)).all()
    return [get_node(session, code) for code in codes]


def unsubscribe_group(session: Session, chat_id: int, coordinator_id: int, *,
                      scope: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """/unsubscribe [scope] in a group: end its subscriptions within the coordinator's scopes
    (only `scope`'s, if given). Returns the names of the scopes ended, of those kept that the coordinator
    could end (another scope was named), and of those outside their scopes."""
    scopes = require_coordinator(session, coordinator_id)
    target = resolve_scope(session, coordinator_id, scope).code if scope and scope.strip() else None
    ended, kept, others = [], [], []
    for node in group_scopes(session, chat_id):
        if not covers(session, scopes, node.code):
            others.append(node)
        elif target in (None, node.code):
            ended.append(node)
        else:
            kept.append(node)
    if ended:
        session.exec(delete(GroupSubscription).where(
            GroupSubscription.chat_id == chat_id,
            GroupSubscription.scope_code.in_([n.code for n in ended])))
    return [n.name for n in ended], [n.name for n in kept], [n.name for n in others]


def group_gone(session: Session, chat_id: int) -> int:
    """The bot was removed from a group (or can no longer write there): end its subscriptions."""
    return session.exec(delete(GroupSubscription)
                        .where(GroupSubscription.chat_id == chat_id)).rowcount


def move_group(session: Session, old_chat_id: int, new_chat_id: int, now: datetime, *,
               notification_id: int | None = None) -> None:
    """A group became a supergroup, which has a new id: its subscriptions and undelivered
    alerts follow; `notification_id` (the one whose sending found out) is queued again."""
    if old_chat_id == new_chat_id:
        return
    taken = session.exec(select(GroupSubscription.scope_code)
                         .where(GroupSubscription.chat_id == new_chat_id)).all()
    session.exec(delete(GroupSubscription).where(GroupSubscription.chat_id == old_chat_id,
                                                 GroupSubscription.scope_code.in_(taken)))
    session.exec(update(GroupSubscription).where(GroupSubscription.chat_id == old_chat_id)
                 .values(chat_id=new_chat_id))
    waiting = Notification.status == NotificationStatus.pending
    if notification_id is not None:
        waiting = or_(waiting, Notification.id == notification_id)
    session.exec(update(Notification).where(Notification.recipient_id == old_chat_id, waiting)
                 .values(recipient_id=new_chat_id, status=NotificationStatus.pending,
                         next_attempt_at=now, lease_until=None)
                 .execution_options(synchronize_session=False))


def queue_group_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Hook of `outbox.notify_rows`: for the coordinators' alerts among `rows`, queue one
    `group_alert` per subscribed group over the ticket's grid and per cause (a cause already
    told to a group, such as a low rating's comment after its stars, is not told again).
    Returns how many were queued."""
    alerts: dict[tuple[int, str, Any], dict[str, Any]] = {}
    for row in rows:
        if row["kind"] in GROUP_ALERT_KINDS and row["ticket_id"] is not None:
            alerts.setdefault((row["ticket_id"], str(row["kind"]), row["payload"].get("limit")), row)
    if not alerts:
        return 0
    ticket_ids = {ticket_id for ticket_id, _, _ in alerts}
    postgres = is_postgres(session)
    under = or_(GroupSubscription.scope_code == Ticket.grid_code,
                GroupSubscription.scope_code == Ticket.community_code,
                GroupSubscription.scope_code == Ticket.street_code)
    targets = session.exec(
        select(GroupSubscription.chat_id, Ticket.id, Ticket.escalation_level, Ticket.reopen_count,
               Ticket.dispatch_at)
        .join(Ticket, under).where(among(Ticket.id, ticket_ids, postgres))).all()
    if not targets:
        return 0
    chats = {chat_id for chat_id, *_ in targets}
    told = {(chat_id, ticket_id, payload.get("key")) for chat_id, ticket_id, payload in session.exec(
        select(Notification.recipient_id, Notification.ticket_id, Notification.payload)
        .where(Notification.kind == NotificationKind.group_alert,
               among(Notification.ticket_id, ticket_ids, postgres),
               Notification.recipient_id.in_(chats)))}
    from routing.outbox import notification_row, notify_rows  # outbox calls this module

    new = []
    for chat_id, ticket_id, level, reopened, dispatch_at in targets:
        for (alert_ticket, kind, limit), row in alerts.items():
            if alert_ticket != ticket_id:
                continue
            # (a card's own level: two red cards written in one scan after downtime raise the ticket twice)
            level_now = row["payload"].get("escalation_level", level)
            key = f"{kind}:{limit or ''}:{level_now}:{reopened}:{dispatch_at.isoformat() if dispatch_at else ''}"
            if (chat_id, ticket_id, key) in told:
                continue
            told.add((chat_id, ticket_id, key))
            source = row["payload"]
            payload = {field: source[field] for field in PUBLIC_FIELDS if field in source}
            payload.update(alert=kind, key=key, escalation_level=level_now)
            new.append(notification_row(chat_id, NotificationKind.group_alert, row["created_at"],
                                        ticket_id, payload))
    notify_rows(session, new)
    return len(new)
