"""An address told before the address step — with the need in the first message, or under the 「对吗？」 card —
and corrected there; and words of a need that only look like an address."""

from __future__ import annotations

import pytest

from bot import texts
from tests.bot.chat_harness import BotChat, card_with, texts_of
from tests.bot.handlers.resident.intake_helpers import HOME, LAMP, NEED, RESIDENT, SQLITE
from tests.conftest import World

pytestmark = SQLITE

ASKS_ADDRESS = "请告诉我需要上门的地址"


# --- with the need, in the first message ---
@pytest.mark.parametrize("words", ["我家在东风园3-502，厨房水管漏水了", "光明村3-502，厨房水管漏水了", "我住3-502，厨房水管漏水了"])
async def test_a_short_door_after_a_place_word_is_still_the_address(chat: BotChat, world: World, words: str) -> None:
    """A resident tells her need with where it is: 「我家在东风园3-502，厨房水管漏水了」 (or 光明村3-502, 我住3-502). deb6560 put
    _AN_ESTATE_BEFORE in place of _PLACE_BEFORE for a building-room inside a clause too, and it has no 园 (东风园, 锦绣园),
    村, 社区, 路 nor 住: the address she told is no longer found and she is asked for it again after confirming."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, words)
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS not in shown, shown


@pytest.mark.parametrize("words", ["我住幸福里小区，12栋2单元502，厨房水管漏水了", "阳光花园，3单元502，楼道灯坏了好几天了"])
async def test_the_estate_before_a_building_after_a_comma_is_kept(chat: BotChat, world: World, words: str) -> None:
    """A resident writes 「我住幸福里小区，12栋2单元502，厨房水管漏水了」. address_in keeps the estate of 「幸福里小区，502」 (a
    room alone after it) but not before a building: the ticket's address is 「12栋2单元502」, the estate she named is lost
    and whoever takes it does not know which estate's building 12 to go to."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, words)
    await chat.say(RESIDENT, "跳过")
    ticket = chat.ticket(1)
    assert ticket is not None and ("幸福里" in ticket.address or "阳光花园" in ticket.address), ticket and ticket.address


async def test_a_room_after_the_estate_with_the_need_is_kept(chat: BotChat, world: World) -> None:
    """A resident writes 「我住幸福里小区，502 的灯坏了好几天了」 and confirms. The estate and room are told, as in 「我住幸福里小区，
    502」 which is now an address, but with the need in the same clause address_in finds none: she is asked the address
    again."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, "我住幸福里小区，502 的灯坏了好几天了")
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS not in shown, shown
    assert chat.intake_draft(RESIDENT)["address"] == "我住幸福里小区，502", chat.intake_draft(RESIDENT)


async def test_an_amount_after_the_estate_is_not_taken_for_her_room(chat: BotChat, world: World) -> None:
    """「我住幸福里小区，1200的暖气费交了，家里暖气还是不热」 and 确认: the address step was skipped and the ticket went out
    with the address 「我住幸福里小区，1200」, a flat that does not exist."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, "我住幸福里小区，1200的暖气费交了，家里暖气还是不热")
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS in shown, (shown, chat.intake_draft(RESIDENT))


# --- in the first message, words that are no address ---
async def test_a_day_of_the_month_in_the_need_is_not_taken_for_the_address(chat: BotChat) -> None:
    """「下水道堵了，物业说25号才能来」: 「物业说25号才能来」 is saved as the address, so after 确认 the bot skips the
    address and asks for a phone; the plumber's ticket has no address."""
    card = card_with(await chat.say(RESIDENT, "下水道堵了，物业说25号才能来，能不能早点"), "确认")
    shown = texts_of(await chat.press(RESIDENT, card.button("确认"), card.message))
    assert "请告诉我需要上门的地址" in shown, (shown, chat.intake_draft(RESIDENT))


async def test_a_date_in_the_need_is_not_taken_for_the_address(chat: BotChat) -> None:
    """"从10号就坏了" (since the 10th) is a date, not a house number: the bot must still ask where to go."""
    mark = len(chat.events)
    await chat.intake_to_address(RESIDENT, "路灯从10号就坏了，到现在还没修")
    shown = [r.text for r in chat.replies(RESIDENT, mark)]
    assert any("上门的地址" in t for t in shown), shown
    assert chat.intake_draft(RESIDENT)["step"] == "address", chat.intake_draft(RESIDENT)


