"""A ticket's life: submit (点单), start, resolve, hand back, cancel, rate (评价), close; queries.

Accepting and coordinator dispatch live in `routing.dispatch`; the transitions in `routing.states`.
Every function works in the caller's transaction (`routing.db.transaction`): when it raises a
DomainError the caller's rollback leaves the database as it was.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import bindparam, exists, inspect, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from classifier.taxonomy import Taxonomy
from routing import duplicates, points
from routing.config import Settings, get_settings, get_taxonomy
from routing.db import core, is_postgres, recordset, rows_json
from routing.dispatch import (
    accepted_offer,
    assigners,
    dispatch_carded,
    holder_of,
    make_offers,
    release_member,
    send_next_wave,
    take_back_task_card,
    tell_hand_back,
    to_dispatch,
    wave_candidates,
    wave_timeout,
    withdraw_offers,
)
from routing.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from routing.geography import get_grid
from routing.members import (
    coordinator_scopes,
    coordinators_for,
    covers,
    get_member,
    require_coordinator,
    top_coordinators,
    touch_person,
    touch_statement,
    touch_values,
)
from routing.models import (
    Member,
    Notification,
    NotificationKind,
    Offer,
    OfferKind,
    OfferState,
    Rating,
    Ticket,
    TicketEvent,
)
from routing.models import TicketStatus as S
from routing.outbox import notification_row, notify, notify_many, notify_photos, notify_rows
from routing.states import (
    STATUS_NAMES,
    UNRESOLVED,
    WAITING_FOR_COORDINATOR,
    WITH_ASSIGNEE,
    check_transition,
    event_row,
    get_ticket,
    record_event,
    record_events,
    transition,
    update_ticket,
)
from routing.views import ticket_payload

_TICKET_CLASS = inspect(Ticket).class_manager  # makes Tickets without __init__ (_new_ticket)
NUMBER_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I/O, easily misread as digits
MAX_TEXT = 4096  # a whole Telegram message: a request typed at the limit is not refused late
MAX_ADDRESS = 500
MAX_ATTACHMENTS = 10
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")
_NUMBER = re.compile(r"^#?\s*([A-Za-z])\s*(\d{4,5})$")


def _random_number(attempt: int) -> str:
    digits = 4 if attempt < 30 else 5  # five digits only when the four-digit space is crowded
    return secrets.choice(NUMBER_LETTERS) + f"{secrets.randbelow(10 ** digits):0{digits}d}"


# SQLite; PostgreSQL writes the ticket with its resident and first events (`_submit_statement`).
_INSERT_TICKET = (sqlite_insert(Ticket.__table__).on_conflict_do_nothing(index_elements=["number"])
                  .returning(Ticket.__table__.c.id))


_EVENT_COLUMNS = ("at", "actor_id", "actor_role", "kind", "from_status", "to_status", "data")


@lru_cache(maxsize=2)
def _submit_statement(with_name: bool) -> Any:
    """PostgreSQL: the resident's upsert, the ticket's INSERT and its first events as one
    statement, returning the ticket's id once per event (no row: the number was taken).
    Three statements cost ~0.6 ms a ticket more (measured); foreign keys are checked at the
    end of the statement, so the log rows may refer to the ticket and it to the person."""
    table = Ticket.__table__
    touched = touch_statement("postgresql", with_name).cte("touched")
    inserted = (pg_insert(table)
                .values({c.name: bindparam(c.name, type_=c.type) for c in table.c
                         if c.name != "id"})
                .on_conflict_do_nothing(index_elements=["number"])
                .returning(table.c.id).cte("inserted"))
    rows = recordset(TicketEvent.__table__, _EVENT_COLUMNS)
    return (pg_insert(TicketEvent.__table__)
            .from_select(["ticket_id", *_EVENT_COLUMNS],
                         select(inserted.c.id, *(rows.c[c] for c in _EVENT_COLUMNS))
                         .select_from(inserted.join(rows, true())))
            .returning(TicketEvent.__table__.c.ticket_id)
            .add_cte(touched))


@cache
def _ticket_defaults() -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """The Ticket fields' defaults: plain values (None, 0, '', 1) and factories (the lists)."""
    fields = Ticket.model_fields.items()
    return ({name: f.default for name, f in fields
             if not f.is_required() and f.default_factory is None},
            tuple((name, f.default_factory) for name, f in fields if f.default_factory))


def _new_ticket(**values: Any) -> Ticket:
    """A Ticket (not yet in the session) of `values`, which give every required field, built as
    the ORM builds a loaded row: `Ticket(...)` runs an instrumented setattr per field, ~100 µs
    (a twentieth of a submit on SQLite); this costs a few."""
    plain, factories = _ticket_defaults()
    ticket = _TICKET_CLASS.new_instance()
    ticket.__dict__.update(plain, **{name: make() for name, make in factories
                                     if name not in values}, **values)
    return ticket


def _insert_ticket(session: Session, ticket: Ticket, events: list[dict[str, Any]], *,
                   resident_name: str | None) -> None:
    """Write a new ticket, its first events and its resident (created or touched), with a
    fresh random public number (a letter and four digits, not guessable in order), retrying on
    the rare collision without a round trip to check first."""
    postgres = is_postgres(session)
    values = ticket.model_dump(exclude={"id", "number"})
    if postgres:
        statement = _submit_statement(bool(resident_name))
        values.update(touch_values(ticket.resident_id, ticket.created_at, resident_name),
                      _rows=rows_json([{c: e[c] for c in _EVENT_COLUMNS} for e in events]))
    else:
        touch_person(session, ticket.resident_id, ticket.created_at, name=resident_name)
        statement = _INSERT_TICKET
    for attempt in range(50):
        number = _random_number(attempt)
        row = core(session, statement, {**values, "number": number}).first()
        if row is not None:
            ticket.id, ticket.number = row[0], number
            # The row exists now: let the session track this object as persistent.
            make_transient_to_detached(ticket)
            session.add(ticket)
            if not postgres:
                record_events(session, [{**e, "ticket_id": ticket.id} for e in events])
            return
    raise RuntimeError("no free ticket number found")  # pragma: no cover


