"""A review of the intake fixes of commits 25cbf8f and 8ad9486 (the resident / member side): holes next to each fix
and regressions. Each test fails on 8ad9486.

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from routing import db, members
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

NEWCOMER = 4242
RESIDENT = 1
ASKS_NAME = "请告诉我您的称呼"
ASKS_SKILLS = "请选择您擅长的服务技能"
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
PHONE = "13912345678"



def _invite_used(world: World, code: str) -> bool:
    with db.transaction(world.engine) as s:
        return members.find_invite(s, code).used_at is not None


# ── invite codes inside sentences ───────────────────────────────────────────────────────────────
async def test_a_coordinator_asking_about_the_code_he_made_is_not_registered_with_it(
    chat: BotChat, world: World
) -> None:
    """The street coordinator makes a member code with /invite and asks the bot, in a sentence, how to pass it on
    (「邀请码 ABCD2345 怎么发给王师傅让他加入？」). The sentence now counts as joining: he is welcomed as a new member and
    asked for his own name, and the next thing he types becomes his name (the code meant for 王师傅 then used up by him)."""
    code = world.invite()
    shown = texts_of(await chat.say(COORD, f"邀请码 {code} 怎么发给王师傅让他加入？"))
    assert ASKS_NAME not in shown, shown
    await chat.say(COORD, "好的我知道了")
    assert ASKS_SKILLS not in texts_of(chat.replies(COORD)), texts_of(chat.replies(COORD))


async def test_an_eight_character_number_before_the_code_hides_the_code(chat: BotChat, world: World) -> None:
    """A volunteer writes what people write: 「我想报名当志愿者，家里电话 6688 2345，邀请码是 ABCD2345」. code_alone takes
    the first code-like run (the landline in two halves of four) and, that being no invite, the message goes on as a
    resident's need: the code right after it is never looked at and /join is never mentioned."""
    chat.home(NEWCOMER)
    code = world.invite()
    shown = texts_of(await chat.say(NEWCOMER, f"我想报名当志愿者，家里电话 6688 2345，邀请码是 {code}"))
    assert ASKS_NAME in shown or "/join" in shown, shown


# ── the name step ───────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["我不想当志愿者了", "算了不搞了", "我不干了"])
async def test_giving_up_in_other_everyday_words_at_the_name_step_does_not_become_the_name(
    chat: BotChat, world: World, words: str
) -> None:
    """Asked for a name after /join, the person changes her mind: 「我不想当志愿者了」, 「算了不搞了」, 「我不干了」.
    gives_up_joining knows only 不(想|要|打算)?(注册|加入|参加|报名|登记): these words are saved as her member name and the
    skills buttons follow."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS not in shown, shown


async def test_a_need_told_at_the_name_step_says_the_registration_was_left(chat: BotChat, world: World) -> None:
    """Asked for her name after /join, a volunteer first tells a need of her own (longer than a name). The fix now
    silently drops the registration: she is answered about the need only, never told that the registration was
    left and that /join CODE starts it again, so her name typed afterwards is taken as a new message."""
    chat.home(NEWCOMER)
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    start = int(time.time())
    shown = texts_of(await chat.say(NEWCOMER, "我家楼道的灯坏了好几天了，晚上特别黑，老人下楼很危险", date=start + 20))
    assert "/join" in shown or "注册" in shown, shown


# ── the phone step ──────────────────────────────────────────────────────────────────────────────
async def test_a_status_question_at_the_phone_step_with_dou_zai_is_answered_not_added(
    chat: BotChat, world: World
) -> None:
    """A resident with a ticket open reports a second need; at its phone step she asks about the first one:
    「之前报的那个怎么还没人来修？我都在家等了两天了」. _ANY_TIME (meant for 什么时候来都行) matches 都在, so the question is
    no longer answered: it is added to the new request (the member of the new need reads her complaint about another)."""
    await chat.submit(RESIDENT)
    await chat.intake_to_address(RESIDENT, "厨房下水道堵了，水下不去")
    await chat.say(RESIDENT, ADDRESS)
    words = "之前报的那个怎么还没人来修？我都在家等了两天了"
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "已补充" not in shown and "补充" not in shown, shown


async def test_a_phone_number_pasted_with_zero_width_joiners_is_read(chat: BotChat, world: World) -> None:
    """At the phone step a resident pastes her number from an app that puts zero-width joiners between its groups
    (139‍1234‍5678, as shown). visible_text now keeps a joiner between any two visible characters, not only between
    emoji, so the number is no longer read: she is told it is incomplete."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "139\u200d1234\u200d5678"))
    assert "不完整" not in shown, shown
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(1).phone == PHONE, shown


