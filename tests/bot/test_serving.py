"""Serving updates (bot/serving.py): long polling confirms an update to Telegram only once it was handled; webhook
mode (its settings, the secret token, setWebhook); a graceful stop finishes the update in hand and the group's
alerts in flight; several webhook workers on one database (a chat's turns, jobs, migrations, races, the load test)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from telegram.error import NetworkError

import bot.app
from bot import serving
from bot.app import ALLOWED_UPDATES, build_application, make_deps
from bot.config import BotSettings, SettingsError, get_bot_settings
from bot.console import BotEvent, ConsoleRequest
from bot.handlers import resident
from bot.handlers.common import Deps
from bot.loadtest import free_port, run_load, throwaway_database
from bot.workers import (
    HANDLING_CHAT,
    _chat_lock_key,
    lock_chats_across_processes,
    one_process_at_a_time,
)
from classifier import Classifier
from routing import db, dispatch, drafts, members, outbox, tickets
from routing.models import Offer, OfferState, Person, Ticket, TicketEvent
from tests.bot.test_delivery import GROUP, PAYLOAD, row
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes
from tests.e2e.harness import ROOT, share_learned_models
from tests.routing.test_concurrency import _one_waits_for_the_other

TOKEN = "123456:ABCdefGHIjklMNOpqr"
SECRET = "s3cret-Token_for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
GRID = "S01-C01-G01"
CLEAN = {k: v for k, v in os.environ.items() if k not in BotSettings.model_fields}
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- long polling: an update is confirmed only once it was handled ---
class FakeApp:
    """Just what `poll` uses: bot.get_updates, update_processor.process_update, process_update."""

    def __init__(self, batches: list[Any], stop: asyncio.Event) -> None:
        self.batches = batches
        self.stop = stop
        self.log: list[str] = []
        self.bot = SimpleNamespace(get_updates=self.get_updates)
        self.update_processor = SimpleNamespace(process_update=self.run)

    async def get_updates(self, *, offset: int | None, timeout: int, allowed_updates: list[str]) -> Any:
        self.log.append(f"getUpdates offset={offset}")
        if not self.batches and timeout == 0:  # (a confirmation: Telegram answers at once)
            return ()
        if not self.batches:
            self.stop.set()
            await asyncio.sleep(3600)  # a long poll with nothing new
        batch = self.batches.pop(0)
        if isinstance(batch, Exception):
            raise batch
        return tuple(SimpleNamespace(update_id=u) for u in batch)

    async def process_update(self, update: Any) -> None:
        await asyncio.sleep(0.01)
        self.log.append(f"handled {update.update_id}")

    async def run(self, update: Any, coroutine: Awaitable[None]) -> None:
        await coroutine


async def test_a_batch_is_confirmed_only_after_it_was_handled() -> None:
    stop = asyncio.Event()
    app = FakeApp([[7, 8], [9]], stop)
    await asyncio.wait_for(serving.poll(app, stop, ["message"]), timeout=5)  # type: ignore[arg-type]
    assert app.log == [
        "getUpdates offset=None",
        "handled 7",
        "handled 8",
        "getUpdates offset=9",  # confirms 7 and 8, now handled
        "handled 9",
        "getUpdates offset=10",
    ]


async def test_network_failures_are_retried_without_losing_the_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "RETRY_FIRST", 0.01)
    stop = asyncio.Event()
    app = FakeApp([[3], NetworkError("unreachable"), NetworkError("unreachable"), [4]], stop)
    await asyncio.wait_for(serving.poll(app, stop, ["message"]), timeout=5)  # type: ignore[arg-type]
    assert [line for line in app.log if line.startswith("getUpdates")] == [
        "getUpdates offset=None", "getUpdates offset=4", "getUpdates offset=4", "getUpdates offset=4",
        "getUpdates offset=5",
    ]
    assert "handled 4" in app.log


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


# --- webhook mode: the settings, the secret token, setWebhook ---
def test_webhook_settings_have_defaults_and_name_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = BotSettings(_env_file=None)
    assert (settings.WEBHOOK_LISTEN, settings.WEBHOOK_PORT, settings.WEBHOOK_PATH) == (
        "127.0.0.1", 8443, "/telegram")
    assert settings.WEBHOOK_SECRET_TOKEN is None and settings.WEBHOOK_URL == ""
    assert BotSettings(_env_file=None, WEBHOOK_PATH="hook/").WEBHOOK_PATH == "/hook"
    settings = BotSettings(_env_file=None, WEBHOOK_SECRET_TOKEN=SECRET)
    assert SECRET not in repr(settings), "the secret never shows in logs or reprs"
    for name, value in [("WEBHOOK_SECRET_TOKEN", "has spaces!"), ("WEBHOOK_PORT", "70000"),
                        ("WEBHOOK_URL", "bot.example.org/hook")]:
        monkeypatch.setenv(name, value)
        get_bot_settings.cache_clear()
        with pytest.raises(SettingsError, match=name):
            get_bot_settings()
        monkeypatch.delenv(name)
    get_bot_settings.cache_clear()


def test_webhook_mode_needs_a_secret_token(tmp_path: Path) -> None:
    env = {**CLEAN, "TELEGRAM_BOT_TOKEN": TOKEN, "DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "--webhook"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "WEBHOOK_SECRET_TOKEN" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "ABCdef" not in result.stderr


class RecordingApi(ConsoleRequest):
    """The console's Bot API, remembering each setWebhook call; it may refuse them."""

    def __init__(self, *, refuse_set_webhook: bool = False) -> None:
        super().__init__()
        self.set_webhook_calls: list[dict[str, Any]] = []
        self.refuse = refuse_set_webhook
        self.seen: list[BotEvent] = []
        self.add_listener(self.seen.append)

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        if url.lower().endswith("/setwebhook"):
            self.set_webhook_calls.append(dict(request_data.parameters))
            if self.refuse:
                return 400, b'{"ok": false, "error_code": 400, "description": "Bad Request: bad webhook"}'
        return await super().do_request(url, method, request_data, *args, **kwargs)


