"""A ticket's whole life on both backends: submit → offered → accepted → in progress → resolved →
closed, and the side paths (decline, waves, dispatch, hand back, cancel, reopen); what a ticket cancelled or done
still takes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.errors import DomainError, InvalidInput, NotAllowed
from routing.models import (
    Notification,
    NotificationKind,
    Offer,
    OfferState,
    PointEntry,
    Ticket,
    TicketEvent,
)
from routing.models import TicketStatus as S
from tests.conftest import (
    C1,
    COORD,
    G11,
    G12,
    G21,
    GRID_COORD,
    OTHER_RESIDENT,
    RESIDENT,
    T0,
    World,
    minutes,
)
from tests.routing.helpers import resolved_plumbing, urgent_gas_leak

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def submit(world: World, label: str | None = "repair.plumbing", *, now=T0, urgent=False,
           grid=G11, resident=RESIDENT) -> int:
    with db.transaction(world.engine) as s:
        t = tickets.submit_ticket(s, resident, "厨房水管漏水了", now, label=label, grid_code=grid,
                                  address="幸福里3号楼2单元501", phone="13800000000",
                                  urgent=urgent, confidence=0.9, settings=world.settings)
        return t.id


def load(world: World, ticket_id: int) -> Ticket:
    with db.transaction(world.engine) as s:
        return s.get(Ticket, ticket_id)


def notes(world: World, ticket_id: int, kind: str | None = None) -> list[Notification]:
    with db.transaction(world.engine) as s:
        q = select(Notification).where(Notification.ticket_id == ticket_id)
        if kind:
            q = q.where(Notification.kind == kind)
        return list(s.exec(q.order_by(Notification.id)))


def offers(world: World, ticket_id: int) -> list[Offer]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Offer).where(Offer.ticket_id == ticket_id).order_by(Offer.id)))


def events(world: World, ticket_id: int) -> list[str]:
    with db.transaction(world.engine) as s:
        return [e.kind for e in tickets.ticket_events(s, ticket_id)]


def test_happy_path(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"], G11)
    world.member("李老师", ["教师"], G11)
    tid = submit(world)
    t = load(world, tid)
    assert t.status == S.offered and t.wave == 1 and len(t.number) == 5
    assert t.respond_due_at == T0 + minutes(60) and t.resolve_due_at == T0 + minutes(24 * 60)
    [offer] = offers(world, tid)  # only the plumber has the skill
    assert offer.member_id == world.member_id(plumber)
    [offer_note] = notes(world, tid, NotificationKind.offer)
    assert offer_note.recipient_id == plumber
    assert "phone" not in offer_note.payload and "address" not in offer_note.payload
    assert offer_note.payload["grid_name"] == "幸福里第一网格"

    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(3))
    with db.transaction(world.engine) as s:
        tickets.start_ticket(s, tid, plumber, T0 + minutes(30))
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(90), note="换了阀门")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 5, T0 + minutes(120), comment="很好")

    t = load(world, tid)
    assert t.status == S.closed and t.rating == 5 and t.accepted_at == T0 + minutes(3)
    assert events(world, tid) == ["submitted", "wave", "accepted", "started", "resolved",
                                  "rated", "closed"]
    [details] = notes(world, tid, NotificationKind.offer_accepted)
    assert details.recipient_id == plumber and details.payload["phone"] == "13800000000"
    kinds_to_resident = [n.kind for n in notes(world, tid) if n.recipient_id == RESIDENT]
    assert kinds_to_resident == ["ticket_created", "ticket_accepted", "ticket_started",
                                 "ticket_resolved", "rate_request", "ticket_closed"]
    m = world.get_member(plumber)
    assert m.active_count == 0 and m.points == 15 + 5 + 5  # fast + on time + 5 stars
    assert m.rating_count == 1


def test_event_log_records_transitions(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        log = tickets.ticket_events(s, tid)
    assert [(e.from_status, e.to_status) for e in log] == [
        (None, "submitted"), ("submitted", "offered"), ("offered", "accepted")]
    assert log[2].actor_id == plumber and log[2].actor_role == "member"
    assert all(e.at.tzinfo is not None for e in log)


def test_ranking_prefers_same_grid_then_community(world: World) -> None:
    far = world.member("远", ["水暖"], G21)
    near = world.member("近", ["水暖"], G11)
    mid = world.member("中", ["水暖"], G12)
    tid = submit(world)
    got = [o.member_id for o in offers(world, tid)]
    assert got == [world.member_id(near), world.member_id(mid), world.member_id(far)]


def test_waves_then_dispatch(world: World, settings) -> None:
    ids = [world.member(f"m{i}", ["水暖"], G11) for i in range(7)]
    tid = submit(world)
    assert len(offers(world, tid)) == 3
    # Nothing happens before the timeout.
    with db.transaction(world.engine) as s:
        assert dispatch.advance_waves(s, T0 + minutes(9), settings=settings) == 0
    with db.transaction(world.engine) as s:
        assert dispatch.advance_waves(s, T0 + minutes(10), settings=settings) == 1
    assert load(world, tid).wave == 2 and len(offers(world, tid)) == 6
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(20), settings=settings)
    assert load(world, tid).wave == 3 and len(offers(world, tid)) == 7
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(30), settings=settings)
    t = load(world, tid)
    assert t.status == S.dispatch and t.next_wave_at is None
    assert {o.state for o in offers(world, tid)} == {OfferState.withdrawn}
    # Coordinators of the grid (nearest level with anyone) are asked to dispatch.
    [need] = notes(world, tid, NotificationKind.dispatch_needed)
    assert need.recipient_id == GRID_COORD and need.payload["reason"] == "no_acceptance"
    # Every withdrawn offer still pending in the outbox was cancelled instead of edited.
    assert not notes(world, tid, NotificationKind.offer_withdrawn)
    assert len(ids) == 7


def test_decline_sends_next_wave_at_once(world: World) -> None:
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"], G12)
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    tid = submit(world)
    assert [o.member_id for o in offers(world, tid)] == [world.member_id(a)]
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, tid, a, T0 + minutes(2), reason="在外地",
                               settings=world.settings)
    got = offers(world, tid)
    assert [(o.member_id, o.state) for o in got] == [
        (world.member_id(a), OfferState.declined), (world.member_id(b), OfferState.pending)]
    assert load(world, tid).wave == 2


def test_no_item_goes_to_dispatch(world: World) -> None:
    world.member("王师傅", ["水暖"])
    tid = submit(world, label=None)
    t = load(world, tid)
    assert t.status == S.dispatch and t.label is None and t.time_class == "normal"
    assert not offers(world, tid)
    assert notes(world, tid, NotificationKind.dispatch_needed)[0].payload["reason"] == "no_item"


def test_no_candidates_goes_to_dispatch(world: World) -> None:
    world.member("李老师", ["教师"])
    tid = submit(world)
    assert load(world, tid).status == S.dispatch
    assert events(world, tid) == ["submitted", "to_dispatch"]


def test_urgent_alerts_coordinators_and_offers(world: World) -> None:
    fireman = world.member("消防员老张", ["消防员"])
    tid = submit(world, label="safety.gas_leak", urgent=True)
    t = load(world, tid)
    assert t.time_class == "urgent" and t.respond_due_at == T0 + minutes(15)
    alerts = notes(world, tid, NotificationKind.urgent_alert)
    assert {n.recipient_id for n in alerts} == {GRID_COORD, COORD}
    assert alerts[0].payload["phone"] == "13800000000"  # coordinators see contact details
    assert [o.member_id for o in offers(world, tid)] == [world.member_id(fireman)]
    # Urgent waves are shorter: 15 min / (3 waves + 1).
    assert t.next_wave_at == T0 + minutes(15) / 4


def test_hand_back_reroutes_without_that_member(world: World) -> None:
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"], G12)
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, a, "缺少配件", T0 + minutes(5), settings=world.settings)
    t = load(world, tid)
    assert t.status == S.offered and t.assignee_id is None and t.wave == 1
    assert [o.member_id for o in offers(world, tid) if o.state == OfferState.pending] == [
        world.member_id(b)]
    assert world.get_member(a).active_count == 0
    assert events(world, tid)[-2:] == ["handed_back", "rerouted"]
    assert notes(world, tid, NotificationKind.ticket_handed_back)[0].payload["reason"] == "缺少配件"


def test_each_offer_points_at_its_own_notification(world: World) -> None:
    # On PostgreSQL the offers and their notifications are written by one statement that
    # pairs them by recipient; the urgent alerts to coordinators travel in the same INSERT.
    members = {world.member_id(m): m for m in (world.member(n, ["水暖"]) for n in "abc")}
    tid = submit(world, urgent=True)
    by_id = {n.id: n for n in notes(world, tid)}
    wave = offers(world, tid)
    assert sorted(o.member_id for o in wave) == sorted(members)
    for offer in wave:
        note = by_id[offer.notification_id]
        assert (note.recipient_id, note.kind) == (members[offer.member_id], NotificationKind.offer)
        assert offer.state == OfferState.pending and offer.wave == 1 and offer.score > 0
    assert {n.recipient_id for n in by_id.values() if n.kind == NotificationKind.urgent_alert
            } == {COORD, GRID_COORD}
    assert [n.recipient_id for n in by_id.values() if n.kind == NotificationKind.ticket_created
            ] == [RESIDENT]


def test_accept_withdraws_other_offers_with_edit_requests(world: World) -> None:
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"])
    tid = submit(world)
    # The worker already sent both offers (claimed and delivered).
    from routing import outbox

    with db.transaction(world.engine) as s:
        for n in outbox.claim_notifications(s, "w1", T0, settings=world.settings):
            outbox.mark_delivered(s, n.id, T0, message_id=100 + n.id)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    [withdrawn] = notes(world, tid, NotificationKind.offer_withdrawn)
    assert withdrawn.recipient_id == b and withdrawn.payload["reason"] == "taken"
    b_offer = next(o for o in offers(world, tid) if o.member_id == world.member_id(b))
    assert withdrawn.refers_to_id == b_offer.notification_id and b_offer.state == "withdrawn"
    with db.transaction(world.engine) as s:
        out = [n for n in outbox.claim_notifications(s, "w1", T0 + minutes(1),
                                                     settings=world.settings)
               if n.kind == NotificationKind.offer_withdrawn]
    assert out[0].edit_message_id == 100 + b_offer.notification_id


def test_coordinator_dispatch_and_reassign(world: World) -> None:
    off_duty = world.member("休息中", ["教师"], G11)
    other = world.member("另一位", ["教师"], G12)
    with db.transaction(world.engine) as s:
        from routing import members

        members.set_duty(s, off_duty, False)
    tid = submit(world)  # nobody with 水暖 → dispatch
    with db.transaction(world.engine) as s:
        waiting = dispatch.list_waiting(s, GRID_COORD)
        cands = dispatch.dispatch_candidates(s, tid, GRID_COORD, T0)
    assert [t.id for t in waiting] == [tid]
    # The grid coordinator sees members of their grid only, off duty included.
    assert [c.telegram_id for c in cands] == [off_duty]
    with db.transaction(world.engine) as s:
        offer = dispatch.assign_ticket(s, tid, GRID_COORD, world.member_id(off_duty),
                                       T0 + minutes(5))
        assert offer.kind == "dispatch"
    assert notes(world, tid, NotificationKind.assigned)[0].recipient_id == off_duty
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, off_duty, T0 + minutes(6))
    t = load(world, tid)
    assert t.status == S.accepted and t.assignee_id == world.member_id(off_duty)
    # The street coordinator reassigns it to a member of another grid.
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, COORD, world.member_id(other), T0 + minutes(10))
    t = load(world, tid)
    assert t.status == S.offered and t.assignee_id is None
    assert world.get_member(off_duty).active_count == 0
    assert notes(world, tid, NotificationKind.ticket_reassigned)[0].recipient_id == off_duty
    # Declining a coordinator's assignment sends it back to dispatch.
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, tid, other, T0 + minutes(11))
    assert load(world, tid).status == S.dispatch


def test_cancel_by_resident_and_by_coordinator(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, tid, RESIDENT, T0 + minutes(2), reason="已自己修好")
    t = load(world, tid)
    assert t.status == S.cancelled and t.cancel_reason == "已自己修好"
    assert world.get_member(plumber).active_count == 0
    assert notes(world, tid, NotificationKind.ticket_cancelled)[0].recipient_id == plumber

    tid2 = submit(world)
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, tid2, GRID_COORD, T0 + minutes(3), reason="重复提交")
    assert load(world, tid2).status == S.cancelled
    assert RESIDENT in [n.recipient_id for n in notes(world, tid2, NotificationKind.ticket_cancelled)]


def test_low_rating_reopens_and_takes_points_back(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(60))
    assert world.get_member(plumber).points == 20
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 2, T0 + minutes(70), comment="还在漏")
    t = load(world, tid)
    assert t.status == S.reopened and t.reopen_count == 1 and t.rating == 2
    assert world.get_member(plumber).points == 0
    [low] = notes(world, tid, NotificationKind.low_rating)
    assert low.recipient_id == GRID_COORD and low.payload["comment"] == "还在漏"
    with db.transaction(world.engine) as s:
        assert [x.id for x in dispatch.list_waiting(s, GRID_COORD)] == [tid]
        ledger = [(p.reason, p.points) for p in s.exec(select(PointEntry).order_by(PointEntry.id))]
    assert ledger == [("resolved", 15), ("on_time", 5), ("reopened", -20)]
    # The coordinator gives it back to the same member, who fixes it properly this time.
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, GRID_COORD, world.member_id(plumber), T0 + minutes(80))
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(81))
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(120))
        tickets.rate_ticket(s, tid, RESIDENT, 4, T0 + minutes(130))
    t = load(world, tid)
    assert t.status == S.closed and t.rating == 4
    assert world.get_member(plumber).points == 15 + 5 + 3


def test_comment_after_rating(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(60))
        tickets.rate_ticket(s, tid, RESIDENT, 1, T0 + minutes(70))
    with db.transaction(world.engine) as s:
        rating = tickets.comment_rating(s, tid, RESIDENT, "  根本没修好  ", T0 + minutes(71))
        assert rating.comment == "根本没修好" and rating.stars == 1
    lows = notes(world, tid, NotificationKind.low_rating)  # (the reason: a note to the alert, not a second one)
    assert [n.payload.get("comment") for n in lows] == [""]
    [reason] = notes(world, tid, NotificationKind.low_rating_comment)
    assert reason.payload["comment"] == "根本没修好" and reason.payload["waiting"]
    rated = notes(world, tid, NotificationKind.rated)
    assert rated[-1].recipient_id == plumber and rated[-1].payload["comment"] == "根本没修好"
    assert events(world, tid)[-1] == "rating_comment"
    import pytest

    from routing.errors import NotAllowed

    with pytest.raises(NotAllowed), db.transaction(world.engine) as s:
        tickets.comment_rating(s, tid, OTHER_RESIDENT, "好", T0 + minutes(72))


def test_unrated_ticket_closed_by_system(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(60))
    with db.transaction(world.engine) as s:
        tickets.close_ticket(s, tid, T0 + minutes(60 * 72))
    assert load(world, tid).status == S.closed


def test_escalation_moves_waiting_ticket_up(world: World) -> None:
    tid = submit(world, label=None)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, tid, T0 + minutes(300), reason="respond_overdue")
    t = load(world, tid)
    assert t.status == S.escalated and t.escalation_level == 1
    # Community level has no coordinator: the street coordinator is told.
    assert notes(world, tid, NotificationKind.dispatch_needed)[-1].recipient_id == COORD
    with db.transaction(world.engine) as s:
        assert [x.id for x in dispatch.list_waiting(s, COORD, scope=C1)] == [tid]


def test_queries(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        number = s.get(Ticket, tid).number
        assert tickets.get_ticket_by_number(s, f"#{number.lower()}").id == tid
        assert [t.id for t in tickets.list_member_offers(s, plumber)] == [tid]
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
        assert [t.id for t in tickets.list_member_tasks(s, plumber)] == [tid]
        assert [t.id for t in tickets.list_resident_tickets(s, RESIDENT)] == [tid]
        assert tickets.ticket_view(s, tid, plumber)["phone"] == "13800000000"
        assert "phone" not in tickets.ticket_view(s, tid, OTHER_RESIDENT)
        assert tickets.ticket_view(s, tid, GRID_COORD)["address"].startswith("幸福里")


def test_events_are_append_only(world: World) -> None:
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    tid = submit(world, label=None)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction(world.engine) as s:
        s.exec(update(TicketEvent).where(TicketEvent.ticket_id == tid).values(kind="x"))


def test_rating_reminder_once_a_day_after_resolution(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    rated_tid = submit(world, resident=OTHER_RESIDENT)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(60))
        dispatch.accept_offer(s, rated_tid, plumber, T0 + minutes(2))
        tickets.resolve_ticket(s, rated_tid, plumber, T0 + minutes(60))
        tickets.rate_ticket(s, rated_tid, OTHER_RESIDENT, 5, T0 + minutes(61))
    day = minutes(24 * 60)
    with db.transaction(world.engine) as s:
        assert tickets.remind_unrated(s, T0 + minutes(60) + day - minutes(1), settings=world.settings) == 0
    for later in (day, day + minutes(5), day * 3):
        with db.transaction(world.engine) as s:
            tickets.remind_unrated(s, T0 + minutes(60) + later, settings=world.settings)
    reminders = notes(world, tid, NotificationKind.rate_reminder)
    assert [n.recipient_id for n in reminders] == [RESIDENT]
    assert not notes(world, rated_tid, NotificationKind.rate_reminder)
    assert events(world, tid).count("rate_reminded") == 1


def test_a_ticket_handed_back_is_offered_again_to_those_who_only_lost_the_race(world: World) -> None:
    """Two plumbers are offered the ticket; 王 accepts first (李's offer withdrawn: taken, not declined), then hands
    it back: it is offered to 李 again, not sent straight to the coordinators."""
    wang = world.member("王师傅", ["水暖"], G11)
    li = world.member("李师傅", ["水暖"], G11)
    tid = submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(1), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, wang, "缺少配件", T0 + minutes(5), settings=world.settings)
    li_id = world.member_id(li)
    with db.transaction(world.engine) as s:
        pending = [o.member_id for o in dispatch.pending_offers(s, tid)]
        assert (s.get(Ticket, tid).status, pending) == (S.offered, [li_id])


def test_an_urgent_tickets_resident_adds_where_and_a_phone_and_the_coordinators_hear(world: World) -> None:
    """An urgent ticket opened before its address: the resident (only they) adds it, a phone and words; the
    coordinators it alerted are told (contact_added)."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房一股煤气味", T0, label="safety.gas_leak", grid_code=G11,
                                    urgent=True, settings=world.settings).id
    with pytest.raises(NotAllowed), db.transaction(world.engine) as s:
        tickets.add_contact(s, tid, OTHER_RESIDENT, T0 + minutes(1), address="别人家")
    with db.transaction(world.engine) as s:
        tickets.add_contact(s, tid, RESIDENT, T0 + minutes(1), address="幸福里3号楼", phone="13812345678",
                            supplement="已经打了119")
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert (t.address, t.phone, t.text) == ("幸福里3号楼", "13812345678", "厨房一股煤气味\n（补充）已经打了119")
        told = s.exec(select(Notification.recipient_id).where(Notification.ticket_id == tid,
                                                               Notification.kind == NotificationKind.contact_added))
        assert GRID_COORD in set(told)


