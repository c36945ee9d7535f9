"""/mydata and /forget texts: everything a person typed is escaped, and a long record still fits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.handlers.privacy import FORGET, forget_buttons

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _ticket(i: int) -> dict:
    return {"number": f"#A{1000 + i}", "created_at": T, "item_name": "水管疏通", "status": "closed",
            "status_name": "已关闭", "text": "<b>漏水</b> & 急" * 40, "address": "3号楼<502>",
            "phone": "13800138000", "attachment_count": 1,
            "ratings": [{"stars": 5, "comment": "<i>谢谢</i>"}]}


def test_my_data_escapes_and_fits() -> None:
    data = {"known": True, "name": "<script>王</script>", "grid_name": "第一网格", "created_at": T,
            "tickets": [_ticket(i) for i in range(40)], "drafts": ["intake"]}
    messages = texts.my_data(data, TZ)
    assert all(texts.utf16_len(m) <= texts.MESSAGE_LIMIT for m in messages)
    message = "\n".join(messages)
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "<i>" not in message and "3号楼&lt;502&gt;" in message and "#A1000" in message
    assert all(f"#A{1000 + i}" in message for i in range(40))  # (every ticket, none cut off)


def test_unknown_person_and_forget_buttons() -> None:
    assert "没有保存" in texts.my_data({"known": False}, TZ)[0]
    (row,) = forget_buttons().inline_keyboard
    assert "确认" in row[0].text and "取消" in row[1].text
    assert [b.callback_data for b in row] == [f"{FORGET}:yes", f"{FORGET}:no"]
    assert "2 张工单" in texts.forgotten(2, False) and "协调员" in texts.forgotten(0, True)


def test_the_resident_flows_are_the_ones_forget_clears() -> None:
    """/forget clears the resident's conversations only (routing.privacy.RESIDENT_FLOWS names the bot's flows)."""
    from bot.handlers import resident
    from routing.privacy import RESIDENT_FLOWS

    assert {resident.INTAKE, resident.COMMENT, resident.NOT_UNDERSTOOD, resident.PHOTOS} == set(RESIDENT_FLOWS)
