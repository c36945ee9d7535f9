"""Load test of webhook mode: `python -m bot.loadtest [--workers 1 2] [--rate 60] [--seconds 20]`.

Starts N bot processes (`python -m bot --webhook` on ports P, P+1, …) sharing a throwaway PostgreSQL
database, with their Bot API pointed at a fake Bot API that this process serves over HTTP (the offline
console's in-process server, bot/console.py). Then it posts webhook updates round-robin across the
workers: residents new to the bot (/start → community → grid, then bot.bench's intake script: the need →
确认 → address → 跳过) start at a fixed rate for a bounded time, every fifth taps 跳过 twice at once (two
updates, two workers), and the members offered a ticket all press 接单 at once. It reports updates/s, the
p50/p95 of the webhook POST and of each answer the resident waits for, and errors; then it checks in the
database and in the fake API's log that every ticket, acceptance and notification is there exactly once.
The workers do not pace their sends for Telegram's limit unless asked (--messages-per-second): what is
measured is the bot, as the fake API has no limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy import Engine, func
from sqlmodel import select

from bot import bench, keyboards, texts
from bot.config import BotSettings
from bot.console import BotEvent, ConsoleRequest
from classifier import share_learned
from classifier.cli import machine_summary
from routing import db, members
from routing.members import MAX_TAGS
from routing.models import Notification, NotificationStatus, Ticket

TOKEN = "123456:LoadTestLoadTestLoadTest"
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COORDINATOR = 900_001
FIRST_MEMBER = 800_001
FIRST_RESIDENT = 1_000_001
MEMBERS = 12
DOUBLE_TAP_EVERY = 5
SKIP = "跳过"
RESIDENT_UPDATES = 7  # /start, community, grid, need, 确认, address, 跳过
STARTUP_TIMEOUT = 90.0
SETTLE_TIMEOUT = 60.0
# Parameters PTB sends as plain strings; every other form field is JSON (numbers, keyboards, flags).
_STRING_PARAMS = frozenset({"text", "caption", "parse_mode", "callback_query_id", "url", "secret_token"})
_OFFER_ACCEPT = f"{keyboards.OFFER}:acc:"
_ACCEPTED = texts.accepted("#").split("<b>")[0]  # "✋ 您已接下工单 "
JSON = dict[str, Any]


# ── the fake Bot API ─────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class _Params:
    """What ConsoleRequest.do_request reads of PTB's RequestData."""

    parameters: JSON
    contains_files: bool = False
    multipart_data: JSON = field(default_factory=dict)


class FakeBotApi(ConsoleRequest):
    """The console's Bot API, serving the workers over HTTP. What a simulated person does is posted to
    the workers' webhooks (`post`) instead of waiting for getUpdates; every bot message's first text is
    logged, so that a notification sent twice shows as two messages with the same text."""

    def __init__(self, post: Callable[[JSON], None]) -> None:
        super().__init__()
        self.post = post
        self.calls: Counter[str] = Counter()
        self.sent: dict[tuple[int, int], str] = {}  # (chat, message id) → text when sent
        self.api_errors: list[str] = []
        self.double_tap: set[tuple[int, str]] = set()  # (person, text) sent twice at once
        self._update_ids = itertools.count(1)
        self.add_listener(self._log)

    def _log(self, event: BotEvent) -> None:
        if event.kind == "message" and event.message is not None and event.chat_id is not None:
            self.sent[(event.chat_id, event.message.message_id)] = event.text
        elif event.kind == "error":
            self.api_errors.append(f"{event.method}: {event.text}"[:200])

    def push_update(self, update: JSON) -> int:
        update_id = next(self._update_ids)
        self.post({"update_id": update_id, **update})
        return update_id

    def send_user_message(self, user_id: int, text: str | None = None, **fields: Any) -> int:
        update_id = super().send_user_message(user_id, text, **fields)
        if text is not None and (user_id, text) in self.double_tap:
            update_id = super().send_user_message(user_id, text, **fields)
        return update_id

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.calls[url.rsplit("/", 1)[-1].lower()] += 1
        return await super().do_request(url, method, *args, **kwargs)

    def serve(self) -> tuple[tornado.httpserver.HTTPServer, int]:
        """Listen on a free loopback port: POST /bot<token>/<method>, as Telegram's Bot API."""
        app = tornado.web.Application([(r"/bot[^/]+/(\w+)", _BotApiHandler, {"api": self})])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        return server, sockets[0].getsockname()[1]


