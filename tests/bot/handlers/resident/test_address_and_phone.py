"""The address and phone steps of a resident's request: words taken for the address or the number, words kept with
the request, words answered instead, and the address corrected at the phone step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot import texts
from bot.handlers import common
from routing import db
from routing.models import Draft, Ticket
from tests.bot.chat_harness import BotChat, Reply, chinese, texts_of
from tests.bot.handlers.resident.intake_helpers import (
    ADDRESS,
    BOTH_BACKENDS,
    HOME,
    LAMP,
    NEED,
    PHONE,
    PHOTO,
    RESIDENT,
    SQLITE,
    to_phone_step,
)
from tests.conftest import World

STICKER = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512,
           "is_animated": False, "is_video": False, "emoji": "😀"}


async def _second_need_at_the_phone_step(chat: BotChat) -> None:
    """RESIDENT, a ticket of hers open, tells a second need (the kitchen drain) up to its phone step."""
    await chat.submit(RESIDENT)
    await chat.intake_to_address(RESIDENT, "厨房下水道堵了，水下不去")
    await chat.say(RESIDENT, ADDRESS)


def _texts(replies: list[Reply]) -> str:
    assert replies and all(chinese(r.text) for r in replies), [r.text for r in replies]
    return "\n".join(r.text for r in replies)


# --- the address step: what is an address ---
@SQLITE
@pytest.mark.parametrize("address", ["和平小区", "人民路菜市场对面", "红星村三组", "老干部活动中心楼下"])
async def test_addresses_without_numbers_are_still_addresses(chat: BotChat, address: str) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    assert texts.ASK_PHONE in _texts(await chat.say(RESIDENT, address))
    assert chat.intake_draft(RESIDENT)["address"] == address


@SQLITE
async def test_a_too_short_address_is_asked_again(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    assert texts.ADDRESS_TOO_SHORT in _texts(await chat.say(RESIDENT, "3楼"))
    assert chat.intake_draft(RESIDENT)["step"] == "address"


@SQLITE
@pytest.mark.parametrize("building", ["3号楼", "三号楼", "12栋"])
async def test_a_building_number_alone_is_an_address(chat: BotChat, building: str) -> None:
    """Her grid is known, and the examples say 「小区名和楼号就行」: 「3号楼」 was refused as too short."""
    await chat.intake_to_address(RESIDENT, NEED)
    assert texts.ASK_PHONE in _texts(await chat.say(RESIDENT, building))
    assert chat.intake_draft(RESIDENT)["address"] == building


@SQLITE
@pytest.mark.parametrize("words", ["不知道", "不清楚啊", "不记得了", "我不知道", "真的不知道", "我也不知道", "我忘了"])
async def test_not_knowing_alone_at_the_address_step_gets_help(chat: BotChat, words: str) -> None:
    """「不知道」 was answered 「地址好像不完整」 as if it were an address; 「不知道地址」 got the help to write it."""
    await chat.intake_to_address(RESIDENT, NEED)
    assert texts.ADDRESS_HELP in _texts(await chat.say(RESIDENT, words))
    assert chat.intake_draft(RESIDENT)["step"] == "address"


@SQLITE
@pytest.mark.parametrize("words", ["在菜市场后面那栋楼呢", "就在老街口嘛"])
async def test_an_address_ending_with_a_particle_is_taken(chat: BotChat, words: str) -> None:
    """After 确认 the bot asks where to come. An older resident (or their voice input) answers the way they speak:
    「在菜市场后面那栋楼呢」 / 「就在老街口嘛」 — a place with no house number, ending in 呢 / 嘛. Today's _ASKS takes any
    text ending in 吗嘛呢？ for a question back: the bot answers 「地址就是需要工作人员上门去的地方…」 and asks again,
    and again for the same words. (Before today these were saved as the address.) Expected: saved as the address, the
    phone asked next."""
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert draft.get("step") == "phone" and words in (draft.get("address") or ""), (shown, draft)


@SQLITE
async def test_a_place_with_a_filler_shenme_ending_in_ne_is_the_address(chat: BotChat) -> None:
    """Asked where to come, an older resident describes the place as they speak: 「就在菜市场那个什么超市后面呢」 (那个什么:
    "that what's-its-name"). The new _ASKS rule takes a question word anywhere before a final 呢/嘛 for a question,
    and 什么 here is a filler (the comment on _ASKS itself says 门口那个什么超市旁边 is no question): the bot answers
    「地址就是需要工作人员上门去的地方…」 and asks again, and again for the same words. Expected: saved as the address,
    the phone asked next."""
    await chat.intake_to_address(RESIDENT, LAMP)
    words = "就在菜市场那个什么超市后面呢"
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert texts.ADDRESS_EXPLAINED not in shown, shown
    assert draft.get("step") == "phone" and "超市后面" in (draft.get("address") or ""), (shown, draft)


@SQLITE
@pytest.mark.parametrize("aside", ["谢谢你们了", "您好您好"])
async def test_thanks_or_a_greeting_at_the_address_step_asks_again(chat: BotChat, aside: str) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    shown = _texts(await chat.say(RESIDENT, aside))
    assert texts.STILL_NEEDS_ADDRESS in shown
    assert chat.intake_draft(RESIDENT)["step"] == "address" and chat.count(Ticket) == 0


@SQLITE
async def test_a_question_after_an_earlier_ticket_is_answered_not_taken_for_the_address(chat: BotChat) -> None:
    earlier = await chat.submit(RESIDENT, "小区门口的垃圾好几天没人清理了")
    await chat.intake_to_address(RESIDENT, NEED)

    shown = _texts(await chat.say(RESIDENT, "人呢？说好的9点"))
    assert f"#{chat.ticket(earlier).number}" in shown, "the resident's tickets, as /my shows them"
    assert texts.STILL_NEEDS_ADDRESS in shown and "3 号楼 2 单元 502" in shown  # the last address offered
    assert chat.intake_draft(RESIDENT)["step"] == "address" and not chat.intake_draft(RESIDENT).get("address")

    await chat.say(RESIDENT, "和平路 12 号 1 单元 301")
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(earlier + 1).address == "和平路 12 号 1 单元 301"
    assert not chat.unexpected_errors()


@SQLITE
async def test_an_intake_left_overnight_takes_no_later_need_as_its_address(chat: BotChat) -> None:
    """A resident who stopped at the address step and comes back the next day with another need starts that need;
    within STEP_IDLE the same words would have been the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    with db.transaction(chat.engine) as s:
        s.exec(update(Draft).values(updated_at=datetime.now(UTC) - common.STEP_IDLE - timedelta(minutes=1)))
    shown = _texts(await chat.say(RESIDENT, "我家厨房下水道堵了，水下不去"))
    assert "我理解您反映的是" in shown and "下水道" in shown, shown
    assert chat.intake_draft(RESIDENT)["text"] == "我家厨房下水道堵了，水下不去"