def parse_number(text: str) -> str:
    """'#a1234', 'A1234' → 'A1234'; InvalidInput otherwise."""
    match = _NUMBER.match(text.strip())
    if not match:
        raise InvalidInput(f"工单号格式不对：{text!r}（例如 #A1234）")
    return match.group(1).upper() + match.group(2)


def _validate(taxonomy: Taxonomy, text: str, label: str | None, address: str,
              phone: str | None, attachments: Sequence[str], confidence: float | None) -> None:
    if not text or not text.strip():
        raise InvalidInput("请描述您需要的服务")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"描述太长（最多 {MAX_TEXT} 字）")
    if label is not None and label not in taxonomy.items:
        raise InvalidInput(f"未知的服务事项 {label!r}")
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(f"地址太长（最多 {MAX_ADDRESS} 字）")
    if phone is not None and not _PHONE.match(phone.strip()):
        raise InvalidInput(f"电话号码格式不对：{phone!r}")
    if len(attachments) > MAX_ATTACHMENTS or not all(
            isinstance(a, str) and 0 < len(a) <= 256 for a in attachments):
        raise InvalidInput(f"附件最多 {MAX_ATTACHMENTS} 个")
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise InvalidInput("confidence must be within 0–1")


def submit_ticket(session: Session, resident_id: int, text: str, now: datetime, *,
                  label: str | None, grid_code: str, address: str = "", phone: str | None = None,
                  attachments: Sequence[str] = (), urgent: bool = False,
                  confidence: float | None = None, normalized_text: str = "",
                  resident_name: str | None = None, settings: Settings | None = None,
                  receipt: bool = True) -> Ticket:
    """Create a ticket the resident confirmed, and route it: the first wave of offers, or
    dispatch when there is no item (其他) or no candidate. Urgent tickets alert the
    coordinators at once as well. `receipt`: the resident is sent the ticket's receipt (not when the caller told
    them already, in other words: someone in crisis gets no form)."""
    settings = settings or get_settings()
    taxonomy = get_taxonomy(settings)
    _validate(taxonomy, text, label, address, phone, attachments, confidence)
    grid = get_grid(session, grid_code)
    item = taxonomy.items[label] if label else None
    time_class = "urgent" if urgent else (item.time_class if item else "normal")
    limits = taxonomy.classes[time_class]
    ticket = _new_ticket(
        number="", resident_id=resident_id, text=text.strip(),
        normalized_text=normalized_text, label=label, category=item.category if item else None,
        confidence=confidence, urgent=urgent, time_class=time_class, status=S.submitted,
        grid_code=grid.code, community_code=grid.community_code or grid.code,
        street_code=grid.street_code, address=address.strip(),
        phone=phone.strip() if phone else None, attachments=list(attachments),
        created_at=now, updated_at=now,
        respond_due_at=now + settings.scaled(limits.respond),
        resolve_due_at=now + settings.scaled(limits.resolve))
    # The first wave is chosen before the INSERT, so that a routed ticket is written once, as
    # offered; its log still shows submitted → offered.
    ranked = wave_candidates(session, ticket, now, settings=settings, taxonomy=taxonomy)
    if ranked:
        check_transition(ticket, S.offered)
        ticket.status, ticket.wave, ticket.offered_at = S.offered, 1, now
        ticket.next_wave_at = now + wave_timeout(ticket, settings, taxonomy)
    events = [event_row(ticket, "submitted", now, actor_id=resident_id, actor_role="resident",
                        to_status=S.submitted,
                        data={"label": label, "confidence": confidence, "urgent": urgent})]
    if ranked:
        events.append(event_row(ticket, "wave", now, from_status=S.submitted, to_status=S.offered,
                                data={"wave": 1, "members": [r.member_id for r in ranked],
                                      "scores": [round(r.score, 4) for r in ranked]}))
    _insert_ticket(session, ticket, events, resident_name=resident_name)
    duplicates.link_near_duplicate(session, ticket, now, settings=settings)  # neighbours' same need

    public = ticket_payload(session, ticket, taxonomy=taxonomy)
    notes = [notification_row(resident_id, NotificationKind.ticket_created, now, ticket.id, public)] if receipt else []
    alerted = coordinators_for(session, grid.code, all_levels=True) if urgent else []
    if urgent:
        private = {**ticket_payload(session, ticket, private=True, taxonomy=taxonomy),
                   "needs_dispatch": not ranked}
        if not ranked:  # (built before to_dispatch below: the status the ticket is in when the card is read)
            private.update(status=str(S.dispatch), status_name=STATUS_NAMES[S.dispatch])
        notes += [notification_row(c, NotificationKind.urgent_alert, now, ticket.id, private) for c in alerted]
    if ranked:
        make_offers(session, ticket, ranked, now, OfferKind.wave, taxonomy=taxonomy,
                    payload=public, extra_notes=notes)
    else:
        notify_rows(session, notes)
    for coordinator in alerted:  # (her photos after the 🚨 card that counts them: what is burning, leaking, broken)
        notify_photos(session, coordinator, ticket.id, public["number"], list(ticket.attachments or []), now)
    if not ranked:
        to_dispatch(session, ticket, now, "no_candidates" if item else "no_item",
                    settings=settings, taxonomy=taxonomy, alert_sent=urgent)
    return ticket