class _BotApiHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def post(self, method: str) -> None:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(self.request.body or b"{}")
        else:
            params = {key: _form_value(key, values[-1].decode()) for key, values in
                      self.request.body_arguments.items()}
        request_data: Any = _Params(params)
        status, body = await self.api.do_request(f"/{method}", "POST", request_data)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body)

    def log_exception(self, *args: Any) -> None:
        super().log_exception(*args)
        self.api.api_errors.append(f"fake Bot API crashed: {args[1]!r}"[:200])


def _form_value(key: str, raw: str) -> Any:
    if key in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# ── posting updates to the workers ───────────────────────────────────────────────────────────────
class Poster:
    """Posts updates round-robin to the workers' webhooks (consecutive updates go to different workers)
    and keeps each POST's latency and every failure."""

    def __init__(self, urls: list[str], secret: str) -> None:
        self.urls, self.secret = urls, secret
        self.client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200))
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.posted = 0
        self._next = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self.first_at: float | None = None

    def post(self, update: JSON) -> None:
        url = self.urls[next(self._next) % len(self.urls)]
        task = asyncio.get_running_loop().create_task(self._post(url, update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, update: JSON) -> None:
        started = time.perf_counter()
        self.first_at = self.first_at or started
        self.posted += 1
        try:
            response = await self.client.post(url, json=update, headers={SECRET_HEADER: self.secret})
        except httpx.HTTPError as error:
            self.errors.append(f"POST {url}: {type(error).__name__} {error}"[:200])
            return
        self.latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            self.errors.append(f"POST {url}: HTTP {response.status_code}")

    @property
    def idle(self) -> bool:
        return not self._tasks

    async def aclose(self) -> None:
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.client.aclose()


# ── residents and members ────────────────────────────────────────────────────────────────────────
class ResidentConversation(bench.Conversation):
    """A resident new to the bot: /start and the area buttons, then bot.bench's intake script."""

    async def run(self) -> None:
        request, uid = self.request, self.user_id
        asked = await self._step(lambda: request.send_user_message(uid, "/start"), texts.CHOOSE_AREA)
        community = asked.message.inline_keyboard[0][0]["callback_data"]
        grids = await self._step(lambda: request.press_inline(uid, asked.message, community), "网格")
        grid = grids.message.inline_keyboard[0][0]["callback_data"]
        await self._step(lambda: request.press_inline(uid, grids.message, grid), "已记下您在")
        await super().run()


class Members:
    """Members press 接单 as soon as an offer arrives (all of a wave at once: one wins)."""

    def __init__(self, api: FakeBotApi, telegram_ids: list[int]) -> None:
        self.api, self.ids = api, set(telegram_ids)
        self.waiting: dict[tuple[int, int], float] = {}  # (member, offer message) → pressed at
        self.latencies: list[float] = []
        self.alerts: dict[int, str] = {}  # member → the last alert a press got
        api.add_listener(self._on_event)

    def unanswered(self) -> list[str]:
        """Presses whose offer message was not edited to 接单 or 手慢了: what the member saw instead."""
        return [f"member {chat}: 接单 unanswered; message now {self.api.get_message(chat, message_id)!r:.80}, "
                f"last alert {self.alerts.get(chat)!r}" for chat, message_id in self.waiting]

    def _on_event(self, event: BotEvent) -> None:
        if event.chat_id in self.ids and event.kind == "answer":
            self.alerts[event.chat_id] = event.text
        if event.chat_id not in self.ids or event.message is None:
            return
        key = (event.chat_id, event.message.message_id)
        if event.kind == "message":
            for button in itertools.chain.from_iterable(event.message.inline_keyboard):
                if button.get("callback_data", "").startswith(_OFFER_ACCEPT):
                    self.waiting[key] = time.perf_counter()
                    self.api.press_inline(event.chat_id, event.message, button["callback_data"])
        elif event.kind == "edit" and key in self.waiting and (
            event.text.startswith(_ACCEPTED) or event.text == texts.TICKET_TAKEN
        ):
            self.latencies.append(time.perf_counter() - self.waiting.pop(key))


# ── the result ───────────────────────────────────────────────────────────────────────────────────
def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q + 0.5) - 1)] if ordered else float("nan")


