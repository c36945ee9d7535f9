"""/mydata and /forget: what a person is shown of what is kept about them, and what forgetting takes away (the
member's cards, the outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import texts
from bot.handlers.privacy import FORGET, forget_buttons
from routing import db, dispatch, members, privacy, tickets
from routing.models import Notification, NotificationKind
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import G11, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RESIDENT = 1  # the resident `chat` has placed in a grid
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
PHONE = "13912345678"
PHOTO = "AgACAgUAAxkBAAIBresidentkitchenphoto"


def _ticket(i: int) -> dict:
    return {"number": f"#A{1000 + i}", "created_at": T, "item_name": "水管疏通", "status": "closed",
            "status_name": "已关闭", "text": "<b>漏水</b> & 急" * 40, "address": "3号楼<502>",
            "phone": "13800138000", "attachment_count": 1,
            "ratings": [{"stars": 5, "comment": "<i>谢谢</i>"}]}


# --- /mydata ---
def test_my_data_escapes_and_fits() -> None:
    data = {"known": True, "name": "<script>王</script>", "grid_name": "第一网格", "created_at": T,
            "tickets": [_ticket(i) for i in range(40)], "drafts": ["intake"]}
    messages = texts.my_data(data, TZ)
    assert all(texts.utf16_len(m) <= texts.MESSAGE_LIMIT for m in messages)
    message = "\n".join(messages)
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "<i>" not in message and "3号楼&lt;502&gt;" in message and "#A1000" in message
    assert all(f"#A{1000 + i}" in message for i in range(40))  # (every ticket, none cut off)


@SQLITE
async def test_mydata_shows_the_whole_request_as_stored(chat: BotChat) -> None:
    """A resident exercises her right to see what is kept about her (/mydata; README "Personal data (PIPL)"). Her
    request was long (800 characters, all stored); /mydata shows its first 300 characters and 「…」, though the function
    promises "as many messages as it takes … nothing is left out" and the whole fits one message easily. What the bot
    holds about her, including the part she may want erased, is not shown. (bot/texts.py my_data: 诉求 is
    quote(t['text']) — QUOTE_LIMIT 300; a rating comment is cut to 200 the same way.)"""
    tail = "我家门口的监控摄像头也一起看看，户主叫张秀英。"
    long_need = (NEED + "，老人上下楼很不方便，已经摔过一次了。") * 30 + tail
    assert 600 < len(long_need) < 1500
    ticket_id = await chat.submit(RESIDENT, long_need)
    assert tail in chat.ticket(ticket_id).text  # (stored whole)
    shown = texts_of(await chat.say(RESIDENT, "/mydata"))
    assert tail in shown, shown[-400:]


# --- /forget ---
def test_unknown_person_and_forget_buttons() -> None:
    assert "没有保存" in texts.my_data({"known": False}, TZ)[0]
    (row,) = forget_buttons().inline_keyboard
    assert "确认" in row[0].text and "取消" in row[1].text
    assert [b.callback_data for b in row] == [f"{FORGET}:yes", f"{FORGET}:no"]
    assert "2 张工单" in texts.forgotten(2, False) and "协调员" in texts.forgotten(0, True)


def test_the_resident_flows_are_the_ones_forget_clears() -> None:
    """/forget clears the resident's conversations only (routing.privacy.RESIDENT_FLOWS names the bot's flows)."""
    from bot.handlers import call_off, resident
    from routing.privacy import RESIDENT_FLOWS

    assert {resident.INTAKE, resident.COMMENT, resident.NOT_UNDERSTOOD, resident.PHOTOS, call_off.CALL_OFF, resident.GIVEN_UP,
            resident.RATING_WORDS, resident.PIECES} == set(
        RESIDENT_FLOWS)


@SQLITE
async def test_forget_takes_the_residents_address_out_of_the_members_task_card(chat: BotChat, world: World) -> None:
    """A resident whose ticket a member has accepted sends /forget and confirms: she is told her personal data is
    deleted, and the member gets 「工单 … 已取消。原因：居民已申请删除个人信息」 — right under the 「✅ 接单成功」 card that
    still shows her words, her name, her exact address and her phone, for a ticket that no longer exists. The bot keeps
    the id of that message (outbox: "so that a later notification can edit that message") and edits withdrawn offers
    the same way, but /forget edits nothing. (routing/privacy.py forget_resident queues only the cancellation; nothing
    edits the delivered offer_accepted message.)"""
    member = world.member("王师傅", ["电工"])
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    card = next(r for r in chat.replies(member) if "接单成功" in r.text)
    assert PHONE in card.text
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, chat.last_message(RESIDENT).inline_keyboard[0][0]["callback_data"])
    await chat.deliver()
    assert any("已取消" in r.text for r in chat.replies(member))
    still = [m.text for m in chat.request.messages(member)
             if m.from_bot and not m.deleted and (PHONE in m.text or "2 单元 502" in m.text)]
    assert still == [], still


def test_forget_erases_the_residents_photos_from_the_outbox_too(world: World) -> None:
    """A resident sent a photo of her kitchen (the house number on the door in it) with her need; the
    member who took the ticket got it as a photo message. She then uses /forget, which promises that her
    photos are deleted "in the tickets, ratings and outbox payloads". The ticket's photo list is emptied,
    but the photo message to the member (kind ticket_photo) still holds her photo's Telegram file id in
    its payload (privacy.forget_resident scrubs only the keys text/address/phone/attachments/…; a photo
    message's payload keeps its photo under "file_id"), so anyone reading the outbox can still fetch it."""
    plumber = world.member("老张", ["水暖"])
    with db.transaction(world.engine) as s:
        members.ensure_person(s, WORLD_RESIDENT, T0, name="王阿姨")
        members.set_home_grid(s, WORLD_RESIDENT, G11, T0)
        tid = tickets.submit_ticket(s, WORLD_RESIDENT, "厨房水管漏水，地上全是水", T0, label="repair.plumbing",
                                    grid_code=G11, address="和平路12号3号楼502", phone="13800138000",
                                    attachments=[PHOTO], normalized_text="厨房水管漏水，地上全是水",
                                    resident_name="王阿姨", settings=world.settings).id
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(2))
    with db.transaction(world.engine) as s:
        photos = s.exec(select(Notification).where(Notification.kind == NotificationKind.ticket_photo)).all()
        assert photos and all(n.payload.get("file_id") == PHOTO for n in photos)  # (the member's photo message)

    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, WORLD_RESIDENT, T0 + minutes(30))

    with db.transaction(world.engine) as s:
        assert s.get(tickets.Ticket, tid).attachments == []
        left = [(n.kind, n.payload) for n in s.exec(select(Notification).where(Notification.ticket_id == tid))
                if PHOTO in str(n.payload)]
    assert left == [], f"the resident's photo is still in the outbox after /forget: {left}"


