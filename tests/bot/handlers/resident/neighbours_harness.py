"""Two neighbours at home in one grid, the handlers' clock under the test's control: the bot as residents and members
live its limits and its linked reports (test_limits.py, test_linked_reports.py); and a resident's tickets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.handlers import common, resident, router
from classifier import Classifier
from routing import db, drafts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, Reply, bot_chat
from tests.conftest import T0

RESIDENT, NEIGHBOUR = 1, 2
ADDRESS = "幸福里小区 3 号楼 2 单元 502"


class Clock:
    """The time the handlers see."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def handlers_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A Clock the handlers read their time from (a module's `clock` fixture)."""
    clock = Clock()
    monkeypatch.setattr(resident, "now", clock)
    monkeypatch.setattr(router, "now", clock)
    monkeypatch.setattr(common, "now", clock)  # (a message counts as written then: common.sent_at)
    return clock


@asynccontextmanager
async def neighbours_chat(engine: Engine, tmp_path: Path, classifier: Classifier) -> AsyncIterator[BotChat]:
    """The bot with RESIDENT and NEIGHBOUR at home in the grid; no unexpected error, no Bot API error by the end."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        chat.home(NEIGHBOUR)
        yield chat
        assert chat.unexpected_errors() == [], chat.unexpected_errors()
        assert chat.api_errors == [], [e.text for e in chat.api_errors]


def tickets_of(chat: BotChat, person: int) -> list[Ticket]:
    with db.transaction(chat.engine) as s:
        return list(s.exec(select(Ticket).where(Ticket.resident_id == person).order_by(Ticket.id)))


def intake(chat: BotChat, person: int) -> dict | None:
    with db.transaction(chat.engine) as s:
        return drafts.get_draft(s, person, resident.INTAKE)


def card(replies: list[Reply], words: str) -> Reply:
    found = [r for r in replies if words in r.text]
    assert found, (words, [r.text for r in replies])
    return found[-1]


async def request(chat: BotChat, clock: Clock, person: int, text: str) -> list[Reply]:
    """Describe a need, confirm it, give the address, skip the phone: what the last step showed."""
    understood = card(await chat.say(person, text), "我理解您反映的是")
    await chat.press(person, understood.button("确认"), understood.message)
    if intake(chat, person)["step"] == "address":
        await chat.say(person, ADDRESS)
    clock.advance(seconds=30)
    return await chat.say(person, "跳过")
