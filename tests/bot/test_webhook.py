"""Webhook mode: the settings, the secret token check, setWebhook made optional and non-fatal, one chat's
transactions taking turns across processes on PostgreSQL, and the load test's exactly-once check."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from telegram.ext import Application, JobQueue

from bot import serving
from bot.app import ALLOWED_UPDATES, build_application, make_deps
from bot.config import BotSettings, SettingsError, get_bot_settings
from bot.console import BotEvent, ConsoleRequest
from bot.handlers import resident
from bot.loadtest import free_port, run_load, throwaway_database
from bot.workers import (
    HANDLING_CHAT,
    ChatlessJobQueue,
    _chat_lock_key,
    lock_chats_across_processes,
    one_process_at_a_time,
)
from routing import db, dispatch, drafts, members, tickets
from routing.models import Person, Ticket
from tests.conftest import G11, RESIDENT, T0, World, minutes
from tests.e2e.harness import ROOT, share_learned_models

TOKEN = "123456:ABCdefGHIjklMNOpqr"
SECRET = "s3cret-Token_for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
GRID = "S01-C01-G01"
CLEAN = {k: v for k, v in os.environ.items() if k not in BotSettings.model_fields}


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


# ── the webhook server, in process, on the console's Bot API ────────────────────────────────────
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


# ── one chat's transactions across processes (PostgreSQL) ────────────────────────────────────────
def test_chat_lock_keys_fit_postgres_int() -> None:
    for chat_id in (1, 7_000_000_001, 2**52 - 1, -1001234567890, -1):
        assert -(2**31) <= _chat_lock_key(chat_id) < 2**31
    assert _chat_lock_key(7_000_000_001) != _chat_lock_key(7_000_000_002)


async def test_a_job_scheduled_while_handling_a_chat_runs_outside_it() -> None:
    seen: dict[str, int | None] = {}

    async def job(context: Any) -> None:
        seen[context.job.name] = HANDLING_CHAT.get()

    async def handler(app: Application, name: str) -> None:  # as PerChatUpdateProcessor runs one
        HANDLING_CHAT.set(42)
        app.job_queue.run_once(job, 0, name=name)  # e.g. deliver_soon
        async with asyncio.timeout(10):
            while name not in seen:
                await asyncio.sleep(0.01)

    for queue in (JobQueue(), ChatlessJobQueue()):
        app = Application.builder().token(TOKEN).request(ConsoleRequest()).job_queue(queue).build()
        async with app:
            await app.start()
            await asyncio.create_task(handler(app, type(queue).__name__))
            await app.stop()
    assert seen == {"JobQueue": 42, "ChatlessJobQueue": None}, "tasks inherit context; jobs must not"


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


# ── the load test's core, two worker processes ──────────────────────────────────────────────────
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