# --- the address step: the last address ---
@SQLITE
@pytest.mark.parametrize("words", ["跟上次一样", "还是上次那个地址", "老地址"])
async def test_same_as_last_time_typed_uses_the_last_address(chat: BotChat, words: str) -> None:
    """A resident whose earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」 tells a new need and is asked 「请告诉我需要
    上门的地址 … 上次的地址是：幸福里小区 3 号楼 2 单元 502，可以直接点下面的按钮使用」. She types what the button says
    instead of pressing it: 「跟上次一样」. The bot saves the words 「跟上次一样」 as the address and asks for the phone;
    the member is sent to 「跟上次一样」 (「老地址」 gets 「地址好像不完整」). README: older residents type what others
    press, and it does what the button would. resident.address_given takes any words of 4+ characters as the address
    and never relates them to _last_address."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    last = chat.ticket(1).address
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") == last, (shown, state)


@SQLITE
@pytest.mark.parametrize("words", ["跟上次一样的地址", "上次的地址就行了", "用以前的地址就好了", "还是上次那个地址，谢谢了"])
async def test_last_address_asked_for_in_ordinary_words_is_saved_as_the_address(chat: BotChat, words: str) -> None:
    """Regression of commit edf9556. Her earlier ticket went to her flat; asked 「请告诉我需要上门的地址」 for a new need she
    answers 「跟上次一样的地址」 (or 「上次的地址就行了」, 「用以前的地址就好了」, 「还是上次那个地址，谢谢了」). Before the commit
    the bot answered 「好的，就用上次的地址：…」; now these words are not recognised, and the member would be sent to
    「地址：上次的地址就行了」. resident._SAME_ADDRESS now has to reach the end of the message ($) through _PARTICLES, which
    lacks 了, and allows nothing after 上次一样 but particles (not 的地址); the place word after 一样 is not taken."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("address") != words, shown


@SQLITE
@pytest.mark.parametrize("words", ["还是之前那个", "以前的那个", "还是上次的"])
async def test_asking_for_the_previous_address_in_short_words_still_uses_it(chat: BotChat, words: str) -> None:
    """Her earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」. Asked for the address of a new need she answers
    「还是之前那个」 (「以前的那个」, 「还是上次的」) — the same place as before. Before this round the bot answered 「好的，
    就用上次的地址：…」. Now these words themselves are saved as the address (the member reads 地址：还是之前那个), or
    she is asked again. Regression of 232f579: the new _SAME_ADDRESS needs a place word (_PLACE_OF) after
    上次/以前/之前, and dropped (以前|之前)的?那个 and 还是那个 / 上次的 at the end of the words."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" in shown, shown


@SQLITE
@pytest.mark.parametrize("words", ["上次是在我女儿家", "上次是帮我妈报的", "还是上次那个师傅来吧"])
async def test_words_about_last_time_are_not_taken_for_the_last_address(chat: BotChat, words: str) -> None:
    """Her earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」. Asked for the address of a new need she explains
    「上次是在我女儿家」 (last time was my daughter's flat — so this time it is elsewhere), or 「上次是帮我妈报的」, or
    asks for 「还是上次那个师傅来吧」. The bot answers 「好的，就用上次的地址：幸福里小区 3 号楼 2 单元 502。」 and moves on
    to the phone: the member will go to the daughter's (mother's) flat. resident._SAME_ADDRESS matches 上次 / 还是那个
    anywhere in 12 characters; only 不没坏漏堵修 (_NOT_SAME_ADDRESS) stop it. It should require words that ask for the
    address itself (一样, 同上, 老地址, 那个地址)."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("address") != chat.ticket(1).address, shown


@SQLITE
@pytest.mark.parametrize("words", ["原来的地方拆迁了", "以前那里搬走了"])
async def test_saying_the_old_place_is_gone_does_not_send_the_member_there(chat: BotChat, words: str) -> None:
    """Her earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」; she has since moved. Asked for the address of a
    new need she starts to explain 「原来的地方拆迁了」 (「以前那里搬走了」) — the old place is gone. The bot answers
    「好的，就用上次的地址：幸福里小区 3 号楼 2 单元 502。」 and moves on to the phone: the member is sent to a flat
    that no longer exists. Before this round these words were not read as the last address. Regression of 232f579:
    the new _SAME_ADDRESS accepts (原来|以前|之前)的?(地方|那里|那边…) anywhere in 12 characters, and
    _NOT_SAME_ADDRESS only stops 不没坏漏堵修, not 拆 / 搬 / 卖 / 换 (or anything after the place words)."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("address") != chat.ticket(1).address, shown


# --- the address step: not knowing the address ---
@SQLITE
@pytest.mark.parametrize("words", ["我不知道地址", "我不会写地址", "地址不知道怎么写"])
async def test_not_knowing_the_address_is_not_taken_as_the_address_nor_as_another_need(
    chat: BotChat, words: str
) -> None:
    """Asked for the address, an older resident answers that she does not know it or cannot write it: 「我不知道地址」
    or 「我不会写地址」 is saved as the address itself (the phone is asked next; the member is sent to 「我不知道地址」),
    and 「地址不知道怎么写」 is answered 「「地址不知道怎么写」这件事我先记下了，等这一件登记好就接着为您办」 — kept as a
    second request (文书代写) to be registered after this one. resident.address_given: with no house number, words that
    are neither a question (_ASKS) nor a confident request of another item are saved as the address whatever they say,
    and a confident request (the classifier reads 写 as 文书代写) becomes another need."""
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("step") == "address" and not state.get("address"), (shown, state)
    assert not state.get("next_text"), (shown, state)


@SQLITE
@pytest.mark.parametrize("words", ["地址我不清楚，我问问我女儿", "门牌号我记不清，等我儿子回来问问"])
async def test_not_knowing_the_address_with_a_few_more_words_is_not_saved_as_the_address(
    chat: BotChat, words: str
) -> None:
    """Asked 「请告诉我需要上门的地址」, an older resident writes 「我不识字，地址不会写」 (or 「地址我不清楚，我问问我
    女儿」, 「我不会写地址，你们打电话问我吧」). Before this round she got the help text (写上小区名和楼号就行…). Now the
    bot answers as if an address had been given and moves on to the phone: the member's ticket reads 地址：我不识字，地址
    不会写. Regression of 07f83d7: resident._address_unknown now strips only a list of filler words and treats
    anything 3+ characters left (不识字, 问问女儿, 你们打电话问) as a place named. It should look for words of a
    place (小区, 号楼, 栋, 门, 路, 街, 旁边, digits) rather than count what is left."""
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") != words and state.get("step") == "address", (shown, state)


@SQLITE
@pytest.mark.parametrize("words", ["地址我不清楚，我问问楼下邻居", "地址我记不清了，你们问社区吧", "门牌号忘了，我问问隔壁"])
async def test_not_knowing_the_address_and_asking_a_neighbour_is_not_saved_as_the_address(chat: BotChat, words: str) -> None:
    """Hole next to commit c661b27 (地址我不清楚，我问问我女儿 → help). She writes 「地址我不清楚，我问问楼下邻居」 (or
    「地址我记不清了，你们问社区吧」, 「门牌号忘了，我问问隔壁」): she does not know it and will ask someone. The bot saves these
    words as the ticket's address and asks for the phone; the member gets 「地址：地址我不清楚，我问问楼下邻居」. The new
    resident._PLACE_WORD counts 楼 (楼下), 社区 and 隔壁 as a place told, wherever they stand: words of people to ask
    (楼下邻居, 隔壁, 社区) name no place. The place words should be read as a place (幸福里小区, 3号楼, 东门旁边), not as
    whom she will ask."""
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") != words and state.get("step") == "address", (shown, state)


@SQLITE
@pytest.mark.parametrize("words", ["幸福里小区东门，门牌号不记得了", "幸福里小区，门牌号忘了"])
async def test_an_address_with_the_door_number_forgotten_is_not_discarded(chat: BotChat, words: str) -> None:
    """Asked 「请告诉我需要上门的地址」 she writes what she knows, 「幸福里小区东门，门牌号不记得了」. Before this round it
    was saved as the address (the member can find the east gate and call). Now it is thrown away and she is told
    「没关系，写上小区名和楼号就行，例如：幸福里小区 3 号楼。」 and asked the same question again — she did write the
    小区名, and does not know more: each honest answer loops. Regression of f5e4850 (resident._address_unknown is
    checked before anything else and looks only for 门牌/地址 + 不记得/忘了, not for whether a place was named)."""
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "幸福里小区" in (state.get("address") or ""), (shown, state)


@SQLITE
@pytest.mark.parametrize("words", ["门牌号不记得了，就在菜场后面", "具体地址说不清，卫生站后面那排平房", "地址我不会写，学校后面第三家"])
async def test_a_landmark_told_with_not_knowing_the_address_is_taken_as_the_address(chat: BotChat, words: str) -> None:
    """Regression of commit c661b27. Asked 「请告诉我需要上门的地址」, an older resident who cannot write her address
    describes where she lives: 「门牌号不记得了，就在菜场后面」 (behind the food market),
    「具体地址说不清，卫生站后面那排平房」, 「地址我不会写，学校后面第三家」. Before the commit these were taken as the address
    (the member can find the place and call). Now she gets the 'how to write an address' help and is asked for the
    address again — which she has just said she cannot give — and the landmark is thrown away. resident._address_unknown
    now requires one of a fixed list of _PLACE_WORD (小区, 楼, 路, 市场, 旁边, 对面…): 菜场, 卫生站, 学校, 平房,
    后面, 东边, 第三家 are not on it. Landmarks and directions (后面, 前面, 东边/西边/南边/北边, 中心, 站, 学校, 医院…) tell a
    place as well as 旁边 does; better to refuse only words that name a person to ask or a plan (问问, 等…回来, 打电话)."""
    await chat.intake_to_address(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") == words and state.get("step") == "phone", (shown, state)


# --- the address step: a sticker, a photo, a location, a contact ---
@SQLITE
async def test_a_need_retold_after_a_sticker_at_the_address_step_is_not_taken_for_the_address(chat: BotChat) -> None:
    """At the address step a sticker/voice gets "请用文字描述一下您的问题"; the resident who then describes the
    problem again has that description saved as the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = [r.text for r in await chat.say(RESIDENT, None, sticker=STICKER)]
    await chat.say(RESIDENT, NEED)  # doing what the bot just asked
    assert chat.intake_draft(RESIDENT)["address"] != NEED, (shown, chat.intake_draft(RESIDENT))


