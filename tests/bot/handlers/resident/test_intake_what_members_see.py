"""What members and coordinators see of a resident's request — the offer with her door hidden, her photos, the
办结 note back to her — and what /forget takes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from routing import db, dispatch
from routing.models import Notification
from tests.bot.chat_harness import BotChat, Reply, photo, texts_of
from tests.bot.handlers.resident.intake_helpers import (
    ADDRESS,
    BOTH_BACKENDS,
    NEED,
    PHONE,
    RESIDENT,
    SQLITE,
    photos_to,
)
from tests.conftest import GRID_COORD, World

DOOR = "door-502"  # the file id of a photo of her front door, the flat's number on it


async def _offered_with_her_door(chat: BotChat, world: World) -> tuple[int, Reply]:
    """A member, and RESIDENT's need sent with a photo of her door, confirmed, with address and phone: his offer."""
    member = world.member("王师傅", ["电工"])
    understood = await chat.say(RESIDENT, None, photo=photo(DOOR), caption=NEED)
    card = next(r for r in understood if "我理解您反映的是" in r.text)
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    return member, offer


def _door_photos(chat: BotChat, member: int) -> list[int]:
    """The photos of her door still on the member's screen."""
    return [m.message_id for m in chat.request.messages(member) if m.from_bot and not m.deleted
            and "photo" in m.payload and DOOR in m.text]


async def _forget(chat: BotChat) -> None:
    """RESIDENT sends /forget and confirms it; the outbox is delivered."""
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, chat.last_message(RESIDENT).inline_keyboard[0][0]["callback_data"])
    await chat.deliver()


# --- the offer hides her door ---
@SQLITE
@pytest.mark.parametrize("words", ["我住3-502，楼道灯坏了好几天了", "东风园3-502，楼道灯坏了好几天了"])
async def test_a_short_door_after_a_place_word_is_still_hidden_in_offers(chat: BotChat, world: World, words: str) -> None:
    """A resident writes 「我住3-502，楼道灯坏了好几天了」. The offer every matching member gets before taking the ticket
    shows her words through numbers.redact, which hides house numbers found by house_numbers: since deb6560 a
    building-room after 住 / 园 / 村 / 路 / 社区 is no house number, and her door (3-502) is shown to them all."""
    member = world.member("王师傅", ["电工"])
    chat.home(RESIDENT)
    await chat.submit(RESIDENT, words)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    assert "3-502" not in offer.text, offer.text


@SQLITE
@pytest.mark.parametrize("words", ["我住幸福里3号楼2单元，120，楼道灯坏了好几天了", "幸福里3号楼2单元，110，楼道灯坏了好几天了"])
async def test_a_ground_floor_room_after_its_building_is_hidden_in_offers(chat: BotChat, world: World, words: str) -> None:
    """A ground-floor resident writes 「我住幸福里3号楼2单元，120，楼道灯坏了…」 (room 120). HOTLINES now stops 110 / 114 /
    119 / 120 / 122 being a room told alone even right after its building: the building is masked in every member's offer
    but her room number (120) is shown to them all (it was masked on deb6560), and address_in still takes it as the room."""
    member = world.member("王师傅", ["电工"])
    chat.home(RESIDENT)
    await chat.submit(RESIDENT, words)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    assert "，120，" not in offer.text and "，110，" not in offer.text, offer.text


# --- her photos reach the member ---
@SQLITE
async def test_a_residents_photo_lost_to_a_passing_network_error_still_reaches_the_member(
    chat: BotChat, world: World,
) -> None:
    """接单成功 tells the member 「📷 居民发的照片 1 张」, and the photo follows. A 502 Bad Gateway on that one sendPhoto
    (the same passing failure that makes any text message wait and be sent again) is logged and never retried
    (bot/delivery.py _send_photos): the member is told of a photo they never get, and no later delivery brings it."""
    from bot.console import _ApiError

    member = world.member("王师傅", ["电工"])
    await chat.say(RESIDENT, None, photo=photo("stairs"), caption="楼道灯坏了好几天了，晚上很黑")
    card = next(r for r in chat.replies(RESIDENT) if "我理解" in r.text)
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(1).attachments == ["stairs"]

    real, failed = chat._telegram_dispatch, []

    async def flaky(name: str, params: dict, files: dict) -> object:
        if name == "sendphoto" and not failed:
            failed.append(name)
            raise _ApiError(502, "Bad Gateway")
        return await real(name, params, files)

    chat._telegram_dispatch = flaky
    mark = len(chat.events)
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    assert failed and any("居民发的照片 1 张" in r.text for r in chat.replies(member, mark))
    with db.transaction(chat.engine) as s:  # (any retry due later: due now)
        for note in s.exec(select(Notification).where(Notification.sent_at.is_(None))):
            note.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    await chat.deliver()
    assert photos_to(chat, member, mark), [r.text for r in chat.replies(member, mark)]


