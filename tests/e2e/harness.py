"""End-to-end harness: the Telegram Bot API emulator, simulated users, and the bot as a subprocess.

The emulator is ``tests/emulator/server.js`` (the npm package ``telegram-test-api`` behind our
compatibility layer for python-telegram-bot 22). Conventions:

* ``TELEGRAM_BASE_URL`` is the emulator's root, e.g. ``http://127.0.0.1:41234`` (no trailing
  slash). The bot must give PTB ``base_url=f"{TELEGRAM_BASE_URL}/bot"`` and
  ``base_file_url=f"{TELEGRAM_BASE_URL}/file/bot"``; PTB appends the token, so requests go to
  ``http://127.0.0.1:41234/bot<TOKEN>/<method>``. (Telegram itself: ``https://api.telegram.org``.)
* Every test gets its own bot token (``EmulatorServer.new_token()``), and the emulator keeps all
  state per token, so tests sharing the session's emulator do not see each other's messages.
* A private chat's id is the user's id.

Typical use (fixtures in ``tests/e2e/conftest.py``)::

    async def test_intake(emulator_client, bot_runner):
        bot = bot_runner(emulator_client.bot_env(COORDINATOR_IDS="9001", TIME_LIMIT_SCALE="0.01"))
        await emulator_client.wait_for_polling()
        alice = emulator_client.user(1001, "Alice", "alice")
        await alice.command("/start")
        welcome = await alice.wait_for("欢迎")
        await alice.press(welcome, "确认")
        assert (await alice.wait_for("工单")).buttons == []
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from classifier import share_learned

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_DIR = ROOT / "tests" / "emulator"
EMULATOR_SERVER = EMULATOR_DIR / "server.js"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# Settings the bot reads; not inherited from the caller's environment by start_bot().
BOT_SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "DATABASE_URL",
    "COORDINATOR_IDS",
    "TIME_LIMIT_SCALE",
    "DATA_DIR",
    "GEOGRAPHY_FILE",
    "TIMEZONE",
    "TZ",
)

Match = str | re.Pattern[str] | Callable[["BotMessage"], bool] | None


class EmulatorError(RuntimeError):
    """The emulator answered a client request with an error."""


def in_ci() -> bool:
    """CI=true: a missing emulator must fail the run instead of skipping the tests."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def emulator_unavailable_reason() -> str | None:
    """Why the emulator cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not installed (the Telegram emulator needs Node.js >= 18)"
    for package in ("telegram-test-api", "express"):
        if not (EMULATOR_DIR / "node_modules" / package / "package.json").exists():
            return (
                f"{EMULATOR_DIR.relative_to(ROOT)}/node_modules is not installed: "
                "run `npm ci --prefix tests/emulator` (make test does it)"
            )
    return None


# --------------------------------------------------------------------------------------------
# The emulator process


class EmulatorServer:
    """A running ``node tests/emulator/server.js`` on 127.0.0.1 (use ``run_emulator()``)."""

    def __init__(self, process: subprocess.Popen[str], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"  # = TELEGRAM_BASE_URL
        self.log_path = log_path
        self._ids = itertools.count(7_000_000_001)

    def new_token(self) -> str:
        """A fresh, well-formed bot token; the emulator keys all its state by token."""
        return f"{next(self._ids)}:AAE{secrets.token_hex(16)}"

    def client(self, token: str | None = None) -> EmulatorClient:
        """An async client for one bot token (a new one when not given); close it after use."""
        return EmulatorClient(self.base_url, token or self.new_token())

    def request(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Synchronous POST to a client route (for sync code); returns ``result``."""
        response = httpx.post(f"{self.base_url}{path}", json=body or {}, timeout=30)
        return _result(response)

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def stop(self) -> None:
        _terminate(self.process, timeout=5)