@SQLITE
async def test_a_photo_at_the_address_step_is_not_answered_with_describe_your_problem(chat: BotChat) -> None:
    """A photo without words at the address step: the bot says "没有收到文字内容，请用一句话描述您遇到的问题",
    drops the photo, and the description that follows becomes the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = [r.text for r in await chat.say(RESIDENT, None, photo=PHOTO)]
    assert not any("描述您遇到的问题" in t for t in shown), shown
    assert chat.intake_draft(RESIDENT)["step"] == "address"


@SQLITE
async def test_sharing_a_live_location_does_not_flood_the_resident_with_edited_message_warnings(chat: BotChat) -> None:
    """Asked 「请告诉我需要上门的地址」, an older resident taps 📎 → 位置 → 「共享实时位置」 (Telegram's most prominent
    choice). The first location is taken as the address and the phone is asked. But a live location is updated by
    Telegram as *edited messages* every time the phone moves (for 15 minutes to 8 hours), and every one of them is
    answered 「修改后的消息我这边不会更新。如需补充或更正，请直接再发一条新消息。」: three position updates, three scoldings
    for something the resident never did, and dozens more while the sharing lasts (bot/handlers/common.py
    edited_message answers every edited update, whatever it carries)."""
    await chat.intake_to_address(RESIDENT, LAMP)
    live = {"latitude": 31.23040, "longitude": 121.47370, "live_period": 900}
    await chat.say(RESIDENT, None, location=live)
    shown = []
    for step in range(1, 4):
        moved = {**live, "latitude": 31.23040 + step / 10_000}
        update = chat.message_payload(RESIDENT, None, location=moved, edit_date=1_700_000_000 + step)
        shown += await chat.push({"edited_message": update}, RESIDENT)
    warnings = [r.text for r in shown if r.text == texts.EDITED_MESSAGE]
    assert not warnings, texts_of(shown)


@SQLITE
async def test_a_contact_sent_at_the_address_step_does_not_get_the_introduction(chat: BotChat) -> None:
    """Asked 「请告诉我需要上门的地址」, the resident taps 📎 and sends her own contact (thinking the bot wants her
    details). She gets 「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题。」 as if no request were
    in progress, the address is not asked again, and her number is dropped. bot/handlers/resident.contact_shared
    answers NON_REQUEST['other'] to a contact at any step but the phone step."""
    await chat.intake_to_address(RESIDENT, LAMP)
    contact = {"phone_number": "13812345678", "first_name": "张阿姨", "user_id": RESIDENT}
    shown = texts_of(await chat.say(RESIDENT, None, contact=contact))
    assert texts.NON_REQUEST["other"] not in shown and "地址" in shown, shown


# --- the phone step: a number ---
@SQLITE
@pytest.mark.parametrize(("typed", "stored"), [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "+8613812345678"),
    ("0379-61234567", "037961234567"),
    ("座机 6123456", "6123456"),
    ("我的电话是13812345678", "13812345678"),
])
async def test_a_typed_number_is_taken(chat: BotChat, typed: str, stored: str) -> None:
    await to_phone_step(chat)
    assert "已为您登记工单" in _texts(await chat.say(RESIDENT, typed))
    ticket = chat.ticket(1)
    assert ticket.phone == stored and ticket.text == NEED, "the number's label is not added to the request"


@SQLITE
@pytest.mark.parametrize("words", ["我不会弄", "这个怎么按啊", "看不懂"])
async def test_not_knowing_how_to_give_the_phone_is_told_how_and_not_added_to_the_need(
    chat: BotChat, words: str
) -> None:
    """At the phone step an older resident cannot work the contact button: 「我不会弄」. The bot answered 「已把这句话补充
    到您的诉求里：「我不会弄」」 and the member would have read it as part of the lamp's trouble. She is told she can
    type the number or 跳过 instead, and the need's words stay hers."""
    await to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, words))
    assert texts.PHONE_HOW_GENTLY in shown and "补充" not in shown, shown
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(1).text == NEED