# --- a ticket cancelled or done: nothing more added, old buttons answered in plain words ---

def _contact_notes(world: World, tid: int) -> list[int]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == tid, Notification.kind == NotificationKind.contact_added)))


def test_add_contact_is_refused_on_a_cancelled_ticket(world: World) -> None:
    """A cancelled ticket takes no more words, address or phone, and the coordinators are not told of one."""
    tid = urgent_gas_leak(world)
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, tid, RESIDENT, T0 + minutes(1))
    try:
        with db.transaction(world.engine) as s:
            tickets.add_contact(s, tid, RESIDENT, T0 + minutes(2), address="幸福里3号楼502",
                                phone="13812345678")
    except DomainError:
        pass
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert t.status == S.cancelled
        assert (t.address, t.phone) == ("", None), (t.address, t.phone)
    assert _contact_notes(world, tid) == [], "coordinators told of a contact added to a cancelled ticket"


@SQLITE
def test_an_old_start_button_of_a_ticket_done_says_so_in_plain_words(world: World) -> None:
    """A member presses yesterday's 开始办理 on a ticket resolved since: told it is done (it said 「当前状态为「已办结」，
    不能变为「办理中」」, the state machine's words)."""
    member = world.member("王师傅", ["水暖"])
    ticket_id = resolved_plumbing(world, member)
    with db.transaction(world.engine) as s, pytest.raises(NotAllowed) as refused:
        tickets.start_ticket(s, ticket_id, member, T0 + minutes(60))
    assert "已办结" in str(refused.value) and "不能变为" not in str(refused.value)


