"""Residents' data rights: /mydata's view of everything stored, and /forget's erasure (tickets stay,
anonymized, and the statistics do not move)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from routing import abuse, db, dispatch, drafts, members, privacy, stats, tickets
from routing.models import (
    Draft,
    MessageWindow,
    Notification,
    NotificationKind,
    NotificationStatus,
    Person,
    Rating,
    Ticket,
    TicketEvent,
)
from routing.models import TicketStatus as S
from tests.conftest import G11, OTHER_RESIDENT, RESIDENT, STREET, T0, World, minutes

ADDRESS = "和平路12号3号楼502"
PHONE = "13800138000"
WORDS = "厨房水管漏水，地上全是水"
COMMENT = "师傅很耐心，谢谢"


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
