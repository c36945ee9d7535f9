"""Offers in waves (接单), the atomic accept, and the coordinators' 派单.

Wave offers stay valid until the ticket is taken or goes to dispatch, so a member of wave 1 can
still accept while wave 2 is out. Coordinator assignments are offers too (kind `dispatch`): the
member's consent is their accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, case, exists, func, insert, literal, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, select

from classifier.taxonomy import Taxonomy
from routing.config import Settings, get_settings, get_taxonomy
from routing.db import bulk_insert, core, is_postgres, recordset, rows_json
from routing.errors import (
    ConcurrentUpdate,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    NotFound,
    TicketAlreadyTaken,
)
from routing.geography import ancestry, get_node
from routing.matching import Ranked, find_candidates
from routing.members import (
    coordinator_scopes,
    coordinators_for,
    covers,
    find_member,
    get_member,
    is_coordinator,
    require_coordinator,
)
from routing.models import (
    Member,
    MemberSkill,
    Notification,
    NotificationKind,
    Offer,
    OfferKind,
    OfferState,
    Person,
    Rating,
    Ticket,
    TicketEvent,
    UTCDateTime,
)
from routing.models import TicketStatus as S
from routing.outbox import (
    before_insert,
    notification_row,
    notify,
    notify_many,
    notify_photos,
    notify_rows,
    unsent_photos,
    withdraw_message,
)
from routing.states import (
    ACCEPTABLE,
    STATUS_NAMES,
    WAITING_FOR_COORDINATOR,
    WITH_ASSIGNEE,
    get_ticket,
    record_event,
    sync,
    transition,
    update_ticket,
)
from routing.views import ticket_payload

MAX_ESCALATION = 2  # street


def item_skills(ticket: Ticket, taxonomy: Taxonomy) -> tuple[str, ...]:
    """The skill tags that the ticket's item asks for (none for 其他)."""
    item = taxonomy.items.get(ticket.label) if ticket.label else None
    return item.skills if item else ()


RowT = TypeVar("RowT", Member, Ticket)
ASSIGNMENT_WAVES = 3  # a coordinator's 指派 unanswered for this many wave timeouts goes back to 派单, the coordinators told


def wave_timeout(ticket: Ticket, settings: Settings, taxonomy: Taxonomy) -> timedelta:
    """How long a wave waits: WAVE_TIMEOUT, shorter when the response limit needs it (urgent)."""
    time_class = taxonomy.classes.get(ticket.time_class)
    timeout = settings.wave_timeout
    if time_class is not None:
        timeout = min(timeout, settings.scaled(time_class.respond) / (settings.MAX_WAVES + 1))
    return timeout


def pending_offers(session: Session, ticket_id: int) -> list[Offer]:
    """The ticket's offers still waiting for an answer."""
    return list(session.exec(select(Offer).where(Offer.ticket_id == ticket_id,
                                                 Offer.state == OfferState.pending)))


def withdraw_offers(session: Session, ticket: Ticket, now: datetime, reason: str) -> int:
    """Withdraw the ticket's pending offers, telling each member's chat (taken, cancelled,
    dispatch, reassigned)."""
    offers = pending_offers(session, ticket.id)
    for offer in offers:
        _withdraw(session, offer, ticket, session.get(Member, offer.member_id).telegram_id, now, reason)
    return len(offers)


def _withdraw(session: Session, offer: Offer, ticket: Ticket, telegram_id: int, now: datetime, reason: str, *,
              tell: bool = True) -> None:
    """One pending offer withdrawn, and (`tell`) its message in the member's chat taken back."""
    offer.state, offer.answered_at, offer.reason = OfferState.withdrawn, now, reason
    if tell:
        withdraw_message(session, offer.notification_id, telegram_id, now, ticket_id=ticket.id,
                         payload={"ticket_id": ticket.id, "number": f"#{ticket.number}", "reason": reason,
                                  "offer_id": offer.id})


def take_back_task_card(session: Session, ticket: Ticket, member: Member, now: datetime, reason: str) -> None:
    """The task card a member got when the ticket became his (its buttons, the resident's address and phone), taken
    back once it is no longer his (改派, cancelled): no old button to press, and her contact leaves his chat."""
    card = session.exec(select(Notification.id).where(
        Notification.ticket_id == ticket.id, Notification.recipient_id == member.telegram_id,
        Notification.kind == NotificationKind.offer_accepted).order_by(Notification.id.desc())).first()
    withdraw_message(session, card, member.telegram_id, now, ticket_id=ticket.id,
                     payload={"ticket_id": ticket.id, "number": f"#{ticket.number}", "reason": reason})


_INSERT_OFFERS = insert(Offer.__table__)  # one multi-row INSERT
_OFFER_COLUMNS = ("ticket_id", "member_id", "wave", "kind", "state", "score", "dispatched_by",
                  "sent_at")


@lru_cache(maxsize=4)
def _insert_offers_with_notifications(note_columns: tuple[str, ...]) -> Any:
    """PostgreSQL: a wave's notifications and the offers pointing at them as one statement
    (`_rows`: notification rows, `_offers`: offer rows, `_note_kind`: the offers' notification
    kind); two statements cost ~0.4 ms a ticket more (measured)."""
    table = Notification.__table__
    notes = (bulk_insert(table, note_columns)
             .returning(table.c.id, table.c.recipient_id, table.c.kind).cte("notes"))
    offers = recordset(Offer.__table__, _OFFER_COLUMNS, name="_offers", alias="o")
    member = Member.__table__
    chosen = (select(*(offers.c[c] for c in _OFFER_COLUMNS), notes.c.id)
              .select_from(offers.join(member, member.c.id == offers.c.member_id)
                           .join(notes, and_(notes.c.recipient_id == member.c.telegram_id,
                                             notes.c.kind == bindparam("_note_kind")))))
    statement = pg_insert(Offer.__table__).from_select([*_OFFER_COLUMNS, "notification_id"], chosen)
    # (a member who lost the race is asked again when the ticket is handed back: their offer row is renewed)
    return statement.on_conflict_do_update(
        index_elements=["ticket_id", "member_id"],
        set_={**{c: statement.excluded[c] for c in (*_OFFER_COLUMNS, "notification_id")},
              "answered_at": None, "reason": None})


def make_offers(session: Session, ticket: Ticket, ranked: list[Ranked], now: datetime,
                kind: OfferKind, *, dispatched_by: int | None = None, taxonomy: Taxonomy,
                payload: dict[str, Any] | None = None,
                extra_notes: Sequence[dict[str, Any]] = ()) -> None:
    """Insert the offers and their notifications (a few statements, whatever the wave size);
    `extra_notes` (other notification rows of the same step) go in the same INSERT."""
    payload = {**(payload or ticket_payload(session, ticket, taxonomy=taxonomy)),
               "wave": ticket.wave, "dispatched_by": dispatched_by}  # (已超期: decided when sent, bot.delivery)
    note_kind = NotificationKind.offer if kind == OfferKind.wave else NotificationKind.assigned
    notes = [*extra_notes, *(notification_row(r.telegram_id, note_kind, now, ticket.id, payload)
                             for r in ranked)]
    offers = [dict(ticket_id=ticket.id, member_id=r.member_id, wave=ticket.wave, kind=str(kind),
                   state=OfferState.pending, score=r.score, dispatched_by=dispatched_by, sent_at=now)
              for r in ranked]
    if kind == OfferKind.wave and is_postgres(session):
        before_insert(session, notes)
        core(session, _insert_offers_with_notifications(tuple(notes[0])),
             {"_rows": rows_json(notes), "_offers": rows_json(offers),
              "_note_kind": str(note_kind)})
        return
    note_ids = notify_rows(session, notes)[len(extra_notes):]
    # A coordinator may ask someone again; a wave, someone who lost the race before a hand-back.
    existing = {o.member_id: o for o in session.exec(select(Offer).where(
        Offer.ticket_id == ticket.id, Offer.member_id.in_([r.member_id for r in ranked])))}
    rows = []
    for offer, note_id in zip(offers, note_ids, strict=True):
        values = {**offer, "notification_id": note_id, "answered_at": None, "reason": None}
        if offer["member_id"] in existing:
            for key, value in values.items():
                setattr(existing[offer["member_id"]], key, value)
        else:
            rows.append(values)
    if rows:
        core(session, _INSERT_OFFERS, rows)


