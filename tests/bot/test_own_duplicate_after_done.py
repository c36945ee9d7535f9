"""The same resident's need again, after the member said it was done.
Found by a review of personal data and abuse limits in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from routing import db, dispatch, tickets
from routing.models import Ticket
from tests.bot.chat_harness import BotChat

RESIDENT = 1


async def test_the_need_back_after_banjie_is_not_waved_off_as_a_duplicate(chat: BotChat, world: Any) -> None:
    """An old man reports 「楼道灯坏了好几天了，晚上很黑」; the electrician comes, presses 办结 (「灯泡换好了」) and
    leaves. That evening the light is dark again and he writes 「楼道灯又坏了，晚上很黑」. The bot answers that he
    reported the same problem already — ticket #…, 「目前已办结」 — 「不用重复登记，有进展会第一时间通知您」. Nothing
    more will happen on a ticket already 办结: no one is working on it, and there will be no progress to tell.
    routing.duplicates.find_own_duplicate takes every status in OPEN as "open", and a resolved ticket (办结,
    waiting only for its rating) is in OPEN."""
    electrician = world.member("王电工", ["电工"])
    tid = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, tid, electrician, datetime.now(UTC))
        tickets.resolve_ticket(s, tid, electrician, datetime.now(UTC), note="灯泡换好了")
        assert s.get(Ticket, tid).status == "resolved"

    replies = await chat.say(RESIDENT, "楼道灯又坏了，晚上很黑")
    said = "\n".join(r.text for r in replies)
    assert "不用重复登记" not in said, said