@asynccontextmanager
async def webhook_server(engine: Engine, tmp_path: Path, api: RecordingApi, webhook_url: str = ""
                         ) -> AsyncIterator[str]:
    """The real Application serving its webhook on a free port, as `python -m bot --webhook` does;
    yields its URL."""
    share_learned_models(tmp_path)
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path,
                           WEBHOOK_PORT=free_port(), WEBHOOK_SECRET_TOKEN=SECRET, WEBHOOK_URL=webhook_url)
    app = build_application(settings, make_deps(settings, engine), api)
    async with app:
        await app.start()
        stop = asyncio.Event()
        server = asyncio.create_task(serving.serve_webhook(app, settings, stop, ALLOWED_UPDATES))
        await asyncio.sleep(0.1)  # listening, and setWebhook asked where configured
        try:
            yield f"http://127.0.0.1:{settings.WEBHOOK_PORT}{settings.WEBHOOK_PATH}"
        finally:
            stop.set()
            await server
            await app.stop()


def start_update(user_id: int, update_id: int) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "张阿姨"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(datetime.now(UTC).timestamp()), "text": "/start",
        "chat": {"id": user_id, "type": "private", "first_name": "张阿姨"}, "from": user,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def answered(api: RecordingApi, chat_id: int, timeout: float = 20) -> list[BotEvent]:
    """The bot's messages to a chat, once there is one."""
    async with asyncio.timeout(timeout):
        while not (events := [e for e in api.seen if e.chat_id == chat_id and e.kind == "message"]):
            await asyncio.sleep(0.02)
    return events


