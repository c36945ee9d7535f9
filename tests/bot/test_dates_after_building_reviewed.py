"""Room numbers after 单元 / 号楼 as N号 (fix of 4f23440): a day of the month right after the building is masked too.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from bot.numbers import redact


@pytest.mark.parametrize("text, day", [
    ("和平小区6号楼18号前能修好吗", "18号前"),
    ("我住幸福里3号楼2单元25号下午在家", "25号下午"),
    ("5栋12号上午来修", "12号上午"),
])
def test_a_day_said_right_after_the_building_stays_readable_in_the_offer(text: str, day: str) -> None:
    """A resident dictates (voice input, no comma) 「和平小区6号楼18号前能修好吗」: the day he needs it by is told right
    after his building. The members' offer card (redact) now shows 「6号楼**号前」: `_AFTER_A_BUILDING` takes any N号
    after 号楼/单元/栋 for a room, so the date is hidden and the member cannot tell when to come (before the fix it
    showed 18号前). A room is three or four digits; a day is followed by 前/后/上午/下午."""
    shown = redact(text)
    assert day in shown, shown
