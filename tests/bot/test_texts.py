"""User-facing texts: escaping, cutting, and what offers may show."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot import numbers, texts

TZ = ZoneInfo("Asia/Shanghai")


def test_user_text_is_escaped_and_cut_before_escaping() -> None:
    assert texts.quote("<b>a</b> & _x_ *y*") == "&lt;b&gt;a&lt;/b&gt; &amp; _x_ *y*"
    cut = texts.quote("<" * 500, 10)
    assert "…" in cut and cut.count("&lt;") == 9  # never half an entity (its head and its tail kept)


def test_long_messages_fit_telegram() -> None:
    message = texts.fit("第一行\n" + "很长的内容" * 2000)
    assert len(message) <= texts.MESSAGE_LIMIT and message.endswith("（内容过长，已省略）")


def test_offers_never_show_house_or_phone_numbers() -> None:
    payload = {
        "number": "#A1234",
        "category_name": "家居维修",
        "item_name": "水管疏通",
        "grid_name": "第一网格",
        "text": "3号楼2单元502厨房漏水，电话13812345678",
        "respond_due_at": "2026-11-23T10:00:00+00:00",
    }
    offer = texts.offer(payload, TZ)
    assert "502" not in offer and "13812345678" not in offer and "厨房漏水" in offer
    assert "3号楼" not in offer


def test_landlines_with_an_area_code_are_hidden_too() -> None:
    shown = numbers.redact("家里座机0379-61234567，手机+8613812345678，2019年装的热水器")
    assert "61234567" not in shown and "13812345678" not in shown
    assert "0***" in shown and "2019年装的热水器" in shown  # a year is not a number to hide


def test_the_resident_s_name_and_address_are_escaped_in_task_details() -> None:
    payload = {
        "number": "#A1234",
        "category_name": "家居维修",
        "item_name": "水管疏通",
        "grid_name": "第一网格",
        "text": "漏水",
        "resident_name": "<script>",
        "address": "A&B 小区",
        "phone": None,
    }
    details = texts.task_details(payload, TZ)
    assert "&lt;script&gt;" in details and "A&amp;B" in details and "未留" in details


@pytest.mark.parametrize(
    ("words", "hidden", "kept"),
    [
        ("打我电话138 1234 5678", "12345678", "打我电话1"),
        ("电话138-1234-5678", "1234", "电话1"),
        ("+86 13812345678", "12345678", ""),
        ("座机0755-12345678", "12345678", "座机0"),
        ("幸福里3-2-502门口", "502", "幸福里"),
        ("3号楼2单元502室", "502", "号楼"),
        ("2024-10-15那天报的", "", "2024-10-15"),  # a date is no address
    ],
)
def test_redact_hides_phone_and_room_numbers_however_written(words: str, hidden: str, kept: str) -> None:
    shown = numbers.redact(words)
    assert (hidden == "" or hidden not in shown) and kept in shown, shown


def test_fit_counts_as_telegram_does() -> None:
    """An emoji is two UTF-16 units: a message of emoji is cut by units, not by characters."""
    long = "🙏" * 3000  # 3,000 characters, 6,000 units
    assert texts.utf16_len(texts.fit(long)) <= texts.MESSAGE_LIMIT < texts.utf16_len(long)
    assert texts.fit("好" * texts.MESSAGE_LIMIT) == "好" * texts.MESSAGE_LIMIT
