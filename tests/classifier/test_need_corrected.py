"""A need corrected as it is told (to be folded into test_model.py)."""

from __future__ import annotations

import pytest

from classifier import classify


@pytest.mark.parametrize(("text", "label"), [
    ("不是灯的事，是厨房水管漏了", "repair.plumbing"),
    ("不是灯的问题 而是电梯坏了", "property.elevator"),
])
def test_a_need_corrected_as_it_is_told_is_a_request(text: str, label: str) -> None:
    """「不是灯的事，是厨房水管漏了」 (the resident correcting the need she had told) was a status query — 的事 reads as
    an earlier ticket — and got her list of tickets; what follows 是 is the need."""
    result = classify(text)
    assert (result.kind, result.label) == ("request", label), result


@pytest.mark.parametrize("text", ["灯的事怎么样了", "上次灯的事有人管吗", "不是说好了今天来修吗"])
def test_an_earlier_need_asked_about_is_still_a_status_query(text: str) -> None:
    assert classify(text).kind == "status"
