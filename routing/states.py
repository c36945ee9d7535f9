"""The ticket state machine: the legal transitions and the one function that applies them.

Every change of status goes through `transition`, which updates the ticket with a conditional
UPDATE (status and version must be what the caller saw) and appends the event, both in the
caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from routing.db import core
from routing.errors import ConcurrentUpdate, IllegalTransition, NotFound
from routing.models import Ticket, TicketEvent
from routing.models import TicketStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.submitted: frozenset({S.offered, S.dispatch, S.cancelled}),
    S.offered: frozenset({S.offered, S.accepted, S.dispatch, S.escalated, S.cancelled}),
    S.dispatch: frozenset({S.offered, S.escalated, S.cancelled}),
    S.escalated: frozenset({S.offered, S.accepted, S.escalated, S.cancelled}),
    S.accepted: frozenset({S.in_progress, S.resolved, S.handed_back, S.offered, S.cancelled}),
    S.in_progress: frozenset({S.resolved, S.handed_back, S.offered, S.cancelled}),
    S.handed_back: frozenset({S.offered, S.dispatch}),
    S.resolved: frozenset({S.closed, S.reopened}),
    # (→ resolved: a low rating the resident corrected before anyone acted on it, then rated again)
    S.reopened: frozenset({S.offered, S.escalated, S.cancelled, S.resolved}),
    S.closed: frozenset(),
    S.cancelled: frozenset(),
}

OPEN = frozenset(set(S) - {S.closed, S.cancelled})
UNRESOLVED = frozenset(OPEN - {S.resolved})  # not done yet: to do, or being done
WAITING_FOR_COORDINATOR = frozenset({S.dispatch, S.escalated, S.reopened})
ACCEPTABLE = frozenset({S.offered, S.escalated})  # statuses in which a pending offer can win
WITH_ASSIGNEE = frozenset({S.accepted, S.in_progress})

STATUS_NAMES: dict[S, str] = {
    S.submitted: "已提交", S.offered: "待接单", S.dispatch: "待派单", S.escalated: "已升级",
    S.accepted: "已接单", S.in_progress: "办理中", S.handed_back: "已退回", S.resolved: "已办结",
    S.reopened: "已重新打开", S.closed: "已关闭", S.cancelled: "已取消",
}


def can_transition(current: str, target: str) -> bool:
    """Whether `current → target` is a legal step."""
    return S(target) in TRANSITIONS[S(current)]


def check_transition(ticket: Ticket, target: S) -> None:
    """Raise IllegalTransition unless the ticket may move to `target`."""
    if not can_transition(ticket.status, target):
        raise IllegalTransition(
            f"工单 #{ticket.number} 当前状态为「{STATUS_NAMES[S(ticket.status)]}」，"
            f"不能变为「{STATUS_NAMES[target]}」",
            current=ticket.status, target=str(target))


_EVENTS = TicketEvent.__table__
_TICKETS = Ticket.__table__
_INSERT_EVENT = insert(_EVENTS)  # Core: events are never read back as objects here


def event_row(ticket: Ticket, kind: str, now: datetime, *, actor_id: int | None = None,
              actor_role: str = "system", from_status: str | None = None,
              to_status: str | None = None, data: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The column values of one event (for `record_events`)."""
    return dict(ticket_id=ticket.id, at=now, actor_id=actor_id, actor_role=actor_role, kind=kind,
                from_status=from_status, to_status=to_status, data=data or {})


def record_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append several events in one statement."""
    if rows:
        core(session, _INSERT_EVENT, rows)


def record_event(session: Session, ticket: Ticket, kind: str, now: datetime, *,
                 actor_id: int | None = None, actor_role: str = "system",
                 from_status: str | None = None, to_status: str | None = None,
                 data: dict[str, Any] | None = None) -> None:
    """Append one event to the ticket's log (in the caller's transaction)."""
    core(session, _INSERT_EVENT, event_row(ticket, kind, now, actor_id=actor_id,
                                           actor_role=actor_role, from_status=from_status,
                                           to_status=to_status, data=data))


@lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...], check_status: bool) -> Any:
    """UPDATE ticket SET <columns>, version = version + 1 WHERE id, version [, status] match."""
    where = [_TICKETS.c.id == bindparam("_id"), _TICKETS.c.version == bindparam("_version")]
    if check_status:
        where.append(_TICKETS.c.status == bindparam("_status"))
    values = {name: bindparam(name, type_=_TICKETS.c[name].type) for name in columns}
    return (update(_TICKETS).where(*where).values(version=_TICKETS.c.version + 1, **values)
            .returning(_TICKETS.c.version))


def _apply(session: Session, ticket: Ticket, values: dict[str, Any], *,
           status: str | None) -> None:
    params = {**values, "_id": ticket.id, "_version": ticket.version}
    if status is not None:
        params["_status"] = status
    row = core(session, _update_statement(tuple(sorted(values)), status is not None),
               params).first()
    if row is None:
        raise ConcurrentUpdate(f"工单 #{ticket.number} 刚刚被其他操作更新，请刷新后重试")
    sync(ticket, version=row[0], **values)


def transition(session: Session, ticket: Ticket, target: S, now: datetime, *, kind: str,
               actor_id: int | None = None, actor_role: str = "system",
               data: dict[str, Any] | None = None, **values: Any) -> Ticket:
    """Move the ticket to `target`, setting `values` too, and log it; all or nothing.

    The UPDATE only matches if the row still has the status and version this session read, so
    two processes cannot both apply a step to the same ticket.
    """
    check_transition(ticket, target)
    source = ticket.status
    _apply(session, ticket, {"status": str(target), "updated_at": now, **values}, status=source)
    record_event(session, ticket, kind, now, actor_id=actor_id, actor_role=actor_role,
                 from_status=source, to_status=str(target), data=data)
    return ticket


def update_ticket(session: Session, ticket: Ticket, now: datetime, *, kind: str,
                  actor_id: int | None = None, actor_role: str = "system",
                  data: dict[str, Any] | None = None, **values: Any) -> Ticket:
    """Change fields without changing status (e.g. escalation level), version-checked and logged."""
    _apply(session, ticket, {"updated_at": now, **values}, status=None)
    record_event(session, ticket, kind, now, actor_id=actor_id, actor_role=actor_role,
                 from_status=ticket.status, to_status=ticket.status, data=data)
    return ticket


def sync(row: object, **values: Any) -> None:
    """Make an in-memory row match what an UPDATE just wrote, without another UPDATE."""
    for key, value in values.items():
        set_committed_value(row, key, value)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    """A ticket by id, or NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"工单 {ticket_id} 不存在")
    return ticket