def with_supplement(text: str, supplement: str) -> str:
    """A request with words the resident added later (kept within a ticket's length; the same words twice, as a
    re-sent update brings them, are added once)."""
    added = f"\n（补充）{supplement}"[: MAX_TEXT // 2]  # (the words added kept, and at least half of the request)
    if added in text:  # (re-sent: one update brought again, or two, after a restart)
        return text
    return text[: MAX_TEXT - len(added)] + added


def add_contact(session: Session, ticket_id: int, resident_id: int, now: datetime, *, address: str | None = None,
                phone: str | None = None, supplement: str = "", attachments: Sequence[str] = (),
                settings: Settings | None = None) -> Ticket:
    """The resident adds what an urgent ticket, opened at once, did not have yet (where, a phone, more words, photos):
    saved, and told to the coordinators it alerted and to its member."""
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"工单 #{ticket.number} 不是您提交的")
    if ticket.status in (S.cancelled, S.closed):  # (a forgotten resident's ticket is cancelled too: nothing comes back)
        raise NotAllowed(f"工单 #{ticket.number} {STATUS_NAMES[S(ticket.status)]}，不能再补充")
    taxonomy = get_taxonomy(settings)
    values: dict[str, Any] = {}
    if address is not None and address.strip() and address.strip()[:MAX_ADDRESS] != ticket.address:
        values["address"] = address.strip()[:MAX_ADDRESS]
    if phone is not None and phone.strip() != ticket.phone:
        values["phone"] = phone.strip()
    if supplement.strip() and (text := with_supplement(ticket.text, supplement.strip())) != ticket.text:
        values["text"] = text
    if attachments:
        values["attachments"] = [*(ticket.attachments or []), *attachments][:MAX_ATTACHMENTS]
    _validate(taxonomy, values.get("text", ticket.text), ticket.label, values.get("address", ""),
              values.get("phone"), values.get("attachments", ()), None)
    if not values:
        return ticket
    update_ticket(session, ticket, now, kind="contact_added", actor_id=resident_id, actor_role="resident",
                  data={"fields": sorted(values)}, **values)  # (the words stay in the ticket, not in its log)
    if "address" in values:  # (linked on its words alone when opened: its place now tells)
        duplicates.relink(session, ticket, now, settings=settings)
    recipients = coordinators_for(session, ticket.grid_code, all_levels=ticket.urgent)
    if ticket.assignee_id is not None:
        recipients.append(session.get(Member, ticket.assignee_id).telegram_id)
    recipients = list(dict.fromkeys(recipients))
    payload = {**ticket_payload(session, ticket, private=True, taxonomy=taxonomy), "attachments": list(attachments)}
    notify_many(session, recipients, NotificationKind.contact_added, now, ticket_id=ticket.id, payload=payload)
    for recipient in recipients:  # (the photos just added, after the message that counts them)
        notify_photos(session, recipient, ticket.id, payload["number"], list(attachments), now)
    return ticket


def _assigned(session: Session, ticket_id: int, telegram_id: int) -> tuple[Ticket, Member]:
    """The ticket and the member, who must be its assignee."""
    member = get_member(session, telegram_id)
    ticket = get_ticket(session, ticket_id)
    if ticket.assignee_id != member.id:
        raise NotAllowed(f"工单 #{ticket.number} 不是由您办理的")
    return ticket, member


def tell_resident(session: Session, ticket_id: int, telegram_id: int, words: str, now: datetime) -> Ticket:
    """The member who holds a ticket tells its resident something (在路上了，十分钟到; 我下午三点到): to her chat, through
    the bot — she may have left no phone. The event keeps no words (they are in the messages: /forget)."""
    ticket, _ = _assigned(session, ticket_id, telegram_id)
    record_event(session, ticket, "member_told_resident", now, actor_id=telegram_id, actor_role="member",
                 from_status=ticket.status, to_status=ticket.status)
    notify(session, ticket.resident_id, NotificationKind.member_words, now, ticket_id=ticket.id,
           payload={**ticket_payload(session, ticket), "member_words": words.strip()[:300]})
    return ticket


def start_ticket(session: Session, ticket_id: int, telegram_id: int, now: datetime) -> Ticket:
    """The assignee starts work (开始); pressed again, it changes nothing."""
    ticket, _member = _assigned(session, ticket_id, telegram_id)
    if ticket.status == S.in_progress:
        return ticket
    if ticket.status != S.accepted:  # (an old card's button: the ticket is done, or moved on)
        raise NotAllowed(f"工单 #{ticket.number} {STATUS_NAMES[S(ticket.status)]}，不需要再开始办理")
    transition(session, ticket, S.in_progress, now, kind="started", actor_id=telegram_id,
               actor_role="member", started_at=now)
    notify(session, ticket.resident_id, NotificationKind.ticket_started, now, ticket_id=ticket.id,
           payload=ticket_payload(session, ticket))
    return ticket


def resolve_ticket(session: Session, ticket_id: int, telegram_id: int, now: datetime, *,
                   note: str = "", attachments: Sequence[str] = ()) -> Ticket:
    """The assignee marks it done (办结) with a short note or photo; points are awarded."""
    ticket, member = _assigned(session, ticket_id, telegram_id)
    if len(note) > 2000:
        raise InvalidInput("办结说明太长（最多 2000 字）")
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidInput(f"附件最多 {MAX_ATTACHMENTS} 个")
    transition(session, ticket, S.resolved, now, kind="resolved", actor_id=telegram_id,
               actor_role="member", resolved_at=now, resolution_note=note.strip(),
               resolution_attachments=list(attachments))
    release_member(session, member)
    earned = points.award_resolution(session, ticket, member, now)
    payload = {**ticket_payload(session, ticket), "note": ticket.resolution_note,
               "attachments": list(attachments), "points": earned}
    notify(session, ticket.resident_id, NotificationKind.ticket_resolved, now, ticket_id=ticket.id,
           payload=payload)
    notify_photos(session, ticket.resident_id, ticket.id, payload["number"], list(attachments), now)
    notify(session, ticket.resident_id, NotificationKind.rate_request, now, ticket_id=ticket.id,
           payload=ticket_payload(session, ticket))
    return ticket


