"""Log lines and personal data.
Found by a review of personal data and abuse limits in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import texts
from classifier import Classifier
from tests.bot.chat_harness import bot_chat
from tests.bot.test_failures import failing_statement

RESIDENT = 1
PHONE = "13912345678"
ROOM = "和平路88号7号楼3单元1102"


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_database_error_does_not_write_the_residents_phone_and_address_into_the_log(
    engine: Engine, world: Any, tmp_path: Path, classifier: Classifier, caplog: pytest.LogCaptureFixture
) -> None:
    """The PostgreSQL connection drops (a restart, a failover) just as a resident's ticket is written:
    she gets 「请稍后再试」, as she should. But the operator's log now holds her phone number, her exact
    address and her words: bot/handlers/common.error_handler logs a database error as
    "database error while handling an update: OperationalError" (only the type, on purpose) *with*
    exc_info, and a SQLAlchemy error's text, printed at the end of the traceback, carries the failed
    statement's parameters ([parameters: {... '13912345678' ... '7号楼3单元1102' ...}]). README: personal
    data is never shown in logs."""
    world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.intake_to_address(RESIDENT)
        await chat.say(RESIDENT, ROOM)
        with caplog.at_level(logging.INFO), failing_statement(engine, "ticket") as failed:
            replies = await chat.say(RESIDENT, PHONE)
        assert failed, "the connection was lost while the ticket was written"
        assert [r.text for r in replies] == [texts.TRY_AGAIN]
    logged = caplog.text
    assert "database error while handling an update" in logged
    assert PHONE not in logged and "1102" not in logged, (
        "the log holds the resident's phone / address:\n" + "\n".join(
            line for line in logged.splitlines() if PHONE in line or "1102" in line)[:2000])
