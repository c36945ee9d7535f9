"""Members joining through the bot: /join with an invite code, the name, skills and home-grid steps, /join sent
again, and /start, /help and /duty by role."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import texts
from classifier import Classifier
from routing import db, dispatch, members
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, bot_chat, card_with, texts_of
from tests.conftest import COORD, G11, GRID_COORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

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


def _invite_code(chat: BotChat) -> str:
    """A code the street coordinator makes now (with the settings the bot reads)."""
    with db.transaction(chat.engine) as s:
        return members.create_invite(s, COORD, datetime.now(UTC)).code


def _full_width(code: str) -> str:
    return code.translate({ord(ch): ord(ch) + 0xFEE0 for ch in code})


# --- the invite code as people type it ---
@BOTH
@pytest.mark.parametrize("typed", [_full_width, lambda code: f"{code}。"], ids=["full-width", "trailing-stop"])
async def test_an_invite_code_typed_on_a_chinese_keyboard_is_accepted(chat: BotChat, world: World, typed) -> None:
    """The new member types the code with the phone's Chinese keyboard: in full-width mode it gives ＡＢＣＤ２３４５, or
    it adds 。 at the end. The bot says 「邀请码不存在，请向协调员确认」 for a valid code (only spaces and case are
    forgiven), while every other word the bot reads is taken half width (README: classifier.normalize.simplified)."""
    code = world.invite()
    shown = texts_of(await chat.say(NEWCOMER, f"/join {typed(code)}"))
    assert "邀请码不存在" not in shown, shown
    assert ASKS_NAME in shown, shown


@SQLITE
async def test_an_invite_code_typed_in_two_halves_is_taken_whole(chat: BotChat, world: World) -> None:
    """The coordinator reads the eight-letter code out over the phone in two halves, and the new member types
    「/join ABCD EFGH」. Invite codes are meant to be space-insensitive (members.normalize_code drops every space), but
    /join reads only the first word: the member is told 「邀请码不存在，请向协调员确认」 for a code that is valid."""
    code = world.invite()
    shown = texts_of(await chat.say(4242, f"/join {code[:4]} {code[4:]}"))
    assert "邀请码不存在" not in shown, shown
    assert "称呼" in shown, shown


@BOTH
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


# --- the name step ---
@BOTH
async def test_an_emergency_typed_at_the_name_step_is_treated_as_an_emergency(chat: BotChat, world: World) -> None:
    """A resident sent /join CODE and was asked 「请告诉我您的称呼」; before answering, she smells gas and types
    「家里煤气泄漏了，味道很大」. The bot saves the sentence as her member name and shows the skills buttons: no 119
    advice, no urgent ticket, no coordinator alerted (at the skills step the same words are an emergency)."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, "家里煤气泄漏了，味道很大"))
    assert ASKS_SKILLS not in shown, shown
    assert "119" in shown, shown


@BOTH
async def test_typing_cancel_at_the_name_step_does_not_make_it_the_name(chat: BotChat, world: World) -> None:
    """Asked for a name, the person changes their mind and types 「取消」 (the word on the bot's own cancel button;
    residents' steps take it typed). The bot takes 「取消」 as the member's name and asks for skills: finishing gives a
    member called 取消, shown so to residents and coordinators."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, "取消"))
    assert ASKS_SKILLS not in shown, shown


@SQLITE
async def test_a_join_left_for_a_day_does_not_take_the_next_days_need_as_a_name(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Someone types /join CODE, is asked for a name, and never answers. Three days later, as a resident, they write
    a need: the bot takes it as the name (a short need: 「请选择您擅长的服务技能」; a longer one: 「称呼请用 1–20 个字」
    again and again) and the need is never filed. An intake left for 12 hours stops taking words (INTAKE_IDLE); the
    registration's name step never does."""
    from datetime import timedelta

    from sqlalchemy import update

    from routing.models import Draft
    from tests.bot.chat_harness import _now

    person = 77
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(person)
        with db.transaction(engine) as s:
            code = members.create_invite(s, COORD, _now()).code
        await chat.say(person, f"/join {code}")
        with db.transaction(engine) as s:
            s.exec(update(Draft).where(Draft.telegram_id == person).values(updated_at=_now() - timedelta(days=3)))
        shown = [r.text for r in await chat.say(person, "楼道灯坏了，晚上很黑")]
        assert any("我理解您反映的是" in t for t in shown), shown


