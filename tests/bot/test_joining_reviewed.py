"""Members joining (/invite, /join, the name step, skills, home grid, /help and /start by role). Found by a review of
onboarding in the thirty-sixth session (each test failed before, as the person saw it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing import db, dispatch
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import COORD, G11, GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

NEWCOMER = 4242
ASKS_NAME = "请告诉我您的称呼"
ASKS_SKILLS = "请选择您擅长的服务技能"



def _buttons(chat: BotChat, person: int) -> list[str]:
    return [b["text"] for row in chat.last_message(person).inline_keyboard for b in row]


async def _join(chat: BotChat, person: int, code: str, name: str = "王师傅", skill: int = 17) -> None:
    """/join CODE → name → one skill (17: 电工) → 完成 → 幸福里社区 → 幸福里第一网格."""
    await chat.say(person, f"/join {code}")
    await chat.say(person, name)
    card = chat.last_message(person)
    await chat.press(person, f"jn:{skill}", card)
    await chat.press(person, "jn:fin", card)
    await chat.press(person, "jn:grid:S01-C01", card)
    await chat.press(person, f"jn:grid:{G11}", card)


# ── the code as people type it ──────────────────────────────────────────────────────────────────
def _full_width(code: str) -> str:
    return code.translate({ord(ch): ord(ch) + 0xFEE0 for ch in code})


@pytest.mark.parametrize("typed", [_full_width, lambda code: f"{code}。"], ids=["full-width", "trailing-stop"])
async def test_an_invite_code_typed_on_a_chinese_keyboard_is_accepted(chat: BotChat, world: World, typed) -> None:
    """The new member types the code with the phone's Chinese keyboard: in full-width mode it gives ＡＢＣＤ２３４５, or
    it adds 。 at the end. The bot says 「邀请码不存在，请向协调员确认」 for a valid code (only spaces and case are
    forgiven), while every other word the bot reads is taken half width (README: classifier.normalize.simplified)."""
    code = world.invite()
    shown = texts_of(await chat.say(NEWCOMER, f"/join {typed(code)}"))
    assert "邀请码不存在" not in shown, shown
    assert ASKS_NAME in shown, shown


@pytest.mark.parametrize("said", ["{code}", "邀请码 {code}"], ids=["code-alone", "with-words"])
async def test_an_invite_code_sent_without_join_is_not_answered_as_a_stranger(
    chat: BotChat, world: World, said: str
) -> None:
    """The coordinator tells an elderly volunteer the code over the phone; she opens the bot and sends just the code
    (or 「邀请码 ABCD2345」). The bot answers 「请直接说说您遇到的问题」 with a button to register the code as a need
    (「这是我的诉求，登记为诉求」), never mentioning /join: she cannot tell how to join with a valid code."""
    code = world.invite()
    shown = texts_of(await chat.say(NEWCOMER, said.format(code=code)))
    assert "登记为诉求" not in shown and "说说您遇到的问题" not in shown, shown
    assert ASKS_NAME in shown or "/join" in shown, shown


# ── the name step ───────────────────────────────────────────────────────────────────────────────
async def test_an_emergency_typed_at_the_name_step_is_treated_as_an_emergency(chat: BotChat, world: World) -> None:
    """A resident sent /join CODE and was asked 「请告诉我您的称呼」; before answering, she smells gas and types
    「家里煤气泄漏了，味道很大」. The bot saves the sentence as her member name and shows the skills buttons: no 119
    advice, no urgent ticket, no coordinator alerted (at the skills step the same words are an emergency)."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, "家里煤气泄漏了，味道很大"))
    assert ASKS_SKILLS not in shown, shown
    assert "119" in shown, shown


