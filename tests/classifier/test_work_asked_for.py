"""The 修一下 rule (classifier/patterns.py ASKS_FOR_WORK), round three's version reviewed (the test failed on it):
work asked for politely or impatiently is still a request. Its docstring tells the bug as it was found."""

from __future__ import annotations

import pytest

from classifier import classify


@pytest.mark.parametrize("words", [
    "麻烦修一下电梯，谢谢",  # please fix the elevator, thanks
    "谢谢，麻烦来修一下电梯",  # thank you — please come and fix the elevator
    "别再拖了，修一下电梯",  # stop putting it off, fix the elevator
])
def test_work_asked_for_politely_or_impatiently_is_still_a_request(words: str) -> None:
    """To keep 谢谢师傅昨天来修一下电梯 from being a request, ASKED_WHEN (classifier/patterns.py) now stands the 修一下
    rule aside for any 谢 / 别再 / 已经 / 昨天 / 之前 anywhere in the message. A resident who asks politely
    (麻烦修一下电梯，谢谢) or presses (别再拖了，修一下电梯) is now answered 「不客气！…」 or as talk, not offered a ticket:
    all three were requests for 电梯 before this round (README: thanks is thanks only "asking, wanting or hurrying
    nothing")."""
    result = classify(words)
    assert result.kind == "request" and result.label == "property.elevator", (result.kind, result.label)
