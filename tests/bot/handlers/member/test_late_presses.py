"""A button pressed too late for its pop-up (to be folded into test_offers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from tests.bot.chat_harness import SECOND_ANSWER, BotChat, texts_of

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


def answers_refused(chat: BotChat) -> None:
    """Telegram refuses every answer to a button press from now on (the press reached the bot too late)."""
    from bot.console import _ApiError

    real = chat._telegram_dispatch

    async def late(name: str, params: dict, files: dict) -> Any:
        if name == "answercallbackquery":
            raise _ApiError(400, f"Bad Request: {SECOND_ANSWER}")
        return await real(name, params, files)

    chat._telegram_dispatch = late


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_late_press_on_a_button_from_before_an_upgrade_says_so_in_the_chat(chat: BotChat) -> None:
    """A resident presses a button of a card from before an upgrade (its data no longer known) while the bot is slow
    after the restart: the only answer, the pop-up 「这个按钮已经失效了…」, was refused by Telegram as too old, and she saw
    nothing at all. The pop-up's words now come as a message."""
    await chat.say(RESIDENT, NEED)
    answers_refused(chat)
    shown = texts_of(await chat.press(RESIDENT, "old:1"))
    assert texts.STALE_BUTTON in shown, shown
