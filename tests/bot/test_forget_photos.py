"""/forget and the resident's photos left in the outbox.
Found by a review of personal data and abuse limits in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from sqlmodel import select

from routing import db, dispatch, members, privacy, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, RESIDENT, T0, World, minutes

PHOTO = "AgACAgUAAxkBAAIBresidentkitchenphoto"


def test_forget_erases_the_residents_photos_from_the_outbox_too(world: World) -> None:
    """A resident sent a photo of her kitchen (the house number on the door in it) with her need; the
    member who took the ticket got it as a photo message. She then uses /forget, which promises that her
    photos are deleted "in the tickets, ratings and outbox payloads". The ticket's photo list is emptied,
    but the photo message to the member (kind ticket_photo) still holds her photo's Telegram file id in
    its payload (privacy.forget_resident scrubs only the keys text/address/phone/attachments/…; a photo
    message's payload keeps its photo under "file_id"), so anyone reading the outbox can still fetch it."""
    plumber = world.member("老张", ["水暖"])
    with db.transaction(world.engine) as s:
        members.ensure_person(s, RESIDENT, T0, name="王阿姨")
        members.set_home_grid(s, RESIDENT, G11, T0)
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水，地上全是水", T0, label="repair.plumbing",
                                    grid_code=G11, address="和平路12号3号楼502", phone="13800138000",
                                    attachments=[PHOTO], normalized_text="厨房水管漏水，地上全是水",
                                    resident_name="王阿姨", settings=world.settings).id
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(2))
    with db.transaction(world.engine) as s:
        photos = s.exec(select(Notification).where(Notification.kind == NotificationKind.ticket_photo)).all()
        assert photos and all(n.payload.get("file_id") == PHOTO for n in photos)  # (the member's photo message)

    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, RESIDENT, T0 + minutes(30))

    with db.transaction(world.engine) as s:
        assert s.get(tickets.Ticket, tid).attachments == []
        left = [(n.kind, n.payload) for n in s.exec(select(Notification).where(Notification.ticket_id == tid))
                if PHOTO in str(n.payload)]
    assert left == [], f"the resident's photo is still in the outbox after /forget: {left}"
