"""Review of the past-deadline fix (4f23440): the task card says a passed 办结时限 only when it is first sent.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.handlers.member import _task_rows
from routing import db, dispatch
from tests.conftest import T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, scan, submit

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_tasks_tells_a_member_to_finish_before_a_deadline_already_past(world: World) -> None:
    """王师傅 takes a plumbing ticket (办结 by 3月4日 10:00); it passes its limit in his hands (🔴, and he is told
    「已超过时限」). At 3月4日 12:00 he sends /tasks to find it again: its card says 「请在 3月4日 10:00 前办结。」 — the
    deadline two hours gone, as if still ahead: the fix says 「已过」 on the card sent at 接单 only, not on /tasks."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) >= 1
    with db.transaction(world.engine) as s:  # /tasks at 3月4日 12:00 builds its cards from these rows
        (row,) = _task_rows(s, wang, T0 + minutes(FAST_RESOLVE + 120))
    card = texts.task_details(row, TZ, headline="📌 已接单")
    assert "前办结" not in card, card
