"""A review of the intake fixes of commit deb6560: regressions and holes next to each fix. Each test fails on deb6560.

Found by a fourth review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from routing import db, members
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEWCOMER = 4242
RESIDENT = 1
ASKS_NAME = "请告诉我您的称呼"
ASKS_SKILLS = "请选择您擅长的服务技能"
ASKS_ADDRESS = "请告诉我需要上门的地址"



# ── the name step ───────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["不注册了，谢谢", "我还是不报名了，谢谢您", "不想参加了，不好意思"])
async def test_giving_up_with_a_polite_word_after_it_is_not_the_name(chat: BotChat, world: World, words: str) -> None:
    """Asked for her name after /join, a volunteer changes her mind politely: 「不注册了，谢谢」. _NOT_JOINING must now
    match the whole message and allows only 了吧啊… after the give-up, so 「，谢谢」 makes the sentence her member name and
    the skills buttons follow (「不注册了，谢谢」 was a give-up before deb6560)."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS not in shown, shown


@pytest.mark.parametrize("words", ["王师傅，高空不做", "张姐，周末不干"])
async def test_a_name_ending_in_what_one_does_not_do_is_not_giving_up(chat: BotChat, world: World, words: str) -> None:
    """Asked for his name, a volunteer gives it with what he won't do, the verb last: 「王师傅，高空不做」. The fullmatch
    allows 16 characters of anything before 不做 / 不干, so this reads as leaving: 「已取消注册」 instead of the skills."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS in shown, shown


@pytest.mark.xfail(strict=True, reason="not done: a volunteer's name often says what she does (陈阿姨，上门理发剪头), so at the name step only a need longer than a name (20 characters) or an emergency is a need")
async def test_a_short_need_at_the_name_step_is_not_the_name(chat: BotChat, world: World) -> None:
    """Asked for her name after /join, a volunteer's kitchen pipe bursts and she types 「厨房水管漏水了，快来人」 (10
    characters). A need only leaves the name step when it is longer than a name (20): her need becomes her member name,
    the skills buttons follow, and nobody is sent."""
    chat.home(NEWCOMER)
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, "厨房水管漏水了，快来人"))
    assert ASKS_SKILLS not in shown and "我理解您反映的是" in shown, shown


# ── one's own code ──────────────────────────────────────────────────────────────────────────────
async def test_a_coordinator_sending_his_own_code_alone_is_not_answered_as_a_resident(chat: BotChat, world: World) -> None:
    """A coordinator who wants to take tickets himself makes a code with /invite and sends it back on its own (as
    volunteers are told to). _invite_told skips every code its sender made, even a message made of nothing else: he
    gets the resident's greeting (「请直接说说您遇到的问题」), nothing about registering, while /join with it works."""
    code = world.invite()
    shown = texts_of(await chat.say(COORD, code))
    assert ASKS_NAME in shown or "/join" in shown, shown


# ── an estate, then a number that is no room ────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["着火了，阳光花园，119", "我爸摔倒了起不来，在幸福里小区，120"])
async def test_an_estate_then_a_hotline_is_no_address(chat: BotChat, world: World, words: str) -> None:
    """A resident reports an emergency and ends with where and the hotline (「着火了，阳光花园，119」). address_in now takes
    an estate followed by any 3-4 digit clause for the address: the urgent ticket's address is 「阳光花园，119」, the
    address step is skipped (the phone is asked at once) and the building and room are never asked."""
    chat.home(RESIDENT)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert ASKS_ADDRESS in shown, (shown, chat.ticket(1).address)


@pytest.mark.xfail(strict=True, reason="not done yet: a room told with the need after a comma (幸福里小区，502 的灯坏了) is not read as the end of the address")
async def test_a_room_after_the_estate_with_the_need_is_kept(chat: BotChat, world: World) -> None:
    """A resident writes 「我住幸福里小区，502 的灯坏了好几天了」 and confirms. The estate and room are told, as in 「我住幸福里小区，
    502」 which is now an address, but with the need in the same clause address_in finds none: she is asked the address
    again."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, "我住幸福里小区，502 的灯坏了好几天了")
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS not in shown, shown


async def test_a_coordinators_code_asked_about_for_someone_else_is_not_used_up(chat: BotChat, world: World) -> None:
    """A resident helps her neighbour, the new community director: 「我邻居王主任的邀请码是 CODE，他问怎么加入」. Every run of
    eight in a sentence about joining is looked up, and a coordinator's code found so is joined at once: the resident
    becomes the community's coordinator and the code is used up before 王主任 can send it."""
    chat.home(RESIDENT)
    code = world.invite(scope="S01-C01")
    shown = texts_of(await chat.say(RESIDENT, f"我邻居王主任的邀请码是 {code}，他问怎么加入"))
    with db.transaction(world.engine) as s:
        invite = members.find_invite(s, code)
        used = invite.used_by if hasattr(invite, "used_by") else None
        made = members.coordinator_scopes(s, RESIDENT)
    assert used is None and not made, (shown, used, made)


@pytest.mark.parametrize("words", ["什么时候来都中", "啥时候来都Ok"])
async def test_when_to_come_told_in_dialect_at_the_phone_step_is_added(chat: BotChat, world: World, words: str) -> None:
    """At the phone step of a second need an elderly resident from Henan says when to come: 「什么时候来都中」 (中 = 行);
    another types 「都Ok」. _ANY_TIME knows 都成 / 都没事 / ok / OK now, but not 都中 nor Ok: the words, read as status,
    are answered with her first ticket's status and not added to the new request."""
    await chat.submit(RESIDENT)
    await chat.intake_to_address(RESIDENT, "厨房下水道堵了，水下不去")
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充" in shown, shown


@pytest.mark.parametrize("words", ["我家在东风园3-502，厨房水管漏水了", "光明村3-502，厨房水管漏水了", "我住3-502，厨房水管漏水了"])
async def test_a_short_door_after_a_place_word_is_still_the_address(chat: BotChat, world: World, words: str) -> None:
    """A resident tells her need with where it is: 「我家在东风园3-502，厨房水管漏水了」 (or 光明村3-502, 我住3-502). deb6560 put
    _AN_ESTATE_BEFORE in place of _PLACE_BEFORE for a building-room inside a clause too, and it has no 园 (东风园, 锦绣园),
    村, 社区, 路 nor 住: the address she told is no longer found and she is asked for it again after confirming."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, words)
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS not in shown, shown


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