def wave_candidates(session: Session, ticket: Ticket, now: datetime, *, settings: Settings,
                    taxonomy: Taxonomy) -> list[Ranked]:
    """The next wave's members: the best not yet asked (the ticket may not be saved yet)."""
    skills = item_skills(ticket, taxonomy)
    if not skills:
        return []
    return find_candidates(session, ticket_id=ticket.id, skills=skills, grid=ticket.grid_code,
                           community=ticket.community_code, street=ticket.street_code, now=now,
                           limit=settings.WAVE_SIZE, exclude_telegram_id=ticket.resident_id)


def send_next_wave(session: Session, ticket: Ticket, now: datetime, *,
                   settings: Settings | None = None, taxonomy: Taxonomy | None = None,
                   reason: str = "wave") -> list[int]:
    """Offer the ticket to the next best members, or send it to dispatch when the waves are
    used up or nobody fits. Returns the members offered (none when it went to dispatch)."""
    settings = settings or get_settings()
    taxonomy = taxonomy or get_taxonomy(settings)
    skills = item_skills(ticket, taxonomy)
    if not skills:
        to_dispatch(session, ticket, now, "no_item", settings=settings, taxonomy=taxonomy)
        return []
    if ticket.wave >= settings.MAX_WAVES:
        to_dispatch(session, ticket, now, "no_acceptance", settings=settings, taxonomy=taxonomy)
        return []
    ranked = wave_candidates(session, ticket, now, settings=settings, taxonomy=taxonomy)
    if not ranked:
        has_pending = bool(pending_offers(session, ticket.id))
        if ticket.status == S.offered and has_pending:
            # Nobody new to ask, but earlier offers still stand: give them one more timeout.
            update_ticket(session, ticket, now, kind="wave_skipped",
                          next_wave_at=now + wave_timeout(ticket, settings, taxonomy),
                          wave=ticket.wave + 1, data={"reason": "no_new_candidates"})
            return []
        to_dispatch(session, ticket, now, "no_candidates" if ticket.wave == 0 else "no_acceptance",
                    settings=settings, taxonomy=taxonomy)
        return []
    wave = ticket.wave + 1
    values = dict(wave=wave, next_wave_at=now + wave_timeout(ticket, settings, taxonomy))
    if ticket.offered_at is None:
        values["offered_at"] = now
    transition(session, ticket, S.offered, now, kind=reason,
               data={"wave": wave, "members": [r.member_id for r in ranked],
                     "scores": [round(r.score, 4) for r in ranked]}, **values)
    make_offers(session, ticket, ranked, now, OfferKind.wave, taxonomy=taxonomy)
    return [r.member_id for r in ranked]


def _handed_back(session: Session, ticket: Ticket) -> dict[str, Any]:
    """Who handed the ticket back (退回) and why, when that is how this round of routing began (no member took it
    since): what the coordinators who dispatch it next need to know."""
    last = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                  TicketEvent.kind.in_(["handed_back", "accepted"]))
                        .order_by(TicketEvent.id.desc()).limit(1)).first()
    if last is None or last.kind != "handed_back":
        return {}
    member = session.get(Member, last.data.get("member_id")) if last.data.get("member_id") else None
    return {"handed_back_by": member.display_name if member else "", "hand_back_reason": last.data.get("reason", ""),
            "hand_back_photos": list(last.data.get("photos") or []),
            "member_removed": last.actor_role == "coordinator"}  # (移出: not his own 退回)


def why_waiting(session: Session, ticket: Ticket) -> dict[str, Any]:
    """Why a ticket waits for 派单, as the coordinators who dispatch it need to read it on every card of it: handed back
    (by whom, why), or reopened by a low rating (its stars and the resident's words)."""
    raised = _raised(session, ticket)
    if handed := _handed_back(session, ticket):
        return {**raised, **handed}
    if ticket.status == S.reopened and (rating := session.exec(
            select(Rating).where(Rating.ticket_id == ticket.id).order_by(Rating.round.desc())).first()):
        return {**raised, "reopened_stars": rating.stars, "reopened_comment": rating.comment}
    # (or routing found nobody: the reason it went to 派单, no_candidates / no_acceptance / no_item)
    last = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(
        ["to_dispatch", "accepted"])).order_by(TicketEvent.id.desc()).limit(1)).first()
    routed = {"reason": last.data.get("reason")} if last is not None and last.kind == "to_dispatch" and last.data else {}
    return {**routed, **raised, **_declined_with_reasons(session, ticket)}


DECLINES_SHOWN = 3  # the members' 不方便 reasons a coordinator's card of a waiting ticket lists (the newest)


