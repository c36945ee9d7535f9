"""Room numbers after 门牌号 / 房号 masked in offers (fix of 4f23440): the same door written a little differently.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from bot.numbers import redact


@pytest.mark.parametrize(("words", "room"), [
    ("我家门牌号码3-502，厨房水管漏水了", "502"),  # 门牌号码: the commonest way to say it
    ("房间号码1203，卫生间下水道堵了", "1203"),
    ("我家门牌号：幸福里3-502，厨房水管漏水了", "502"),  # the estate's name between the word and the number
    ("我住幸福里3-502，厨房水管漏水了", "502"),  # building-room after the estate, as 门牌号3-502 without the word
])
def test_an_offer_hides_the_room_however_the_door_number_is_introduced(words: str, room: str) -> None:
    """A resident writes his door as 「门牌号码3-502」 or 「幸福里3-502」 rather than 「门牌号3-502」. The fix masks a number
    only right after 门牌号/门牌/房号/房间号 (and 是/为/colon), so 门牌号码, an estate name in between, or no keyword at
    all leave 3-502 in the 诉求 line every member of the wave reads (redact), against 「offers never show the exact
    address」."""
    shown = redact(words)
    assert room not in shown, shown