RATING_TYPED_WITHIN = timedelta(days=3)  # stars typed later are not taken for a rating of a resolution this old


def add_resolution_photos(session: Session, ticket_id: int, telegram_id: int, photos: Sequence[str],
                          now: datetime) -> Ticket:
    """More photos of the work, from the member who resolved it (an album's next ones, sent one message each): kept
    with the resolution and sent to the resident."""
    ticket = get_ticket(session, ticket_id)
    member = get_member(session, telegram_id)
    if ticket.assignee_id != member.id or ticket.status != S.resolved:
        raise NotAllowed(f"工单 #{ticket.number} 已不在您的办理列表中")
    kept = list(ticket.resolution_attachments or [])
    added = [photo for photo in photos if photo not in kept][: max(MAX_ATTACHMENTS - len(kept), 0)]
    if added:
        update_ticket(session, ticket, now, kind="resolution_photos", actor_id=telegram_id, actor_role="member",
                      data={"count": len(added)}, resolution_attachments=[*kept, *added])
        notify_photos(session, ticket.resident_id, ticket.id, f"#{ticket.number}", added, now)
    return ticket


def add_resolution_note(session: Session, ticket_id: int, telegram_id: int, note: str, now: datetime) -> Ticket:
    """The member's words of the work sent right after the photo that resolved the ticket (办结: the photo first, the
    sentence after it): kept with the resolution and sent to the resident."""
    ticket = get_ticket(session, ticket_id)
    member = get_member(session, telegram_id)
    if ticket.assignee_id != member.id or ticket.status != S.resolved:
        raise NotAllowed(f"工单 #{ticket.number} 已不在您的办理列表中")
    note = note.strip()[:2000]
    joined = f"{ticket.resolution_note}\n{note}" if ticket.resolution_note else note
    update_ticket(session, ticket, now, kind="resolution_note", actor_id=telegram_id, actor_role="member",
                  data={}, resolution_note=joined[:2000])
    notify(session, ticket.resident_id, NotificationKind.resolution_note, now, ticket_id=ticket.id,
           payload={**ticket_payload(session, ticket), "note": note})
    return ticket


def awaiting_rating(session: Session, resident_id: int, now: datetime) -> Ticket | None:
    """Of the tickets still waiting for the resident's rating, the one they were asked about last (the prompt or its
    reminder, sent within RATING_TYPED_WITHIN): what stars typed now rate."""
    asked = (select(Ticket).join(Notification, Notification.ticket_id == Ticket.id).where(
        Notification.recipient_id == resident_id,
        Notification.kind.in_([NotificationKind.rate_request, NotificationKind.rate_reminder]),
        Notification.sent_at >= now - RATING_TYPED_WITHIN, Ticket.status == S.resolved)
        .order_by(Notification.sent_at.desc()).limit(1))
    return session.exec(asked).first()


def hand_back(session: Session, ticket_id: int, telegram_id: int, reason: str, now: datetime, *,
              settings: Settings | None = None, attachments: Sequence[str] = ()) -> Ticket:
    """The assignee hands the ticket back (退回) with a reason (and photos of why: the coordinators who dispatch it
    next see them); it is routed again (without them)."""
    ticket, member = _assigned(session, ticket_id, telegram_id)
    if not reason or not reason.strip():
        raise InvalidInput("请说明退回的原因")
    transition(session, ticket, S.handed_back, now, kind="handed_back", actor_id=telegram_id,
               actor_role="member", data={"reason": reason.strip()[:500], "member_id": member.id,
                                          "photos": list(attachments)[:MAX_ATTACHMENTS]},
               assignee_id=None, started_at=None, wave=0)
    release_member(session, member)
    notify(session, ticket.resident_id, NotificationKind.ticket_handed_back, now,
           ticket_id=ticket.id, payload={**ticket_payload(session, ticket),
                                         "reason": reason.strip()[:500]})
    offer = accepted_offer(session, ticket.id, member.id)  # (read before the next wave renews anyone's offer)
    send_next_wave(session, ticket, now, settings=settings, reason="rerouted")
    tell_hand_back(session, ticket, member, offer, reason.strip()[:500], now, settings=settings)
    return ticket


def cancel_ticket(session: Session, ticket_id: int, actor_id: int, now: datetime, *,
                  reason: str | None = None, resident_words: str = "") -> Ticket:
    """Cancel: by its resident (any time before resolution) or by a coordinator of its grid
    (a reason is required). The assignee and pending offers are told, and the coordinators acting on it (派单, an
    urgent alert) when the resident cancels. `resident_words`: what the resident said calling it off (算了不用来了
    我儿子修好了), told to them but kept out of the ticket and its append-only log (/forget erases it from the
    messages)."""
    ticket = get_ticket(session, ticket_id)
    if actor_id == ticket.resident_id:
        role = "resident"
    else:
        require_coordinator(session, actor_id, ticket.grid_code)
        role = "coordinator"
        if not reason or not reason.strip():
            raise InvalidInput("请填写取消的原因")
    assignee = session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
    reason = (reason or "").strip()[:500] or None
    # (coordinators whose 📮 card says 待派单, or all those an urgent ticket's 🚨 alert reached, would act on it still)
    carded = ticket.status in WAITING_FOR_COORDINATOR or ticket.urgent
    assigned_by = assigners(session, ticket) if role == "resident" else []  # (read before the offers are withdrawn)
    transition(session, ticket, S.cancelled, now, kind="cancelled", actor_id=actor_id,
               actor_role=role, data={"reason": reason}, cancelled_at=now, cancel_reason=reason,
               next_wave_at=None)
    withdraw_offers(session, ticket, now, "cancelled")
    payload = {**ticket_payload(session, ticket), "reason": reason, "by": role,
               "resident_words": resident_words.strip()[:200] if role == "resident" else ""}
    if assignee is not None:
        release_member(session, assignee)
        take_back_task_card(session, ticket, assignee, now, "cancelled")
        notify(session, assignee.telegram_id, NotificationKind.ticket_cancelled, now,
               ticket_id=ticket.id, payload=payload)
    if role == "coordinator":
        notify(session, ticket.resident_id, NotificationKind.ticket_cancelled, now,
               ticket_id=ticket.id, payload=payload)
    # The coordinators its card or urgent alert reached (the one who closed it aside), and, when its resident called it
    # off, those who assigned it (指派) too: nothing is left for them to do.
    told = [*coordinators_for(session, ticket.grid_code, level=ticket.escalation_level, all_levels=ticket.urgent),
            *dispatch_carded(session, ticket)] if carded else []  # (上报: the levels below had its card too)
    told = list(dict.fromkeys(c for c in [*told, *assigned_by] if c != actor_id))
    notify_many(session, told, NotificationKind.ticket_cancelled, now, ticket_id=ticket.id,
                payload={**payload, "audience": "coordinator"})
    return ticket