@pytest.mark.xfail(strict=True, reason="not done yet: Telegram keeps a bot's message older than 48 hours; replacing the photo (editMessageMedia) is not in the offline console or the emulator")
# ── /forget and the photos members got ──────────────────────────────────────────────────────────
async def test_forget_when_the_photo_is_too_old_to_delete_still_takes_it_back(chat: BotChat, world: World) -> None:
    """A resident sent a photo of her front door with her need; the member got it. Days later (Telegram deletes a
    bot's message only within 48 hours: 「message can't be deleted for everyone」) she sends /forget. The delete is
    refused and the fix records it as done: her door stays on the member's phone, with no replacement, though /forget
    promised her photos are gone (editMessageMedia, which has no such limit, could replace it)."""
    member = world.member("王师傅", ["电工"])
    photo = [{"file_id": "door-502", "file_unique_id": "u-door-502", "width": 1280, "height": 960}]
    understood = await chat.say(RESIDENT, None, photo=photo, caption=NEED)
    card = next(r for r in understood if "我理解您反映的是" in r.text)
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    await chat.deliver()

    def door_photos() -> list[int]:
        return [m.message_id for m in chat.request.messages(member) if m.from_bot and not m.deleted
                and "photo" in m.payload and "door-502" in m.text]

    assert door_photos()
    telegram = chat._dispatch

    async def over_48_hours(name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if name == "deletemessage":  # (Telegram's rule for a message sent more than 48 hours ago)
            from bot.console import _ApiError
            raise _ApiError(400, "Bad Request: message can't be deleted for everyone")
        return await telegram(name, params, files)

    chat.request._dispatch = over_48_hours  # type: ignore[method-assign]
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, chat.last_message(RESIDENT).inline_keyboard[0][0]["callback_data"])
    await chat.deliver()
    await chat.deliver()
    assert door_photos() == [], door_photos()


async def test_forget_while_the_photo_is_being_sent_still_takes_it_back(chat: BotChat, world: World) -> None:
    """The member presses 接单 and the bot starts sending him the photo of her front door (an upload takes a moment);
    in that moment the resident's /forget is handled. The photo is neither pending (cancelled) nor sent yet (no
    message to delete): forget_resident skips it, the send completes, and her door stays on the member's phone."""
    from routing import privacy

    member = world.member("王师傅", ["电工"])
    photo = [{"file_id": "door-502", "file_unique_id": "u-door-502", "width": 1280, "height": 960}]
    understood = await chat.say(RESIDENT, None, photo=photo, caption=NEED)
    card = next(r for r in understood if "我理解您反映的是" in r.text)
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
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
    door = [m.message_id for m in chat.request.messages(member) if m.from_bot and not m.deleted
            and "photo" in m.payload and "door-502" in m.text]
    assert door == [], door


async def test_a_code_refused_at_the_last_press_does_not_keep_her_at_the_buttons(chat: BotChat, world: World) -> None:
    """A volunteer registers with the 网格员's code; while she chooses her skills the 网格员 is removed. At the grid
    button she is told 「邀请码已失效，请向协调员重新申请」 (the new check_invite), but the registration draft stays: each
    thing she types next (「那我该怎么办」) is answered 「请点上面的按钮」, and the buttons only repeat the refusal (for
    12 hours, STEP_IDLE)."""
    from tests.conftest import G11, GRID_COORD

    with db.transaction(world.engine) as s:
        code = members.create_invite(s, GRID_COORD, datetime.now(UTC), settings=world.settings).code
    await chat.say(NEWCOMER, f"/join {code}")
    await chat.say(NEWCOMER, "李阿姨")
    card = chat.last_message(NEWCOMER)
    await chat.press(NEWCOMER, "jn:1", card)
    await chat.press(NEWCOMER, "jn:fin", card)
    with db.transaction(world.engine) as s:
        members.remove_coordinator(s, COORD, GRID_COORD, G11)
    refused = texts_of(await chat.press(NEWCOMER, f"jn:grid:{G11}", chat.last_message(NEWCOMER)))
    assert "已失效" in refused, refused
    shown = texts_of(await chat.say(NEWCOMER, "那我该怎么办"))
    assert "请点上面的按钮" not in shown, shown


async def test_a_long_supplement_brought_again_by_a_resent_update_is_added_once(chat: BotChat, world: World) -> None:
    """At the phone step a resident pastes a long account (3,000 characters) of what else is wrong; the bot restarts
    before Telegram's offset is confirmed and the same update comes again. with_supplement now cuts the words to half
    a ticket but still checks for the uncut words at the end, so the second copy is not recognised: the member reads
    two 「（补充）」 blocks, the request cut down to make room."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    words = ("另外楼上的水管也一直在滴水，晚上声音很大，" * 200)[:3000]
    await chat.say(RESIDENT, words)
    await chat.redeliver(chat.updates[-1], RESIDENT)
    await chat.say(RESIDENT, "跳过")
    text = chat.ticket(1).text
    assert text.count("（补充）") == 1, (text.count("（补充）"), len(text))