# --- the skills step ---
@SQLITE
async def test_skills_typed_at_the_skills_step_are_not_answered_with_the_residents_introduction(
    chat: BotChat, world: World
) -> None:
    """A new volunteer sends /join CODE, types his name, and at 「请选择您擅长的服务技能（可多选），选好后点「完成」：」
    (forty buttons on a small screen) types 「电工，水管」 instead. The bot answers the resident's introduction
    「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题。」: nothing says the skills were not
    taken nor that the buttons and 「完成」 are still waiting, and he is still not registered. He should be told to choose
    with the buttons (or the words be matched to skills: routing/matching.py match_skills is there for free-text tags).
    (bot/handlers/router.py _target: a JOIN draft without 「await」 takes no words; member.py has no answer for them.)"""
    code = _invite_code(chat)
    volunteer = 5000
    await chat.say(volunteer, f"/join {code}")
    await chat.say(volunteer, "王建国")
    told = texts_of(await chat.say(volunteer, "电工，水管"))
    assert "我是社区服务助手" not in told, told
    assert "技能" in told or "完成" in told, told


@SQLITE
async def test_an_emergency_typed_after_a_join_left_at_the_skills_step_is_not_answered_with_skills(
    chat: BotChat, world: World
) -> None:
    """Someone got an invite, sent /join CODE and his name, then put the phone away at the skills buttons. An hour later
    his kitchen smells of gas and he types 「厨房煤气泄漏了，味道很大」. He should get the emergency answer (urgent words are
    never held back). Instead he reads 「请点上面的按钮选择您擅长的技能（可多选），选好后点「完成」。」 and nothing is opened:
    for 12 hours every word he types is taken for the skills step.
    (bot/handlers/router.py _target: JOIN_WORDS for any text while a JOIN draft has a name; no urgent or need check.)"""
    code = _invite_code(chat)
    volunteer = 5000
    chat.home(volunteer)
    await chat.say(volunteer, f"/join {code}")
    await chat.say(volunteer, "王建国")
    told = texts_of(await chat.say(volunteer, "厨房煤气泄漏了，味道很大"))
    assert "选择您擅长的技能" not in told, told
    assert chat.count(Ticket) == 1 or "119" in told or "燃气" in told, told


# --- the home grid step ---
@SQLITE
async def test_words_at_the_home_grid_step_of_join_are_not_told_to_choose_skills(chat: BotChat, world: World) -> None:
    """A new volunteer chose his skills and pressed 「完成」; the bot asks for his home grid with buttons. He types
    「幸福里社区」. He is told 「请点上面的按钮选择您擅长的技能（可多选），选好后点「完成」。」 — the skills are chosen and
    「完成」 was pressed; the buttons waiting are the grid's.
    (bot/handlers/router.py _target: JOIN_WORDS for any JOIN draft with a name; member.words_at_skills's one text.)"""
    code = _invite_code(chat)
    volunteer = 5000
    await chat.say(volunteer, f"/join {code}")
    asked = await chat.say(volunteer, "王建国")
    skills = card_with(asked, "完成")
    first = skills.message.inline_keyboard[0][0]["callback_data"]
    await chat.press(volunteer, first, skills.message)
    await chat.press(volunteer, skills.button("完成"), chat.last_message(volunteer))
    told = texts_of(await chat.say(volunteer, "幸福里社区"))
    assert "选择您擅长的技能" not in told, told


@BOTH
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


@BOTH
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


