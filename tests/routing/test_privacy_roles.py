"""Privacy, found by a review (each test failed on the code before): /forget forgets the resident side only (a
member's offers and a coordinator's alerts still reach them), and /mydata shows every ticket, in as many messages
as it takes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import texts
from routing import db, members, privacy, tickets
from routing.models import Notification, NotificationKind, NotificationStatus, Offer, Ticket
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

TZ = ZoneInfo("Asia/Shanghai")


def _submit(world: World, now, *, urgent: bool = False, text: str = "厨房水管漏水，地上全是水") -> int:
    with db.transaction(world.engine) as s:
        members.ensure_person(s, RESIDENT, now, name="王阿姨")
        members.set_home_grid(s, RESIDENT, G11, now)
        return tickets.submit_ticket(s, RESIDENT, text, now, label="repair.plumbing", grid_code=G11,
                                     address="和平路12号3号楼502", phone="13800138000", urgent=urgent,
                                     resident_name="王阿姨", settings=world.settings).id


def test_a_member_who_uses_forget_keeps_the_offers_waiting_for_them(world: World) -> None:
    """/forget forgets the *resident* side only (README, FORGET_ROLES: 'your member / coordinator
    role is not affected'); a member's pending offer must still reach them."""
    plumber = world.member("老张", ["水暖"])
    tid = _submit(world, T0)
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
        assert note.status == NotificationStatus.pending  # ... but its message was cancelled


def test_a_coordinator_who_uses_forget_still_gets_the_urgent_alert(world: World) -> None:
    tid = _submit(world, T0, urgent=True)
    with db.transaction(world.engine) as s:
        alert = s.exec(select(Notification).where(
            Notification.recipient_id == GRID_COORD, Notification.ticket_id == tid,
            Notification.kind == NotificationKind.urgent_alert)).one()
        assert alert.status == NotificationStatus.pending
    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, GRID_COORD, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        assert s.get(Notification, alert.id).status == NotificationStatus.pending


def test_my_data_shows_the_newest_tickets_of_a_resident_with_many(world: World) -> None:
    """/mydata must show everything kept; with 25 tickets the newest are cut off by fit()."""
    ids = [_submit(world, T0 + timedelta(days=i), text=f"第{i}件事：楼道灯坏了，晚上很黑，老人上下楼不方便" * 12)
           for i in range(25)]
    with db.transaction(world.engine) as s:
        data = privacy.resident_data(s, RESIDENT)
        newest = f"#{s.get(Ticket, ids[-1]).number}"
    messages = texts.my_data(data, TZ)
    assert all(texts.utf16_len(m) <= texts.MESSAGE_LIMIT for m in messages)
    assert newest in "\n".join(messages)