def alert_unplaced(session: Session, resident_id: int, text: str, hotlines: Sequence[str], now: datetime, *,
                   resident_name: str = "") -> bool:
    """An emergency from someone who has not chosen their grid: no ticket yet (a ticket is a grid's, opened once they
    choose), so the top coordinators hear of it at once, with the words and who wrote them. False when nobody could."""
    told = top_coordinators(session)
    notify_many(session, told, NotificationKind.urgent_unplaced, now,
                payload={"text": text.strip()[:500], "resident_id": resident_id, "resident_name": resident_name,
                         "hotlines": list(hotlines)})
    return bool(told)


CHASE_INTERVAL = timedelta(hours=2)  # a resident's 催办 of one ticket reaches its coordinators at most this often


def _told_lately(session: Session, ticket: Ticket, kind: str, now: datetime) -> TicketEvent | None:
    """The ticket's last event of `kind` (a resident's words passed on, a coordinator's 催办) if it was less than
    CHASE_INTERVAL ago."""
    last = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
                        .order_by(TicketEvent.at.desc())).first()
    return last if last is not None and now - last.at < CHASE_INTERVAL else None


def chase_ticket(session: Session, ticket_id: int, resident_id: int, words: str, now: datetime) -> bool:
    """The resident asks after a ticket not done yet, in words that urge (都三天了还没人来, 怎么还不来, 你们到底管不管):
    told to the coordinators who answer for it now (its escalation level) and to the member who holds it or was
    assigned it, with her words. False when it was told less than CHASE_INTERVAL ago to the same member (she is
    answered as before: nobody is told twice; a member who has it since 改派 is told)."""
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"工单 #{ticket.number} 不是您提交的")
    if ticket.status not in UNRESOLVED:
        return False
    holder = holder_of(session, ticket)
    last = _told_lately(session, ticket, "chased", now)
    if last is not None and (last.data or {}).get("holder", holder) == holder:
        return False
    record_event(session, ticket, "chased", now, actor_id=resident_id, actor_role="resident",
                 from_status=ticket.status, to_status=ticket.status,
                 data={"holder": holder})  # (her words only in the messages: /forget)
    payload = {**ticket_payload(session, ticket, private=True), "resident_words": words.strip()[:200]}
    coordinators = coordinators_for(session, ticket.grid_code, level=ticket.escalation_level)
    notify_many(session, coordinators, NotificationKind.chased, now, ticket_id=ticket.id,
                payload={**payload, "audience": "coordinator"})
    # The member who holds it, or who was assigned it (指派) and has not answered: asked to answer, with its buttons.
    if (member := session.get(Member, holder)) is not None:
        notify(session, member.telegram_id, NotificationKind.chased, now, ticket_id=ticket.id,
               payload={**payload, "audience": "member" if ticket.assignee_id else "assigned"})
    return True


URGE_GRACE = timedelta(hours=1)  # a member who took the ticket (or was assigned it) this recently is not urged yet


def urge_ticket(session: Session, ticket_id: int, coordinator_id: int, now: datetime) -> tuple[str | None, str]:
    """督办: a coordinator of the ticket's area urges the member who holds it, or was assigned it and has not answered
    (📣 催办 under a 🟡 / 🔴 card). Returns that member's name (None: nobody holds it — 指派 is what it needs) and what
    happened: "urged"; "lately" (a coordinator urged him less than CHASE_INTERVAL ago: one nudge, not a stream);
    "just_took" (he has had it less than URGE_GRACE: an old card's 催办 after a 改派 is not for him)."""
    ticket = get_ticket(session, ticket_id)
    require_coordinator(session, coordinator_id, ticket.grid_code)
    if ticket.status not in UNRESOLVED:
        raise InvalidInput(f"工单 #{ticket.number} {STATUS_NAMES[S(ticket.status)]}，不用再催办")
    member = session.get(Member, holder) if (holder := holder_of(session, ticket)) else None
    if member is None:
        return None, "nobody"
    offer = session.exec(select(Offer).where(Offer.ticket_id == ticket.id, Offer.member_id == holder)).first()
    since = (offer.answered_at or offer.sent_at) if offer is not None else None
    if since is not None and now - since < URGE_GRACE:
        return member.display_name, "just_took"
    last = _told_lately(session, ticket, "urged", now)
    if last is not None and (last.data or {}).get("holder") == holder:
        return member.display_name, "lately"
    record_event(session, ticket, "urged", now, actor_id=coordinator_id, actor_role="coordinator",
                 from_status=ticket.status, to_status=ticket.status, data={"holder": holder})
    notify(session, member.telegram_id, NotificationKind.urged, now, ticket_id=ticket.id,
           payload={**ticket_payload(session, ticket), "audience": "member" if ticket.assignee_id else "assigned"})
    return member.display_name, "urged"