async def test_a_hospital_ward_is_not_taken_for_the_home_address(chat: BotChat, world: World) -> None:
    """A resident writes 「老伴在医院里，1203，家里厨房水管漏水了没人管」 (1203: his ward). _AN_ESTATE_BEFORE excludes 住院 and
    医院 but counts 里 after 院 as an estate (院里), so 「老伴在医院里，1203」 is read as the home address: she is never asked
    where to come and the plumber is sent to a hospital ward."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, "老伴在医院里，1203，家里厨房水管漏水了没人管")
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS in shown, shown


@pytest.mark.parametrize("words", ["着火了，阳光花园，119", "我爸摔倒了起不来，在幸福里小区，120"])
async def test_an_estate_then_a_hotline_is_no_address(chat: BotChat, world: World, words: str) -> None:
    """A resident reports an emergency and ends with where and the hotline (「着火了，阳光花园，119」). address_in now takes
    an estate followed by any 3-4 digit clause for the address: the urgent ticket's address is 「阳光花园，119」, the
    address step is skipped (the phone is asked at once) and the building and room are never asked."""
    chat.home(RESIDENT)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert ASKS_ADDRESS in shown, (shown, chat.ticket(1).address)


# --- under the 「对吗？」 card ---
@pytest.mark.parametrize("where", ["地址是幸福里小区3号楼2单元502", "在幸福里3号楼2单元502"])
async def test_the_address_typed_under_is_this_right_neither_replaces_the_need_nor_is_lost(
    chat: BotChat, where: str
) -> None:
    """The resident writes 「楼道灯坏了好几天了，晚上很黑」, sees 「对吗？」 and, before pressing 确认, adds where:
    「地址是幸福里小区3号楼2单元502」. That message becomes a new request of its own: the lighting need is replaced by
    「我不太确定这属于哪类事项」 offering 燃气泄漏 / 小区停车 / 电梯故障 for the address, and 确认 on the lighting card
    answers 「这个按钮已经失效了」. Written 「在幸福里3号楼2单元502」 it gets 「我是社区服务助手…请直接说说您遇到的问题」
    and, after 确认, 「请告诉我需要上门的地址」 as if never said. Only the address and phone steps read an address
    (bot/handlers/router.py _target); at the confirm step every message is a new need."""
    card = card_with(await chat.say(RESIDENT, NEED), "确认")
    shown = texts_of(await chat.say(RESIDENT, where))
    pressed = texts_of(await chat.press(RESIDENT, card.button("确认"), card.message))
    state = chat.intake_draft(RESIDENT)
    assert texts.STALE_BUTTON not in pressed and state is not None and state["text"] == NEED, (shown, pressed, state)
    assert state["step"] == "phone", (shown, pressed, state)


@pytest.mark.parametrize("words", ["对的，地址是幸福里小区3号楼2单元502", "是的，在3号楼2单元502"])
async def test_yes_with_the_address_under_is_this_right_neither_replaces_the_need_nor_is_lost(
    chat: BotChat, words: str
) -> None:
    """Under 「楼道灯坏了好几天了，晚上很黑 … 对吗？」 the resident answers the question and says where in one go:
    「对的，地址是幸福里小区3号楼2单元502」. The lighting need is replaced by a new request of these words, shown with
    「我不太确定这属于哪类事项」 and 燃气泄漏 / 电梯故障 / 小区停车 to choose from (「是的，在3号楼2单元502」 gets
    「我是社区服务助手…请直接说说您遇到的问题」 and the address is lost). The session's fixes understand 「对的」 alone
    (typed_answer) and an address alone (address_only), but a yes with the address is neither: the router
    (bot/handlers/router.py _target) makes it a new request."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "我不太确定" not in shown and texts.NON_REQUEST["other"] not in shown, shown
    assert state.get("text") == NEED and "3号楼2单元502" in (state.get("address") or ""), (shown, state)


@pytest.mark.parametrize(("place", "typed"), [("乾县", "地址是乾县城关镇幸福里小区3号楼2单元502"),
                                              ("乾安县", "对的，地址是乾安县幸福里小区3号楼2单元502")])
async def test_an_address_typed_under_the_card_is_kept_as_typed(chat: BotChat, place: str, typed: str) -> None:
    """A resident of 乾县 (a county of Shaanxi; 乾安县 in Jilin — both written 乾 in Simplified) types her address under
    「…对吗？」: 「地址是乾县城关镇幸福里小区3号楼2单元502」. The address should be kept as she typed it (typed at the
    address step it is). Instead the bot answers 「地址已记下：干县城关镇…」 and the ticket — offered to members, shown
    to coordinators — says 干县 / 干安县, a place that does not exist: since de71fab address_only returns the address
    converted by OpenCC t2s (乾→干, 於→于…), which changes Simplified place names too.
    (bot/handlers/resident.py address_only: `text = simplified(text)`, the address cut from the converted text.)"""
    card = card_with(await chat.say(RESIDENT, NEED), "确认")
    told = texts_of(await chat.say(RESIDENT, typed))
    draft = chat.intake_draft(RESIDENT)
    if draft and draft.get("step") == "confirm":
        await chat.press(RESIDENT, card.button("确认"), card.message)
        draft = chat.intake_draft(RESIDENT)
    assert draft and place in (draft.get("address") or ""), (told, draft)