def persons(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.exec(select(func.count()).select_from(Person)).one()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_update_without_the_right_secret_token_gets_403_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    api = RecordingApi()
    async with webhook_server(engine, tmp_path, api) as url, httpx.AsyncClient() as client:
        before = persons(engine)
        missing = await client.post(url, json=start_update(501, 1))
        wrong = await client.post(url, json=start_update(502, 2), headers={HEADER: SECRET + "x"})
        right = await client.post(url, json=start_update(503, 3), headers={HEADER: SECRET})
        assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        # Answered only once handled: a worker killed before answering gets the update re-sent.
        assert persons(engine) == before + 1
        assert any("您好" in e.text for e in await answered(api, 503))
        await asyncio.sleep(0.3)  # what the refused updates would have caused has had time to happen
        assert not [e for e in api.seen if e.chat_id in (501, 502)], "a refused update was processed"
        assert persons(engine) == before + 1, "only the update with the secret created a person"
    assert api.set_webhook_calls == [], "a worker without WEBHOOK_URL does not call setWebhook"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_set_webhook_registers_the_public_url_and_a_refusal_is_not_fatal(
    engine: Engine, tmp_path: Path
) -> None:
    public = "https://bot.example.org/hook"
    api = RecordingApi(refuse_set_webhook=True)
    async with (webhook_server(engine, tmp_path, api, webhook_url=public) as url,
                httpx.AsyncClient() as client):
        (call,) = api.set_webhook_calls
        assert call["url"] == public and call["secret_token"] == SECRET
        assert call["allowed_updates"] == ALLOWED_UPDATES
        response = await client.post(url, json=start_update(601, 1), headers={HEADER: SECRET})
        assert response.status_code == 200
        assert await answered(api, 601), "the worker serves updates although setWebhook failed"


# --- a graceful stop: the update in hand, the group's alerts in flight ---
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_graceful_stop_of_a_webhook_worker_finishes_the_update_in_hand(
    engine: Engine, tmp_path: Path, classifier: Classifier
) -> None:
    """A deploy sends SIGTERM to a webhook worker while it is handling a resident's message. The README
    promises that SIGINT/SIGTERM stop the bot "after the batch of messages in hand", as long polling does.
    In webhook mode the worker instead closes the connection at once and stops with the message half
    handled: the resident gets no answer from it, Telegram's POST is never answered 200 (so the message
    is handled a second time by the next worker, after whatever the first had already committed)."""
    api = RecordingApi()
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path,
                           WEBHOOK_PORT=free_port(), WEBHOOK_SECRET_TOKEN=SECRET)
    deps = Deps(engine=engine, settings=settings, classifier=classifier, taxonomy=classifier.taxonomy,
                worker_id="w1")
    app = build_application(settings, deps, api)
    handle_update = app.process_update
    in_hand = asyncio.Event()

    async def handling_takes_a_moment(update: Any) -> None:  # (the classifier, a few transactions)
        in_hand.set()
        await asyncio.sleep(0.3)
        await handle_update(update)

    app.process_update = handling_takes_a_moment  # type: ignore[method-assign]
    before = persons(engine)
    async with app, httpx.AsyncClient() as client:
        await app.start()
        stop = asyncio.Event()
        server = asyncio.create_task(serving.serve_webhook(app, settings, stop, ALLOWED_UPDATES))
        await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{settings.WEBHOOK_PORT}{settings.WEBHOOK_PATH}"
        post = asyncio.create_task(client.post(url, json=start_update(701, 1), headers={HEADER: SECRET}))
        await in_hand.wait()
        stop.set()  # SIGTERM (serving._run's on_signal)
        await asyncio.wait_for(server, timeout=10)
        handled_before_stopping = persons(engine) - before
        answered_before_stopping = [e.text for e in api.seen if e.chat_id == 701 and e.kind == "message"]
        try:
            status: int | str = (await post).status_code
        except httpx.HTTPError as error:
            status = repr(error)
        await app.stop()
    assert status == 200, f"Telegram's POST of the update in hand was not answered: {status}"
    assert handled_before_stopping == 1 and answered_before_stopping, (
        "the worker stopped before finishing the resident's /start")


class SlowGroupApi(ConsoleRequest):
    """The console's Bot API; a message to the group takes a moment (Telegram paces a group: 20 a minute)."""

    def __init__(self, delay: float = 1.0) -> None:
        super().__init__()
        self.delay = delay  # (seconds a message to the group takes)
        self.group_send_started = asyncio.Event()

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        if url.lower().endswith("/sendmessage") and request_data is not None \
                and int(request_data.parameters.get("chat_id", 0)) == GROUP:
            self.group_send_started.set()
            await asyncio.sleep(self.delay)
        return await super().do_request(url, method, request_data, *args, **kwargs)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_graceful_stop_lets_the_groups_alert_in_flight_finish(
    engine: Engine, tmp_path: Path
) -> None:
    """A street's work group is being sent a red card in the background when the operator deploys (SIGTERM to
    `python -m bot`). bot/app.py's new post_stop is there to let the group's few notifications being sent finish
    (GROUPS_STOP_WAIT, 20 s), but bot.serving._run — what `python -m bot` and `--webhook` run — never calls
    post_stop (python-telegram-bot calls it only from its own run_polling/run_webhook): app.stop(), then
    app.shutdown() closes the HTTP client and asyncio.run cancels the task mid-send. The card is left claimed
    and unsent (it goes out again, maybe a second time, only after the claim's lease, two minutes after the next
    start)."""
    api = SlowGroupApi()
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path)
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None,  # type: ignore[arg-type]
                worker_id="w1")  # (no update is handled)
    app = build_application(settings, deps, api)
    with db.transaction(engine) as session:
        alert = outbox.notify(session, GROUP, "group_alert", datetime.now(UTC),
                              payload={**PAYLOAD, "alert": "red_card", "limit": "resolve"})

    async def serve_until_sigterm(app_: Any, settings_: Any, stop: asyncio.Event, allowed: list[str]) -> None:
        await asyncio.wait_for(api.group_send_started.wait(), timeout=10)  # the group's card is on its way
        stop.set()  # SIGTERM

    await serving._run(app, settings, serve_until_sigterm, ALLOWED_UPDATES)
    status = row(engine, alert).status
    for task in list(app.bot_data.get("delivery_group_tasks", ())):  # (what asyncio.run would do now)
        task.cancel()
    await asyncio.sleep(0)
    assert status == "sent", f"the bot stopped with the group's card in flight: it is left {status!r}"

