"""/members: a coordinator sees the members of their scope and removes one who no longer serves (asked to
confirm); the member is told and gets no more offers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier
from routing import db, members
from tests.bot.chat_harness import bot_chat
from tests.conftest import GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_a_coordinator_removes_a_member_after_confirming(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    async with bot_chat(engine, tmp_path, classifier) as chat:
        wang = world.member("王师傅", ["电工"])
        (listed,) = [r for r in await chat.say(GRID_COORD, "/members") if r.message is not None]
        asked = await chat.press(GRID_COORD, listed.button("王师傅"), listed.message)
        assert any("确定把" in r.text for r in asked), [r.text for r in asked]
        with db.transaction(engine) as s:
            assert members.find_member(s, wang) is not None  # (nothing done before 确认移出)
        confirm = next(r for r in asked if r.message is not None)
        done = await chat.press(GRID_COORD, confirm.button("确认移出"), confirm.message)
        assert any("已把 王师傅 移出" in r.text for r in done), [r.text for r in done]
        await chat.deliver()
        assert any("移出" in r.text for r in chat.replies(wang))
        assert any("还不是" in r.text or "只对登记的党员" in r.text for r in await chat.say(wang, "/tasks"))


async def test_members_is_for_coordinators(engine: Engine, world: World, tmp_path: Path, classifier: Classifier) -> None:
    async with bot_chat(engine, tmp_path, classifier) as chat:
        wang = world.member("王师傅", ["电工"])
        assert any("协调员" in r.text for r in await chat.say(wang, "/members"))