@pytest.mark.parametrize("words", ["改革路5号2单元301", "改革大道12号3栋"])
async def test_an_address_on_gaige_road_told_under_the_card_is_kept_whole(chat: BotChat, words: str) -> None:
    """The resident tells 「楼道灯坏了好几天了」 and, seeing 「对吗？」, adds where: 「改革路5号2单元301」 (改革路, 改革大道:
    a street name in most Chinese cities). The bot answers 「已记下上门地址：革路5号2单元301（登记时不用再说一遍）」 and
    after 确认 never asks for the address: the member is sent to 「革路5号…」, a street that does not exist. Today's
    _NO_FIRST (resident.address_only) strips a leading "no" word with no separator required, and 改 (修改) is one
    of _NO_WORDS, so the 改 of 改革 is taken for "change it". Expected: the address kept as typed."""
    await chat.say(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, words))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert address.startswith("改革"), (shown, address)


async def test_a_phone_typed_under_the_card_is_not_copied_into_the_need(chat: BotChat) -> None:
    """An eager older resident types their mobile 「13812345678」 right after the card 「…对吗？」, before 确认. Today's
    _tell_more takes any short words of kind "other" under the card as more of the need: the card comes back as
    「楼道灯坏了好几天了，13812345678 … 对吗？」 and, confirmed, the ticket's need text carries the phone number (the
    phone step then asks for it again, as if it had not been given). Today's phone-step fix says just this is wrong
    (「a phone … is not copied into the need」, numbers.without_phones). Expected: the need's words without the
    number."""
    await chat.say(RESIDENT, LAMP)
    shown = texts_of(await chat.say(RESIDENT, "13812345678"))
    draft = chat.intake_draft(RESIDENT) or {}
    assert "13812345678" not in draft.get("text", ""), (shown, draft)


# --- corrected under the card ---
@pytest.mark.parametrize("words", ["不对，是5号楼", "不是3号楼，是5号楼"])
async def test_correcting_the_building_under_the_card_keeps_the_estate(chat: BotChat, words: str) -> None:
    """The resident tells 「楼道灯坏了，幸福里小区3号楼2单元502」; the card shows it with 「对吗？」. They notice the wrong
    building and type 「不对，是5号楼」 (or 「不是3号楼，是5号楼」). The router now reads these as an address told early
    (resident.address_only skips the new _NO_FIRST lead) and resident.address_told_early puts it IN PLACE of the
    whole address: the address becomes 「5号楼」 — no estate, no unit, no room — (or 「3号楼，是5号楼」, the wrong
    building kept beside the right one), and since an address is now known, the address step is skipped after 确认.
    At the phone step the same words go through numbers.corrected_address (幸福里小区5号楼2单元502). Expected: the
    building is corrected and the rest of the place kept: 幸福里小区5号楼2单元502, no 3号楼."""
    await chat.say(RESIDENT, "楼道灯坏了，幸福里小区3号楼2单元502")
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == "幸福里小区3号楼2单元502"
    shown = texts_of(await chat.say(RESIDENT, words))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "幸福里" in address and "5号楼" in address and "3号楼" not in address, (shown, address)


async def test_correcting_the_building_of_a_short_form_address_under_the_card(chat: BotChat) -> None:
    """The resident tells 「楼道灯坏了，幸福里3-2-502」 (building-unit-room, as numbers.ADDRESS_SHORT reads it) and, under
    「对吗？」, notices the wrong building: 「不对，是5号楼」. numbers.corrected_address finds no 号楼 in 3-2-502 and adds the
    correction after it: the bot says 「已记下上门地址：幸福里3-2-502 5号楼」 and keeps two buildings for the member to
    choose from (the address step is then skipped). Expected: the wrong building 3-2-502 no longer in the address, the
    room 502 kept."""
    await chat.say(RESIDENT, "楼道灯坏了，幸福里3-2-502")
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == "幸福里3-2-502"
    shown = texts_of(await chat.say(RESIDENT, "不对，是5号楼"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "3-2-502" not in address and "5" in address and "502" in address, (shown, address)


@pytest.mark.parametrize("where", ["card", "phone"])
async def test_correcting_the_estate_replaces_it(chat: BotChat, where: str) -> None:
    """The resident gave 「幸福里小区3号楼2单元502」 (with the need under the card, or at the address step) and then
    corrects the whole place: 「不对，是光明里5号楼1单元301」 (their mother's estate, 光明里 — 幸福里-style names ending in
    里 are common). numbers.corrected_address takes a correction as the whole address only when _ESTATE finds 小区/花园/
    苑/…/路街巷弄村 in it — not 里 — so it swaps building, unit and room into the OLD estate: 「幸福里小区5号楼1单元301」,
    and the bot confirms that address. The member goes to the wrong estate. Expected: 光明里5号楼1单元301, no 幸福里."""
    if where == "card":
        await chat.say(RESIDENT, f"楼道灯坏了，{HOME}")
    else:
        await chat.intake_to_address(RESIDENT, LAMP)
        await chat.say(RESIDENT, HOME)
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == HOME
    shown = texts_of(await chat.say(RESIDENT, "不对，是光明里5号楼1单元301"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "光明里" in address and "幸福里" not in address, (shown, address)