def dispute_done(session: Session, ticket_id: int, resident_id: int, words: str, now: datetime) -> bool:
    """The resident says a ticket marked done was not (师傅根本没来过, 怎么就办结了), under its rating card: the coordinators
    who answer for it are told at once, with her words — a false 办结 is theirs to look into, whatever stars follow
    (1–2 reopen it). False when it was told less than CHASE_INTERVAL ago, or the ticket is no longer done."""
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"工单 #{ticket.number} 不是您提交的")
    if ticket.status != S.resolved:
        return False
    if _told_lately(session, ticket, "done_disputed", now) is not None:
        return False
    record_event(session, ticket, "done_disputed", now, actor_id=resident_id, actor_role="resident",
                 from_status=ticket.status, to_status=ticket.status)  # (her words only in the messages: /forget)
    payload = {**ticket_payload(session, ticket, private=True), "resident_words": words.strip()[:200]}
    notify_many(session, coordinators_for(session, ticket.grid_code, level=ticket.escalation_level),
                NotificationKind.done_disputed, now, ticket_id=ticket.id, payload=payload)
    return True


def complain(session: Session, ticket_id: int, resident_id: int, words: str, now: datetime) -> bool:
    """The resident complains of the work or the member on her ticket (态度太差了, 还收了我两百块钱): the coordinators
    who answer for it are told at once, with her words, whatever its state. False when the same words were passed on
    less than CHASE_INTERVAL ago (a message sent again)."""
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"工单 #{ticket.number} 不是您提交的")
    said = words.strip()[:300]
    last = session.exec(select(Notification).where(  # (her words only in the messages, which /forget scrubs)
        Notification.ticket_id == ticket.id, Notification.kind == NotificationKind.complaint,
        Notification.created_at > now - CHASE_INTERVAL).order_by(Notification.id.desc())).first()
    if last is not None and last.payload.get("resident_words") == said:
        return False
    record_event(session, ticket, "complained", now, actor_id=resident_id, actor_role="resident",
                 from_status=ticket.status, to_status=ticket.status)
    payload = {**ticket_payload(session, ticket, private=True), "resident_words": said}
    notify_many(session, coordinators_for(session, ticket.grid_code, level=ticket.escalation_level),
                NotificationKind.complaint, now, ticket_id=ticket.id, payload=payload)
    return True


def rate_ticket(session: Session, ticket_id: int, resident_id: int, stars: int, now: datetime, *,
                comment: str = "", was: int | None = None) -> Ticket:
    """The ticket's own resident rates it 1–5. 4–5 earn a bonus; 1–2 reopen it, take back the
    points and alert the coordinators; 3–5 close it. `was`: the stars of a slip this corrects (the member is told
    the low rating was one and his points are back)."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(f"评分应为 1–5 星，收到 {stars!r}")
    if len(comment) > 1000:
        raise InvalidInput("评价太长（最多 1000 字）")
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"只能评价自己提交的工单（#{ticket.number} 不是您的）")
    if ticket.status != S.resolved:
        raise IllegalTransition(
            f"工单 #{ticket.number} 当前状态为「{STATUS_NAMES[S(ticket.status)]}」，办结后才能评价",
            current=ticket.status, target="rated")
    member_id = ticket.assignee_id  # kept after resolution: who did this round's work
    member = session.get(Member, member_id) if member_id else None
    session.add(Rating(ticket_id=ticket.id, round=ticket.reopen_count, resident_id=resident_id,
                       member_id=member_id, stars=stars, comment=comment.strip(),
                       created_at=now))
    record_event(session, ticket, "rated", now, actor_id=resident_id, actor_role="resident",
                 from_status=ticket.status, to_status=ticket.status,
                 data={"stars": stars, "has_comment": bool(comment.strip())})  # the words stay erasable
    payload = {**ticket_payload(session, ticket), "stars": stars, "comment": comment.strip(), "was": was}
    if member is not None:
        points.add_rating(session, member, stars)
        points.award_rating(session, ticket, member, stars, now)
        if stars > 2:  # (one message: the stars and that it is closed; a low rating's is the reopening's, below)
            notify(session, member.telegram_id, NotificationKind.rated, now, ticket_id=ticket.id,
                   payload={**payload, "closed": True})
    if stars <= 2:
        if member is not None:
            points.take_back(session, ticket, member, now)
        transition(session, ticket, S.reopened, now, kind="reopened", actor_id=resident_id,
                   actor_role="resident", data={"stars": stars}, rating=stars,
                   reopen_count=ticket.reopen_count + 1, assignee_id=None, resolved_at=None)
        private = {**ticket_payload(session, ticket, private=True), "stars": stars,
                   "comment": comment.strip(),
                   "member_name": member.display_name if member else None}
        notify_many(session, coordinators_for(session, ticket.grid_code,
                                              level=ticket.escalation_level),
                    NotificationKind.low_rating, now, ticket_id=ticket.id, payload=private)
        if member is not None:
            notify(session, member.telegram_id, NotificationKind.ticket_reopened, now,
                   ticket_id=ticket.id, payload=payload)
    else:
        transition(session, ticket, S.closed, now, kind="closed", actor_id=resident_id,
                   actor_role="resident", rating=stars, closed_at=now)
        _notify_closed(session, ticket, None, now)  # (the member's is his `rated`, above)
    return ticket


def comment_rating(session: Session, ticket_id: int, resident_id: int, comment: str,
                   now: datetime, slipped_to: int | None = None) -> Rating:
    """The optional words after the stars: added to the latest rating's (a reason told in two messages is one
    comment, up to 1000 characters), and sent to the member (and, for a 1–2 star rating, to the coordinators, who
    need the reason: as a note to the 差评提醒 they got, with 指派 only while the ticket still waits for it). A part
    the comment has already (a reason in two messages, both sent again after a crash) is neither added nor sent.
    `slipped_to`: the resident says a 3–5 star rating was a slip for these 1–2 stars (the work not done): the
    coordinators get her words too, to follow up (the closed ticket stays closed)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput("评价内容为空")
    if len(comment) > 1000:
        raise InvalidInput("评价太长（最多 1000 字）")
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"只能评价自己提交的工单（#{ticket.number} 不是您的）")
    rating = latest_rating(session, ticket.id)
    if rating is None:
        raise NotFound(f"工单 #{ticket.number} 还没有评分")
    if f"\n{comment}\n" in f"\n{rating.comment or ''}\n":  # (a whole part, its lines too)
        return rating
    rating.comment = (f"{rating.comment}\n{comment}" if rating.comment else comment)[:1000]
    record_event(session, ticket, "rating_comment", now, actor_id=resident_id,
                 actor_role="resident", from_status=ticket.status, to_status=ticket.status,
                 data={"stars": rating.stars, "has_comment": bool(comment)})  # text only in the rating row
    member = session.get(Member, rating.member_id) if rating.member_id else None
    if member is not None:
        notify(session, member.telegram_id, NotificationKind.rated, now, ticket_id=ticket.id,
               payload={**ticket_payload(session, ticket), "stars": rating.stars,
                        "comment": comment})
    if rating.stars <= 2 or slipped_to:
        notify_many(session, coordinators_for(session, ticket.grid_code,
                                              level=ticket.escalation_level),
                    NotificationKind.low_rating_comment, now, ticket_id=ticket.id,
                    payload={**ticket_payload(session, ticket, private=True), "slipped_to": slipped_to,
                             "stars": rating.stars, "comment": comment,
                             "member_name": member.display_name if member else None,
                             "waiting": ticket.status in WAITING_FOR_COORDINATOR})
    if rating.stars <= 2:
        _reason_to_redoer(session, ticket, rating, comment, now)
    return rating


