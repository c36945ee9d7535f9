"""Yes typed under the 「对吗？」 card in dialect (to be folded into test_dialect.py)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, texts_of

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("words", ["冇問題", "冇问题啊", "冇問題，唔該", "没得问题"])
async def test_no_problem_in_cantonese_or_sichuanese_under_the_card_confirms(chat: BotChat, words: str) -> None:
    """The card asks 「对吗？没问题请点「确认」」; an older resident in Guangzhou answers with the card's own word in
    Cantonese, 「冇問題」 (or 冇问题啊, 冇問題，唔該; in Sichuan 没得问题), and was told 「您的诉求还没有提交…」: 冇错 was
    a yes, 冇問題 was not."""
    await chat.say(RESIDENT, NEED)
    told = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT)
    assert draft and draft["step"] == "address", (told, draft)
