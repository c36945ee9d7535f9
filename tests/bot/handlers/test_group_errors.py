"""A group's command that fails: the coordinator who sent it is answered in the group."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import texts
from classifier import Classifier
from routing import db, subscriptions
from tests.bot.chat_harness import BotChat, bot_chat
from tests.bot.test_failures import failing_statement
from tests.conftest import COORD, World

GROUP = -5002


async def _in_group(chat: BotChat, person: int, text: str) -> list[str]:
    """`person` sends `text` in the group; what the bot said there."""
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    payload = chat.message_payload(person, text, chat=chat.request.chat(GROUP), entities=entities)
    return [r.text for r in await chat.push({"message": payload}, GROUP)]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_subscribe_in_a_group_while_the_database_fails_asks_to_try_again(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A coordinator types /subscribe 幸福里社区 in the street's work group just as the database connection drops: the
    bot said nothing in the group (errors were answered in private chats only), so he could not tell whether the group
    was subscribed. Now he is asked to try again, and the second try subscribes it."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        with failing_statement(engine, "group_subscription") as failed:
            answer = await _in_group(chat, COORD, "/subscribe 幸福里社区")
        assert failed, "the failure was injected"
        assert answer == [texts.TRY_AGAIN], answer
        chat.errors.clear()
        assert any("已订阅" in t for t in await _in_group(chat, COORD, "/subscribe 幸福里社区"))
        with db.transaction(engine) as s:
            assert [n.name for n in subscriptions.group_scopes(s, GROUP)] == ["幸福里社区"]