@SQLITE
def test_a_closed_tickets_refusal_to_add_says_its_status_once(world: World) -> None:
    """Words added to a ticket closed since are refused with its status said once (it said 「已已关闭」)."""
    member = world.member("王师傅", ["水暖"])
    ticket_id = resolved_plumbing(world, member)
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, ticket_id, RESIDENT, 5, T0 + minutes(90))
    with db.transaction(world.engine) as s, pytest.raises(NotAllowed) as refused:
        tickets.add_contact(s, ticket_id, RESIDENT, T0 + minutes(100), supplement="还有一点")
    assert "已关闭" in str(refused.value) and "已已" not in str(refused.value)


def test_a_coordinator_urges_the_member_who_holds_a_ticket_once_in_two_hours(world: World) -> None:
    """📣 催办: the member holding the ticket is told once; a second press within CHASE_INTERVAL tells nobody; one who
    took it less than URGE_GRACE ago (an old card pressed after a 改派) is not urged; nobody holding it, a ticket done,
    or someone who is not its coordinator: no one is urged."""
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world)
    with db.transaction(world.engine) as s:
        assert tickets.urge_ticket(s, tid, GRID_COORD, T0 + minutes(1)) == (None, "nobody")  # (offered: 指派 it)
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(2))
    with db.transaction(world.engine) as s:
        assert tickets.urge_ticket(s, tid, GRID_COORD, T0 + minutes(30)) == ("王师傅", "just_took")
        assert tickets.urge_ticket(s, tid, GRID_COORD, T0 + minutes(63)) == ("王师傅", "urged")
        assert tickets.urge_ticket(s, tid, COORD, T0 + minutes(120)) == ("王师傅", "lately")
        with pytest.raises(NotAllowed):
            tickets.urge_ticket(s, tid, plumber, T0 + minutes(121))
    with db.transaction(world.engine) as s:
        assert tickets.urge_ticket(s, tid, COORD, T0 + minutes(63 + 121)) == ("王师傅", "urged")
    urged = notes(world, tid, NotificationKind.urged)
    assert [n.recipient_id for n in urged] == [plumber, plumber] and urged[0].payload["audience"] == "member"
    assert events(world, tid).count("urged") == 2
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(200), note="修好了")
    with db.transaction(world.engine) as s, pytest.raises(InvalidInput):
        tickets.urge_ticket(s, tid, GRID_COORD, T0 + minutes(201))
