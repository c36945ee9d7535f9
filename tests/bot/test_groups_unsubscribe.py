"""Group subscriptions, found by a review of the coordinator side in the thirty-fourth session (the test failed
before): /unsubscribe tells which subscriptions the coordinator may still end. Its docstring tells the bug as it was
found."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier
from routing import db, subscriptions
from tests.bot.chat_harness import BotChat, bot_chat
from tests.conftest import C1, COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

GROUP = -5001


async def _in_group(chat: BotChat, person: int, text: str) -> list[str]:
    """`person` sends a command in the group; what the bot said there."""
    payload = chat.message_payload(person, text, chat=chat.request.chat(GROUP),
                                   entities=[{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}])
    return [r.text for r in await chat.push({"message": payload}, GROUP)]


async def test_unsubscribing_one_scope_does_not_call_the_other_one_outside_ones_scope(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The street coordinator subscribes the street's work group to 幸福里社区 and to 幸福里第一网格, then ends the
    grid's subscription with /unsubscribe 幸福里第一网格. The bot answers in the group 「已取消订阅：幸福里第一网格
    仍在订阅（不在您的管辖范围内，需由相应协调员取消）：幸福里社区」 — but 幸福里社区 is his own scope, he could end it
    himself with /unsubscribe 幸福里社区; the group is told it needs some other coordinator to do it
    (unsubscribe_group puts every subscription it did not end in `kept`, also those left only because another scope
    was named)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        assert any("已订阅" in t for t in await _in_group(chat, COORD, "/subscribe 幸福里社区"))
        assert any("已订阅" in t for t in await _in_group(chat, COORD, "/subscribe 幸福里第一网格"))
        answer = "\n".join(await _in_group(chat, COORD, "/unsubscribe 幸福里第一网格"))
        assert "已取消订阅：幸福里第一网格" in answer, answer
        with db.transaction(engine) as s:
            assert [n.code for n in subscriptions.group_scopes(s, GROUP)] == [C1]
        assert "不在您的管辖范围内" not in answer, answer