@dataclass
class LoadResult:
    """What one run measured and found."""

    workers: int
    rate: float
    seconds: float
    conversations: int = 0
    completed: int = 0
    updates: int = 0
    elapsed: float = 0.0
    post_latencies: list[float] = field(default_factory=list)
    answer_latencies: list[float] = field(default_factory=list)
    accept_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tickets: int = 0
    duplicate_tickets: int = 0
    missing_tickets: int = 0
    double_taps: int = 0
    accepted: int = 0
    double_accepts: int = 0
    notifications: int = 0
    undelivered: int = 0
    duplicated: int = 0
    set_webhook_calls: int = 0

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.elapsed if self.elapsed else 0.0

    @property
    def exactly_once(self) -> bool:
        """Every ticket, acceptance and notification there once."""
        return not (self.duplicate_tickets or self.missing_tickets or self.double_accepts
                    or self.undelivered or self.duplicated) and self.accepted == self.tickets

    def lines(self) -> list[str]:
        """The report."""
        ms = 1000
        verdict = "yes" if self.exactly_once else "NO"
        return [
            f"{self.workers} worker(s): {self.conversations} residents' conversations started at "
            f"~{self.rate:.0f} updates/s for {self.seconds:.0f} s, {self.completed} completed",
            f"  updates: {self.updates} in {self.elapsed:.1f} s = {self.updates_per_second:.0f} updates/s "
            f"(from the first POST until every answer and notification was out)",
            f"  webhook POST: p50 {_p(self.post_latencies, .5) * ms:.0f} ms, "
            f"p95 {_p(self.post_latencies, .95) * ms:.0f} ms",
            f"  resident's wait for each answer: p50 {_p(self.answer_latencies, .5) * ms:.0f} ms, "
            f"p95 {_p(self.answer_latencies, .95) * ms:.0f} ms; 接单 → answer: "
            f"p95 {_p(self.accept_latencies, .95) * ms:.0f} ms",
            f"  errors: {len(self.errors)}" + "".join(f"\n    {e}" for e in self.errors[:10]),
            f"  tickets: {self.tickets} ({self.duplicate_tickets} duplicated, "
            f"{self.missing_tickets} missing; {self.double_taps} residents tapped 跳过 twice), "
            f"accepted once: {self.accepted} "
            f"({self.double_accepts} accepted twice)",
            f"  notifications: {self.notifications} ({self.undelivered} not delivered, {self.duplicated} "
            f"delivered twice); setWebhook calls: {self.set_webhook_calls}",
            f"  exactly once: {verdict}",
        ]


# ── workers ──────────────────────────────────────────────────────────────────────────────────────
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_env(index: int, ports: list[int], api_port: int, database_url: str, data_dir: Path, secret: str,
               messages_per_second: float) -> dict[str, str]:
    """Worker `index`'s environment: the caller's, less any bot setting, plus this run's."""
    env = {k: v for k, v in os.environ.items() if k not in BotSettings.model_fields}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{api_port}",
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(ports[index]),
        WEBHOOK_PATH=WEBHOOK_PATH,
        WEBHOOK_SECRET_TOKEN=secret,
        # Only the first worker registers the webhook, as behind a real proxy.
        WEBHOOK_URL=f"http://127.0.0.1:{ports[0]}{WEBHOOK_PATH}" if index == 0 else "",
        LOG_LEVEL="WARNING",
        MEMBER_CAPACITY="100000",
        QUIET_HOURS="00:00-00:00",
        TELEGRAM_MESSAGES_PER_SECOND=str(messages_per_second),
    )
    return env


Worker = tuple[subprocess.Popen[bytes], Path]  # the process and its log


