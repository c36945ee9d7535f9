"""/skills: a member changes the skills offers are matched by (a skill learned, one no longer offered), with the
buttons of /join; nobody else can."""

from __future__ import annotations

import pytest

from bot import texts
from routing import db, members
from tests.bot.chat_harness import BotChat, buttons, texts_of
from tests.conftest import RESIDENT, World

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _skills(chat: BotChat, member: int) -> list[str]:
    with db.transaction(chat.engine) as s:
        return list(members.get_member(s, member).skill_tags)


@BOTH
async def test_a_member_adds_a_skill_and_is_offered_its_work(chat: BotChat, world: World) -> None:
    """An electrician who also fixes pipes had no way to say so after /join: a leaking pipe was never offered to him.
    /skills shows his skills ticked; 水暖 then 完成 saves both, and the next leak is offered to him."""
    member = world.member("王师傅", ["电工"])
    card = next(r for r in await chat.say(member, "/skills") if "完成" in str(buttons(r)))
    assert "电工" in card.text and any("✅" in b and "电工" in b for b in buttons(card)), (card.text, buttons(card))
    await chat.press(member, card.button("水暖"), card.message)
    saved = texts_of(await chat.press(member, card.button("完成"), card.message))
    assert "技能已更新" in saved and "水暖" in saved, saved
    assert _skills(chat, member) == ["电工", "水暖"]
    chat.home(RESIDENT)
    await chat.submit(RESIDENT, "厨房水管漏水了，地上全是水")
    assert any("新工单" in r.text for r in chat.replies(member)), [r.text for r in chat.replies(member)]


@SQLITE
async def test_a_member_cannot_be_left_without_a_skill(chat: BotChat, world: World) -> None:
    """His only skill unticked, 完成 is refused with 「请至少选择一项技能」 and his skills stay as they were."""
    member = world.member("王师傅", ["电工"])
    card = next(r for r in await chat.say(member, "/skills") if "完成" in str(buttons(r)))
    await chat.press(member, card.button("电工"), card.message)
    await chat.press(member, card.button("完成"), card.message)
    assert _skills(chat, member) == ["电工"]
    assert any(texts.JOIN_NEED_SKILL in e.text for e in chat.events if e.kind == "answer"), [
        (e.kind, e.text) for e in chat.events[-3:]]


@SQLITE
async def test_someone_who_is_no_member_is_told_how_to_join(chat: BotChat) -> None:
    assert texts.NOT_A_MEMBER in texts_of(await chat.say(RESIDENT, "/skills"))


@SQLITE
async def test_skill_names_typed_under_the_buttons_point_to_them(chat: BotChat, world: World) -> None:
    """「电工」 typed under /skills' buttons got the resident's introduction, as if he had a need to tell."""
    member = world.member("王师傅", ["电工"])
    await chat.say(member, "/skills")
    shown = texts_of(await chat.say(member, "水暖、电工"))
    assert texts.SKILLS_USE_BUTTONS in shown, shown
    assert _skills(chat, member) == ["电工"]


@SQLITE
@pytest.mark.parametrize(("typed", "saved"), [("完成", ["电工", "水暖"]), ("算了", ["电工"])])
async def test_done_or_never_mind_typed_under_the_buttons(chat: BotChat, world: World, typed: str, saved: list) -> None:
    """完成 typed (not pressed) after ticking 水暖 got the resident's introduction, and nothing was saved."""
    member = world.member("王师傅", ["电工"])
    card = next(r for r in await chat.say(member, "/skills") if "完成" in str(buttons(r)))
    await chat.press(member, card.button("水暖"), card.message)
    shown = texts_of(await chat.say(member, typed))
    assert ("技能已更新" in shown) == (typed == "完成") and _skills(chat, member) == saved, shown
    assert typed == "完成" or texts.SKILLS_UNCHANGED in shown, shown  # (算了 answered, not only left unsaved)
    pressed = texts_of(await chat.press(member, card.button("燃气维修"), card.message))
    assert texts.STALE_BUTTON in pressed and _skills(chat, member) == saved, pressed  # (the change is over either way)