# --- the member's answers ---
@SQLITE
async def test_a_member_declining_an_escalated_ticket_is_not_told_it_went_to_other_members(
    chat: BotChat, world: World,
) -> None:
    """The offer went unanswered past the response limit: the red card escalated the ticket (已升级, with the
    coordinators; a pending offer can still be accepted). The only electrician then presses 不方便: decline_offer
    sends no new wave for an escalated ticket, yet the member reads 「好的，已转给其他党员。」 — _decline only picks
    DECLINED_TO_COORDINATORS for status 待派单, not 已升级 (bot/handlers/member.py _decline)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    with db.transaction(chat.engine) as s:
        dispatch.escalate_ticket(s, ticket_id, datetime.now(UTC), reason="respond_overdue")
    assert chat.ticket(ticket_id).status == "escalated"
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    told = texts_of(await chat.press(member, offer.button("不方便"), offer.message))
    with db.transaction(chat.engine) as s:
        pending = dispatch.pending_offers(s, ticket_id)
    assert not pending  # nobody else is asked
    assert "其他党员" not in told, told


@SQLITE
async def test_a_members_album_of_completion_photos_all_reach_the_resident(chat: BotChat, world: World) -> None:
    """办结 asks for 「一句话…（也可以发一张照片配文字）」. The member sends an album of three photos, 「换好了」 as its
    caption (Telegram delivers it as three messages, the caption on the first). The first message resolves the ticket
    and clears the 办结 step, so the resident is told 「📷 办理照片 1 张」 and gets one photo; the other two reach the
    member's resident flow, and the member is asked 「照片收到了。请再用一句话说说是什么问题」."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    mark = len(chat.events)
    to_member = texts_of(await chat.say(member, None, photo=photo("done-1"), caption="换好了", media_group_id="a1"))
    to_member += texts_of(await chat.say(member, None, photo=photo("done-2"), media_group_id="a1"))
    to_member += texts_of(await chat.say(member, None, photo=photo("done-3"), media_group_id="a1"))
    assert chat.ticket(ticket_id).status == "resolved"
    assert "是什么问题" not in to_member, to_member
    assert len(photos_to(chat, RESIDENT, mark)) == 3, (chat.ticket(ticket_id).resolution_attachments,
                                                         texts_of(chat.replies(RESIDENT, mark)))


@BOTH_BACKENDS
@pytest.mark.parametrize("emoji", ["👨\u200d🔧", "👨\u200d👩\u200d👧", "🩷"], ids=["zwj-mechanic", "zwj-family", "unicode-15"])
async def test_emoji_in_a_done_note_reach_the_resident_as_typed(chat: BotChat, world: World, emoji: str) -> None:
    """A member ends the 办结 note with an emoji (👨‍🔧, a family 👨‍👩‍👧, a pink heart 🩷). Every incoming text now goes
    through members.visible_text, which drops all Cf characters — the zero-width joiner that glues an emoji sequence
    together — and all Cn ones (emoji newer than Python's Unicode 14). The resident reads 👨🔧 (a man and a wrench),
    three separate faces, or nothing."""
    member = world.member("王师傅", ["电工"])
    await chat.at_task_step(member, "done", RESIDENT, NEED)
    await chat.say(member, f"灯泡已换好，以后有事再找我{emoji}")
    await chat.deliver()
    told = next(r.text for r in chat.replies(RESIDENT) if "已办结" in r.text)
    assert emoji in told, told


# --- /forget takes back what members and coordinators were shown ---
@BOTH_BACKENDS
async def test_forget_also_takes_back_the_photo_of_her_door_the_member_received(chat: BotChat, world: World) -> None:
    """A resident sends a photo of her front door (the flat's number on it) with her need; the member who accepts gets
    it as a photo message under the 接单成功 card. After /forget the card is withdrawn (the fix: cards that showed her
    address and phone), but the photo message is neither deleted nor replaced: her door stays on the member's phone,
    though /forget promised her photos are deleted."""
    member, offer = await _offered_with_her_door(chat, world)
    await chat.press(member, offer.button("接单"), offer.message)
    await chat.deliver()
    assert _door_photos(chat, member), [(m.text[:40], list(m.payload)) for m in chat.request.messages(member)]
    await _forget(chat)
    assert _door_photos(chat, member) == [], _door_photos(chat, member)