def start_emulator(log_path: Path | None = None, *, port: int = 0) -> EmulatorServer:
    """Start the emulator (port 0 = any free port) and wait until it answers."""
    reason = emulator_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    if log_path is None:
        log_path = Path(tempfile.mkdtemp(prefix="tg-emulator-")) / "emulator.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "EMULATOR_LOG": os.environ.get("EMULATOR_LOG", "1"),
        "EMULATOR_EXIT_ON_STDIN_EOF": "1",  # dies with the test run, even on SIGKILL
    }
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            ["node", str(EMULATOR_SERVER), str(port)],
            cwd=EMULATOR_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            preexec_fn=_die_with_parent,
        )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=20)
    except queue.Empty:
        _terminate(process, timeout=2)
        raise RuntimeError(f"the emulator did not start in 20 s:\n{_tail(log_path, 40)}") from None
    match = re.fullmatch(r"LISTENING (\d+)\s*", first)
    if not match:
        _terminate(process, timeout=2)
        raise RuntimeError(f"the emulator did not start (stdout {first!r}):\n{_tail(log_path, 40)}")
    server = EmulatorServer(process, int(match.group(1)), log_path)
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{server.base_url}/emulator/health", timeout=2).raise_for_status()
            return server
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                _terminate(process, timeout=2)
                raise RuntimeError(f"the emulator does not answer:\n{_tail(log_path, 40)}") from None
            time.sleep(0.05)


@contextlib.contextmanager
def run_emulator(log_path: Path | None = None) -> Iterator[EmulatorServer]:
    server = start_emulator(log_path)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# What the bot sent


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as it is now (after edits), seen from the emulator."""

    message_id: int
    chat_id: int
    text: str  # what the user sees: HTML parsed, entities decoded
    text_source: str  # what the bot sent (with tags when parse_mode=HTML)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    date: int
    sent_at_ms: int
    edit_date: int | None
    history: tuple[dict[str, Any], ...]  # earlier versions: {text, reply_markup, edit_date}
    deleted: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BotMessage:
        return cls(
            message_id=data["message_id"],
            chat_id=data["chat_id"],
            text=data["text"],
            text_source=data["text_source"],
            parse_mode=data.get("parse_mode"),
            reply_markup=data.get("reply_markup"),
            date=data["date"],
            sent_at_ms=data["sent_at_ms"],
            edit_date=data.get("edit_date"),
            history=tuple(data.get("history") or ()),
            deleted=bool(data.get("deleted")),
        )

    @property
    def version(self) -> int:
        """0 as sent, +1 per edit."""
        return len(self.history)

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def buttons(self) -> list[list[Button]]:
        """The inline keyboard's rows ([] when there is none)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[Button(b["text"], b.get("callback_data"), b.get("url"), raw=b) for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def reply_keyboard(self) -> list[list[dict[str, Any]]] | None:
        """The custom (reply) keyboard sent with this message, e.g. a request_contact button."""
        keyboard = (self.reply_markup or {}).get("keyboard")
        if keyboard is None:
            return None
        return [[{"text": b} if isinstance(b, str) else b for b in row] for row in keyboard]

    @property
    def removes_reply_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    def button(self, words: str) -> Button:
        """The inline button whose text contains ``words`` (exact text wins; else every word)."""
        everything = [b for row in self.buttons for b in row]
        found = [b for b in everything if words in b.text]
        if len(found) > 1:
            exact = [b for b in found if b.text.strip() == words.strip()]
            found = exact or found
        if not found and len(words.split()) > 1:
            found = [b for b in everything if all(w in b.text for w in words.split())]
        if len(found) == 1:
            return found[0]
        what = "several buttons" if found else "no button"
        raise LookupError(
            f"{what} matching {words!r} in message {self.message_id} "
            f"({self.text[:80]!r}); buttons: {self.button_texts}"
        )

    def has_button(self, words: str) -> bool:
        try:
            self.button(words)
        except LookupError:
            return False
        return True

    def describe(self) -> str:
        flags = []
        if self.edited:
            flags.append(f"edited x{len(self.history)}")
        if self.deleted:
            flags.append("deleted")
        head = f"#{self.message_id}" + (f" ({', '.join(flags)})" if flags else "")
        keys = f"  [{' | '.join(self.button_texts)}]" if self.buttons else ""
        reply = self.reply_keyboard
        if reply:
            keys += f"  keyboard: {[b.get('text') for row in reply for b in row]}"
        return f"{head}: {self.text!r}{keys}"


def _matches(message: BotMessage, match: Match) -> bool:
    if match is None:
        return True
    if isinstance(match, str):
        return match in message.text
    if isinstance(match, re.Pattern):
        return match.search(message.text) is not None
    return bool(match(message))


