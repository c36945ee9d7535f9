"""Residents' data rights (issue #6, PIPL): see everything stored about oneself (/mydata) and have
it erased (/forget).

Erasing keeps the tickets, anonymized, so that the statistics (the four rates, points, stars) do not
change: category, grid, status, timestamps, stars and the Telegram id (so /my still lists the numbers)
stay; the resident's words, address, phone, photos and rating comments go, in the tickets, the
ratings, the drafts and the outbox payloads of those tickets.

Decisions:
- Open tickets cannot be worked on without an address or a phone, so they are cancelled first, as if
  the resident cancelled them (the assignee and pending offers are told, with the reason
  `FORGET_REASON`); a resolved ticket awaiting its rating is closed without one. Tickets already
  closed or cancelled are only anonymized.
- The person's name and home grid are cleared (the grid is asked again on the next request). Only
  the resident side is forgotten: a member's profile (display name, skills, points) and a
  coordinator's scopes stay; a member who leaves is removed by a coordinator (dispatch.remove_member, `/members`).
- The person's drafts of a resident's conversations (`RESIDENT_FLOWS`: a request being described, a rating's
  comment) and their message-rate counter are deleted; pending notifications to them about their own tickets are
  cancelled. A member's or coordinator's conversations and messages (an offer, a 办结 note waited for, an urgent
  alert) are theirs as a member or coordinator, and stay.
- The ticket log (`ticket_event`) is append-only by a database trigger, so it is not rewritten:
  it holds no address, phone, request text or rating comment (only whether there was one), but
  the `cancelled` event keeps the reason a coordinator typed (a resident's own words calling a ticket off are only in
  the messages: `resident_words`, scrubbed), the `handed_back` one the member's reason and
  the Telegram ids of the photos sent with it (never sent again once the ticket is forgotten: it is closed).
  Each forgotten ticket gets a `resident_forgotten` event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from routing import drafts
from routing.config import get_taxonomy
from routing.members import find_member, is_coordinator
from routing.models import (
    GeoNode,
    MessageWindow,
    Notification,
    NotificationKind,
    NotificationStatus,
    Person,
    Rating,
    Ticket,
)
from routing.models import TicketStatus as S
from routing.outbox import notify, withdraw_message
from routing.states import STATUS_NAMES, can_transition, update_ticket
from routing.tickets import cancel_ticket, close_ticket
from routing.views import FORGOTTEN_TEXT, item_names

FORGET_REASON = "居民已申请删除个人信息"
# What a notification payload may carry about the resident, and what it becomes.
_PAYLOAD_SCRUB: dict[str, Any] = {"text": FORGOTTEN_TEXT, "address": "", "phone": None,
                                  "attachments": [], "resident_name": "", "comment": "", "reopened_comment": "",
                                  "note": "", "file_id": "", "resident_words": "", "resident_photos": []}  # (file_id:
# one photo of a ticket, its own message; resident_words: what she said calling a ticket off or chasing it;
# resident_photos: those a 📮 card counts)


# The conversations a person has as a resident (the bot's flow names), forgotten with them.
RESIDENT_FLOWS = ("intake", "comment", "not_understood", "photos", "call_off", "rating_words", "pieces", "given_up")

def _tickets(session: Session, telegram_id: int) -> list[Ticket]:
    return list(session.exec(select(Ticket).where(Ticket.resident_id == telegram_id)
                             .order_by(Ticket.created_at, Ticket.id)))


def resident_data(session: Session, telegram_id: int) -> dict[str, Any]:
    """Everything stored about a person as a resident: name, home grid, every ticket with its
    words, address, phone, photos, status and ratings, and conversations in progress."""
    person = session.get(Person, telegram_id)
    grid = session.get(GeoNode, person.grid_code) if person and person.grid_code else None
    taxonomy = get_taxonomy()
    rows = []
    for ticket in _tickets(session, telegram_id):
        ratings = session.exec(select(Rating).where(Rating.ticket_id == ticket.id)
                               .order_by(Rating.round)).all()
        rows.append({
            "number": f"#{ticket.number}",
            "created_at": ticket.created_at,
            "item_name": item_names(ticket.label, taxonomy)[1],
            "status": ticket.status,
            "status_name": STATUS_NAMES.get(S(ticket.status), ticket.status),
            "text": ticket.text,
            "address": ticket.address,
            "phone": ticket.phone,
            "attachment_count": len(ticket.attachments or []),
            "ratings": [{"stars": r.stars, "comment": r.comment} for r in ratings],
        })
    return {
        "telegram_id": telegram_id,
        "known": person is not None,
        "name": person.name if person else "",
        "grid_code": person.grid_code if person else None,
        "grid_name": grid.name if grid else None,
        "created_at": person.created_at if person else None,
        "tickets": rows,
        "drafts": [flow for flow, _, _ in drafts.list_drafts(session, telegram_id)],
        "member": find_member(session, telegram_id) is not None,
        "coordinator": is_coordinator(session, telegram_id),
    }


def _close_open(session: Session, ticket: Ticket, telegram_id: int, now: datetime) -> None:
    """An open ticket cannot be worked on once its contact details are gone: cancel or close it."""
    if ticket.status == S.resolved:
        close_ticket(session, ticket.id, now)
    elif ticket.status not in (S.closed, S.cancelled) and can_transition(ticket.status, S.cancelled):
        cancel_ticket(session, ticket.id, telegram_id, now, reason=FORGET_REASON)


def _is_anonymous(ticket: Ticket) -> bool:
    return (ticket.text == FORGOTTEN_TEXT and not ticket.normalized_text and not ticket.address
            and ticket.phone is None and not ticket.attachments and not ticket.resolution_note
            and not ticket.resolution_attachments)


def forget_resident(session: Session, telegram_id: int, now: datetime) -> int:
    """Erase a resident's personal data (see the module's docstring); returns the number of tickets
    anonymized by this call (0 when there was nothing left to erase: it is idempotent)."""
    person = session.get(Person, telegram_id)
    if person is not None:
        person.name, person.grid_code = "", None
    for flow in RESIDENT_FLOWS:
        drafts.clear_draft(session, telegram_id, flow)
    session.exec(delete(MessageWindow).where(MessageWindow.telegram_id == telegram_id))
    anonymized = 0
    tickets = _tickets(session, telegram_id)
    for ticket in tickets:
        _close_open(session, ticket, telegram_id, now)
        if not _is_anonymous(ticket):
            update_ticket(session, ticket, now, kind="resident_forgotten", actor_id=telegram_id,
                          actor_role="resident", text=FORGOTTEN_TEXT, normalized_text="",
                          address="", phone=None, attachments=[], resolution_note="",
                          resolution_attachments=[])
            anonymized += 1
    ids = [t.id for t in tickets]
    if ids:
        for rating in session.exec(select(Rating).where(col(Rating.ticket_id).in_(ids),
                                                        Rating.comment != "")).all():
            rating.comment = ""
        notes = session.exec(select(Notification).where(col(Notification.ticket_id).in_(ids))).all()
        for note in notes:
            payload = note.payload or {}
            if (note.recipient_id != telegram_id and note.telegram_message_id is not None
                    and (payload.get("address") or payload.get("phone"))):
                # (a card that showed where she lives and her phone, 接单成功 or a coordinator's: taken back)
                withdraw_message(session, note.id, note.recipient_id, now, ticket_id=note.ticket_id,
                                 payload={"number": payload.get("number", ""), "reason": "forgotten"})
            in_chat = note.telegram_message_id is not None or note.status == NotificationStatus.claimed  # (or going)
            if (note.kind == NotificationKind.ticket_photo and note.recipient_id != telegram_id and in_chat
                    and payload.get("file_id")):
                notify(session, note.recipient_id, NotificationKind.message_deleted, now, ticket_id=note.ticket_id,
                       refers_to_id=note.id)  # (her photo, her front door: deleted from their chat)
            scrubbed = {k: v for k, v in _PAYLOAD_SCRUB.items() if k in payload}
            if any(note.payload[k] != v for k, v in scrubbed.items()):
                note.payload = {**note.payload, **scrubbed}
            if note.kind == NotificationKind.ticket_photo and note.status == NotificationStatus.pending:
                note.status = NotificationStatus.cancelled  # (a photo not sent yet: never, to anyone)
    for note in session.exec(select(Notification).where(
            Notification.recipient_id == telegram_id, col(Notification.ticket_id).in_(ids),
            Notification.status == NotificationStatus.pending)).all():
        note.status = NotificationStatus.cancelled
    session.flush()
    return anonymized
