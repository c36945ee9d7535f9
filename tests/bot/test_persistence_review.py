"""Persistence on SQLite and PostgreSQL, found by a review (each test failed before): an acceptance time given in
another zone, a password with @ in the start error, a database newer than the code, 接单 racing 指派 on PostgreSQL. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.__main__ import start_domain
from bot.config import BotSettings
from routing import db, dispatch, outbox, tickets
from routing.models import Offer, OfferState, Ticket, TicketEvent
from tests.bot.test_operator import TOKEN, run_bot
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes
from tests.routing.test_concurrency import _one_waits_for_the_other

SHANGHAI = ZoneInfo("Asia/Shanghai")


# 1. An aware Asia/Shanghai time is stored 8 hours late as the ticket's response time on SQLite -----

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # (PostgreSQL stores it right)
def test_acceptance_time_given_in_shanghai_time_is_stored_as_the_same_instant(world: World, backend: str) -> None:
    """UTCDateTime promises "aware datetimes in, aware UTC out, on every backend". Every column honours it except
    the acceptance time: on SQLite an Asia/Shanghai `now` comes back 8 hours later (response time, 响应率 and 超期
    computed from it are wrong), on PostgreSQL it is right."""
    plumber = world.member("王师傅", ["水暖"], G11)
    local_t0 = T0.astimezone(SHANGHAI)  # the same instant, 10:00 in Shanghai
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", local_t0, label="repair.plumbing",
                                    grid_code=G11, address="幸福里3号楼", settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, local_t0 + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        ticket = s.get(Ticket, tid)
        event = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == tid,
                                                 TicketEvent.kind == "accepted")).one()
        assert event.at == T0 + minutes(5)  # the log has it right …
        assert ticket.accepted_at == T0 + minutes(5), f"{backend}: accepted_at {ticket.accepted_at}"  # … the ticket not


# 2. A password with an unencoded '@': part of the password printed, no hint --------------------------

def test_a_password_with_an_at_sign_is_not_printed_in_the_start_error(tmp_path: Path) -> None:
    """The start error hides the credentials (it prints only what follows the last '@'), but when the password
    itself holds an '@' (a common generated password), the reason quotes the host SQLAlchemy misparsed —
    the password's tail — and says nothing about percent-encoding it."""
    secret_tail = "Zq9Tail"
    url = f"postgresql://jiedan:S3cret@{secret_tail}@127.0.0.1:5432/jiedan"
    settings = BotSettings(_env_file=None, DATABASE_URL=url, DATA_DIR=tmp_path)
    with pytest.raises(SystemExit) as stop:
        start_domain(settings)
    message = str(stop.value.code)
    assert secret_tail not in message, message


# 3. A database migrated by a newer release: a traceback instead of one line --------------------------

def test_a_database_newer_than_the_code_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    """An operator rolls the bot back to the previous release after the new one migrated the database (or points
    an old worker at it). `jiedan db upgrade` says so in one line (CommandError is caught there); `python -m bot`
    dies with alembic's traceback, because start_domain does not catch alembic's CommandError."""
    path = tmp_path / "jiedan.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    with sqlite3.connect(path) as conn:  # what a later release's migration leaves
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9",
                                "DATABASE_URL": url})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and lines[-1].startswith("jiedan: "), lines[-1]
    assert "newer release" in lines[-1], lines[-1]


# 4. 接单 and a coordinator's 指派 at the same instant on PostgreSQL: both succeed ----------------------

@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # (SQLite serialises whole transactions)
def test_a_member_accepting_while_the_coordinator_assigns_someone_else_do_not_both_succeed(
        world: World, db_url: str) -> None:
    """An escalated ticket still has its wave offers (ACCEPTABLE includes escalated). The grid coordinator presses
    派单 → 指派 to 李师傅 while 王师傅 presses 接单 on his old offer. The coordinator's step withdraws 王师傅's offer
    and asks 李师傅; 王师傅's accept read his offer as pending before that committed, and its conditional UPDATE
    checks only status and assignee (not the version nor the offer), so it wins after the coordinator's commit:
    both steps succeed. 王师傅 holds the ticket with an offer marked withdrawn-then-accepted and a message edited to
    "改派"; 李师傅 is asked and at once told it is taken; the coordinator believes 李师傅 has it. Serially one of the
    two would have been refused."""
    wang = world.member("王师傅", ["水暖"], G11)
    li = world.member("李师傅", ["电工"], G11)
    li_id = world.member_id(li)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", settings=world.settings).id
        for n in outbox.claim_notifications(s, "w", T0, limit=100, settings=world.settings):
            outbox.mark_delivered(s, n.id, T0, message_id=n.id)
    with db.transaction(world.engine) as s:  # a red card: nobody took it in time
        dispatch.escalate_ticket(s, tid, T0 + minutes(30), reason="respond_overdue")
    now = T0 + minutes(31)

    def assign(s):  # the coordinator's 指派
        dispatch.assign_ticket(s, tid, GRID_COORD, li_id, now, settings=world.settings)

    def accept(s):  # 王师傅's 接单 on the wave offer he still holds
        dispatch.accept_offer(s, tid, wang, now, settings=world.settings)

    outcomes = _one_waits_for_the_other(db_url, assign, accept)
    with db.transaction(world.engine) as s:
        ticket = s.get(Ticket, tid)
        offers = {o.member_id: (o.state, o.reason) for o in s.exec(select(Offer).where(Offer.ticket_id == tid))}
    assert outcomes.count("done") == 1, (outcomes, ticket.status, ticket.assignee_id, offers,
                                         OfferState.accepted)