@contextlib.contextmanager
def run_workers(envs: list[dict[str, str]], data_dir: Path) -> Iterator[list[Worker]]:
    """Start one `python -m bot --webhook` per environment (logs in data_dir); SIGTERM and wait for
    them at the end."""
    workers = []
    try:
        for index, env in enumerate(envs):
            log_path = data_dir / f"worker{index}.log"
            with log_path.open("wb") as log_file:
                process = subprocess.Popen([sys.executable, "-m", "bot", "--webhook"], env=env,
                                           cwd=data_dir, stdout=log_file, stderr=subprocess.STDOUT)
            workers.append((process, log_path))
        yield workers
    finally:
        for process, _ in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_listening(workers: list[Worker], ports: list[int]) -> None:
    """Until every worker's webhook port accepts connections; a worker that exits is an error."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    for (process, log_path), port in zip(workers, ports, strict=True):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"worker on port {port} exited: {log_path.read_text()[-2000:]}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    log_tail = log_path.read_text()[-2000:]
                    raise RuntimeError(f"worker on port {port} did not start: {log_tail}") from None
                await asyncio.sleep(0.1)


def worker_problems(workers: list[Worker]) -> list[str]:
    """Errors the workers logged, and unclean exits."""
    problems = []
    for index, (process, log_path) in enumerate(workers):
        for line in log_path.read_text(errors="replace").splitlines():
            if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                problems.append(f"worker {index}: {line}"[:200])
        if process.returncode not in (None, 0, -signal.SIGTERM):
            problems.append(f"worker {index} exited with {process.returncode}")
    return problems


# ── the database ─────────────────────────────────────────────────────────────────────────────────
def seed(engine: Engine, settings: BotSettings, grid: str) -> list[int]:
    """A coordinator and MEMBERS members in `grid`, able to take any number of tickets, their skills
    dealt round so that every skill has several members (as many as a wave of offers, or more)."""
    from routing.config import get_taxonomy

    now = datetime.now(UTC)
    skills = get_taxonomy(settings).skills
    ids = list(range(FIRST_MEMBER, FIRST_MEMBER + MEMBERS))
    with db.transaction(engine) as session:
        members.ensure_coordinators(session, [COORDINATOR], now)
        for index, telegram_id in enumerate(ids):
            dealt = [skills[(index * MAX_TAGS + k) % len(skills)] for k in range(MAX_TAGS)]
            invite = members.create_invite(session, COORDINATOR, now, settings=settings)
            member = members.register_member(session, telegram_id, invite.code, f"党员{telegram_id}",
                                             dealt, grid, now, settings=settings)
            member.capacity = 100_000
    return ids


def _settled(engine: Engine) -> bool:
    """Nothing left to deliver and no ticket still waiting for its 接单."""
    with db.transaction(engine) as session:
        busy = session.exec(select(func.count()).select_from(Notification).where(
            Notification.status.in_([NotificationStatus.pending, NotificationStatus.claimed]))).one()
        unassigned = session.exec(select(func.count()).select_from(Ticket)
                                  .where(Ticket.assignee_id.is_(None))).one()
    return busy == 0 and unassigned == 0


def check(engine: Engine, api: FakeBotApi, residents: list[int], result: LoadResult) -> None:
    """Count tickets, acceptances and notifications against what the fake API saw."""
    with db.transaction(engine) as session:
        per_resident = dict(session.exec(select(Ticket.resident_id, func.count())
                                         .group_by(Ticket.resident_id)).all())
        result.tickets = sum(per_resident.values())
        result.duplicate_tickets = sum(n - 1 for n in per_resident.values() if n > 1)
        result.missing_tickets = sum(1 for uid in residents if per_resident.get(uid, 0) == 0)
        notes = session.exec(select(Notification)).all()
    # Each winner's offer message now reads "✋ 您已接下工单 #A1234，…": count them per ticket number.
    now_read = (api.get_message(chat, message_id) for chat, message_id in api.sent)
    won = Counter(message.text.removeprefix(_ACCEPTED).split("，")[0]
                  for message in now_read if message is not None and message.text.startswith(_ACCEPTED))
    result.accepted = sum(1 for n in won.values() if n == 1)
    result.double_accepts = sum(n - 1 for n in won.values() if n > 1)
    result.notifications = len(notes)
    done = (NotificationStatus.sent, NotificationStatus.cancelled)
    result.undelivered = sum(1 for n in notes if n.status not in done)
    # A notification sent twice is two bot messages with the text it was sent with.
    expected: Counter[tuple[int, str]] = Counter()
    for note in notes:
        if note.status == NotificationStatus.sent and note.refers_to_id is None:
            key = (note.telegram_chat_id, note.telegram_message_id)
            if key not in api.sent:
                result.undelivered += 1
                continue
            expected[(key[0], api.sent[key])] += 1
    seen = Counter((chat, text_) for (chat, _), text_ in api.sent.items() if (chat, text_) in expected)
    result.duplicated = sum(max(0, seen[key] - n) for key, n in expected.items())


@contextlib.contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to `admin_url`'s, dropped afterwards."""
    import psycopg

    admin = db.normalize_url(admin_url).replace("postgresql+psycopg://", "postgresql://")
    name = f"jiedan_load_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield db.normalize_url(admin.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ── one run ──────────────────────────────────────────────────────────────────────────────────────
