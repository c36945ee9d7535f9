"""Review of 25cbf8f: building-room written short (3-502) masked after a place word (`_BUILDING_ROOM`).

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from bot.numbers import redact


@pytest.mark.parametrize(("words", "room"), [
    ("我家在幸福里小区，3-502，厨房水管漏水了", "502"),  # the estate, then the door after a comma
    ("我住幸福里5栋，1-302，卫生间下水道堵了", "302"),  # the building, then unit-room after a comma
])
def test_an_offer_hides_a_short_door_number_told_after_a_comma(words: str, room: str) -> None:
    """A resident writes where she lives as people pause when typing: 「幸福里小区，3-502」 or 「幸福里5栋，1-302」.
    The fix masks 3-502 only right after a place word or a door label in the same clause, and a room alone after a
    comma only when it is a bare 502: her door is in the 诉求 line every member of the wave reads, against 「offers
    never show the exact address」."""
    shown = redact(words)
    assert room not in shown, shown