@BOTH_BACKENDS
async def test_forget_while_the_photo_is_being_sent_still_takes_it_back(chat: BotChat, world: World) -> None:
    """The member presses 接单 and the bot starts sending him the photo of her front door (an upload takes a moment);
    in that moment the resident's /forget is handled. The photo is neither pending (cancelled) nor sent yet (no
    message to delete): forget_resident skips it, the send completes, and her door stays on the member's phone."""
    from routing import privacy

    member, offer = await _offered_with_her_door(chat, world)
    telegram = chat._dispatch
    forgotten: list[int] = []

    async def forget_meanwhile(name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if name == "sendphoto" and not forgotten:  # (/forget handled by the other process while the photo uploads)
            with db.transaction(world.engine) as s:
                forgotten.append(privacy.forget_resident(s, RESIDENT, datetime.now(UTC)))
        return await telegram(name, params, files)

    chat.request._dispatch = forget_meanwhile  # type: ignore[method-assign]
    await chat.press(member, offer.button("接单"), offer.message)
    await chat.deliver()
    await chat.deliver()
    assert forgotten, "the photo was never sent"
    door = _door_photos(chat, member)
    assert door == [], door


@SQLITE
@pytest.mark.xfail(strict=True, reason="not done yet: a photo whose send timed out may be in the chat with no message id to delete; its retry goes out scrubbed")
async def test_forget_while_the_photo_send_times_out_still_takes_it_back(chat: BotChat, world: World) -> None:
    """The member presses 接单 and the bot sends him the photo of her front door; the resident's /forget is handled
    meanwhile and Telegram delivers the photo, but the answer times out. The photo is marked failed (retried with its
    file_id scrubbed) and message_deleted has no message to delete: her door stays on the member's phone."""
    from sqlmodel import update
    from telegram.error import TimedOut

    from routing import privacy
    from routing.models import Notification, NotificationStatus

    member, offer = await _offered_with_her_door(chat, world)
    telegram = chat._dispatch
    forgotten: list[int] = []

    async def forget_meanwhile(name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if name == "sendphoto" and not forgotten:
            with db.transaction(world.engine) as s:
                forgotten.append(privacy.forget_resident(s, RESIDENT, datetime.now(UTC)))
            await telegram(name, params, files)
            raise TimedOut()
        return await telegram(name, params, files)

    chat.request._dispatch = forget_meanwhile  # type: ignore[method-assign]
    await chat.press(member, offer.button("接单"), offer.message)
    await chat.deliver()
    for _ in range(4):  # (its retries come due)
        with db.transaction(world.engine) as s:
            s.exec(update(Notification).where(Notification.status == NotificationStatus.pending)
                   .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        await chat.deliver()
    assert forgotten, "the photo was never sent"
    door = _door_photos(chat, member)
    assert door == [], door


@BOTH_BACKENDS
@pytest.mark.xfail(strict=True, reason="not done yet: Telegram keeps a bot's message older than 48 hours; replacing the photo (editMessageMedia) is not in the offline console or the emulator")
async def test_forget_when_the_photo_is_too_old_to_delete_still_takes_it_back(chat: BotChat, world: World) -> None:
    """A resident sent a photo of her front door with her need; the member got it. Days later (Telegram deletes a
    bot's message only within 48 hours: 「message can't be deleted for everyone」) she sends /forget. The delete is
    refused and the fix records it as done: her door stays on the member's phone, with no replacement, though /forget
    promised her photos are gone (editMessageMedia, which has no such limit, could replace it)."""
    member, offer = await _offered_with_her_door(chat, world)
    await chat.press(member, offer.button("接单"), offer.message)
    await chat.deliver()
    assert _door_photos(chat, member)
    telegram = chat._dispatch

    async def over_48_hours(name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if name == "deletemessage":  # (Telegram's rule for a message sent more than 48 hours ago)
            from bot.console import _ApiError
            raise _ApiError(400, "Bad Request: message can't be deleted for everyone")
        return await telegram(name, params, files)

    chat.request._dispatch = over_48_hours  # type: ignore[method-assign]
    await _forget(chat)
    await chat.deliver()
    assert _door_photos(chat, member) == [], _door_photos(chat, member)


@BOTH_BACKENDS
async def test_forget_also_takes_back_the_task_card_tasks_showed(chat: BotChat, world: World) -> None:
    """A member accepts a ticket, then types /tasks (the fix lists each held ticket again with its buttons, address
    and phone). The resident sends /forget: the 「接单成功」 card is now withdrawn (the fix), but the copy /tasks sent is a
    plain reply the bot never recorded, so her address and phone stay on the member's screen."""
    member = world.member("王师傅", ["电工"])
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    listed = texts_of(await chat.say(member, "/tasks"))
    assert PHONE in listed, listed
    await _forget(chat)
    still = [m.text for m in chat.request.messages(member)
             if m.from_bot and not m.deleted and (PHONE in m.text or "2 单元 502" in m.text)]
    assert still == [], still


@BOTH_BACKENDS
async def test_forget_also_takes_back_the_address_dispatch_showed_the_coordinator(chat: BotChat, world: World) -> None:
    """No member can take the need, so the 网格员 types /dispatch: the list shows the resident's address and phone. She
    then sends /forget. The 📮 card pushed to the coordinator is withdrawn (the fix), but the /dispatch list is a plain
    reply the bot never recorded, and keeps showing where she lives and her number."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    listed = texts_of(await chat.say(GRID_COORD, "/dispatch"))
    assert PHONE in listed, listed
    await _forget(chat)
    still = [m.text for m in chat.request.messages(GRID_COORD)
             if m.from_bot and not m.deleted and (PHONE in m.text or "2 单元 502" in m.text)]
    assert still == [], still