@SQLITE
@pytest.mark.parametrize("words", ["我不会弄", "这个怎么弄"])
async def test_not_knowing_how_at_the_address_step_is_helped_not_taken_for_the_address(
    chat: BotChat, words: str
) -> None:
    """A console review: 「我不会弄」 at the address step was saved as the address (the member's card: 地址：我不会弄)."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = _texts(await chat.say(RESIDENT, words))
    assert texts.ADDRESS_HELP in shown and chat.intake_draft(RESIDENT)["step"] == "address", shown


@SQLITE
async def test_an_address_told_in_pieces_keeps_the_estate(chat: BotChat) -> None:
    """A console review: 「和平里」 (too short: asked again), then 「3号楼」, then 「2单元501」: the address was 「3号楼
    2单元501」 — which estate the member should go to was lost."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "和平里")
    await chat.say(RESIDENT, "3号楼")
    await chat.say(RESIDENT, "2单元501")
    assert chat.intake_draft(RESIDENT)["address"].replace(" ", "") == "和平里3号楼2单元501"


@SQLITE
async def test_a_short_word_before_the_address_is_not_glued_to_it(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "嗯")
    await chat.say(RESIDENT, "3号楼2单元501")
    assert chat.intake_draft(RESIDENT)["address"] == "3号楼2单元501"


@SQLITE
@pytest.mark.parametrize("step", ["address", "phone"])
async def test_a_need_that_says_bu_hui_at_a_step_is_a_need_not_a_question_how(chat: BotChat, step: str) -> None:
    """A review: 「燃气灶打不着火 不会弄」 at the phone step (「新买的血压计不会用」 at the address step) got the help for
    the step and the need was lost."""
    await chat.intake_to_address(RESIDENT, NEED)
    if step == "phone":
        await chat.say(RESIDENT, ADDRESS)
    words = "燃气灶打不着火 不会弄" if step == "phone" else "新买的血压计不会用"
    shown = _texts(await chat.say(RESIDENT, words))
    assert texts.PHONE_HOW_GENTLY not in shown and texts.ADDRESS_HELP not in shown, shown
    draft = chat.intake_draft(RESIDENT)
    assert words in (draft.get("next_text") or "") + draft["text"], (shown, draft)


@SQLITE
async def test_not_knowing_how_to_press_under_the_card_is_told_what_to_type(chat: BotChat) -> None:
    """A console review: 「这个怎么按」 under 「对吗？」 got 「请点上面那条消息里的按钮接着办」: the button again, which she
    could not work. Typed 对 / 不对 / 取消 do what they do."""
    await chat.say(RESIDENT, NEED)
    shown = _texts(await chat.say(RESIDENT, "这个怎么按"))
    assert texts.CARD_HOW in shown, shown
    await chat.say(RESIDENT, "对")
    assert chat.intake_draft(RESIDENT)["step"] == "address"


@SQLITE
async def test_the_number_left_last_time_is_offered_at_the_phone_step(chat: BotChat) -> None:
    """A console review: minutes after one ticket, the second asked for the phone again with no 「用上次的号码」, where
    the address step offers the last address. The button shows the last four digits only."""
    await to_phone_step(chat)
    await chat.say(RESIDENT, PHONE)
    await chat.intake_to_address(RESIDENT, "楼下垃圾好几天没人收了")
    await chat.say(RESIDENT, ADDRESS)
    asked = chat.last_message(RESIDENT)
    keys = [b["text"] for row in (asked.reply_keyboard or {}).get("keyboard", []) for b in row]
    again = next(k for k in keys if texts.BTN_LAST_PHONE in k)
    assert PHONE[-4:] in again and PHONE not in again, keys
    await chat.say(RESIDENT, again)
    assert chat.ticket(2).phone == PHONE


@SQLITE
async def test_an_incomplete_number_is_asked_again(chat: BotChat) -> None:
    await to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, "138123456"))
    assert texts.PHONE_INCOMPLETE in shown and chat.count(Ticket) == 0
    await chat.say(RESIDENT, "13812345678")
    assert chat.ticket(1).phone == "13812345678"


@BOTH_BACKENDS
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


@SQLITE
async def test_a_phone_read_out_in_numerals_and_followed_by_words_is_taken_as_the_phone(chat: BotChat) -> None:
    """At the phone step an older resident types 「一三八一二三四五六七八，一直有人在家」. The grouped-numerals pattern
    (_CN_PHONE, new in this round) runs on across the comma into 一直, reads 138123456781 — twelve digits, no phone —
    so the number is filed as words added to the request and the phone asked again. Before the change the same
    words gave the phone 13812345678."""
    await chat.intake_to_address(RESIDENT)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    shown = texts_of(await chat.say(RESIDENT, "一三八一二三四五六七八，一直有人在家"))
    assert chat.count(Ticket) == 1, shown
    assert chat.ticket(1).phone == "13812345678", shown


@SQLITE
@pytest.mark.parametrize("words", ["一三八一二三四五六七八 一个人在家，敲门大声点", "一三八 一二三四 五六七八 一楼东户"])
async def test_a_phone_read_out_before_a_word_starting_with_yi_is_taken(chat: BotChat, words: str) -> None:
    """At the phone step the resident reads out the number and goes on: 「一三八一二三四五六七八 一个人在家，敲门大声点」
    or 「一三八 一二三四 五六七八 一楼东户」. Before today's change the eleven numerals were the phone (13812345678).
    Now numbers._CN_MOBILE refuses a mobile followed by 一 unless the next character is in a short list (直下定起样般点
    些共次会天趟声): 一个, 一楼 are not in it, so it is taken for a twelfth digit, _CN_PHONE then runs across the
    space to twelve numerals, and no phone is found. The bot adds the whole line, phone number included, to the need
    as a 补充 and asks for the phone again. Expected: the ticket is opened with phone 13812345678, and the numerals
    are not copied into the need."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, "幸福里小区3号楼2单元502")
    shown = texts_of(await chat.say(RESIDENT, words))
    tickets_now = chat.state()["tickets"]
    draft = chat.intake_draft(RESIDENT) or {}
    assert [t[5] for t in tickets_now] == ["13812345678"], (shown, tickets_now, draft.get("text"))


@SQLITE
@pytest.mark.parametrize("words", ["一三八一二三四五六七八 二零一室", "一三八一二三四五六七八 五六点以后家里有人"])
async def test_a_phone_read_out_before_other_numerals_is_taken(chat: BotChat, words: str) -> None:
    """At the phone step an older resident reads out the mobile and goes on in the same breath: 「一三八一二三四五六七八
    二零一室」 (the room) or 「一三八一二三四五六七八 五六点以后家里有人」 (home after five or six). numbers._CN_MOBILE's
    lookahead (reworked in 8ab2807 for 一楼 / 一个人, but not for these) refuses eleven numerals followed by a space and two
    more numerals (二零, 五六) as a twelfth digit; _CN_PHONE then runs across
    the space to thirteen or fourteen numerals and no phone is found: the bot appends the whole line, phone included,
    to the ADDRESS (「已补充地址：幸福里小区3号楼2单元502 一三八一二三四五六七八 二零一室」) or to the need as a 补充, and asks
    for the phone again. Expected: the ticket is opened with phone 13812345678."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, HOME)
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert [t[5] for t in chat.state()["tickets"]] == ["13812345678"], (shown, draft.get("address"), draft.get("text"))


