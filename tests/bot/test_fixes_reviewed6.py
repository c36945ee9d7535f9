"""Review of f93edf6: _NOT_JOINING, and the clause before a building taken into the address (its tag tests are in
tests/routing/test_free_text_tags_reviewed.py).

Found by a sixth review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import RESIDENT, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEWCOMER = 4242
ASKS_SKILLS = "请选择您擅长的服务技能"



@pytest.mark.parametrize("words", ["算了，不干志愿者了", "我不搞志愿者了", "不干党员了"])
async def test_giving_up_with_gan_or_gao_still_leaves_the_join(chat: BotChat, world: World, words: str) -> None:
    """Asked for his name after /join, a volunteer changes his mind: 「算了，不干志愿者了」. Before f93edf6 _NOT_JOINING
    took (当|做|干|搞)(志愿者|党员)了; now only 当/做 go with 志愿者/党员, so these words become his member name and the
    skills buttons follow."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS not in shown, shown


@pytest.mark.parametrize(("words", "need"), [
    ("垃圾没人清，堆满了整个小区，我住3号楼2单元502", "堆满"),
    ("停车位被占了，外来车辆随便开进小区，我住5栋1单元301", "外来车辆"),
])
async def test_a_need_clause_ending_in_xiaoqu_is_not_taken_into_the_address(chat: BotChat, world: World, words: str,
                                                                           need: str) -> None:
    """A resident writes 「垃圾没人清，堆满了整个小区，我住3号楼2单元502」. f93edf6 takes the clause before a building into
    the address whenever it ends in 小区 / 花园 / 里…: the ticket's address (shown to whoever takes it) becomes
    「堆满了整个小区，我住3号楼2单元502」, part of her complaint, where 15f64e3 kept 「我住3号楼2单元502」."""
    chat.home(RESIDENT)
    await chat.intake_to_address(RESIDENT, words)
    await chat.say(RESIDENT, "跳过")
    ticket = chat.ticket(1)
    assert ticket is not None and need not in (ticket.address or ""), ticket and ticket.address