def _reason_to_redoer(session: Session, ticket: Ticket, rating: Rating, comment: str, now: datetime) -> None:
    """A low rating's reason told after the reopened ticket was assigned or offered: the member who will redo the
    work reads it too (an offer's with phone numbers hidden, as on the offer), not only the first round's member."""
    offered = session.exec(select(Offer.member_id).where(Offer.ticket_id == ticket.id,
                                                         Offer.state == OfferState.pending)).all()
    payload = {**ticket_payload(session, ticket), "stars": rating.stars, "comment": comment, "waiting": False}
    for member_id in {ticket.assignee_id, *offered} - {None, rating.member_id}:
        redoer = session.get(Member, member_id)
        if redoer is not None:
            notify(session, redoer.telegram_id, NotificationKind.low_rating_comment, now, ticket_id=ticket.id,
                   payload={**payload, "offered": member_id != ticket.assignee_id})


def rating_correctable(session: Session, ticket: Ticket) -> bool:
    """Whether the ticket's low rating may still be corrected: it reopened the ticket and nobody acted on it since
    (its words and photos the resident added are no action)."""
    if ticket.status != S.reopened:
        return False
    last = session.exec(select(TicketEvent.kind).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind.not_in(("rating_comment", "contact_added")))
        .order_by(TicketEvent.id.desc()).limit(1)).first()
    return last == "reopened"


def correct_rating(session: Session, ticket_id: int, resident_id: int, stars: int, now: datetime,
                   comment: str = "") -> Ticket:
    """A low rating the resident says was a slip (点错了，应该是五星), before anyone acted on it: the reopening is
    undone (the member's points and the round's resolution given back, the rating taken out of their totals), the
    coordinators told there is nothing to dispatch, and the ticket rated again with `stars` (3–5: closed) and the
    words typed with the correction (the low rating's reason is not this one's)."""
    ticket = get_ticket(session, ticket_id)
    if ticket.resident_id != resident_id:
        raise NotAllowed(f"只能评价自己提交的工单（#{ticket.number} 不是您的）")
    rating = latest_rating(session, ticket.id)
    if rating is None or not rating_correctable(session, ticket) or not 3 <= stars <= 5:
        raise IllegalTransition(f"工单 #{ticket.number} 的评分已不能修改", current=ticket.status, target="resolved")
    member = session.get(Member, rating.member_id) if rating.member_id else None
    if member is not None:
        points.give_back(session, ticket, member, rating.round)
        points.add_rating(session, member, -rating.stars, count=-1)
    resolved_at = session.exec(select(TicketEvent.at).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "resolved").order_by(TicketEvent.id.desc())).first()
    was, round_, member_id = rating.stars, rating.round, rating.member_id
    session.delete(rating)
    session.flush()  # (the round's rating again, below: one row per round)
    transition(session, ticket, S.resolved, now, kind="rating_corrected", actor_id=resident_id,
               actor_role="resident", data={"stars": was, "corrected_to": stars}, reopen_count=round_,
               assignee_id=member_id, resolved_at=resolved_at or now, rating=None)
    notify_many(session, coordinators_for(session, ticket.grid_code, level=ticket.escalation_level),
                NotificationKind.rating_corrected, now, ticket_id=ticket.id,
                payload={**ticket_payload(session, ticket), "was": was, "stars": stars})
    return rate_ticket(session, ticket.id, resident_id, stars, now, comment=comment[:1000], was=was)


def latest_rating(session: Session, ticket_id: int) -> Rating | None:
    """The ticket's latest rating (of its last rated round), if any."""
    return session.exec(select(Rating).where(Rating.ticket_id == ticket_id).order_by(Rating.round.desc())).first()


def close_ticket(session: Session, ticket_id: int, now: datetime, *,
                 actor_id: int | None = None) -> Ticket:
    """Close a resolved ticket without a rating (the scheduler after the reminder, or a
    coordinator)."""
    ticket = get_ticket(session, ticket_id)
    role = "system"
    if actor_id is not None:
        require_coordinator(session, actor_id, ticket.grid_code)
        role = "coordinator"
    transition(session, ticket, S.closed, now, kind="closed", actor_id=actor_id, actor_role=role,
               closed_at=now)
    member_id = ticket.assignee_id
    _notify_closed(session, ticket, session.get(Member, member_id) if member_id else None, now)
    return ticket


