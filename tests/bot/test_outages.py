"""What happens to notifications and updates when things fail at the worst moment (found by a review; each test
failed on the code before): a database error while an offer is read after a Telegram outage is transient too (the
offer was given up as dead), and a graceful stop confirms the batch it finished (it came again after a restart)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from telegram.error import NetworkError

from bot import serving
from bot.delivery import deliver_outbox
from routing import db, tickets
from routing.models import Notification
from tests.bot.test_delivery import FakeBot, make_context, row
from tests.bot.test_failures import make_due
from tests.bot.test_serving import FakeApp
from tests.conftest import G11


class OutageBot(FakeBot):
    """Telegram unreachable while `down` is set."""

    down = True

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        if self.down:
            raise NetworkError("Connection refused")
        return await super().send_message(chat_id, text, **kwargs)


async def test_one_database_hiccup_after_a_telegram_outage_does_not_lose_an_offer(
    engine: Engine, world: Any) -> None:
    """An offer waits out a Telegram outage (network errors, retried forever: its attempts pile up).
    When Telegram is back, the database is locked for a moment while the offer's linked tickets are
    read: a failure of the database, which must never lose a notification."""
    member = world.member("王师傅", ["电工"])
    with db.transaction(engine) as session:
        tickets.submit_ticket(session, 1001, "楼道灯坏了", datetime.now(UTC), label="repair.electrical",
                              grid_code=G11, address="3号楼")
    with db.transaction(engine) as session:
        (offer,) = session.exec(select(Notification.id).where(
            Notification.kind == "offer", Notification.recipient_id == member)).all()
    bot = OutageBot()
    for _ in range(10):  # a Telegram outage: ten passes, each a network error
        make_due(engine)
        await deliver_outbox(make_context(engine, bot))
    assert (row(engine, offer).status, row(engine, offer).attempts) == ("pending", 10)

    failed: list[str] = []

    def locked_once(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        """The database fails once, at the read of the offer's linked tickets (bot.delivery._send)."""
        if failed or not statement.upper().startswith("SELECT TICKET.NUMBER"):
            return
        failed.append(statement)
        if engine.dialect.name == "postgresql":
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        else:
            raise OperationalError(statement, params, sqlite3.OperationalError("database is locked"))

    event.listen(engine, "before_cursor_execute", locked_once)
    bot.down = False  # Telegram is back
    make_due(engine)
    await deliver_outbox(make_context(engine, bot))  # the database fails for a moment
    assert failed, "the linked tickets were read"
    make_due(engine)
    await deliver_outbox(make_context(engine, bot))  # and fine again
    assert row(engine, offer).status == "sent", (
        f"offer is {row(engine, offer).status!r} ({row(engine, offer).last_error}); "
        f"sent to the member: {[s['text'][:20] for s in bot.sent if s['chat_id'] == member]}")


async def test_a_graceful_stop_confirms_the_batch_it_finished() -> None:
    """SIGTERM (a deploy, a restart) while a batch is being handled: the batch is finished first, and
    then it must be confirmed, or Telegram sends those already-handled updates again after the restart
    (the README promises re-delivery only of a killed process's *unfinished* updates)."""
    stop = asyncio.Event()
    app = FakeApp([[7, 8]], stop)
    handled = app.process_update

    async def process_then_sigterm(update: Any) -> None:
        await handled(update)
        if update.update_id == 8:
            stop.set()  # SIGTERM arrives while the batch is in hand

    app.process_update = process_then_sigterm  # type: ignore[method-assign]
    await asyncio.wait_for(serving.poll(app, stop, ["message"]), timeout=5)  # type: ignore[arg-type]
    assert "handled 7" in app.log and "handled 8" in app.log
    assert any(line.startswith("getUpdates offset=9") for line in app.log), (
        f"updates 7 and 8 were handled but never confirmed before stopping: {app.log}")