def _declined_with_reasons(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The members who said 不方便 to the ticket with a reason (在医院陪老伴: whom not to ask again today, and why),
    newest first; empty when none gave one."""
    declines = session.exec(select(Member.display_name, Offer.reason).join(Member, Member.id == Offer.member_id).where(
        Offer.ticket_id == ticket.id, Offer.state == OfferState.declined, Offer.reason.is_not(None),
        Offer.reason != "").order_by(Offer.answered_at.desc(), Offer.id.desc()).limit(DECLINES_SHOWN)).all()
    return {"declines": [[name, reason] for name, reason in declines]} if declines else {}


def _raised(session: Session, ticket: Ticket) -> dict[str, Any]:
    """Who handed the ticket up to the level it is at now (上报), and from where; empty when nobody did."""
    last = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "escalated")
                        .order_by(TicketEvent.id.desc()).limit(1)).first()
    if last is None or (last.data or {}).get("reason") != "raised" or last.actor_id is None:
        return {}
    by = session.get(Person, last.actor_id)
    level = int(last.data.get("level") or 1)
    return {"raised_by": by.name if by is not None and by.name else "协调员",
            "raised_from": get_node(session, ancestry(get_node(session, ticket.grid_code))[level - 1]).name}


def to_dispatch(session: Session, ticket: Ticket, now: datetime, reason: str, *,
                settings: Settings | None = None, taxonomy: Taxonomy | None = None,
                alert_sent: bool = False, details: dict[str, Any] | None = None) -> Ticket:
    """The ticket waits for a coordinator's 派单; pending offers are withdrawn."""
    taxonomy = taxonomy or get_taxonomy(settings)
    withdraw_offers(session, ticket, now, "dispatch")
    transition(session, ticket, S.dispatch, now, kind="to_dispatch", data={"reason": reason},
               dispatch_at=now, next_wave_at=None)
    if not alert_sent:
        _dispatch_needed(session, ticket, now, reason, taxonomy, details)
    return ticket


def _dispatch_audience(session: Session, ticket: Ticket) -> list[int]:
    """The coordinators a ticket's return to 派单 tells: those at its level, or for an urgent ticket all those its 🚨
    alert went to (each of them answers for it and would otherwise still think a member has it)."""
    return coordinators_for(session, ticket.grid_code, level=ticket.escalation_level, all_levels=ticket.urgent)


def _dispatch_needed(session: Session, ticket: Ticket, now: datetime, reason: str, taxonomy: Taxonomy,
                     details: dict[str, Any] | None = None) -> list[int]:
    """Tell the coordinators who answer for the ticket (_dispatch_audience) that it waits for their 派单 (and why);
    returns whom."""
    payload = {**ticket_payload(session, ticket, private=True, taxonomy=taxonomy),
               "reason": reason, **_handed_back(session, ticket), **(details or {})}
    told = _dispatch_audience(session, ticket)
    # The resident's photos those coordinators have not had yet (an 🚨 alert's, or an earlier 📮's, brought them), and
    # the photos the member handed it back with: each after the card that counts them (not after a later card, whose
    # line tells of a 指派 declined or withdrawn instead).
    hers = {c: unsent_photos(session, c, ticket.id, payload.get("attachments") or []) for c in dict.fromkeys(told)}
    handed = [] if payload.get("declined_by") else payload.get("hand_back_photos") or []
    notify_rows(session, [notification_row(c, NotificationKind.dispatch_needed, now, ticket.id,
                                           {**payload, "resident_photos": photos,
                                            "can_raise": can_raise(session, ticket, c)}) for c, photos in hers.items()])
    for coordinator, photos in hers.items():
        notify_photos(session, coordinator, ticket.id, payload["number"], photos + handed, now)
    return told


def _assigner(session: Session, offer: Offer, ticket: Ticket) -> int | None:
    """Who assigned the offer (指派), while they still coordinate the ticket's grid: one removed since (jiedan
    coordinator remove, COORDINATOR_IDS) no longer hears of it; the grid's coordinators now do, at 派单."""
    if offer.dispatched_by is None:
        return None
    scopes = coordinator_scopes(session, offer.dispatched_by)
    return offer.dispatched_by if scopes and covers(session, scopes, ticket.grid_code) else None


def assigners(session: Session, ticket: Ticket) -> list[int]:
    """The coordinators who asked a member to take the ticket (指派), waiting for an answer or taken, and coordinate its
    grid still: a call-off is theirs to hear even when no card of theirs says 待派单."""
    offers = session.exec(select(Offer).where(Offer.ticket_id == ticket.id, Offer.kind == OfferKind.dispatch,
                                              Offer.state.in_([OfferState.pending, OfferState.accepted]))).all()
    return list(dict.fromkeys(a for offer in offers if (a := _assigner(session, offer, ticket)) is not None))


def _tell_assigner(session: Session, offer: Offer, ticket: Ticket, member_name: str, told: list[int],
                   now: datetime, *, reason: str = "", unanswered: bool = False, withdrawn: bool = False,
                   handed_back: bool = False, photos: Sequence[str] = ()) -> None:
    """The coordinator who assigned the ticket hears that the member declined, never answered or handed it back
    (with the photos of the 退回, after the message) unless the coordinators' card told them already, or they are the
    member."""
    assigner = _assigner(session, offer, ticket)
    if assigner is None or assigner in told:
        return
    payload = {**ticket_payload(session, ticket, private=True), "member_name": member_name,
               "accepted": False, "reason": reason, "unanswered": unanswered, "withdrawn": withdrawn,
               "handed_back": handed_back, "to_dispatch": ticket.status in WAITING_FOR_COORDINATOR,
               "hand_back_photos": list(photos)}
    notify(session, assigner, NotificationKind.assignment_answered, now, ticket_id=ticket.id, payload=payload)
    notify_photos(session, assigner, ticket.id, payload["number"], photos, now)


def accepted_offer(session: Session, ticket_id: int, member_id: int) -> Offer | None:
    """The offer (a wave's or a coordinator's 指派) by which the member took the ticket, if any."""
    offer = _offer_for(session, ticket_id, member_id)
    return offer if offer is not None and offer.state == OfferState.accepted else None


def tell_hand_back(session: Session, ticket: Ticket, member: Member, offer: Offer | None, reason: str,
                   now: datetime, *, settings: Settings | None = None) -> None:
    """After 退回, routed again: the coordinators who answer for the ticket hear who handed it back and why — those
    alerted to an urgent one (their 📮 card, with 指派), and the one who assigned it to the member — unless its
    return to 派单 told them already."""
    told = _dispatch_audience(session, ticket) if ticket.status in WAITING_FOR_COORDINATOR else []
    if ticket.urgent and not told:
        told = _dispatch_needed(session, ticket, now, "handed_back", get_taxonomy(settings))
    if offer is not None:
        _tell_assigner(session, offer, ticket, member.display_name, [member.telegram_id, *told], now, reason=reason,
                       handed_back=True, photos=_handed_back(session, ticket).get("hand_back_photos", []))


def advance_waves(session: Session, now: datetime, *, limit: int = 200,
                  settings: Settings | None = None) -> int:
    """Scheduler step: send the next wave for every ticket whose wave timed out; an assignment nobody answered
    goes back to the coordinators (an escalated ticket's too: a red card may come while it waits). Returns count."""
    settings = settings or get_settings()
    taxonomy = get_taxonomy(settings)
    # (and an offered ticket nobody is asked for any more — the members asked went off duty or are full — at once)
    nobody_asked = and_(or_(Ticket.status == S.offered, and_(Ticket.status == S.escalated,
                                                             Ticket.next_wave_at.is_not(None))),
                        ~exists().where(Offer.ticket_id == Ticket.id, Offer.state == OfferState.pending))
    query = (select(Ticket).where(Ticket.status.in_([S.offered, S.escalated]),
                                  or_(Ticket.next_wave_at <= now, nobody_asked))
             .order_by(Ticket.next_wave_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: an event written for the ticket meanwhile (its foreign key's KEY SHARE) does not wait
        query = query.with_for_update(skip_locked=True, key_share=True)
    tickets = list(session.exec(query))
    for ticket in tickets:
        assigned = [o for o in pending_offers(session, ticket.id) if o.kind == OfferKind.dispatch]
        if assigned:  # a coordinator's 指派 nobody answered: back to the coordinators, who hear who did not answer
            member = session.get(Member, assigned[0].member_id)
            name = member.display_name if member else ""
            details = {"declined_by": name, "unanswered": True}  # (he said nothing: no 不方便 of his)
            if ticket.status == S.offered:
                to_dispatch(session, ticket, now, "assignment_unanswered", settings=settings, taxonomy=taxonomy,
                            details=details)
                told = _dispatch_audience(session, ticket)
            else:  # (escalated: already with the coordinators; the assignment is withdrawn, they are told)
                for offer in assigned:
                    _withdraw(session, offer, ticket, session.get(Member, offer.member_id).telegram_id, now, "dispatch")
                transition(session, ticket, S.escalated, now, kind="assignment_unanswered", next_wave_at=None)
                told = _dispatch_needed(session, ticket, now, "assignment_unanswered", taxonomy, details)
            _tell_assigner(session, assigned[0], ticket, name, told, now, reason="未回复", unanswered=True)
        elif ticket.status == S.offered and (full := _assignment_withdrawn_full(session, ticket)) is not None:
            # (the member assigned filled up with other work: back to the coordinators, who assigned it told)
            member = session.get(Member, full.member_id)
            name = member.display_name if member else ""
            to_dispatch(session, ticket, now, "assignment_withdrawn", settings=settings, taxonomy=taxonomy,
                        details={"declined_by": name, "decline_reason": FULL_REASON, "withdrawn": True})
            told = _dispatch_audience(session, ticket)
            _tell_assigner(session, full, ticket, name, [*told, *([member.telegram_id] if member else [])], now,
                           reason=FULL_REASON, withdrawn=True)
        elif ticket.status == S.offered:
            send_next_wave(session, ticket, now, settings=settings, taxonomy=taxonomy)
        elif (full := _assignment_withdrawn_full(session, ticket)) is not None:  # (escalated: the same, told so)
            member = session.get(Member, full.member_id)
            name = member.display_name if member else ""
            told = _back_to_escalated(session, ticket, now, "assignment_withdrawn", name, FULL_REASON, settings)
            _tell_assigner(session, full, ticket, name, [*told, *([member.telegram_id] if member else [])], now,
                           reason=FULL_REASON, withdrawn=True)
        else:  # (an escalated ticket's waves are over: the coordinators have it)
            transition(session, ticket, S.escalated, now, kind="waves_over", next_wave_at=None)
    return len(tickets)


FULL_REASON = "手上工单已满"


def _assignment_withdrawn_full(session: Session, ticket: Ticket) -> Offer | None:
    """The ticket's latest offer if it is a coordinator's 指派 withdrawn because the member filled up, else None."""
    latest = session.exec(select(Offer).where(Offer.ticket_id == ticket.id)
                          .order_by(Offer.sent_at.desc(), Offer.id.desc())).first()
    if latest is not None and latest.kind == OfferKind.dispatch and latest.state == OfferState.withdrawn \
            and latest.reason == "full":
        return latest
    return None


def _locked(session: Session, model: type[RowT], key: int, *, share: bool = False) -> RowT | None:
    """A row read afresh and locked on PostgreSQL (FOR NO KEY UPDATE, or FOR SHARE), so that of two steps on it the
    second waits for the first and sees what it wrote; a plain read on SQLite (whose writers are serialized)."""
    query = select(model).where(model.id == key).execution_options(populate_existing=True)  # type: ignore[attr-defined]
    if is_postgres(session):
        query = query.with_for_update(read=True) if share else query.with_for_update(key_share=True)
    return session.exec(query).first()


def _offer_for(session: Session, ticket_id: int, member_id: int) -> Offer | None:
    return session.exec(select(Offer).where(Offer.ticket_id == ticket_id,
                                            Offer.member_id == member_id)).first()


def accept_offer(session: Session, ticket_id: int, telegram_id: int, now: datetime, *,
                 settings: Settings | None = None) -> Ticket:
    """A member accepts (接单). Atomic: of many concurrent accepts exactly one wins; the others
    get TicketAlreadyTaken. Accepting twice by the winner is harmless."""
    taxonomy = get_taxonomy(settings)
    member = get_member(session, telegram_id)
    # The offer before the ticket: a winner committing between the two reads (READ COMMITTED) then
    # shows as a taken ticket, never as this offer withdrawn from a ticket still unassigned.
    offer = _offer_for(session, ticket_id, member.id)
    ticket = get_ticket(session, ticket_id)
    if offer is None:
        raise NotAllowed(f"工单 #{ticket.number} 没有派给您")
    if ticket.assignee_id == member.id and ticket.status in WITH_ASSIGNEE:
        return ticket
    if ticket.status == S.cancelled:
        raise IllegalTransition(f"工单 #{ticket.number} 已被取消", current=ticket.status,
                                target=S.accepted)
    if ticket.assignee_id is not None or ticket.status in (S.resolved, S.closed):
        raise TicketAlreadyTaken(f"工单 #{ticket.number} 已被其他成员接单")
    if offer.state == OfferState.declined:
        raise NotAllowed(f"您已婉拒工单 #{ticket.number}")
    if offer.state != OfferState.pending or ticket.status not in ACCEPTABLE:
        raise NotAllowed(f"工单 #{ticket.number} 的邀请已失效")
    if member.active_count >= member.capacity:
        raise NotAllowed(f"您手上已有 {member.active_count} 张工单，请先办结再接新单")

    # The race is decided here: one conditional UPDATE; on PostgreSQL concurrent ones wait for
    # the row lock, then re-check the WHERE against the winner's row and match nothing.
    source = ticket.status
    row = session.exec(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status.in_(list(ACCEPTABLE)), Ticket.assignee_id.is_(None))
        .values(status=S.accepted, assignee_id=member.id, next_wave_at=None, updated_at=now,
                accepted_at=func.coalesce(Ticket.accepted_at, literal(now, UTCDateTime)),
                version=Ticket.version + 1)
        .returning(Ticket.version, Ticket.accepted_at)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        session.refresh(ticket)
        if ticket.status == S.cancelled:
            raise IllegalTransition(f"工单 #{ticket.number} 已被取消", current=ticket.status,
                                    target=S.accepted)
        if ticket.assignee_id is not None:
            raise TicketAlreadyTaken(f"工单 #{ticket.number} 已被其他成员接单", at_update=True)
        raise NotAllowed(f"工单 #{ticket.number} 的邀请已失效")
    # The offer too, only while it is pending: a coordinator's 指派 or a removal committed since it was read withdrew
    # it (the ticket, in the same order as every other writer of both: the ticket first).
    claimed = session.exec(update(Offer).where(Offer.id == offer.id, Offer.state == OfferState.pending)
                           .values(state=OfferState.accepted, answered_at=now)
                           .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise NotAllowed(f"工单 #{ticket.number} 的邀请已失效")
    sync(offer, state=str(OfferState.accepted), answered_at=now)
    sync(ticket, status=str(S.accepted), assignee_id=member.id, next_wave_at=None,
         updated_at=now, version=row[0], accepted_at=row[1])
    loaded = session.exec(
        update(Member).where(Member.id == member.id, Member.active_count < Member.capacity)
        .values(active_count=Member.active_count + 1, last_assigned_at=now)
        .returning(Member.active_count).execution_options(synchronize_session=False)).first()
    if loaded is None:  # the member accepted another ticket at the same instant
        raise NotAllowed(f"您手上已有 {member.capacity} 张工单，请先办结再接新单")
    sync(member, active_count=loaded[0], last_assigned_at=now)
    record_event(session, ticket, "accepted", now, actor_id=telegram_id, actor_role="member",
                 from_status=source, to_status=S.accepted,
                 data={"member_id": member.id, "offer_id": offer.id, "wave": offer.wave,
                       "offer_kind": offer.kind})
    withdraw_offers(session, ticket, now, "taken")
    if member.active_count >= member.capacity:
        _withdraw_when_full(session, member, ticket, now)

    public = ticket_payload(session, ticket, taxonomy=taxonomy)
    notify(session, ticket.resident_id, NotificationKind.ticket_accepted, now, ticket_id=ticket.id,
           payload=public)
    notify(session, telegram_id, NotificationKind.offer_accepted, now, ticket_id=ticket.id,
           payload={**ticket_payload(session, ticket, private=True, taxonomy=taxonomy),
                    "offer_notification_id": offer.notification_id,
                    "past_due": ticket.resolve_due_at is not None and ticket.resolve_due_at <= now})
    notify_photos(session, telegram_id, ticket.id, public["number"], list(ticket.attachments or []), now)
    assigner = _assigner(session, offer, ticket)
    if assigner is not None and assigner != telegram_id:
        notify(session, assigner, NotificationKind.assignment_answered, now, ticket_id=ticket.id,
               payload={**public, "member_name": member.display_name, "accepted": True})
    if offer.kind == OfferKind.dispatch or (ticket.urgent and ticket.dispatch_at is not None):
        # (a ticket taken from 派单 — its 📮 card reached every coordinator of its level, an urgent one's every level:
        # each would otherwise still think it waits for 派单)
        # (and those of the levels below whose card it was before 上报)
        others = [c for c in dict.fromkeys([*_dispatch_audience(session, ticket), *dispatch_carded(session, ticket)])
                  if c not in (offer.dispatched_by, telegram_id)]
        notify_many(session, others, NotificationKind.assignment_answered, now, ticket_id=ticket.id,
                    payload={**public, "member_name": member.display_name, "accepted": True, "alerted": True})
    return ticket


def _withdraw_when_full(session: Session, member: Member, accepted: Ticket, now: datetime) -> None:
    """A member now full: their other offers, which they could not accept now, are withdrawn. The offer rows only: each
    ticket, nobody left asked, moves on at the next wave scan (`advance_waves`: a 指派 back to 派单, who assigned it
    told), its row taken in its own turn; an offer another transaction holds (its ticket being taken this instant) is skipped,
    not waited for: two members filling up on each other's tickets at once do not deadlock."""
    query = select(Offer).where(Offer.member_id == member.id, Offer.state == OfferState.pending,
                                Offer.ticket_id != accepted.id)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    for other in session.exec(query).all():
        _withdraw(session, other, session.get(Ticket, other.ticket_id), member.telegram_id, now, "full")


def decline_offer(session: Session, ticket_id: int, telegram_id: int, now: datetime, *,
                  reason: str | None = None, settings: Settings | None = None) -> Offer:
    """A member declines (不方便); when nobody else is still asked, the next wave goes out now
    (a declined coordinator assignment goes back to dispatch, and its coordinator is told). Returns the offer."""
    settings = settings or get_settings()
    member = get_member(session, telegram_id)
    # (the ticket before its offers, as the wave scheduler takes them)
    ticket = _locked(session, Ticket, ticket_id) or get_ticket(session, ticket_id)
    offer = _offer_for(session, ticket.id, member.id)
    if offer is None:
        raise NotAllowed(f"工单 #{ticket.number} 没有派给您")
    if offer.state != OfferState.pending:
        return offer  # already answered or withdrawn: nothing to do
    offer.state, offer.answered_at, offer.reason = OfferState.declined, now, (reason or "")[:200]
    record_event(session, ticket, "offer_declined", now, actor_id=telegram_id, actor_role="member",
                 from_status=ticket.status, to_status=ticket.status,
                 data={"member_id": member.id, "offer_id": offer.id, "reason": reason})
    session.flush()
    told: list[int] = []  # (the coordinators the ticket's return to dispatch tells)
    # An escalated ticket is already with the coordinators: no new wave for it.
    if ticket.status == S.offered and not pending_offers(session, ticket.id):
        if offer.kind == OfferKind.dispatch:
            told = _dispatch_audience(session, ticket)
            to_dispatch(session, ticket, now, "assignment_declined", settings=settings,
                        details={"declined_by": member.display_name, "decline_reason": reason or ""})
        else:
            send_next_wave(session, ticket, now, settings=settings)
    elif ticket.status == S.escalated and offer.kind == OfferKind.dispatch and not pending_offers(session, ticket.id):
        told = _back_to_escalated(session, ticket, now, "assignment_declined", member.display_name, reason or "",
                                  settings)
    _tell_assigner(session, offer, ticket, member.display_name, [telegram_id, *told], now, reason=reason or "")
    return offer


def add_decline_reason(session: Session, offer_id: int, telegram_id: int, reason: str, now: datetime) -> bool:
    """Why the member declined, told after 不方便 (in one message or several: added to what he said): kept on the offer
    and in the ticket's log; for a coordinator's 指派, the one who assigned it, and for any offer the coordinators of
    the 派单 the ticket waits for, hear it. Whether a coordinator was told."""
    offer = session.get(Offer, offer_id)
    member = get_member(session, telegram_id)
    if offer is None or offer.member_id != member.id or offer.state != OfferState.declined:
        raise NotAllowed("这张工单不是您婉拒的")
    ticket = get_ticket(session, offer.ticket_id)
    offer.reason = "；".join(filter(None, [offer.reason, reason.strip()]))[:200]
    record_event(session, ticket, "decline_reason", now, actor_id=telegram_id, actor_role="member",
                 from_status=ticket.status, to_status=ticket.status, data={"offer_id": offer.id, "reason": reason.strip()})
    if offer.kind != OfferKind.dispatch and ticket.status not in WAITING_FOR_COORDINATOR:
        return False  # (a wave's offer: the next members were asked at once; nobody waits for why)
    # (a wave's 不方便 that left the ticket to 派单: the coordinators who choose next read why — 在外地出差，下周才回来)
    told = [_assigner(session, offer, ticket)] if offer.kind == OfferKind.dispatch else []
    if ticket.status in WAITING_FOR_COORDINATOR:
        told += _dispatch_audience(session, ticket)
    told = [c for c in dict.fromkeys(told) if c is not None and c != telegram_id]
    notify_many(session, told, NotificationKind.decline_reason, now, ticket_id=ticket.id,
                payload={**ticket_payload(session, ticket), "member_name": member.display_name,
                         "reason": reason.strip()[:200]})
    return bool(told)


def _back_to_escalated(session: Session, ticket: Ticket, now: datetime, why: str, member_name: str, reason: str,
                       settings: Settings | None) -> list[int]:
    """An escalated ticket's 指派 ended without the member (declined, withdrawn): the coordinators holding it get its
    card again, with who and why (as a ticket back to 派单 does); returns them."""
    transition(session, ticket, S.escalated, now, kind=why, next_wave_at=None)
    return _dispatch_needed(session, ticket, now, why, get_taxonomy(settings),
                            {"declined_by": member_name, "decline_reason": reason,
                             "withdrawn": why != "assignment_declined"})  # (not his answer: removed, full, blocked)


def _off_duty(session: Session, member: Member, now: datetime, reason: str, settings: Settings | None, *,
              waves_only: bool = False) -> None:
    """A member who cannot take offers any more: off duty, their pending offers (`waves_only`: not a coordinator's
    指派) withdrawn and the tickets moved on (the next wave, or back to the coordinators for an assignment, and who
    assigned it told)."""
    member.on_duty = False
    query = select(Offer).where(Offer.member_id == member.id, Offer.state == OfferState.pending)
    if waves_only:
        query = query.where(Offer.kind == OfferKind.wave)
    offers = list(session.exec(query))
    tickets = [get_ticket(session, offer.ticket_id) for offer in offers]
    for offer, ticket in zip(offers, tickets, strict=True):  # (their chat closed to the bot: no message taken back)
        _withdraw(session, offer, ticket, member.telegram_id, now, reason, tell=reason != "unreachable")
    session.flush()
    for offer, ticket in zip(offers, tickets, strict=True):
        record_event(session, ticket, "offer_withdrawn", now, from_status=ticket.status,
                     to_status=ticket.status, data={"member_id": member.id, "reason": reason})
        told: list[int] = []
        if ticket.status == S.offered and not pending_offers(session, ticket.id):
            if offer.kind == OfferKind.dispatch:  # (the card says whose 指派 was withdrawn and why, as a decline's does)
                to_dispatch(session, ticket, now, f"member_{reason}", settings=settings,
                            details={"declined_by": member.display_name,
                                     "decline_reason": _OFF_DUTY_REASONS.get(reason, ""), "withdrawn": True})
                told = _dispatch_audience(session, ticket)
            else:
                send_next_wave(session, ticket, now, settings=settings)
        elif (ticket.status == S.escalated and offer.kind == OfferKind.dispatch
              and not pending_offers(session, ticket.id)):
            told = _back_to_escalated(session, ticket, now, f"member_{reason}", member.display_name,
                                      _OFF_DUTY_REASONS.get(reason, ""), settings)
        if offer.kind == OfferKind.dispatch:  # (an escalated ticket's too: it stays with the coordinators)
            _tell_assigner(session, offer, ticket, member.display_name, [member.telegram_id, *told], now,
                           reason=_OFF_DUTY_REASONS.get(reason, ""), withdrawn=True)


_OFF_DUTY_REASONS = {"unreachable": "联系不上（已屏蔽机器人）", "removed": "已被移出"}  # (told to who assigned it)


def go_off_duty(session: Session, telegram_id: int, now: datetime, *, settings: Settings | None = None) -> Member:
    """/duty off: no new offers, and the offers waiting for the member's answer go to others (a coordinator's 指派
    stays: it asks them by name, on duty or not — who assigned it is told he went off duty)."""
    member = get_member(session, telegram_id)
    was_on_duty = member.on_duty
    _off_duty(session, member, now, "off_duty", settings, waves_only=True)
    if not was_on_duty:  # (/duty off again: told already)
        return member
    assigned = session.exec(select(Offer).where(Offer.member_id == member.id, Offer.kind == OfferKind.dispatch,
                                                Offer.state == OfferState.pending)).all()
    for offer in assigned:  # (whoever assigned one may want to 改派 rather than wait for an answer)
        ticket = get_ticket(session, offer.ticket_id)
        if (assigner := _assigner(session, offer, ticket)) not in (None, member.telegram_id):
            notify(session, assigner, NotificationKind.assignment_answered, now, ticket_id=ticket.id,
                   payload={**ticket_payload(session, ticket, private=True), "member_name": member.display_name,
                            "off_duty": True})
    return member


def _held(session: Session, member: Member) -> list[Ticket]:
    return list(session.exec(select(Ticket).where(Ticket.assignee_id == member.id,
                                                  Ticket.status.in_(list(WITH_ASSIGNEE)))))


# What a coordinator must act on: moved on to another coordinator when theirs cannot be delivered.
_TO_ACT_ON = frozenset({NotificationKind.dispatch_needed, NotificationKind.low_rating, NotificationKind.yellow_card,
                        NotificationKind.red_card, NotificationKind.member_unreachable})


def member_unreachable(session: Session, telegram_id: int, now: datetime, *,
                       settings: Settings | None = None, bounced: Sequence[Notification] = ()) -> None:
    """Someone blocked the bot (or, a coordinator, never opened it): mark them; a coordinator's cards to act on
    (`bounced`: theirs that can no longer go out) go to another coordinator; a member goes off duty, their offers
    move on, and coordinators hear about tickets they still hold (to reassign: the member may still be at work on
    them)."""
    person = session.get(Person, telegram_id)
    told_before = person is not None and person.unreachable_at is not None  # (and not back since: ensure_person)
    if person is not None:
        person.unreachable_at = now
    if is_coordinator(session, telegram_id):
        _cards_move_on(session, bounced, now)
    member = find_member(session, telegram_id)
    if member is None:
        return
    _off_duty(session, member, now, "unreachable", settings)
    if told_before:  # (a later message to them failed too: the coordinators heard it once, at the first)
        return
    for ticket in _held(session, member):
        notify_many(session, coordinators_for(session, ticket.grid_code,
                                              level=ticket.escalation_level),
                    NotificationKind.member_unreachable, now, ticket_id=ticket.id,
                    payload={**ticket_payload(session, ticket, private=True),
                             "member_name": member.display_name})


def _cards_move_on(session: Session, bounced: Sequence[Notification], now: datetime) -> None:
    """An unreachable coordinator's cards to act on (派单, a low rating, a time limit, a member gone) go to the
    coordinators who can read them (coordinators_for leaves out the unreachable: the level above, if theirs has
    nobody else), each once: not to anyone who had the same card for that ticket."""
    for note in bounced:
        ticket = session.get(Ticket, note.ticket_id) if note.ticket_id else None
        if note.kind not in _TO_ACT_ON or ticket is None or ticket.status in (S.closed, S.cancelled) or (
                note.kind == NotificationKind.dispatch_needed and ticket.status not in WAITING_FOR_COORDINATOR):
            continue  # (done with meanwhile: closed, or 派单 by someone else)
        had = set(session.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == ticket.id, Notification.kind == note.kind,
            Notification.created_at >= note.created_at)).all())
        told = [c for c in coordinators_for(session, ticket.grid_code, level=ticket.escalation_level) if c not in had]
        notify_many(session, told, note.kind, now, ticket_id=ticket.id, payload=note.payload)


MEMBER_REMOVED_REASON = "已不再担任党员/志愿者，由协调员移出"


def remove_member(session: Session, coordinator_id: int, member_id: int, now: datetime, *,
                  settings: Settings | None = None) -> Member:
    """A coordinator removes a member of their scope who leaves (moved away, no longer serving): no more offers,
    no longer a member to the bot (/join with a new code makes them one again), their pending offers move on
    and the tickets they hold go back to the coordinators, with why; the member is told."""
    member = _locked(session, Member, member_id)  # (one removal at a time; an assignment to them waits or is refused)
    if member is None or member.left_at is not None:
        raise NotFound("这位成员不存在或已被移出")
    if not covers(session, require_coordinator(session, coordinator_id), member.grid_code):
        raise NotAllowed(f"成员 {member.display_name} 不在您的管辖范围内")
    member.left_at = now
    _off_duty(session, member, now, "removed", settings)
    for ticket in _held(session, member):
        take_back_task_card(session, ticket, member, now, "removed")
        transition(session, ticket, S.handed_back, now, kind="handed_back", actor_id=coordinator_id,
                   actor_role="coordinator", data={"reason": MEMBER_REMOVED_REASON, "member_id": member.id},
                   assignee_id=None, started_at=None, wave=0)
        release_member(session, member)
        notify(session, ticket.resident_id, NotificationKind.ticket_handed_back, now, ticket_id=ticket.id,
               payload={**ticket_payload(session, ticket), "reason": "原办理人不再服务，协调员正在为您重新安排"})
        to_dispatch(session, ticket, now, "member_removed", settings=settings)
    notify(session, member.telegram_id, NotificationKind.member_removed, now,
           payload={"member_name": member.display_name})
    return member


# Coordinators' 派单 ------------------------------------------------------------------------------

def _waiting(session: Session, coordinator_id: int, scope: str | None) -> Any:
    """Tickets waiting for 派单 (dispatch, escalated, reopened, or assigned and not yet answered, or urgent and not yet
    accepted: the coordinators assign an urgent one by hand, while its offers wait) in the coordinator's scope."""
    scopes = require_coordinator(session, coordinator_id, scope)
    codes = [scope] if scope else scopes
    assigned = Ticket.id.in_(select(Offer.ticket_id).where(Offer.kind == OfferKind.dispatch,
                                                           Offer.state == OfferState.pending))
    return select(Ticket).where(
        or_(Ticket.status.in_(list(WAITING_FOR_COORDINATOR)), and_(Ticket.status == S.offered,
                                                                   or_(assigned, Ticket.urgent))),
        Ticket.grid_code.in_(codes) | Ticket.community_code.in_(codes) | Ticket.street_code.in_(codes))


def list_waiting(session: Session, coordinator_id: int, *, scope: str | None = None,
                 limit: int = 50) -> list[Ticket]:
    """The first `limit` tickets waiting for 派单 in the coordinator's scope (see _waiting): urgent first, then
    those nobody has been asked to take before those assigned and not yet answered, each by the limit still running
    that falls due first (one past its limit before fifty still in time), then oldest first."""
    query = _waiting(session, coordinator_id, scope)
    assigned = Ticket.id.in_(select(Offer.ticket_id).where(Offer.kind == OfferKind.dispatch,
                                                           Offer.state == OfferState.pending))
    # (the limit still running: to respond, or once answered — handed back, reopened — to resolve)
    due = case((Ticket.accepted_at.is_(None), Ticket.respond_due_at), else_=Ticket.resolve_due_at)
    order = (Ticket.urgent.desc(), assigned, due, Ticket.created_at, Ticket.id)
    return list(session.exec(query.order_by(*order).limit(limit)))


def count_waiting(session: Session, coordinator_id: int, *, scope: str | None = None) -> int:
    """How many tickets wait for 派单 in the coordinator's scope (see _waiting)."""
    return session.exec(select(func.count()).select_from(_waiting(session, coordinator_id, scope).subquery())).one()


def holder_of(session: Session, ticket: Ticket) -> int:
    """The member who holds the ticket or was assigned it and has not answered (their id), 0 for nobody."""
    if ticket.assignee_id:
        return ticket.assignee_id
    offer = session.exec(select(Offer).where(Offer.ticket_id == ticket.id, Offer.kind == OfferKind.dispatch,
                                             Offer.state == OfferState.pending)).first()
    return offer.member_id if offer else 0


def pending_assignee(session: Session, ticket_id: int) -> str | None:
    """The member a coordinator assigned the ticket to who has not answered yet, if any."""
    offer = session.exec(select(Offer).where(Offer.ticket_id == ticket_id, Offer.kind == OfferKind.dispatch,
                                             Offer.state == OfferState.pending)).first()
    member = session.get(Member, offer.member_id) if offer else None
    return member.display_name if member else None


def dispatch_candidates(session: Session, ticket_id: int, coordinator_id: int, now: datetime, *,
                        limit: int = 8, settings: Settings | None = None) -> list[Ranked]:
    """Members a coordinator can assign, best first: anyone in their scope, those who can take it now (on duty,
    under capacity) before those who cannot."""
    taxonomy = get_taxonomy(settings)
    ticket = get_ticket(session, ticket_id)
    scopes = require_coordinator(session, coordinator_id, ticket.grid_code)
    found: dict[int, Ranked] = {}
    for available_only in (True, False):
        for ranked in find_candidates(session, ticket_id=None, skills=item_skills(ticket, taxonomy),
                                      grid=ticket.grid_code, community=ticket.community_code,
                                      street=ticket.street_code, now=now, limit=limit,
                                      exclude_telegram_id=ticket.resident_id, require_skill=False,
                                      available_only=available_only, scope_codes=scopes):
            found.setdefault(ranked.member_id, ranked)
    # Who said 不方便 to this ticket, or handed it back, comes after the others (waves never ask them again).
    answered = turned_down_by(session, ticket)
    return sorted(found.values(), key=lambda ranked: ranked.member_id in answered)[:limit]


def skills_for(session: Session, ticket: Ticket, member_ids: list[int], *, settings: Settings | None = None
               ) -> dict[int, list[str]] | None:
    """Which of the skills the ticket's item asks for each member covers (empty: none of them), for 指派's list; None
    when the item asks for none (其他)."""
    needed = item_skills(ticket, get_taxonomy(settings))
    if not needed:
        return None
    covered: dict[int, list[str]] = {member_id: [] for member_id in member_ids}
    for member_id, skill in session.exec(select(MemberSkill.member_id, MemberSkill.skill).where(
            MemberSkill.member_id.in_(member_ids), MemberSkill.skill.in_(needed))):
        covered[member_id].append(skill)
    return {member_id: sorted(skills, key=needed.index) for member_id, skills in covered.items()}


def turned_down_by(session: Session, ticket: Ticket) -> dict[int, str]:
    """The members (ids) who had the ticket offered or in hand and no longer do, and how: "declined" (不方便),
    "rated_low" (their work rated 1–2 stars), "handed_back" (退回, or removed while holding it)."""
    had: dict[int, str] = {member_id: "declined" for member_id in session.exec(select(Offer.member_id).where(
        Offer.ticket_id == ticket.id, Offer.state == OfferState.declined))}
    # (taken from him by a 改派 is no mark of his: the coordinator chose)
    for event in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                        TicketEvent.kind == "handed_back")):
        if (event.data or {}).get("member_id"):
            had[event.data["member_id"]] = "handed_back"
    for member_id in session.exec(select(Rating.member_id).where(Rating.ticket_id == ticket.id, Rating.stars <= 2)):
        if member_id is not None:
            had[member_id] = "rated_low"
    had.pop(ticket.assignee_id or 0, None)
    return had


def awaiting_assignments(session: Session, member_id: int, *, besides: int | None = None) -> int:
    """How many assignments a member has not answered yet (besides ticket `besides`)."""
    query = select(func.count()).select_from(Offer).where(
        Offer.member_id == member_id, Offer.kind == OfferKind.dispatch, Offer.state == OfferState.pending)
    if besides is not None:
        query = query.where(Offer.ticket_id != besides)
    return session.exec(query).one()


def assign_ticket(session: Session, ticket_id: int, coordinator_id: int, member_id: int,
                  now: datetime, *, settings: Settings | None = None, seen_holder: int | None = None) -> Offer:
    """指派: a coordinator asks one member (in scope, on duty or not) to take the ticket; their
    accept is their consent. Also reassigns a ticket that a member already holds. The same member asked again
    (a double tap) changes nothing; `seen_holder`: who held it (`holder_of`) when the coordinator's member list was
    opened — if that changed since (another coordinator assigned it, a member took it), nothing is taken from anyone
    (an address or a photo added meanwhile changes no holder)."""
    taxonomy = get_taxonomy(settings)
    ticket = get_ticket(session, ticket_id)
    scopes = require_coordinator(session, coordinator_id, ticket.grid_code)
    asked = _offer_for(session, ticket.id, member_id)
    if asked is not None and asked.kind == OfferKind.dispatch and asked.state == OfferState.pending:
        return asked  # (a double tap)
    if seen_holder is not None and holder_of(session, ticket) != seen_holder:
        holder = session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
        who = holder.display_name if holder else pending_assignee(session, ticket.id)
        raise ConcurrentUpdate(f"工单 #{ticket.number} 刚有变化" + (f"，现由 {who} 负责" if who else "")
                               + "。需要改派的话，请重新点「指派」")
    member = _locked(session, Member, member_id, share=True)  # (a removal at the same moment waits, or came first)
    if member is None:
        raise NotFound(f"成员 {member_id} 不存在")
    if not covers(session, scopes, member.grid_code):
        raise NotAllowed(f"成员 {member.display_name} 不在您的管辖范围内")
    if member.left_at is not None:
        raise NotAllowed(f"{member.display_name} 已被移出，请指派其他成员")
    person = session.get(Person, member.telegram_id)
    if person is not None and person.unreachable_at is not None:
        raise NotAllowed(f"{member.display_name} 联系不上（已屏蔽机器人），请指派其他成员")
    if member.telegram_id == ticket.resident_id:
        raise InvalidInput("不能把工单指派给提交它的居民本人")
    if ticket.assignee_id == member.id:
        raise InvalidInput(f"工单 #{ticket.number} 已由 {member.display_name} 办理")
    # (they could not accept it: see accept_offer; the assignments they have not answered count too)
    waiting = awaiting_assignments(session, member.id, besides=ticket.id)
    if member.active_count + waiting >= member.capacity:
        also = f"、{waiting} 张指派待确认" if waiting else ""
        raise NotAllowed(f"{member.display_name} 手上已有 {member.active_count} 张工单{also}（上限 {member.capacity}），"
                         "请指派其他成员")
    previous = session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
    overridden = [a for a in assigners(session, ticket) if a != coordinator_id]  # (another level's 指派 replaced)
    # (the other coordinators whose 📮 card of it still says 待派单 — another level's, after 上报 —: told, or two 派单)
    carded = [c for c in dispatch_carded(session, ticket) if c != coordinator_id and c not in overridden] \
        if ticket.status in WAITING_FOR_COORDINATOR else []
    withdraw_offers(session, ticket, now, "reassigned")
    kind = "reassigned" if previous else "assigned"
    transition(session, ticket, S.offered, now, kind=kind, actor_id=coordinator_id,
               actor_role="coordinator",
               data={"member_id": member.id, "previous_member_id": previous and previous.id},
               assignee_id=None, offered_at=ticket.offered_at or now,
               next_wave_at=now + ASSIGNMENT_WAVES * wave_timeout(ticket, settings or get_settings(), taxonomy))
    if previous is not None:
        release_member(session, previous)
        take_back_task_card(session, ticket, previous, now, "reassigned")
        notify(session, previous.telegram_id, NotificationKind.ticket_reassigned, now,
               ticket_id=ticket.id, payload=ticket_payload(session, ticket, taxonomy=taxonomy))
        # (the resident was told this member took it: now someone else will)
        notify(session, ticket.resident_id, NotificationKind.ticket_handed_back, now, ticket_id=ticket.id,
               payload=ticket_payload(session, ticket, taxonomy=taxonomy))
    ranked = Ranked(member.id, member.telegram_id, member.display_name, 0.0, 0.0)
    make_offers(session, ticket, [ranked], now, OfferKind.dispatch,
                 dispatched_by=coordinator_id, taxonomy=taxonomy)
    by = session.get(Person, coordinator_id)
    by_name = by.name if by is not None and by.name else "其他协调员"
    if overridden:  # (the coordinator whose 指派 this replaces would chase a member who no longer has it)
        notify_many(session, overridden, NotificationKind.assignment_answered, now, ticket_id=ticket.id,
                    payload={**ticket_payload(session, ticket, private=True), "member_name": member.display_name,
                             "reassigned_by": by_name})
    notify_many(session, carded, NotificationKind.assignment_answered, now, ticket_id=ticket.id,
                payload={**ticket_payload(session, ticket, private=True), "member_name": member.display_name,
                         "assigned_by": by_name})
    return _offer_for(session, ticket.id, member.id)


def escalate_ticket(session: Session, ticket_id: int, now: datetime, *, reason: str,
                    actor_id: int | None = None, to_level: int | None = None) -> Ticket:
    """Hand the ticket one level up (grid → community → street), or to `to_level`; a waiting ticket becomes
    `escalated`, one in hand keeps its status. Coordinators of the new level are told, with why it waits."""
    ticket = get_ticket(session, ticket_id)
    level = min(ticket.escalation_level + 1 if to_level is None else to_level, MAX_ESCALATION)
    data = {"reason": reason, "level": level}
    role = "coordinator" if actor_id else "system"
    if ticket.status in (S.offered, *WAITING_FOR_COORDINATOR):
        transition(session, ticket, S.escalated, now, kind="escalated", actor_id=actor_id,
                   actor_role=role, data=data, escalation_level=level)
    elif ticket.status in WITH_ASSIGNEE or ticket.status == S.resolved:
        update_ticket(session, ticket, now, kind="escalated", actor_id=actor_id, actor_role=role,
                      data=data, escalation_level=level)
    else:
        raise IllegalTransition(f"工单 #{ticket.number} 已结束，不能升级", current=ticket.status,
                                target=S.escalated)
    payload = {**ticket_payload(session, ticket, private=True), "reason": reason, "escalation_level": level,
               **why_waiting(session, ticket)}
    notify_rows(session, [notification_row(c, NotificationKind.dispatch_needed, now, ticket.id,
                                           {**payload, "can_raise": can_raise(session, ticket, c)})
                          for c in coordinators_for(session, ticket.grid_code, level=level)])
    return ticket


def raise_ticket(session: Session, ticket_id: int, coordinator_id: int, now: datetime) -> Ticket:
    """上报: a coordinator hands a ticket waiting for 派单 to the level above his own (a grid's to the community, a
    community's to the street), whose coordinators are told who handed it up. He may still 指派 it. NotAllowed from
    the top level, for a ticket in a member's hands or done, or one that is there already."""
    ticket = get_ticket(session, ticket_id)
    require_coordinator(session, coordinator_id, ticket.grid_code)
    own = _own_level(session, ticket, coordinator_id)
    if own >= MAX_ESCALATION:
        raise NotAllowed("您已是最高一级，请直接指派或关闭")
    if ticket.status not in (S.offered, *WAITING_FOR_COORDINATOR):
        raise NotAllowed(f"工单 #{ticket.number} {STATUS_NAMES[S(ticket.status)]}，不需要上报")
    if ticket.escalation_level > own:
        raise NotAllowed(f"工单 #{ticket.number} 已在上一级，不用再上报")
    carded = dispatch_carded(session, ticket)  # (read before the level above gets its card)
    ticket = escalate_ticket(session, ticket_id, now, reason="raised", actor_id=coordinator_id, to_level=own + 1)
    # (a community's coordinator handing up a grid's ticket: the grid's, who had its card, hear where it went)
    above = set(coordinators_for(session, ticket.grid_code, level=ticket.escalation_level))
    notify_many(session, [c for c in carded if c != coordinator_id and c not in above], NotificationKind.ticket_raised,
                now, ticket_id=ticket.id, payload={**ticket_payload(session, ticket), **_raised(session, ticket)})
    return ticket


def dispatch_carded(session: Session, ticket: Ticket) -> list[int]:
    """The coordinators a 📮 card of the ticket (待派单) reached, whichever level they are at."""
    return list(session.exec(select(Notification.recipient_id).where(
        Notification.ticket_id == ticket.id, Notification.kind == NotificationKind.dispatch_needed)
        .distinct().order_by(Notification.recipient_id)))


def can_raise(session: Session, ticket: Ticket, coordinator_id: int) -> bool:
    """Whether 上报 is the coordinator's to press on the ticket: waiting for 派单 at his level or below, and a level
    above him."""
    return (ticket.status in (S.offered, *WAITING_FOR_COORDINATOR)
            and ticket.escalation_level <= _own_level(session, ticket, coordinator_id) < MAX_ESCALATION)


def _own_level(session: Session, ticket: Ticket, coordinator_id: int) -> int:
    """The lowest level (0 grid, 1 community, 2 street) at which the coordinator covers the ticket's grid; past the top
    for one who does not."""
    path = ancestry(get_node(session, ticket.grid_code))  # grid, community, street
    return min((path.index(code) for code in coordinator_scopes(session, coordinator_id) if code in path),
               default=MAX_ESCALATION + 1)


def release_member(session: Session, member: Member) -> None:
    """The member no longer holds one ticket."""
    loaded = session.exec(
        update(Member).where(Member.id == member.id, Member.active_count > 0)
        .values(active_count=Member.active_count - 1)
        .returning(Member.active_count).execution_options(synchronize_session=False)).first()
    if loaded is not None:
        sync(member, active_count=loaded[0])
