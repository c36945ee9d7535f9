"""What a message about a ticket may show: the public view, and the private one (with contact)
for the assigned member and coordinators only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, select

from classifier.taxonomy import Taxonomy
from routing.config import get_taxonomy
from routing.geography import get_node
from routing.models import Member, Person, Rating
from routing.states import STATUS_NAMES

FORGOTTEN_TEXT = "（居民已申请删除）"  # what /forget leaves of a ticket's words (routing.privacy)

OTHER_NAME = "其他"


class TicketFacts(Protocol):
    """What `ticket_payload` reads of a ticket: a Ticket, or a row of these columns (the alert scan)."""

    id: int | None
    number: str
    label: str | None
    text: str
    urgent: bool
    time_class: str
    status: str
    grid_code: str
    community_code: str
    respond_due_at: datetime
    resolve_due_at: datetime
    accepted_at: datetime | None
    attachments: list[str]
    assignee_id: int | None


def item_names(label: str | None, taxonomy: Taxonomy) -> tuple[str, str]:
    """(category name, item name) for a label; 其他 for none or an item no longer in the file."""
    item = taxonomy.items.get(label) if label else None
    return (item.category_name, item.name) if item else (OTHER_NAME, OTHER_NAME)


def running_limit(ticket: TicketFacts) -> datetime:
    """The limit an offer of this ticket shows: the response's, or once a member has responded (a ticket handed back
    or reopened) the resolution's — as `ticket_payload`'s "responded" tells the texts."""
    return ticket.resolve_due_at if ticket.accepted_at is not None else ticket.respond_due_at


def past_due(ticket: TicketFacts, now: datetime) -> bool:
    """Whether the limit still running (`running_limit`) has passed: a card says 「（已超期）」 after it."""
    return running_limit(ticket) <= now


def ticket_payload(session: Session, ticket: TicketFacts, *, private: bool = False,
                   taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """The facts a notification about this ticket carries; `private` (a Ticket) adds address and
    phone."""
    taxonomy = taxonomy or get_taxonomy()
    category_name, item_name = item_names(ticket.label, taxonomy)
    grid = get_node(session, ticket.grid_code)
    community = get_node(session, ticket.community_code)
    payload: dict[str, Any] = {
        "ticket_id": ticket.id,
        "number": f"#{ticket.number}",
        "label": ticket.label,
        "category_name": category_name,
        "item_name": item_name,
        "text": ticket.text,
        "urgent": ticket.urgent,
        "time_class": ticket.time_class,
        "status": ticket.status,
        "status_name": STATUS_NAMES.get(ticket.status, ticket.status),
        "grid_code": ticket.grid_code,
        "grid_name": grid.name,
        "community_name": community.name,
        "respond_due_at": ticket.respond_due_at.isoformat(),
        "resolve_due_at": ticket.resolve_due_at.isoformat(),
        "responded": ticket.accepted_at is not None,  # (the response limit no longer runs: handed back, reopened)
        "attachment_count": len(ticket.attachments or []),
    }
    if private:
        resident = session.get(Person, ticket.resident_id)
        forgotten = ticket.text == FORGOTTEN_TEXT  # (/forget: her name, given again since, is not put back on it)
        payload.update(address=ticket.address, phone=ticket.phone,
                       attachments=list(ticket.attachments or []),
                       resident_id=ticket.resident_id,
                       resident_name=resident.name if resident and not forgotten else "")
    if ticket.assignee_id:
        member = session.get(Member, ticket.assignee_id)
        if member:
            payload["member_name"] = member.display_name
    payload.update(reopened_by(session, ticket))
    return payload


def reopened_by(session: Session, ticket: TicketFacts) -> dict[str, Any]:
    """For a ticket a low rating reopened, that rating's stars and the resident's reason: whoever is asked to do the
    work again reads what is still wrong (none for a scan's row, which has no reopen count: its cards need none)."""
    reopened = getattr(ticket, "reopen_count", 0)
    rating = session.exec(select(Rating).where(Rating.ticket_id == ticket.id, Rating.round == reopened - 1)
                          ).first() if reopened else None
    if rating is None or rating.stars > 2:
        return {}
    return {"reopened_stars": rating.stars, "reopened_comment": rating.comment}