@BOTH
async def test_a_new_members_home_grid_is_not_asked_again_as_their_area(chat: BotChat, world: World) -> None:
    """A volunteer's first words to the bot are /join CODE; at the end she chooses 「请选择您常驻的社区和网格」:
    幸福里社区 · 幸福里第一网格. Then she sends /start (or reports a need of her own) and is asked 「请先选择您所在的社区和
    网格（只需选一次）」 again, as if she had never said where she lives."""
    with db.transaction(world.engine) as s:
        code = members.create_invite(s, COORD, datetime.now(UTC), settings=world.settings).code
    person = 4343
    await chat.say(person, f"/join {code}")
    await chat.say(person, "李阿姨")
    card = chat.last_message(person)
    await chat.press(person, "jn:1", card)
    await chat.press(person, "jn:fin", card)
    await chat.press(person, "jn:grid:S01-C01", card)
    done = texts_of(await chat.press(person, f"jn:grid:{G11}", card))
    assert "注册成功" in done, done
    shown = texts_of(await chat.say(person, "/start"))
    assert "请先选择您所在的社区和网格" not in shown, shown


# --- /join sent again ---
@BOTH
async def test_a_member_who_sends_their_join_again_is_told_they_are_registered(chat: BotChat, world: World) -> None:
    """A week after joining, the member scrolls up to the coordinator's 「/join ABCD2345」 and sends it again (to check
    he is in). He is told 「邀请码已被使用」 — as if someone had taken his code — instead of 「您已经是登记在册的党员 /
    志愿者了」, which the bot says only for an unused code (the code is checked before whether he is a member)."""
    code = world.invite()
    await _join(chat, NEWCOMER, code)
    shown = texts_of(await chat.say(NEWCOMER, f"/join {code}"))
    assert "已被使用" not in shown, shown
    assert "已经是登记在册" in shown, shown


@BOTH
async def test_a_new_coordinator_who_sends_their_join_again_is_not_told_the_code_was_used(
    chat: BotChat, world: World
) -> None:
    """The same for a coordinator added by /addcoordinator: sending the code again says 「邀请码已被使用」, while for an
    unused code of their own scope the bot says 「您已经是这里的协调员了」."""
    code = world.invite(by=COORD, scope=G11)
    first = texts_of(await chat.say(5555, f"/join {code}"))
    assert "协调员" in first, first
    shown = texts_of(await chat.say(5555, f"/join {code}"))
    assert "已被使用" not in shown, shown


# --- /start, /help and /duty by role ---
@BOTH
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


@SQLITE
async def test_a_member_back_after_blocking_the_bot_is_told_they_are_off_duty(chat: BotChat, world: World) -> None:
    """A member who blocked the bot was set off duty (offers could not reach them). When they unblock it — Telegram
    sends /start — they were greeted as any member and never told that no ticket will come until they send /duty."""
    member = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, member, datetime.now(UTC), settings=world.settings)
        assert not members.get_member(s, member).on_duty
    back = texts_of(await chat.say(member, "/start"))
    assert "恢复接单" in back, back
    await chat.say(member, "/duty on")
    assert "恢复接单" not in texts_of(await chat.say(member, "/start"))


@SQLITE
async def test_duty_on_sent_while_on_duty_keeps_the_member_on_duty(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A member who is on duty (as every new member is) types 「/duty on」 to make sure: the bot ignores the word and
    toggles, so he is now off duty and gets no offers — the opposite of what he asked for."""
    member = world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        shown = [r.text for r in await chat.say(member, "/duty on")]
        with db.transaction(engine) as s:
            on_duty = members.get_member(s, member).on_duty
        assert on_duty, shown


async def test_join_without_a_code_from_a_member_says_he_is_one(chat: BotChat, world: World) -> None:
    """/join from someone already a member asked him for an invite code, as if he were not."""
    member = world.member("王师傅", ["电工"])
    told = texts_of(await chat.say(member, "/join"))
    assert texts.JOIN_ALREADY in told, told