SEND = 0.25  # seconds a message to the group takes (Telegram paces a group: 20 a minute, 3 s each in a backlog)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_stop_with_a_groups_backlog_leaves_no_alert_claimed_and_unsent(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A street's work group has a backlog of red cards (after an outage, say: Telegram lets a group have 20 messages
    a minute). The operator deploys (SIGTERM). 27470bd makes the stop wait, in post_stop, for "the groups' messages
    in hand" (the 5 the pass gave the background task), up to GROUPS_STOP_WAIT (20 s; 2 s here, with sends 8 times
    quicker). But the background task, once its 5 are sent, starts another delivery pass (`_deliver_group` →
    `deliver_outbox`), which claims the group's next 5 after the stop — `_passes`' own "stopping: the rest waits for
    the next start" does not apply to it — and post_stop waits for those too, until its time is up and it cancels them
    mid-send. So a stop with a backlog always takes the full 20 s, and still leaves a batch of the group's cards
    claimed and unsent, one cut mid-send: they go out only after the claim's lease, two minutes after the next start,
    maybe twice — what 27470bd set out to end."""
    monkeypatch.setattr(bot.app, "GROUPS_STOP_WAIT", 2.0)
    api = SlowGroupApi(SEND)
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path)
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None,  # type: ignore[arg-type]
                worker_id="w1")
    app = build_application(settings, deps, api)
    with db.transaction(engine) as session:
        alerts = [outbox.notify(session, GROUP, "group_alert", datetime.now(UTC),
                                payload={**PAYLOAD, "number": f"#A12{i:02d}", "alert": "red_card", "limit": "resolve"})
                  for i in range(12)]

    async def serve_until_sigterm(app_: Any, settings_: Any, stop: asyncio.Event, allowed: list[str]) -> None:
        await asyncio.wait_for(api.group_send_started.wait(), timeout=10)  # the group's cards are on their way
        stop.set()  # SIGTERM

    await serving._run(app, settings, serve_until_sigterm, ALLOWED_UPDATES)
    statuses = [row(engine, alert).status for alert in alerts]
    for task in list(app.bot_data.get("delivery_group_tasks", ())):  # (what asyncio.run would do now)
        task.cancel()
    await asyncio.sleep(0)
    assert "claimed" not in statuses, (
        f"the stop left group cards claimed and unsent (they wait for the lease after the next start): {statuses}")


# --- several workers on one database: a chat's turns, jobs, migrations, races ---
def test_chat_lock_keys_fit_postgres_int() -> None:
    for chat_id in (1, 7_000_000_001, 2**52 - 1, -1001234567890, -1):
        assert -(2**31) <= _chat_lock_key(chat_id) < 2**31
    assert _chat_lock_key(7_000_000_001) != _chat_lock_key(7_000_000_002)


def _draft_at_phone_step(engine: Engine, telegram_id: int) -> None:
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        members.ensure_person(session, telegram_id, now, name="张阿姨")
        members.set_home_grid(session, telegram_id, GRID, now)
        drafts.save_draft(session, telegram_id, resident.INTAKE, {
            "token": "abc123", "text": "楼道灯坏了", "normalized": "楼道灯坏了",
            "label": "property.public_lighting", "confidence": 0.9, "top3": [], "urgent": False,
            "hotlines": [], "confident": True, "attachments": [], "address": "3号楼2单元502",
            "step": "phone"}, now)


def two_workers(engine: Engine, step: Callable[[Session], Any], chat: int | None = None
                ) -> tuple[list[Any], bool]:
    """Worker A runs `step` and holds its transaction open; worker B, on another connection (as
    another process would), runs it meanwhile — both handling `chat`'s update if one is given.
    Returns both results and whether B waited for A's commit."""
    a_done, a_may_commit = threading.Event(), threading.Event()
    results: list[Any] = [None, None]

    def worker(index: int) -> None:
        HANDLING_CHAT.set(chat)  # what PerChatUpdateProcessor sets while handling
        with db.transaction(engine) as session:
            results[index] = step(session)
            if index == 0:
                a_done.set()
                a_may_commit.wait(10)

    a = threading.Thread(target=worker, args=(0,))
    a.start()
    assert a_done.wait(10)
    b = threading.Thread(target=worker, args=(1,))
    b.start()
    b.join(0.5)
    b_waited = b.is_alive()
    a_may_commit.set()
    a.join(10)
    b.join(10)
    return results, b_waited


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_workers_cannot_both_turn_one_draft_into_a_ticket(engine: Engine) -> None:
    lock_chats_across_processes(engine)

    def submit(telegram_id: int) -> Callable[[Session], Any]:
        return lambda session: resident._submit(session, telegram_id, "张阿姨", None, datetime.now(UTC))

    # Control: outside a handler nothing is locked, and the race is real — both read the draft.
    _draft_at_phone_step(engine, 701)
    results, _ = two_workers(engine, submit(701))
    assert all(results), "without the chat lock both workers create a ticket (the race the lock prevents)"
    # While handling the chat's updates, the second worker waits and then finds the draft gone.
    _draft_at_phone_step(engine, 702)
    results, b_waited = two_workers(engine, submit(702), chat=702)
    assert b_waited, "the second worker's transaction waited for the first one's commit"
    assert results[0] is not None and results[1] is None
    with db.transaction(engine) as session:
        per_resident = select(Ticket.resident_id, func.count()).group_by(Ticket.resident_id)
        counts = dict(session.exec(per_resident).all())
    assert counts == {701: 2, 702: 1}


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_every_worker_runs_the_rating_reminder_job_and_the_resident_gets_one(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])

    def resolved_ticket() -> None:
        with db.transaction(world.engine) as s:
            ticket = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing",
                                           grid_code=G11, address="3号楼2单元501", settings=world.settings)
            dispatch.accept_offer(s, ticket.id, plumber, T0 + minutes(1))
            tickets.resolve_ticket(s, ticket.id, plumber, T0 + minutes(60))

    def remind(fn: Callable[..., int]) -> Callable[[Session], int]:
        return lambda session: fn(session, T0 + minutes(61 + 24 * 60), settings=world.settings)

    # Control: two runs of the bare job at once both see "not reminded yet".
    resolved_ticket()
    assert two_workers(world.engine, remind(tickets.remind_unrated))[0] == [1, 1]
    # As the bot runs it, the second run waits and finds the new ticket reminded.
    resolved_ticket()
    results, b_waited = two_workers(world.engine, remind(one_process_at_a_time(tickets.remind_unrated)))
    assert b_waited and results == [1, 0]


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
        assert ticket.accepted_at == T0 + minutes(5), f"{backend}: accepted_at {ticket.accepted_at}"  # … and the ticket too