def _describe_match(match: Match) -> str:
    if isinstance(match, re.Pattern):
        return f"/{match.pattern}/"
    if callable(match):
        return getattr(match, "__name__", "a predicate")
    return repr(match)


# --------------------------------------------------------------------------------------------
# Clients


class EmulatorClient:
    """Async client of the emulator for one bot token: simulated users and inspection."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(30.0, read=75.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post(self, path: str, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(30.0, read=timeout + 10)
        return _result(await self._http.post(path, json=body, **kwargs))

    def bot_env(self, **extra: str) -> dict[str, str]:
        """The environment for start_bot(): token and base URL, plus ``extra``."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_BASE_URL": self.base_url, **extra}

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        """A simulated Telegram user talking to the bot in a private chat (chat id = user id)."""
        return SimUser(self, user_id, first_name, username, last_name, language_code)

    # -- inspection
    async def messages(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[BotMessage]:
        """The bot's messages (to one chat, or all), oldest first, as they are now."""
        body: dict[str, Any] = {"token": self.token, "include_deleted": include_deleted}
        if chat_id is not None:
            body["chat_id"] = chat_id
        result = await self.post("/emulator/messages", body)
        return [BotMessage.from_json(m) for m in result["messages"]]

    async def _chat_state(
        self, chat_id: int, since: int | None = None, timeout: float = 0.0
    ) -> tuple[int, list[BotMessage]]:
        """(version, messages) of a chat; with ``since``, waits up to ``timeout`` s for a change."""
        body: dict[str, Any] = {"token": self.token, "chat_id": chat_id, "include_deleted": True}
        if since is not None:
            body.update(since=since, timeout=timeout)
        result = await self.post("/emulator/messages", body, timeout=timeout or None)
        return result["version"], [BotMessage.from_json(m) for m in result["messages"]]

    async def transcript(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Users' updates and bot messages interleaved in time order (raw JSON)."""
        body: dict[str, Any] = {"token": self.token}
        if chat_id is not None:
            body["chat_id"] = chat_id
        return await self.post("/emulator/transcript", body)

    async def format_transcript(self, chat_id: int | None = None) -> str:
        """A readable transcript, for failure messages."""
        lines = []
        for item in await self.transcript(chat_id):
            if item["from"] == "bot":
                m = BotMessage.from_json(item["message"])
                lines.append(f"bot -> {m.chat_id} {m.describe()}")
                continue
            update = item["update"]
            if "callback_query" in update:
                cq = update["callback_query"]
                lines.append(f"{cq['from']['id']} pressed {cq['data']!r} on #{cq['message']['message_id']}")
            else:
                msg = update["message"]
                content = msg.get("text") or msg.get("caption") or ""
                if "contact" in msg:
                    content += f" [contact {msg['contact'].get('phone_number')}]"
                if "photo" in msg:
                    content += " [photo]"
                lines.append(f"{msg['from']['id']} says {content!r}")
        return "\n".join(lines) or "(nothing)"

    async def stats(self) -> dict[str, Any]:
        """{"requests": {method: count}, "unsupported": [{method, params, at}]} for this token."""
        return await self.post("/emulator/stats", {"token": self.token})

    async def request_count(self, method: str) -> int:
        return int((await self.stats())["requests"].get(method, 0))

    async def unsupported_calls(self, method: str | None = None) -> list[dict[str, Any]]:
        calls = (await self.stats())["unsupported"]
        return [c for c in calls if method is None or c["method"] == method]

    async def wait_for_polling(self, timeout: float = 30.0, *, bot: BotProcess | None = None) -> None:
        """Wait until the bot has called getUpdates (it is initialised and polling)."""
        deadline = time.monotonic() + timeout
        while await self.request_count("getUpdates") == 0:
            if bot is not None:
                bot.assert_running()
            if time.monotonic() > deadline:
                extra = f"\n--- bot log ---\n{bot.log_tail()}" if bot else ""
                raise AssertionError(f"the bot did not poll getUpdates within {timeout} s{extra}")
            await asyncio.sleep(0.05)

    # -- failures on demand
    async def inject_fault(
        self,
        method: str = "*",
        *,
        error_code: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
        drop_connection: bool = False,
    ) -> int:
        """Make the next ``times`` calls (0 = all until cleared) of ``method`` to ``chat_id`` fail.

        E.g. 429 with retry_after (PTB: RetryAfter), 403 (Forbidden), 502 (NetworkError), or
        ``drop_connection`` (the socket is closed: NetworkError). Returns the fault's id.
        """
        fault = await self.post(
            "/emulator/faults",
            {
                "token": self.token,
                "method": method,
                "chat_id": chat_id,
                "error_code": error_code,
                "description": description or _default_description(error_code, retry_after),
                "retry_after": retry_after,
                "times": times,
                "action": "drop" if drop_connection else "error",
            },
        )
        return int(fault["id"])

    async def clear_faults(self, fault_id: int | None = None) -> None:
        body: dict[str, Any] = {"token": self.token}
        if fault_id is not None:
            body["id"] = fault_id
        await self.post("/emulator/faults/clear", body)

    async def reset(self) -> None:
        """Forget this token's messages, updates, stats and faults (ids keep growing)."""
        await self.post("/emulator/reset", {"token": self.token})


def _default_description(code: int, retry_after: int | None) -> str:
    if code == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    return {
        400: "Bad Request: injected failure",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: injected failure",
        502: "Bad Gateway",
    }.get(code, "Internal Server Error")


class SimUser:
    """A simulated user. ``wait_for`` consumes messages, so consecutive calls see new ones."""

    def __init__(
        self,
        client: EmulatorClient,
        user_id: int,
        first_name: str,
        username: str | None,
        last_name: str | None,
        language_code: str | None,
    ) -> None:
        self.client = client
        self.id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.username = username
        self.last_name = last_name
        self.language_code = language_code
        self._consumed: set[tuple[int, int]] = set()  # (message_id, version)
        self._blocked_fault: int | None = None

    def __repr__(self) -> str:
        return f"SimUser({self.id}, {self.first_name!r})"

    @property
    def telegram_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "botToken": self.client.token,
            "from": self.telegram_user,
            "chat": self.chat,
            "date": int(time.time()),
            **fields,
        }

    # -- acting
    async def send(self, text: str) -> int:
        """Send a text message; a leading /command gets its bot_command entity, as in Telegram.

        Returns the new message's id.
        """
        fields: dict[str, Any] = {"text": text}
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            fields["entities"] = [{"offset": 0, "length": command.end(), "type": "bot_command"}]
        result = await self.client.post("/sendMessage", self._message(**fields))
        return int(result["message_id"])

    async def command(self, command: str, args: str | None = None) -> int:
        """Send ``/command`` (``args`` appended after a space), with its bot_command entity."""
        if not command.startswith("/"):
            command = "/" + command
        text = command if not args else f"{command} {args}"
        length = len(command.split()[0])
        entities = [{"offset": 0, "length": length, "type": "bot_command"}]
        result = await self.client.post("/sendCommand", self._message(text=text, entities=entities))
        return int(result["message_id"])

    async def share_contact(self, phone_number: str, *, first_name: str | None = None) -> int:
        """Share one's own contact, as Telegram's request_contact button does."""
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id,
        }
        if self.last_name and first_name is None:
            contact["last_name"] = self.last_name
        result = await self.client.post("/sendMessage", self._message(contact=contact))
        return int(result["message_id"])

    async def send_photo(self, caption: str | None = None, *, file_id: str | None = None) -> int:
        """Send a photo (sizes with file ids only: the emulator serves no files) with a caption."""
        base = file_id or f"AgACAgUAAxkBAAI{secrets.token_hex(12)}"
        unique = secrets.token_hex(8)
        photo = [
            {
                "file_id": f"{base}-s",
                "file_unique_id": f"{unique}s",
                "width": 90,
                "height": 67,
                "file_size": 1200,
            },
            {"file_id": base, "file_unique_id": unique, "width": 1280, "height": 960, "file_size": 98765},
        ]
        fields: dict[str, Any] = {"photo": photo}
        if caption:
            fields["caption"] = caption
        result = await self.client.post("/sendMessage", self._message(**fields))
        return int(result["message_id"])

    async def press(self, message: BotMessage | int, words: str, *, force: bool = False) -> str:
        """Press the inline button whose text contains ``words`` in that bot message.

        The message is looked up again first: a button removed by an edit cannot be pressed
        (AssertionError), just as in a Telegram client. Returns the callback_query id.
        """
        message_id = message if isinstance(message, int) else message.message_id
        current = {m.message_id: m for m in (await self.client._chat_state(self.chat_id))[1]}
        now = current.get(message_id)
        if now is None or now.deleted:
            raise AssertionError(f"{self}: message {message_id} is not in the chat (any more)")
        try:
            button = now.button(words)
        except LookupError as exc:
            raise AssertionError(f"{self}: {exc}") from None
        if button.callback_data is None:
            raise AssertionError(f"{self}: button {button.text!r} has no callback_data")
        result = await self.client.post(
            "/sendCallback",
            {
                "botToken": self.client.token,
                "from": self.telegram_user,
                "message": {"message_id": message_id, "chat": {"id": self.chat_id}},
                "data": button.callback_data,
                "force": force,
            },
        )
        return str(result["callback_query_id"])

    async def press_data(self, message: BotMessage | int, callback_data: str) -> str:
        """Press a button by its callback data even if an edit removed it meanwhile, as a client whose
        screen was not updated yet does (e.g. eight members pressing 接单 at the same instant)."""
        message_id = message if isinstance(message, int) else message.message_id
        result = await self.client.post(
            "/sendCallback",
            {
                "botToken": self.client.token,
                "from": self.telegram_user,
                "message": {"message_id": message_id, "chat": {"id": self.chat_id}},
                "data": callback_data,
                "force": True,
            },
        )
        return str(result["callback_query_id"])

    async def callback_answer(self, callback_query_id: str, timeout: float = 5.0) -> dict | None:
        """The bot's answerCallbackQuery for that press ({text, show_alert, url}), or None."""
        return await self.client.post(
            "/emulator/callbackAnswer",
            {"token": self.client.token, "callback_query_id": callback_query_id, "timeout": timeout},
            timeout=timeout,
        )

    async def block_bot(self) -> None:
        """From now on every request to this chat fails with 403 'bot was blocked by the user'."""
        if self._blocked_fault is None:
            self._blocked_fault = await self.client.inject_fault(
                "*",
                error_code=403,
                chat_id=self.chat_id,
                times=0,
                description="Forbidden: bot was blocked by the user",
            )

    async def unblock_bot(self) -> None:
        if self._blocked_fault is not None:
            await self.client.clear_faults(self._blocked_fault)
            self._blocked_fault = None

    # -- observing
    async def messages(self, *, include_deleted: bool = False) -> list[BotMessage]:
        """Everything the bot sent to this chat so far, with current text and keyboards."""
        return await self.client.messages(self.chat_id, include_deleted=include_deleted)

    async def last_message(self) -> BotMessage | None:
        messages = await self.messages()
        return messages[-1] if messages else None

    def mark_seen(self, messages: Sequence[BotMessage]) -> None:
        """Consume these messages (in their current version) without waiting for them."""
        self._consumed.update((m.message_id, m.version) for m in messages)

    async def skip_all(self) -> None:
        """Consume everything in the chat now, so wait_for only sees what comes next."""
        self.mark_seen(await self.messages())

    def _fresh(self, messages: list[BotMessage], match: Match) -> list[BotMessage]:
        return [
            m
            for m in messages
            if not m.deleted and (m.message_id, m.version) not in self._consumed and _matches(m, match)
        ]

    async def wait_for(self, match: Match = None, *, timeout: float = 10.0, count: int | None = None) -> Any:
        """The next bot message to this chat whose text matches, waiting up to ``timeout`` s.

        ``match``: a substring of the displayed text, a compiled regex, a predicate on
        BotMessage, or None (any). New messages and new edits of earlier ones are candidates;
        the oldest unconsumed match is returned and consumed. With ``count=n`` returns a list of
        n messages. On timeout raises AssertionError listing what the chat holds.
        """
        need = count or 1
        deadline = time.monotonic() + timeout
        since: int | None = None
        wait = 0.0
        while True:
            version, messages = await self.client._chat_state(self.chat_id, since, wait)
            found = self._fresh(messages, match)[:need]
            if len(found) == need:
                self.mark_seen(found)
                return found if count is not None else found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                listing = "\n".join(
                    ("  (seen) " if (m.message_id, m.version) in self._consumed else "  ") + m.describe()
                    for m in messages
                )
                raise AssertionError(
                    f"{self}: no{'' if need == 1 else f' {need}'} bot message matching "
                    f"{_describe_match(match)} within {timeout} s "
                    f"({len(found)} found); the chat holds:\n{listing or '  (nothing)'}"
                )
            since, wait = version, min(remaining, 30.0)

    async def expect_silence(self, match: Match = None, *, within: float = 1.0) -> None:
        """Assert that no unconsumed bot message matching ``match`` shows up within ``within`` s."""
        deadline = time.monotonic() + within
        since: int | None = None
        wait = 0.0
        while True:
            version, messages = await self.client._chat_state(self.chat_id, since, wait)
            unexpected = self._fresh(messages, match)
            if unexpected:
                listing = "\n".join("  " + m.describe() for m in unexpected)
                raise AssertionError(f"{self}: unexpected bot message(s):\n{listing}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            since, wait = version, min(remaining, 30.0)


# --------------------------------------------------------------------------------------------
# The bot under test as a subprocess


class BotProcess:
    """A bot subprocess with its log in a file; ``stop()`` sends SIGTERM, then SIGKILL."""

    def __init__(self, process: subprocess.Popen[bytes], argv: list[str], log_path: Path) -> None:
        self.process = process
        self.argv = argv
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def assert_running(self) -> None:
        if not self.is_running():
            raise AssertionError(
                f"the bot exited with code {self.returncode}; log {self.log_path}:\n{self.log_tail()}"
            )

    async def wait_for_log(self, needle: str | re.Pattern[str], timeout: float = 10.0) -> str:
        """Wait until the log contains ``needle``; returns the matching line."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log().splitlines():
                if (needle in line) if isinstance(needle, str) else needle.search(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{needle!r} not in the bot's log within {timeout} s:\n{self.log_tail()}"
                )
            await asyncio.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Returns the exit code."""
        return _terminate(self.process, timeout=timeout)

    async def astop(self, timeout: float = 10.0) -> int:
        return await asyncio.to_thread(self.stop, timeout)

    def kill(self) -> int:
        """SIGKILL, as a crash or the OOM killer would: no shutdown code runs. Returns the exit code."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        return self.process.wait(timeout=10)

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def share_learned_models(data_dir: Path) -> None:
    """Link the project's learned models, as `make` fits them, into a bot's fresh data directory."""
    share_learned(ROOT / "data", data_dir)


def start_bot(
    env: dict[str, str],
    *,
    log_path: Path | None = None,
    cwd: Path | None = None,
    argv: Sequence[str] = ("-m", "bot"),
    python: str | os.PathLike[str] | None = None,
) -> BotProcess:
    """Run ``<venv python> -m bot`` with ``env`` on top of a clean copy of this environment.

    The bot's settings (BOT_SETTINGS) are not inherited from the caller, only taken from
    ``env``; DATA_DIR defaults to a fresh temporary directory, which is also the working
    directory (so a developer's ``.env`` in the project is not read). stdout and stderr go to
    ``log_path`` (default: ``$DATA_DIR/bot.log``).
    """
    base = {k: v for k, v in os.environ.items() if k not in BOT_SETTINGS}
    full_env = {**base, "PYTHONUNBUFFERED": "1", **{k: str(v) for k, v in env.items()}}
    full_env.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bot-data-"))
    data_dir = Path(full_env["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    share_learned_models(data_dir)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), full_env.get("PYTHONPATH", "")) if p)
    if log_path is None:
        log_path = data_dir / "bot.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    interpreter = str(python or (VENV_PYTHON if VENV_PYTHON.exists() else sys.executable))
    command = [interpreter, *argv]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd or data_dir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal goes to pytest only
            preexec_fn=_die_with_parent,
        )
    return BotProcess(process, command, log_path)


# --------------------------------------------------------------------------------------------
# helpers


def _result(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except json.JSONDecodeError:
        raise EmulatorError(
            f"{response.request.url}: HTTP {response.status_code}: {response.text[:300]}"
        ) from None
    if not body.get("ok"):
        raise EmulatorError(f"{response.request.url.path}: {body.get('description') or body}")
    return body.get("result")


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test run dies (Linux), never an orphan."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _terminate(process: subprocess.Popen[Any], timeout: float) -> int:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=5)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    return process.returncode
