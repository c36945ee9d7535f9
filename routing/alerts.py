"""Time limits (超期监察): which tickets are near (🟡 yellow, 80 % of a limit) or past (🔴 red) their
response or resolution limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from routing.config import Settings, get_settings, get_taxonomy
from routing.members import require_coordinator
from routing.models import Ticket
from routing.models import TicketStatus as S
from routing.views import ticket_payload

YELLOW_SHARE = 0.8  # a yellow card at 80 % of a limit
UNANSWERED = (S.submitted, S.offered, S.dispatch, S.escalated, S.reopened, S.handed_back)
UNRESOLVED = (*UNANSWERED, S.accepted, S.in_progress)


@dataclass(frozen=True, slots=True)
class Breach:
    """One limit of one ticket that is near or past due."""

    limit: str  # "respond" or "resolve"
    level: str  # "yellow" or "red"
    due_at: datetime


def breach_of(ticket: Ticket, now: datetime) -> Breach | None:
    """The most pressing limit of a ticket at `now`, if it is at least at 80 %."""
    checks = []
    if ticket.accepted_at is None and ticket.status in UNANSWERED:
        checks.append(("respond", ticket.respond_due_at))
    if ticket.resolved_at is None or ticket.status == S.reopened:
        checks.append(("resolve", ticket.resolve_due_at))
    for limit, due in checks:
        if now >= due:
            return Breach(limit, "red", due)
    for limit, due in checks:
        if now >= ticket.created_at + (due - ticket.created_at) * YELLOW_SHARE:
            return Breach(limit, "yellow", due)
    return None


def overdue_tickets(session: Session, coordinator_id: int, now: datetime, *, limit: int = 50,
                    settings: Settings | None = None) -> list[dict[str, Any]]:
    """/overdue: open tickets in the coordinator's scope past (red) or near (yellow) a limit,
    red first, then by due time."""
    settings = settings or get_settings()
    taxonomy = get_taxonomy(settings)
    scopes = require_coordinator(session, coordinator_id)
    # The widest 20 % window of any class bounds the indexed range scan; breach_of decides exactly.
    window_respond = max(settings.scaled(c.respond) for c in taxonomy.classes.values()) * (1 - YELLOW_SHARE)
    window_resolve = max(settings.scaled(c.resolve) for c in taxonomy.classes.values()) * (1 - YELLOW_SHARE)
    in_scope = or_(Ticket.grid_code.in_(scopes), Ticket.community_code.in_(scopes), Ticket.street_code.in_(scopes))
    near = or_(
        and_(Ticket.accepted_at.is_(None), Ticket.respond_due_at <= now + window_respond),
        Ticket.resolve_due_at <= now + window_resolve,
    )
    rows = session.exec(select(Ticket).where(Ticket.status.in_(UNRESOLVED), in_scope, near)
                        .order_by(Ticket.resolve_due_at).limit(limit * 4)).all()
    found = []
    for ticket in rows:
        breach = breach_of(ticket, now)
        if breach is not None:
            payload = ticket_payload(session, ticket, taxonomy=taxonomy)
            payload.update(overdue=breach.level == "red", limit=breach.limit, due_at=breach.due_at)
            found.append(payload)
    found.sort(key=lambda p: (not p["overdue"], p["due_at"]))
    return found[:limit]