START = """
import sys
from bot.__main__ import start_domain
from bot.config import BotSettings
settings = BotSettings(_env_file=None, DATABASE_URL=sys.argv[1], DATA_DIR=sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
start_domain(settings).dispose()
"""


@pytest.mark.postgres
def test_workers_started_together_on_a_new_database_migrate_one_after_another(
    pg_url: str, tmp_path: Path
) -> None:
    share_learned_models(tmp_path)
    with throwaway_database(pg_url) as url:
        starts = [subprocess.Popen([sys.executable, "-c", START, url, str(tmp_path)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CLEAN)
                  for _ in range(3)]
        for process in starts:  # all imported: now they migrate at the same moment
            assert process.stdout.readline().strip() == "ready"
        for process in starts:
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=120) for process in starts]
        assert [p.returncode for p in starts] == [0, 0, 0], outcomes
        assert db.current_revision(url) is not None


# --- the load test's core: two webhook worker processes ---
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_load_on_two_webhook_workers_is_exactly_once(db_url: str) -> None:
    load = run_load(db_url, workers=2, rate=40, seconds=3, double_tap_every=2, models_from=ROOT / "data")
    result = asyncio.run(load)
    report = "\n".join(result.lines())
    assert result.errors == [], report
    assert result.conversations >= 10 and result.completed == result.conversations, report
    assert result.updates >= 100 and result.double_taps >= 5, report
    assert result.tickets == result.conversations and result.exactly_once, report
    assert result.set_webhook_calls == 1, "only the first worker registers the webhook"
