"""A member's record after joining: /tasks shows a coordinator's 指派 waiting for an answer, and the home grid told at
/join is their area. Found by a review of onboarding in the thirty-sixth session (each test failed before)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing import db, members
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import COORD, G11, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


async def _assign_through_bot(chat: BotChat, coordinator: int, member_name: str) -> None:
    """The coordinator's /dispatch → 指派 → the member's button."""
    waiting = next(r for r in await chat.say(coordinator, "/dispatch")
                   if "指派" in str(r.message and r.message.inline_keyboard))
    choose = await chat.press(coordinator, waiting.button("指派"), waiting.message)
    card = next(r for r in choose if r.message is not None and member_name in str(r.message.inline_keyboard))
    await chat.press(coordinator, card.button(member_name), card.message)


async def test_tasks_shows_a_ticket_the_coordinator_assigned_and_waits_for_an_answer(
    chat: BotChat, world: World
) -> None:
    """The 网格员 assigns (指派) a ticket to 王师傅, who is at work; the card 「👉 协调员指派给您一张工单」 scrolls out of
    sight under other chats. Later he sends /tasks to see what is his: 「您手上暂时没有工单。」 — while the coordinator's
    /dispatch shows it as his, waiting for his 接单, and it counts against his capacity. He has no way to find it."""
    await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
    member = world.member("王师傅", ["电工"])
    await _assign_through_bot(chat, COORD, "王师傅")
    assert any("指派给您" in r.text for r in chat.replies(member))
    shown = await chat.say(member, "/tasks")
    assert "暂时没有工单" not in texts_of(shown), texts_of(shown)
    assert any("接单" in b["text"] for r in shown if r.message for row in r.message.inline_keyboard for b in row), \
        texts_of(shown)


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
