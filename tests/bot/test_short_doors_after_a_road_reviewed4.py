"""Review of deb6560: `_AN_ESTATE_BEFORE` replaced `_PLACE_BEFORE` for a building-room written short (3-502), also
inside a clause, so a door after a road, a village, a 社区 or an estate named X园 is neither hidden nor an address.

Found by a fourth review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from bot.numbers import address_in, redact


@pytest.mark.parametrize("words", [
    "我住人民路3-502，水管漏了",
    "我住翠竹园3-502，水管漏了",
    "我住幸福社区3-502，水管漏了",
    "我住光明村3-502，水管漏了",
])
def test_a_door_written_short_after_a_road_or_a_garden_is_hidden_in_offers(words: str) -> None:
    """A resident writes 「我住人民路3-502，水管漏了」 (or 翠竹园 / 幸福社区 / 光明村). Before deb6560 the offer showed
    「人民路*-***」; now only 小区/花园/苑/家园/里… count as an estate before 3-502, so every member offered the job
    reads her door number in the offer."""
    assert "3-502" not in redact(words), redact(words)


@pytest.mark.parametrize("words", ["我住人民路3-502，水管漏了", "我住翠竹园3-502，水管漏了"])
def test_a_door_written_short_after_a_road_or_a_garden_is_the_address(words: str) -> None:
    """The same message: before deb6560 `address_in` took 「我住人民路3-502」 as the address; now it finds none, so the bot
    asks her again for an address she has just given."""
    assert "3-502" in (address_in(words) or ""), address_in(words)


@pytest.mark.parametrize("words", [
    "陪我去医院，打车大概3公里，100",   # 公里 ends with 里: the fare read as a door
    "我爸上次住院，1200",                 # 住院 ends with 院: the bill read as a door
])
def test_a_fare_or_a_bill_after_a_word_ending_in_li_or_yuan_is_no_address(words: str) -> None:
    """A resident writes 「陪我去医院，打车大概3公里，100」 (or 「我爸上次住院，1200」). The new clause rule of `address_in`
    (a number alone after a clause ending with an estate word) takes 公里 / 住院 for an estate: the bot records
    「打车大概3公里，100」 as the address to come to, and the offer hides the fare."""
    assert address_in(words) is None, address_in(words)
