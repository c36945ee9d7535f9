"""Residents' data rights (routing/privacy.py): /mydata's view of everything stored, in as many messages as it takes,
and /forget's erasure (tickets stay, anonymized, the statistics do not move; nothing comes back later; a member's or
coordinator's own role is not forgotten)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import texts
from routing import abuse, db, dispatch, drafts, members, privacy, stats, tickets, views
from routing.errors import DomainError
from routing.models import (
    Draft,
    MessageWindow,
    Notification,
    NotificationKind,
    NotificationStatus,
    Offer,
    Person,
    Rating,
    Ticket,
    TicketEvent,
)
from routing.models import TicketStatus as S
from tests.conftest import G11, GRID_COORD, OTHER_RESIDENT, RESIDENT, STREET, T0, World, minutes
from tests.routing.helpers import urgent_gas_leak

ADDRESS = "和平路12号3号楼502"
PHONE = "13800138000"
WORDS = "厨房水管漏水，地上全是水"
COMMENT = "师傅很耐心，谢谢"
TZ = ZoneInfo("Asia/Shanghai")


def _submit(world: World, resident: int, now, *, text: str = WORDS, phone: str | None = PHONE) -> int:
    with db.transaction(world.engine) as s:
        members.ensure_person(s, resident, now, name="王阿姨")
        members.set_home_grid(s, resident, G11, now)
        return tickets.submit_ticket(s, resident, text, now, label="repair.plumbing", grid_code=G11,
                                     address=ADDRESS, phone=phone, attachments=["photo-1"],
                                     normalized_text=text, resident_name="王阿姨",
                                     settings=world.settings).id


def _done(world: World, resident: int, member: int, now, stars: int) -> int:
    tid = _submit(world, resident, now)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, now + minutes(2))
        tickets.resolve_ticket(s, tid, member, now + minutes(60), note=f"已修好，{ADDRESS}")
        tickets.rate_ticket(s, tid, resident, stars, now + minutes(70), comment=COMMENT)
    return tid


def _stats(world: World):
    with db.transaction(world.engine) as s:
        return stats.compute_stats(s, STREET, T0 - timedelta(days=1), T0 + timedelta(days=10),
                                   T0 + timedelta(days=10))


def _forget(world: World, resident: int = RESIDENT, now=None) -> int:
    with db.transaction(world.engine) as s:
        return privacy.forget_resident(s, resident, now or T0 + timedelta(days=5))


def _resident_ticket(world: World, now, *, urgent: bool = False, text: str = "厨房水管漏水，地上全是水") -> int:
    with db.transaction(world.engine) as s:
        members.ensure_person(s, RESIDENT, now, name="王阿姨")
        members.set_home_grid(s, RESIDENT, G11, now)
        return tickets.submit_ticket(s, RESIDENT, text, now, label="repair.plumbing", grid_code=G11,
                                     address="和平路12号3号楼502", phone="13800138000", urgent=urgent,
                                     resident_name="王阿姨", settings=world.settings).id


# --- /mydata ---

def test_resident_data_shows_everything_stored(world: World) -> None:
    plumber = world.member("老张", ["水暖"])
    tid = _done(world, RESIDENT, plumber, T0, 5)
    with db.transaction(world.engine) as s:
        drafts.save_draft(s, RESIDENT, "intake", {"text": "还有一件事"}, T0 + minutes(80))
        data = privacy.resident_data(s, RESIDENT)
        number = f"#{s.get(Ticket, tid).number}"
    assert data["known"] and data["name"] == "王阿姨" and data["grid_code"] == G11
    assert data["drafts"] == ["intake"]
    (row,) = data["tickets"]
    assert row["number"] == number and row["status"] == S.closed
    assert (row["text"], row["address"], row["phone"], row["attachment_count"]) == (
        WORDS, ADDRESS, PHONE, 1)
    assert row["ratings"] == [{"stars": 5, "comment": COMMENT}]
    with db.transaction(world.engine) as s:
        assert privacy.resident_data(s, 424242)["known"] is False


def test_my_data_shows_the_newest_tickets_of_a_resident_with_many(world: World) -> None:
    """/mydata must show everything kept; with 25 tickets the newest are cut off by fit()."""
    ids = [_resident_ticket(world, T0 + timedelta(days=i), text=f"第{i}件事：楼道灯坏了，晚上很黑，老人上下楼不方便" * 12)
           for i in range(25)]
    with db.transaction(world.engine) as s:
        data = privacy.resident_data(s, RESIDENT)
        newest = f"#{s.get(Ticket, ids[-1]).number}"
    messages = texts.my_data(data, TZ)
    assert all(texts.utf16_len(m) <= texts.MESSAGE_LIMIT for m in messages)
    assert newest in "\n".join(messages)


# --- /forget ---

def test_forget_keeps_statistics_and_leaves_no_trace(world: World) -> None:
    plumber = world.member("老张", ["水暖"])
    mine = [_done(world, RESIDENT, plumber, T0 + timedelta(hours=i), stars) for i, stars in
            enumerate([5, 4, 3])]  # all closed: nothing to cancel
    theirs = _done(world, OTHER_RESIDENT, plumber, T0, 5)
    with db.transaction(world.engine) as s:
        drafts.save_draft(s, RESIDENT, "intake", {"text": WORDS, "address": ADDRESS}, T0)
        drafts.save_draft(s, RESIDENT, "comment", {"ticket_id": mine[0]}, T0)
        abuse.count_message(s, RESIDENT, T0)
    before = _stats(world)
    assert before.total == 4

    assert _forget(world) == 3

    assert _stats(world) == before
    with db.transaction(world.engine) as s:
        person = s.get(Person, RESIDENT)
        assert (person.name, person.grid_code) == ("", None)
        for tid in mine:
            t = s.get(Ticket, tid)
            assert t.text == privacy.FORGOTTEN_TEXT and t.normalized_text == ""
            assert (t.address, t.phone, t.attachments, t.resolution_note) == ("", None, [], "")
            assert t.label == "repair.plumbing" and t.grid_code == G11 and t.rating is not None
            assert "resident_forgotten" in [e.kind for e in tickets.ticket_events(s, tid)]
        ratings = s.exec(select(Rating).where(Rating.resident_id == RESIDENT)).all()
        assert len(ratings) == 3 and all(r.comment == "" for r in ratings)
        assert s.exec(select(Draft).where(Draft.telegram_id == RESIDENT)).all() == []
        assert s.get(MessageWindow, RESIDENT) is None
        for note in s.exec(select(Notification).where(Notification.ticket_id.in_(mine))):
            dumped = str(note.payload)
            assert WORDS not in dumped and ADDRESS not in dumped and PHONE not in dumped
            assert COMMENT not in dumped
        # /my still lists the numbers.
        assert {t.id for t in tickets.list_resident_tickets(s, RESIDENT)} == set(mine)
        # Another resident is untouched.
        other = s.get(Ticket, theirs)
        assert (other.text, other.address, other.phone) == (WORDS, ADDRESS, PHONE)
        assert s.get(Person, OTHER_RESIDENT).name == "王阿姨"
        assert s.exec(select(Rating).where(Rating.ticket_id == theirs)).one().comment == COMMENT
        # The member's record is the member's: points and ratings stay.
        member = members.get_member(s, plumber)
        assert member.rating_count == 4


def test_forget_is_idempotent(world: World) -> None:
    plumber = world.member("老张", ["水暖"])
    _done(world, RESIDENT, plumber, T0, 5)
    assert _forget(world) == 1
    with db.transaction(world.engine) as s:
        events = s.exec(select(TicketEvent)).all()
    assert _forget(world, now=T0 + timedelta(days=6)) == 0
    with db.transaction(world.engine) as s:
        assert len(s.exec(select(TicketEvent)).all()) == len(events)
    # Someone never seen: nothing to do, no error.
    assert _forget(world, 424242) == 0


def test_forget_cancels_open_tickets_and_tells_the_member(world: World) -> None:
    plumber = world.member("老张", ["水暖"])
    working = _submit(world, RESIDENT, T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, working, plumber, T0 + minutes(2))
    waiting = _submit(world, RESIDENT, T0 + minutes(5))  # offered to the member, not yet answered
    resolved = _submit(world, RESIDENT, T0 + minutes(6))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, resolved, plumber, T0 + minutes(7))
        tickets.resolve_ticket(s, resolved, plumber, T0 + minutes(30))
    now = T0 + minutes(40)
    assert _forget(world, now=now) == 3
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, working).status == S.cancelled
        assert s.get(Ticket, working).cancel_reason == privacy.FORGET_REASON
        assert s.get(Ticket, waiting).status == S.cancelled
        assert s.get(Ticket, resolved).status == S.closed  # resolved: closed, never rated
        assert members.get_member(s, plumber).active_count == 0
        told = s.exec(select(Notification).where(
            Notification.recipient_id == plumber,
            Notification.kind == NotificationKind.ticket_cancelled)).all()
        assert [n.ticket_id for n in told] == [working]
        assert told[0].payload["reason"] == privacy.FORGET_REASON
        assert told[0].payload["text"] == privacy.FORGOTTEN_TEXT
        # Nothing pending for the resident any more (e.g. the 评价 request).
        pending = s.exec(select(Notification).where(
            Notification.recipient_id == RESIDENT,
            Notification.status == NotificationStatus.pending)).all()
        assert pending == []


def test_add_contact_after_forget_brings_no_personal_data_back(world: World) -> None:
    """/forget erases a resident's words, address and phone; an add_contact for that (now cancelled) ticket must not
    write them into it again."""
    tid = urgent_gas_leak(world)
    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, RESIDENT, T0 + minutes(1))
    try:
        with db.transaction(world.engine) as s:
            tickets.add_contact(s, tid, RESIDENT, T0 + minutes(2), address="幸福里3号楼502",
                                phone="13812345678", supplement="我叫张三")
    except DomainError:
        pass
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert (t.text, t.address, t.phone) == (privacy.FORGOTTEN_TEXT, "", None), (t.text, t.address, t.phone)


# --- /forget forgets the resident side only ---

def test_a_member_who_uses_forget_keeps_the_offers_waiting_for_them(world: World) -> None:
    """/forget forgets the *resident* side only (README, FORGET_ROLES: 'your member / coordinator
    role is not affected'); a member's pending offer must still reach them."""
    plumber = world.member("老张", ["水暖"])
    tid = _resident_ticket(world, T0)
    with db.transaction(world.engine) as s:
        offer_note = s.exec(select(Notification).where(
            Notification.recipient_id == plumber, Notification.kind == NotificationKind.offer)).one()
        assert offer_note.status == NotificationStatus.pending
    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, plumber, T0 + minutes(1))  # the member forgets their resident data
    with db.transaction(world.engine) as s:
        offer = s.exec(select(Offer).where(Offer.ticket_id == tid)).one()
        note = s.get(Notification, offer_note.id)
        assert offer.state == "pending"  # the offer still waits for the member's answer ...
        assert note.status == NotificationStatus.pending  # ... and its message still waits to be sent


def test_a_coordinator_who_uses_forget_still_gets_the_urgent_alert(world: World) -> None:
    tid = _resident_ticket(world, T0, urgent=True)
    with db.transaction(world.engine) as s:
        alert = s.exec(select(Notification).where(
            Notification.recipient_id == GRID_COORD, Notification.ticket_id == tid,
            Notification.kind == NotificationKind.urgent_alert)).one()
        assert alert.status == NotificationStatus.pending
    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, GRID_COORD, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        assert s.get(Notification, alert.id).status == NotificationStatus.pending


def test_a_forgotten_ticket_does_not_take_her_name_back_when_she_writes_again(world: World) -> None:
    """/forget clears her name; writing again gives her person row a name again, and the coordinators' cards of her old
    (anonymised) tickets showed it, linked to her chat."""
    tid = _submit(world, RESIDENT, T0)
    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, RESIDENT, T0 + timedelta(minutes=1))
        members.ensure_person(s, RESIDENT, T0 + timedelta(minutes=2), name="王阿姨")
        payload = views.ticket_payload(s, s.get(Ticket, tid), private=True)
    assert payload["resident_name"] == ""