async def run_load(database_url: str, *, workers: int, rate: float, seconds: float, first_port: int = 0,
                   double_tap_every: int = DOUBLE_TAP_EVERY, messages_per_second: float = 0,
                   models_from: Path | None = None) -> LoadResult:
    """Run the load against `workers` webhook workers on an empty PostgreSQL database. The workers
    start together, so they also migrate it and sync the geography at the same time. They share the
    classifier's models learned in `models_from` (a data directory), else each learns them first."""
    result = LoadResult(workers, rate, seconds)
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="jiedan-load-") as tmp:
        data_dir = Path(tmp)
        if models_from is not None:
            share_learned(models_from, data_dir)
        settings = BotSettings(_env_file=None, DATABASE_URL=database_url, DATA_DIR=data_dir)
        ports = [first_port + i if first_port else free_port() for i in range(workers)]
        poster = Poster([f"http://127.0.0.1:{p}{WEBHOOK_PATH}" for p in ports], secret)
        api = FakeBotApi(poster.post)
        server, api_port = api.serve()
        engine = db.make_engine(database_url)
        try:
            envs = [worker_env(i, ports, api_port, database_url, data_dir, secret, messages_per_second)
                    for i in range(workers)]
            with run_workers(envs, data_dir) as procs:
                await wait_listening(procs, ports)
                member_ids = seed(engine, settings, bench.GRID)
                await _drive(api, poster, engine, member_ids, result, double_tap_every)
                await poster.aclose()
            result.errors += worker_problems(procs)
        finally:
            server.stop()
            engine.dispose()
        result.errors = poster.errors + api.api_errors + result.errors
        result.set_webhook_calls = api.calls["setwebhook"]
        result.updates = poster.posted
        result.post_latencies = poster.latencies
    return result


async def _drive(api: FakeBotApi, poster: Poster, engine: Engine, member_ids: list[int],
                 result: LoadResult, double_tap_every: int) -> None:
    per_conversation = RESIDENT_UPDATES + 3  # and about a wave of 接单
    count = max(1, round(result.rate * result.seconds / per_conversation))
    interval = result.seconds / count
    residents = list(range(FIRST_RESIDENT, FIRST_RESIDENT + count))
    conversations = {
        uid: ResidentConversation(api, uid, bench.NEEDS[uid % len(bench.NEEDS)], result.answer_latencies)
        for uid in residents
    }
    for uid in residents[::double_tap_every]:
        api.double_tap.add((uid, SKIP))
    result.double_taps = len(api.double_tap)
    members_ = Members(api, member_ids)

    def route(event: BotEvent) -> None:
        conversation = conversations.get(event.chat_id or 0)
        if conversation is not None and event.kind in ("message", "edit"):
            conversation.replies.put_nowait(event)

    api.add_listener(route)
    started = time.perf_counter()

    async def one(index: int, conversation: ResidentConversation) -> None:
        await asyncio.sleep(max(0.0, started + index * interval - time.perf_counter()))
        await conversation.run()

    outcomes = await asyncio.gather(*(one(i, c) for i, c in enumerate(conversations.values())),
                                    return_exceptions=True)
    for uid, outcome in zip(residents, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            result.errors.append(f"resident {uid}: {type(outcome).__name__} {outcome}"[:200])
    result.conversations = count
    result.completed = sum(1 for o in outcomes if not isinstance(o, BaseException))
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while not (poster.idle and not members_.waiting and await asyncio.to_thread(_settled, engine)):
        if time.monotonic() > deadline:
            result.errors.append(f"not settled after {SETTLE_TIMEOUT:.0f} s")
            result.errors += members_.unanswered()
            break
        await asyncio.sleep(0.05)
    result.elapsed = time.perf_counter() - (poster.first_at or started)
    result.accept_latencies = members_.latencies
    check(engine, api, residents, result)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot.loadtest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="one run per number given")
    parser.add_argument("--rate", type=float, default=60, help="updates per second offered (about)")
    parser.add_argument("--seconds", type=float, default=20, help="how long new conversations start")
    parser.add_argument("--port", type=int, default=0, help="first webhook port (default: free ports)")
    parser.add_argument("--messages-per-second", type=float, default=0,
                        help="each worker's TELEGRAM_MESSAGES_PER_SECOND (default 0: measure the bot, not "
                        "the pacing for Telegram's limit of about 30 a second)")
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL_TEST", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL database on the server to use; the test creates and drops its own next to it")
    args = parser.parse_args(argv)
    if db.is_sqlite(args.database_url):
        parser.error("webhook workers share PostgreSQL; SQLite serves one process")
    print(f"machine: {machine_summary()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    failed = False
    for count in args.workers:
        with throwaway_database(args.database_url) as url:
            result = asyncio.run(run_load(url, workers=count, rate=args.rate, seconds=args.seconds,
                                          first_port=args.port, messages_per_second=args.messages_per_second,
                                          models_from=BotSettings().DATA_DIR))
        print("\n".join(result.lines()), flush=True)
        failed |= bool(result.errors) or not result.exactly_once
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