def test_forget_erases_her_photos_from_the_coordinators_cards_too(world: World) -> None:
    """Nobody can take her need: the 📮 card that counts her photo (resident_photos) and the photo after it go to the
    coordinators. After /forget no payload of the ticket holds the photo's file id."""
    with db.transaction(world.engine) as s:
        members.ensure_person(s, WORLD_RESIDENT, T0, name="王阿姨")
        members.set_home_grid(s, WORLD_RESIDENT, G11, T0)
        tid = tickets.submit_ticket(s, WORLD_RESIDENT, "厨房水管漏水，地上全是水", T0, label="repair.plumbing",
                                    grid_code=G11, address="和平路12号3号楼502", attachments=[PHOTO],
                                    normalized_text="厨房水管漏水，地上全是水", settings=world.settings).id
    with db.transaction(world.engine) as s:
        cards = s.exec(select(Notification).where(Notification.kind == NotificationKind.dispatch_needed)).all()
        assert cards and all(n.payload.get("resident_photos") == [PHOTO] for n in cards)
        privacy.forget_resident(s, WORLD_RESIDENT, T0 + minutes(30))
    with db.transaction(world.engine) as s:
        left = [(n.kind, n.payload) for n in s.exec(select(Notification).where(Notification.ticket_id == tid))
                if PHOTO in str(n.payload)]
    assert left == [], f"the resident's photo is still in the outbox after /forget: {left}"


async def test_forget_erases_a_need_given_up_too(chat: BotChat) -> None:
    """A need given up is kept ten minutes to be taken back (按错了): /forget left it, its address and phone with it, and
    按错了 brought them back after 「已删除您的个人信息」."""
    await chat.say(RESIDENT, f"{NEED}，{ADDRESS}，电话{PHONE}")
    await chat.say(RESIDENT, "算了")
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, chat.last_message(RESIDENT).inline_keyboard[0][0]["callback_data"])
    shown = texts_of(await chat.say(RESIDENT, "按错了"))
    assert PHONE not in shown and texts.INTAKE_RESTORED not in shown, shown
