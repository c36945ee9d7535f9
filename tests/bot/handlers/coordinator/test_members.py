"""/addcoordinator and /members: a coordinator adds another with a coordinator's invite, sees the members of their
scope and removes one who no longer serves (asked to confirm); the member is told and gets no more offers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier
from routing import db, members
from tests.bot.chat_harness import bot_chat
from tests.conftest import COORD, G11, GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


# --- /addcoordinator ---

async def test_a_coordinator_adds_another_with_a_coordinators_invite(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """product.md: "The first coordinators come from configuration; coordinators can add others." (Was: no command
    or CLI called members.add_coordinator.) The street coordinator picks 幸福里社区 → 幸福里第一网格 under
    /addcoordinator; the new person sends /join with the code and coordinates that grid; the code works once."""
    new = 7777
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (street,) = [r for r in await chat.say(COORD, "/addcoordinator") if r.message is not None]
        community = await chat.press(COORD, street.button("幸福里社区"), street.message)
        grid = next(r for r in community if r.message is not None)
        made = await chat.press(COORD, grid.button("幸福里第一网格"), grid.message)
        grid_level = next(r for r in made if r.message is not None)
        done = await chat.press(COORD, grid_level.button("本级"), grid_level.message)
        code = re.search(r"/join (\w+)", "\n".join(r.text for r in done)).group(1)
        joined = "\n".join(r.text for r in await chat.say(new, f"/join {code}"))
        assert "协调员" in joined, joined
        with db.transaction(engine) as s:
            assert members.coordinator_scopes(s, new) == [G11]
        again = "\n".join(r.text for r in await chat.say(8888, f"/join {code}"))
        assert "已被使用" in again, again
        with db.transaction(engine) as s:
            assert not members.is_coordinator(s, 8888)


# --- /members ---

async def test_members_is_for_coordinators(engine: Engine, world: World, tmp_path: Path, classifier: Classifier) -> None:
    async with bot_chat(engine, tmp_path, classifier) as chat:
        wang = world.member("王师傅", ["电工"])
        assert any("协调员" in r.text for r in await chat.say(wang, "/members"))


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