async def test_typing_cancel_at_the_name_step_does_not_make_it_the_name(chat: BotChat, world: World) -> None:
    """Asked for a name, the person changes their mind and types 「取消」 (the word on the bot's own cancel button;
    residents' steps take it typed). The bot takes 「取消」 as the member's name and asks for skills: finishing gives a
    member called 取消, shown so to residents and coordinators."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, "取消"))
    assert ASKS_SKILLS not in shown, shown


# ── buttons pressed twice, joining twice ────────────────────────────────────────────────────────
async def test_a_double_tap_on_the_home_grid_keeps_the_welcome(chat: BotChat, world: World) -> None:
    """On a slow phone the new member taps 幸福里第一网格 twice. The first tap registers her and shows 「🎉 注册成功」; the
    second rewrites that very message to 「这个按钮已经失效了（情况已有变化）」, so what she is left looking at says her
    registration failed (a double tap elsewhere changes nothing)."""
    code = world.invite()
    await _join(chat, NEWCOMER, code)
    card = chat.last_message(NEWCOMER)
    assert "注册成功" in card.text, card.text
    await chat.press(NEWCOMER, f"jn:grid:{G11}", card)
    shown = chat.request.get_message(NEWCOMER, card.message_id).text
    assert "失效" not in shown and "注册成功" in shown, shown


async def test_a_member_who_sends_their_join_again_is_told_they_are_registered(chat: BotChat, world: World) -> None:
    """A week after joining, the member scrolls up to the coordinator's 「/join ABCD2345」 and sends it again (to check
    he is in). He is told 「邀请码已被使用」 — as if someone had taken his code — instead of 「您已经是登记在册的党员 /
    志愿者了」, which the bot says only for an unused code (the code is checked before whether he is a member)."""
    code = world.invite()
    await _join(chat, NEWCOMER, code)
    shown = texts_of(await chat.say(NEWCOMER, f"/join {code}"))
    assert "已被使用" not in shown, shown
    assert "已经是登记在册" in shown, shown


async def test_a_new_coordinator_who_sends_their_join_again_is_told_they_coordinate_already(
    chat: BotChat, world: World
) -> None:
    """The same for a coordinator added by /addcoordinator: sending the code again says 「邀请码已被使用」, while for an
    unused code of their own scope the bot says 「您已经是这里的协调员了」."""
    code = world.invite(by=COORD, scope=G11)
    first = texts_of(await chat.say(5555, f"/join {code}"))
    assert "协调员" in first, first
    shown = texts_of(await chat.say(5555, f"/join {code}"))
    assert "已被使用" not in shown, shown


# ── /help and /start by role ────────────────────────────────────────────────────────────────────
async def test_a_removed_member_is_not_shown_the_members_commands(chat: BotChat, world: World) -> None:
    """The coordinator removes a member who moved away (he is told 「如需重新加入，请向协调员索取邀请码」). His /help and
    /start still list 「/duty 切换在岗 / 离岗 · /tasks · /points」 as his commands — each of which then answers 「这个功能只对
    登记的党员 / 志愿者开放」 — and /help no longer tells him how to join again (/join 邀请码)."""
    member = world.member("王师傅", ["电工"])
    with db.transaction(world.engine) as s:
        dispatch.remove_member(s, COORD, world.member_id(member), datetime.now(UTC), settings=world.settings)
    helped = texts_of(await chat.say(member, "/help"))
    started = texts_of(await chat.say(member, "/start"))
    assert "/tasks" not in helped and "/points" not in helped, helped
    assert "/join" in helped, helped
    assert "/tasks" not in started and "/points" not in started, started


# ── which grid an invite is for ─────────────────────────────────────────────────────────────────
async def test_a_grid_coordinators_invite_registers_a_member_only_in_their_grid(chat: BotChat, world: World) -> None:
    """The 网格员 of 幸福里第一网格 makes a code with /invite for a volunteer of her grid. At the home-grid step the
    volunteer is offered every community (和平路社区 too) and may register there: the 网格员 then cannot see him in
    /members nor remove him (「不在您的管辖范围内」), and 和平路's coordinators get a member nobody of theirs invited."""
    code = world.invite(by=GRID_COORD)
    await chat.say(NEWCOMER, f"/join {code}")
    await chat.say(NEWCOMER, "李阿姨")
    card = chat.last_message(NEWCOMER)
    await chat.press(NEWCOMER, "jn:1", card)
    await chat.press(NEWCOMER, "jn:fin", card)
    offered = _buttons(chat, NEWCOMER)
    assert "和平路社区" not in offered, offered