# --- the phone step: no number, or no request after all ---
@SQLITE
@pytest.mark.parametrize("skip", ["跳过", "不用了", "不方便", "没有手机", "不用了，谢谢你们"])
async def test_no_number_submits_without_one(chat: BotChat, skip: str) -> None:
    await to_phone_step(chat)
    assert "已为您登记工单" in _texts(await chat.say(RESIDENT, skip))
    ticket = chat.ticket(1)
    assert ticket.phone is None and ticket.text == NEED


@SQLITE
@pytest.mark.parametrize("words", ["不知道", "记不住号码"])
async def test_not_knowing_the_number_is_not_added_to_the_request(chat: BotChat, words: str) -> None:
    """An elderly resident asked for a phone says 不知道: it is appended to the need as "（补充）不知道"."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = [r.text for r in await chat.say(RESIDENT, words)]
    state = chat.intake_draft(RESIDENT)
    text = state["text"] if state else chat.ticket(1).text
    assert text == NEED, (shown, text)


@SQLITE
async def test_declining_with_a_reason_keeps_the_reason(chat: BotChat) -> None:
    await to_phone_step(chat)
    await chat.say(RESIDENT, "不要打电话，下午三点以后直接来敲门")
    ticket = chat.ticket(1)
    assert ticket.phone is None and ticket.text == f"{NEED}\n（补充）不要打电话，下午三点以后直接来敲门"


@SQLITE
@pytest.mark.parametrize("words", ["冇事了", "莫得事了", "冇事喇，唔该"])
async def test_its_fine_now_at_the_phone_step_opens_no_ticket(chat: BotChat, words: str) -> None:
    """A resident confirmed 「楼道灯坏了」 and gave the address; asked for a phone, she sees the light works again and types
    「冇事了」 (Cantonese for 没事了 "it's fine now"; Sichuanese 「莫得事了」). As with 「没事了」 (the phone asked again, no ticket),
    no ticket should be opened without her. Instead the ticket is opened and offered to
    members: since de71fab 冇 and 莫得 are SKIP_WORDS matched with startswith, so 冇事了 / 莫得事了 are taken for 「no
    phone」; and 莫得事了, added to _GIVE_UP_WORDS, is not in _WITHDRAWN, so gives_up is False at the phone step.
    (bot/handlers/resident.py phone_typed: `plain.lstrip(...).startswith(SKIP_WORDS)`; gives_up / _WITHDRAWN.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    assert chat.intake_draft(RESIDENT)["step"] == "phone"
    told = texts_of(await chat.say(RESIDENT, words))
    assert chat.count(Ticket) == 0, told


@SQLITE
@pytest.mark.parametrize("words", ["还是算了吧", "我看还是算了", "那就算了吧"])
async def test_giving_up_at_the_phone_step_is_neither_a_supplement_nor_a_crisis(chat: BotChat, words: str) -> None:
    """At the phone step (address given) the resident changes their mind in the words 8ab2807 taught the bot under
    「对吗？」 and at the address step: 「还是算了吧」 / 「我看还是算了」 / 「那就算了吧」. At the phone step resident.gives_up only
    takes words that _WITHDRAWN finds (不报, 取消…), and 算了 is none: 「还是算了吧」 and 「我看还是算了」 are added to the
    lamp need as a 补充 (「已把这句话补充到您的诉求里：「还是算了吧」」: the member would read it in the ticket), and
    「那就算了吧」 goes to the router's urgency check, which reads despair in it: 「💛 您的感受很重要…12356」, a crisis ticket,
    the coordinators alerted about a person in crisis. Expected: the request given up (or the phone skipped), the
    words in no need or ticket, no crisis."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, HOME)
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    tickets_now = chat.state()["tickets"]
    assert "12356" not in shown, (shown, tickets_now)
    assert words not in draft.get("text", "") and not any(words in t[3] for t in tickets_now), (shown, draft, tickets_now)


@SQLITE
async def test_giving_up_at_the_phone_step_removes_the_phone_keyboard(chat: BotChat) -> None:
    """At the phone step the keyboard 「📱 发送我的手机号 / 跳过」 is shown. The resident types 「算了，不报了」 and is told
    「好的，这件事先不登记了」, but the keyboard stays. Later she presses 「跳过」 on it and gets the introduction
    「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题」 (or, pressing 📱, her number is answered
    with the same). /cancel and a submitted ticket remove it (ReplyKeyboardRemove); resident.answer_typed's
    INTAKE_GIVEN_UP reply has no markup."""
    await to_phone_step(chat, LAMP, HOME)
    assert chat.request._reply_keyboards.get(RESIDENT) is not None
    shown = texts_of(await chat.say(RESIDENT, "算了，不报了"))
    assert chat.request._reply_keyboards.get(RESIDENT) is None, shown


@SQLITE
async def test_cancel_at_the_phone_step_does_not_silently_drop_the_request(chat: BotChat) -> None:
    """/help tells residents 「/cancel 退出当前步骤（已保存的内容不会丢）」. At the phone step, not wanting to leave a
    number, the resident sends /cancel to leave that step. The bot answers 「好的，已退出当前步骤。需要帮助时随时告诉我。」
    and throws away the whole request — the need, the confirmed item and the address — without saying that nothing was
    registered; she waits for a ticket that never comes. bot/handlers/common.cancel clears every draft and answers the
    same words whatever was in progress (compare 取消 under the card: 「好的，这条诉求已取消，没有登记工单。」)."""
    await to_phone_step(chat, LAMP, HOME)
    shown = texts_of(await chat.say(RESIDENT, "/cancel"))
    kept = chat.count(Ticket) == 1 or chat.intake_draft(RESIDENT) is not None
    told = any(words in shown for words in ("没有登记", "不登记", "诉求已取消"))
    assert kept or told, shown


# --- the phone step: words added to the request ---
@SQLITE
async def test_words_at_the_phone_step_are_kept_with_the_request(chat: BotChat) -> None:
    await to_phone_step(chat)
    words = "下午三点以后家里才有人，<b>敲门</b>大声点"
    shown = _texts(await chat.say(RESIDENT, words))
    assert "补充到您的诉求里" in shown and words in shown, "the words come back as written (escaped)"
    assert chat.count(Ticket) == 0 and chat.intake_draft(RESIDENT)["step"] == "phone"
    await chat.redeliver(chat.updates[-1], RESIDENT)  # Telegram re-sends it: added once

    await chat.say(RESIDENT, "13812345678 老人耳背多敲几下")
    ticket = chat.ticket(1)
    assert ticket.text == f"{NEED}\n（补充）{words}\n（补充）老人耳背多敲几下"
    assert ticket.phone == "13812345678" and not chat.unexpected_errors()


@SQLITE
@pytest.mark.parametrize("aside", ["谢谢", "好的", "嗯嗯"])
async def test_short_words_at_the_phone_step_ask_again(chat: BotChat, aside: str) -> None:
    await to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, aside))
    assert texts.PHONE_HOW in shown and chat.count(Ticket) == 0
    assert chat.intake_draft(RESIDENT)["text"] == NEED, "nothing worth keeping was added"


@SQLITE
@pytest.mark.parametrize(("words", "kept"), [
    ("白天家里没人，晚上6点以后再来，门卫在3号楼旁边", "晚上6点以后"),
    ("厨房水管也在漏水，就在5号楼", "厨房水管"),
])
async def test_words_at_the_phone_step_that_name_a_building_are_not_dropped(
    chat: BotChat, words: str, kept: str
) -> None:
    """Asked for a phone, the resident writes 「白天家里没人，晚上6点以后再来，门卫在3号楼旁边」. The bot answers
    「已补充地址：幸福里小区3号楼2单元502 门卫在3号楼旁边」 and that is all: 「白天家里没人，晚上6点以后再来」 is
    in neither the request nor the address, so the member comes at noon to an empty flat. phone_typed
    (bot/handlers/resident.py) takes numbers.address_in(rest) as more of the address and returns, dropping the rest
    of the message, although the step promises words there are never dropped."""
    await to_phone_step(chat, NEED, HOME)
    shown = texts_of(await chat.say(RESIDENT, words))
    await chat.say(RESIDENT, "跳过")
    ticket = chat.ticket(1)
    waiting = chat.intake_draft(RESIDENT) or {}
    assert kept in ticket.text or kept in (ticket.address or "") or kept in waiting.get("text", ""), (
        shown, ticket.text, ticket.address, waiting)


@SQLITE
async def test_a_photo_with_a_caption_at_the_phone_step_keeps_the_photo(chat: BotChat) -> None:
    """The bot says it added the caption to the request, but the photo itself is silently dropped: the
    member never sees it."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = [r.text for r in await chat.say(RESIDENT, None, photo=PHOTO, caption="就是这个灯，灯罩也掉了")]
    assert any("补充到您的诉求里" in t for t in shown), shown
    await chat.say(RESIDENT, "跳过")
    ticket = chat.ticket(1)
    assert ticket.attachments, (ticket.text, ticket.attachments)


@BOTH_BACKENDS
async def test_words_at_the_phone_step_as_long_as_a_message_do_not_lose_the_request(chat: BotChat, world: World) -> None:
    """At the phone step a resident pastes a long account (a whole Telegram message, 4,096 characters) of what else is
    wrong. with_supplement now keeps the words added whole (text[:MAX_TEXT - len(added)] goes negative when the words
    alone are that long), so the request grows past MAX_TEXT: she is told the words were added, and then the ticket
    cannot be registered."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    long_words = ("另外楼上的水管也一直在滴水，晚上声音很大，" * 300)[:4096]
    await chat.say(RESIDENT, long_words)
    await chat.say(RESIDENT, "跳过")
    assert chat.count(Ticket) == 1, [r.text[:200] for r in chat.replies(RESIDENT)][-4:]


@SQLITE
async def test_two_supplements_brought_again_by_resent_updates_are_added_once(chat: BotChat, world: World) -> None:
    """At the phone step a resident adds two things (「晚上六点以后再来」, then 「门口有条狗，不咬人」); the bot restarts before
    Telegram's offset is confirmed and both updates come again, in order. with_supplement only checks whether the text
    ends with the words: the first one, no longer last, is added a second time (the member reads it twice)."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, "晚上六点以后再来")
    await chat.say(RESIDENT, "门口有条狗，不咬人")
    first, second = chat.updates[-2], chat.updates[-1]
    await chat.redeliver(first, RESIDENT)
    await chat.redeliver(second, RESIDENT)
    await chat.say(RESIDENT, "跳过")
    text = chat.ticket(1).text
    assert text.count("晚上六点以后再来") == 1, text


@BOTH_BACKENDS
async def test_a_long_supplement_brought_again_by_a_resent_update_is_added_once(chat: BotChat, world: World) -> None:
    """At the phone step a resident pastes a long account (3,000 characters) of what else is wrong; the bot restarts
    before Telegram's offset is confirmed and the same update comes again. with_supplement now cuts the words to half
    a ticket but still checks for the uncut words at the end, so the second copy is not recognised: the member reads
    two 「（补充）」 blocks, the request cut down to make room."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    words = ("楼道灯一闪一闪的，晚上根本看不清台阶，" * 200)[:3000]  # (of this need: 另外…也… is another, kept for after)
    await chat.say(RESIDENT, words)
    await chat.redeliver(chat.updates[-1], RESIDENT)
    await chat.say(RESIDENT, "跳过")
    text = chat.ticket(1).text
    assert text.count("（补充）") == 1, (text.count("（补充）"), len(text))


# --- the phone step: when to come, or a question about an earlier ticket ---
@SQLITE
async def test_a_status_query_at_the_phone_step_is_answered(chat: BotChat) -> None:
    await to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, "我之前报的那个单子有人接了吗"))
    assert "工单" in shown and texts.PHONE_HOW in shown
    assert chat.count(Ticket) == 0 and chat.intake_draft(RESIDENT)["text"] == NEED


@BOTH_BACKENDS
@pytest.mark.parametrize("words", ["师傅什么时候来都行，我一直在家"])
async def test_when_to_come_told_at_the_phone_step_is_kept(chat: BotChat, world: World, words: str) -> None:
    """At the phone step a resident tells when to come in words that happen to hold a question word or 没…来
    (「师傅什么时候来都行，我一直在家」). The fix keeps such words only when they ask nothing (_A_STATUS_QUESTION), so
    these are answered as a status question (「您还没有工单」) and dropped from the request the member reads."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "还没有工单" not in shown, shown
    await chat.say(RESIDENT, "跳过")
    assert words in chat.ticket(1).text, (chat.ticket(1).text, shown)


@SQLITE
@pytest.mark.parametrize("words", ["什么时候来都成", "啥时候来都没事"])
async def test_when_to_come_told_at_the_phone_step_is_still_added(chat: BotChat, world: World, words: str) -> None:
    """A resident with a ticket open reports a second need; at its phone step she says when to come: 「什么时候来都成」,
    「啥时候来都没事」. _ANY_TIME knows only 都(行|可以|方便|有人|在家): her words (read as status, holding 什么 / 啥) are
    taken for a question about her first ticket and answered with its status, not added to the new request."""
    await _second_need_at_the_phone_step(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充" in shown, shown


@SQLITE
@pytest.mark.parametrize("words", ["什么时候来都可以嘛", "什么时候来都行嘛"])
async def test_when_to_come_told_with_ma_is_still_added(chat: BotChat, world: World, words: str) -> None:
    """At the phone step of a second need a resident says when to come with the everyday particle 嘛 (「什么时候来都可以嘛」
    = any time is fine). _ASKED now counts 嘛 as asking, like 吗 and ？: her words, added before this commit, are taken
    for a status question about her first ticket and not added to the new request."""
    await _second_need_at_the_phone_step(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充" in shown, shown


@SQLITE
@pytest.mark.parametrize("words", ["什么时候来都中", "啥时候来都Ok"])
async def test_when_to_come_told_in_dialect_at_the_phone_step_is_added(chat: BotChat, world: World, words: str) -> None:
    """At the phone step of a second need an elderly resident from Henan says when to come: 「什么时候来都中」 (中 = 行);
    another types 「都Ok」. _ANY_TIME knows 都成 / 都没事 / ok / OK now, but not 都中 nor Ok: the words, read as status,
    are answered with her first ticket's status and not added to the new request."""
    await _second_need_at_the_phone_step(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充" in shown, shown


@BOTH_BACKENDS
async def test_a_status_question_at_the_phone_step_with_dou_zai_is_not_added_to_the_request(
    chat: BotChat, world: World
) -> None:
    """A resident with a ticket open reports a second need; at its phone step she asks about the first one:
    「之前报的那个怎么还没人来修？我都在家等了两天了」. _ANY_TIME (meant for 什么时候来都行) matches 都在, so the question is
    no longer answered: it is added to the new request (the member of the new need reads her complaint about another)."""
    await _second_need_at_the_phone_step(chat)
    words = "之前报的那个怎么还没人来修？我都在家等了两天了"
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "已补充" not in shown and "补充" not in shown, shown


@SQLITE
@pytest.mark.parametrize("words", ["说好几点来都中午了怎么还没人来"])
async def test_a_status_complaint_with_zhongwu_is_not_a_time_told(chat: BotChat, world: World, words: str) -> None:
    """At the phone step of a second need, a resident with a ticket already open complains without punctuation: 「说好几点
    来都中午了怎么还没人来」. 5962924 added 中 (= 行) to _ANY_TIME, so 「几点来都中」 of 中午 reads as 「any time is fine」: her
    complaint is added to the new request as a supplement instead of being answered with her first ticket's status."""
    await _second_need_at_the_phone_step(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充" not in shown, shown


# --- the phone step: correcting the address ---
@SQLITE
async def test_correcting_the_building_of_a_numbered_courtyard_at_the_phone_step(chat: BotChat) -> None:
    """The resident lives at 「和平路12号院3号楼2单元502」 (a courtyard and a building: the usual form in Beijing). At
    the phone step they type 「不对，是5号楼」. numbers.corrected_address takes the first match of its building pattern
    (…号楼|栋|幢|号院), which is 「12号院」, and puts 5号楼 there: the address becomes 「和平路5号楼3号楼2单元502」 —
    the courtyard lost, the wrong building 3号楼 kept, and the bot says 「好的，地址已改为：和平路5号楼3号楼…」.
    Expected: 和平路12号院5号楼2单元502."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, "和平路12号院3号楼2单元502")
    shown = texts_of(await chat.say(RESIDENT, "不对，是5号楼"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert address.replace(" ", "") == "和平路12号院5号楼2单元502", (shown, address)


@SQLITE
async def test_correcting_the_room_of_a_street_address_keeps_the_house_number(chat: BotChat) -> None:
    """The resident gave 「和平路128号」 (a street and house number, no room), and at the phone step adds 「不对，是602室」.
    numbers.corrected_address looks for a room at the end of the old address with \\d{3,4}[室房号]?$ and finds the
    house number 「128号」: the address becomes 「和平路602室」 and the bot says 「好的，地址已改为：和平路602室」 — the house
    is gone, the member cannot find it. Expected: 和平路128号602室 (the room added; the house number kept)."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, "和平路128号")
    shown = texts_of(await chat.say(RESIDENT, "不对，是602室"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "128号" in address and "602" in address, (shown, address)


@SQLITE
@pytest.mark.parametrize(("home", "words"), [
    (HOME, "不对，是602"),
    (HOME, "不对，是602房间"),
    ("幸福里小区3号楼2单元，502", "不对，是602室"),
])
async def test_correcting_the_room_at_the_phone_step(chat: BotChat, home: str, words: str) -> None:
    """At the phone step (address 幸福里小区3号楼2单元502) the resident corrects the room the way it is said.
    「不对，是602」: numbers.corrected_address would take a bare 602 (_ROOM_TOLD: \\d{3,4}[室房号]?$), but
    resident.phone_typed only corrects when numbers.address_in finds an address in the words, and a bare 602 is none:
    the words are dropped and the phone asked again. 「不对，是602房间」: address_in finds 602房, but _ROOM_TOLD does not
    (房间 is no 房 at the end), nothing is replaced and the bot says 「好的，地址已改为：幸福里小区3号楼2单元502」 — the old
    room, confirmed as the correction. An address typed 「幸福里小区3号楼2单元，502」 (the room after a comma, a form
    numbers.address_in reads): 「不对，是602室」 finds no room after 单元 (the comma) and adds it: 「…2单元，502 602室」,
    two rooms. The member is sent to 502 (or must guess). Expected: the room corrected to 602, no 502."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, home)
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == home
    shown = texts_of(await chat.say(RESIDENT, words))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "602" in address and "502" not in address, (shown, address)


@SQLITE
async def test_the_street_added_at_the_phone_step_on_gaige_road_keeps_the_rest(chat: BotChat) -> None:
    """At the address step the resident types 「3号楼2单元502」; asked for a phone, they add the street and estate:
    「改革路88号幸福里小区」. Before today it was added to the address (幸福里小区, then 3号楼… is how the step is
    meant to grow: resident._address_at_phone). Now phone_typed takes the 改 of 改革路 for a correction (_NO_FIRST:
    修改/改 with no separator needed), and numbers.corrected_address makes a correction naming a street the whole
    address: 「好的，地址已改为：改革路88号幸福里小区」 — building, unit and room are gone. Expected: both kept."""
    await chat.intake_to_address(RESIDENT, LAMP)
    await chat.say(RESIDENT, "3号楼2单元502")
    shown = texts_of(await chat.say(RESIDENT, "改革路88号幸福里小区"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "改革路88号" in address and "502" in address, (shown, address)


@pytest.mark.parametrize("answer", ["幸福里3号楼2单元502 我不在家 我妈在", "和平里小区8号楼2单元501，我是她儿子，电话13698765432"],
                         ids=["not_home_mother_is", "i_am_her_son"])
async def test_the_address_with_who_is_home_is_no_emergency(chat: BotChat, answer: str) -> None:
    """A son reports his mother's blocked toilet and answers where with 「幸福里3号楼2单元502 我不在家 我妈在」: the danger
    model (which learned addresses from the dangers told with them) read it as one — 「如有人身危险，请立即拨打 110」, an
    urgent ticket whose request was the address line, 🚨 to the coordinators, and the toilet put off as 「另一件事」."""
    await chat.intake_to_address(RESIDENT, "帮我妈报个修，她家马桶堵了")
    shown = texts_of(await chat.say(RESIDENT, answer))
    assert "拨打 110" not in shown and "拨打 120" not in shown and "紧急工单" not in shown, shown  # (not 110 alone: #A0110)
    draft, ticket = chat.intake_draft(RESIDENT), chat.ticket(1)  # (with the phone too: registered at once)
    told = draft["text"] if draft else ticket.text
    assert told.startswith("帮我妈报个修，她家马桶堵了") and not (ticket and ticket.urgent), (draft, ticket)


async def test_an_emergency_told_with_the_address_is_still_one(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, "帮我妈报个修，她家马桶堵了")
    shown = texts_of(await chat.say(RESIDENT, "幸福里3号楼2单元502 我妈晕倒了 叫不醒"))
    assert "120" in shown and "紧急工单" in shown, shown


async def test_a_correction_of_the_need_at_the_address_step_corrects_it(chat: BotChat) -> None:
    """「电梯坏了」 → 确认 → then she sees it is wrong and answers where with 「不对 是楼道灯坏了」: it was kept as another
    need for after (「这件事我先记下了」), and the 电梯 ticket she had just said was wrong went out first."""
    await chat.intake_to_address(RESIDENT, "电梯坏了")
    shown = texts_of(await chat.say(RESIDENT, "不对 是楼道灯坏了"))
    draft = chat.intake_draft(RESIDENT)
    assert "我先记下了" not in shown and draft["label"] == "property.public_lighting", (shown, draft)
    assert not draft.get("next_text"), draft


@pytest.mark.parametrize(("correction", "label", "told"), [
    ("不是电视 是冰箱不制冷", "repair.appliance", "冰箱不制冷"),
    ("不是电视，是厨房水管漏水", "repair.plumbing", "厨房水管漏水")], ids=["same_item", "another_item"])
@pytest.mark.parametrize("step", ["address", "phone"])
async def test_the_need_said_to_be_wrong_at_the_address_or_phone_step_is_told_again(
    chat: BotChat, correction: str, label: str, told: str, step: str
) -> None:
    """「电视坏了没声音」 → 确认, then at the address (or phone) step: 「不是电视 是冰箱不制冷」. The item is the same
    (家电维修), so the words were waved off as the same need (「这件事正在为您登记，就是这一件」) and the member would
    have come for the TV; 「不是电视，是厨房水管漏水」 was kept as a second need, after the TV she had just said was
    wrong. Both are the need corrected: its card again, with her words (not those that correct: the member reads
    「冰箱不制冷」); the address told stays."""
    await chat.intake_to_address(RESIDENT, "电视坏了没声音")
    if step == "phone":
        await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, correction))
    draft = chat.intake_draft(RESIDENT)
    assert (draft["step"], draft["text"], draft["label"]) == ("confirm", told, label), (shown, draft)
    assert not draft.get("next_text"), draft
    await chat.say(RESIDENT, "对")
    assert chat.intake_draft(RESIDENT)["step"] == step, "where, once told, is not asked again"


# --- a need left at the address step ---
def _age_draft(chat: BotChat, hours: float) -> None:
    with db.transaction(chat.engine) as s:
        s.execute(update(Draft).where(Draft.telegram_id == RESIDENT, Draft.flow == "intake")
                  .values(updated_at=datetime.now(UTC) - timedelta(hours=hours)))


@SQLITE
async def test_a_need_left_at_the_address_step_is_recalled_once(chat: BotChat) -> None:
    """She confirmed 楼道灯坏了 and put the phone down at 「请告诉我需要上门的地址」, believing she had reported it; after
    12 hours the step was gone, and the next day 「怎么还没来」 got 「您还没有工单」. An hour later she is reminded once,
    and her answer to the reminder is the address."""
    from bot.handlers import resident

    await chat.intake_to_address(RESIDENT, NEED)
    _age_draft(chat, 2)
    with db.transaction(chat.engine) as s:
        assert resident.remind_unfinished(s, datetime.now(UTC)) == 1
        assert resident.remind_unfinished(s, datetime.now(UTC)) == 0  # (once)
    await chat.deliver()
    reminder = [r.text for r in chat.replies(RESIDENT) if "还没有提交" in r.text]
    assert reminder and NEED[:6] in reminder[0] and "地址" in reminder[0], reminder
    assert texts.ASK_PHONE in _texts(await chat.say(RESIDENT, ADDRESS))


@SQLITE
async def test_a_need_left_a_moment_ago_or_long_ago_is_not_recalled(chat: BotChat) -> None:
    from bot.handlers import resident

    await chat.intake_to_address(RESIDENT, NEED)
    with db.transaction(chat.engine) as s:
        assert resident.remind_unfinished(s, datetime.now(UTC)) == 0  # (just now: she may be typing)
    _age_draft(chat, 13)
    with db.transaction(chat.engine) as s:
        assert resident.remind_unfinished(s, datetime.now(UTC)) == 0  # (left: the step no longer takes an answer)


@pytest.mark.parametrize("words", ["另外我家水管也漏了", "对了还有厨房水管也漏了", "我家卫生间水管也漏水了"])
async def test_another_need_said_so_at_the_address_step_is_kept_not_taken_for_the_address(
    chat: BotChat, words: str
) -> None:
    """「另外我家水管也漏了」 at the address step (the bot unsure of its item, for the 另外 and 我家) was the address: the
    member was sent to 「另外我家水管也漏了」, the leak never registered. Said to be another need, it is kept for after."""
    await chat.intake_to_address(RESIDENT, "电视坏了没声音")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "这件事我先记下了" in shown and chat.intake_draft(RESIDENT)["step"] == "address", shown
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "跳过"))
    assert chat.ticket(1).address == ADDRESS and "水管" in shown.split(texts.NEXT_NEED)[-1], shown


async def test_two_needs_kept_at_the_address_and_phone_steps_come_one_at_a_time(chat: BotChat) -> None:
    """「另外我家水管也漏了」 at the address step and 「另外卫生间的灯也不亮了」 at the phone step: the second was folded into
    the TV's ticket as 「（补充）」 (sent to the appliance member); kept, the two came back as one card of both."""
    await chat.intake_to_address(RESIDENT, "电视坏了没声音")
    await chat.say(RESIDENT, "另外我家水管也漏了")
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "另外卫生间的灯也不亮了"))
    assert "这件事我先记下了" in shown and "灯" not in chat.intake_draft(RESIDENT)["text"], shown
    shown = texts_of(await chat.say(RESIDENT, "跳过"))
    card = shown.split(texts.NEXT_NEED)[-1]
    assert "水管" in card and "灯" not in card, shown
