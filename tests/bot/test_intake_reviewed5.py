"""Review of the intake fixes of commit 5962924 (resident / member side): regressions and holes next to each fix.

Found by a fifth review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing import db, members
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEWCOMER = 4242
RESIDENT = 1
ASKS_SKILLS = "请选择您擅长的服务技能"
ASKS_ADDRESS = "请告诉我需要上门的地址"



@pytest.mark.parametrize("words", ["陈阿姨，上门理发剪头", "张医生，上门量血压"])
async def test_a_name_with_the_service_offered_is_not_taken_for_a_need(chat: BotChat, world: World, words: str) -> None:
    """Asked for her name after /join, a volunteer barber gives it with what she offers: 「陈阿姨，上门理发剪头」 (10
    characters). 5962924 takes any confident need of 8+ characters at the name step for a need: her registration is
    left (JOIN_LEFT), a request card about a haircut opens, and she is never asked her skills."""
    chat.home(NEWCOMER)
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS in shown, shown


@pytest.mark.parametrize("words", ["不想当志愿者", "我还是不当志愿者吧"])
async def test_giving_up_without_le_still_leaves_the_join(chat: BotChat, world: World, words: str) -> None:
    """Asked for her name after /join, a volunteer changes her mind: 「不想当志愿者」 / 「我还是不当志愿者吧」.
    5962924 now wants 了 right after 当/做/干/搞: each of these (a give-up on deb6560) becomes her
    member name and the skills buttons follow."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS not in shown, shown


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


ASKS_NAME = "请告诉我您的称呼"


@pytest.mark.parametrize("words", ["您好，我的邀请码是 {code}", pytest.param(
    "我刚装好Telegram，邀请码是{code}，谢谢", marks=pytest.mark.xfail(strict=True, reason=(
        "not done: a code inside a longer sentence may be someone else's, asked about (我邻居王主任的邀请码是…): it is "
        "answered with how to use it, /join CODE, not used")))])
async def test_a_volunteer_sending_her_code_in_a_sentence_joins(chat: BotChat, world: World, words: str) -> None:
    """A volunteer told by her community director to send the bot her code writes 「您好，我的邀请码是 CODE」. On deb6560 this
    started her registration (codes_told's docstring names this case); since 5962924 any code not sent alone only gets
    「请发送：/join CODE」, an extra step an elderly volunteer on a phone must now type exactly."""
    chat.home(NEWCOMER)
    code = world.invite()
    shown = texts_of(await chat.say(NEWCOMER, words.format(code=code)))
    assert ASKS_NAME in shown, shown


async def test_a_coordinators_code_asked_about_is_not_described_as_a_volunteer_code(chat: BotChat, world: World) -> None:
    """A resident asks for her neighbour, the new director: 「我邻居王主任的邀请码是 CODE，他问怎么加入」 (a coordinator's code).
    The bot answers her 「注册为党员 / 志愿者，请发送：/join CODE」: it tells the wrong role and invites her to send it herself,
    which makes her the community's coordinator and uses the code up — the bug 5962924 fixed, one tap further."""
    chat.home(RESIDENT)
    with db.transaction(world.engine) as s:
        code = members.create_invite(s, COORD, datetime.now(UTC), settings=world.settings, scope="S01-C01").code
    shown = texts_of(await chat.say(RESIDENT, f"我邻居王主任的邀请码是 {code}，他问怎么加入"))
    assert "党员 / 志愿者" not in shown and f"/join {code}" not in shown, shown


@pytest.mark.parametrize("words", ["说好几点来都中午了怎么还没人来"])
async def test_a_status_complaint_with_zhongwu_is_not_a_time_told(chat: BotChat, world: World, words: str) -> None:
    """At the phone step of a second need, a resident with a ticket already open complains without punctuation: 「说好几点
    来都中午了怎么还没人来」. 5962924 added 中 (= 行) to _ANY_TIME, so 「几点来都中」 of 中午 reads as 「any time is fine」: her
    complaint is added to the new request as a supplement instead of being answered with her first ticket's status."""
    await chat.submit(RESIDENT)
    await chat.intake_to_address(RESIDENT, "厨房下水道堵了，水下不去")
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充" not in shown, shown


async def test_a_hospital_ward_is_not_taken_for_the_home_address(chat: BotChat, world: World) -> None:
    """A resident writes 「老伴在医院里，1203，家里厨房水管漏水了没人管」 (1203: his ward). _AN_ESTATE_BEFORE excludes 住院 and
    医院 but counts 里 after 院 as an estate (院里), so 「老伴在医院里，1203」 is read as the home address: she is never asked
    where to come and the plumber is sent to a hospital ward."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, "老伴在医院里，1203，家里厨房水管漏水了没人管")
    shown = texts_of(chat.replies(RESIDENT)[-1:])
    assert ASKS_ADDRESS in shown, shown
