"""bot/numbers.py and texts.py without a bot, round three's fixes reviewed (each test failed on them): a phone in
numerals before 一直, a room after a comma, an item named like its category. Each test's docstring tells the bug as
it was found."""

from __future__ import annotations

import pytest

from bot import numbers, texts


# ── phones read out in numerals ──────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["一三八一二三四五六七八，一会儿再打", "一三八 一二三四 五六七八、八点以后打"])
def test_a_phone_in_numerals_is_read_whatever_numeral_word_follows_it(words: str) -> None:
    """The same in numbers.phone_in: a numeral word after the phone (一会儿, 八点) is read as its twelfth digit."""
    assert numbers.phone_in(words) == "13812345678"


# ── an address across commas ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["厨房水管漏水了，幸福里小区3号楼2单元，502", "水管漏了，幸福里小区12栋，1201"])
def test_the_room_number_after_a_comma_stays_in_the_address(words: str) -> None:
    """「幸福里小区3号楼2单元，502」: the clause after the comma (the room) has no building word, so address_in stops
    before it and the ticket's address is 「幸福里小区3号楼2单元」 (the address is not asked, the member is sent to the
    stairwell; 使用上次的地址 offers it without the room next time). The fix joined 「3号楼，2单元502」 only."""
    room = words.rsplit("，", 1)[1]
    assert room in (numbers.address_in(words) or ""), numbers.address_in(words)


# ── 其他 once ───────────────────────────────────────────────────────────────────────────────────────
def test_an_item_named_like_its_category_is_not_shown_as_other() -> None:
    """taxonomy.md lets a deployment edit names. With an item named as its category (category 心理疏导, item
    心理疏导; or 法律援助 · 法律援助), texts.item_of — which tells 其他 by the two names being equal, not by the
    ticket having no item — shows a classified request as 「其他（由协调员派单）」, and the receipt says
    「协调员会为您派单」 though it is offered to members."""
    receipt = texts.ticket_created("#A1234", "心理疏导", "心理疏导", False)
    assert "其他" not in receipt and "协调员会为您派单" not in receipt, receipt


def test_a_count_after_a_building_and_de_is_no_room() -> None:
    """5栋的2部电梯 (the two lifts of building 5): after 的 only a room-sized number is a room (3号楼的502 is)."""
    assert numbers.redact("5栋的2部电梯都坏了") == "*栋的2部电梯都坏了"
    assert "502" not in numbers.redact("3号楼的502")