def _notify_closed(session: Session, ticket: Ticket, member: Member | None, now: datetime) -> None:
    payload = ticket_payload(session, ticket)
    notify(session, ticket.resident_id, NotificationKind.ticket_closed, now, ticket_id=ticket.id,
           payload=payload)
    if member is not None:
        notify(session, member.telegram_id, NotificationKind.ticket_closed, now,
               ticket_id=ticket.id, payload=payload)


# Queries -------------------------------------------------------------------------------------

def get_ticket_by_number(session: Session, number: str) -> Ticket:
    """A ticket by its public number ('#A1234' or 'a1234')."""
    ticket = session.exec(select(Ticket).where(Ticket.number == parse_number(number))).first()
    if ticket is None:
        raise NotFound(f"工单 {number} 不存在")
    return ticket


def list_resident_tickets(session: Session, resident_id: int, *, limit: int = 10) -> list[Ticket]:
    """/my: a resident's tickets, newest first."""
    return list(session.exec(select(Ticket).where(Ticket.resident_id == resident_id)
                             .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)))


def list_member_tasks(session: Session, telegram_id: int) -> list[Ticket]:
    """/tasks: the tickets a member holds (accepted or in progress), oldest first."""
    member = get_member(session, telegram_id)
    return list(session.exec(select(Ticket).where(Ticket.assignee_id == member.id,
                                                  Ticket.status.in_(list(WITH_ASSIGNEE)))
                             .order_by(Ticket.accepted_at, Ticket.id)))


def finished_lately(session: Session, telegram_id: int, since: datetime, *, besides: int) -> bool:
    """Whether the member resolved or handed back a ticket other than `besides` since then (his next words may be
    about it). Read among the tickets he was offered (the offers' member index, then the events' ticket index): the
    event log has no index by actor, and a scan of it grows with the city's history."""
    his = select(Offer.ticket_id).join(Member, Member.id == Offer.member_id).where(Member.telegram_id == telegram_id)
    return session.exec(select(TicketEvent.id).where(
        TicketEvent.ticket_id.in_(his), TicketEvent.ticket_id != besides, TicketEvent.actor_id == telegram_id,
        TicketEvent.kind.in_(["resolved", "handed_back"]), TicketEvent.at >= since).limit(1)).first() is not None


def list_member_offers(session: Session, telegram_id: int) -> list[Ticket]:
    """Tickets currently offered to a member and not yet answered."""
    return [ticket for ticket, _ in list_member_offers_with_kind(session, telegram_id)]


def list_member_offers_with_kind(session: Session, telegram_id: int) -> list[tuple[Ticket, OfferKind]]:
    """Tickets currently offered to a member and not yet answered, each with how (a wave, or a coordinator's
    assignment)."""
    member = get_member(session, telegram_id)
    return [(ticket, kind) for ticket, kind in session.exec(
        select(Ticket, Offer.kind).join(Offer, Offer.ticket_id == Ticket.id)
        .where(Offer.member_id == member.id, Offer.state == OfferState.pending)
        .order_by(Offer.sent_at, Ticket.id))]


def offered_since(session: Session, telegram_id: int, since: datetime, ticket_id: int) -> bool:
    """Whether a ticket was offered or assigned to the member after `since`: a new card to answer in the chat — another
    ticket, or `ticket_id` itself (handed back then) assigned back to him and waiting for his answer. (`since` is a
    message's date, whole seconds: the card he answered then may have been sent later in that second.)"""
    member = get_member(session, telegram_id)
    new_card = (Offer.ticket_id != ticket_id) | (Offer.state == OfferState.pending)
    return session.exec(select(Offer.id).where(Offer.member_id == member.id, new_card,
                                               Offer.sent_at > since).limit(1)).first() is not None


def ticket_events(session: Session, ticket_id: int) -> list[TicketEvent]:
    """A ticket's log, oldest first."""
    return list(session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                             .order_by(TicketEvent.id)))


def ticket_view(session: Session, ticket_id: int, viewer_id: int) -> dict:
    """A ticket as a given user may see it: contact details only for its resident, its
    assignee and coordinators of its grid."""
    ticket = get_ticket(session, ticket_id)
    assignee = session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
    private = (viewer_id == ticket.resident_id
               or (assignee is not None and assignee.telegram_id == viewer_id))
    if not private:
        scopes = coordinator_scopes(session, viewer_id)
        private = bool(scopes) and covers(session, scopes, ticket.grid_code)
    return ticket_payload(session, ticket, private=private)


RATING_REMINDER_AFTER = timedelta(days=1)


def remind_unrated(session: Session, now: datetime, *, settings: Settings | None = None,
                   limit: int = 200) -> int:
    """回访: one reminder to rate, for tickets resolved at least a day ago (scaled) and not rated.

    Once per resolution round: the reminder is an event of the ticket, and tickets with that event
    for their current round are skipped."""
    settings = settings or get_settings()
    cutoff = now - settings.scaled(RATING_REMINDER_AFTER)
    reminded = exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "rate_reminded",
                              TicketEvent.at >= Ticket.resolved_at)
    due = session.exec(select(Ticket).where(Ticket.status == S.resolved, Ticket.resolved_at <= cutoff,
                                            ~reminded).order_by(Ticket.resolved_at).limit(limit)).all()
    for ticket in due:
        record_event(session, ticket, "rate_reminded", now, actor_role="system",
                     from_status=ticket.status, to_status=ticket.status)
        notify(session, ticket.resident_id, NotificationKind.rate_reminder, now, ticket_id=ticket.id,
               payload=ticket_payload(session, ticket))
    return len(due)
