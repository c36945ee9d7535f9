"""The weekly report's chart that times out (to be folded into test_report.py)."""

from __future__ import annotations

import pytest
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot import report
from tests.bot.test_report import SAMPLE, PhotoBot


@pytest.mark.parametrize("error", [TimedOut(), NetworkError("connection reset"), RetryAfter(30)],
                         ids=["timed_out", "network", "flood_control"])
async def test_a_chart_that_timed_out_is_sent_again_later_not_followed_by_the_text(error: Exception) -> None:
    """The Monday report's chart times out on its way to Telegram — it may well have arrived — and the same report
    followed at once as text: the coordinator read his weekly report twice. A timeout, the network or flood control
    now leave it to the delivery worker, which sends the report again later (at most the chart twice, as any message
    after a timeout), never the text on top of it."""
    bot = PhotoBot(error)
    with pytest.raises(type(error)):
        await report.send_report(bot, 7, SAMPLE)
    assert bot.messages == []
