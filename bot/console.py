"""Offline console chat: the production PTB Application served by an in-process fake Bot API.

`ConsoleRequest` is a `telegram.request.BaseRequest` that answers Bot API methods itself, like a
tiny Telegram server (updates queue, per-chat message ids, remembered messages and keyboards).
`run_console` runs an Application built on it with polling and lets one person at the keyboard
act as several simulated Telegram users, printing whatever the bot sends to any of them.
"""

import asyncio
import contextlib
import html
import itertools
import json
import queue
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.texts import utf16_len

__all__ = [
    "BotEvent",
    "ConsoleRequest",
    "ConsoleSession",
    "Person",
    "StoredMessage",
    "demo_phone",
    "render_html",
    "run_console",
]

JSON = dict[str, Any]

DEFAULT_BOT_ID = 7_000_000_001
DEFAULT_BOT_USERNAME = "jiedan_console_bot"
DEFAULT_BOT_NAME = "接单助手"
DEMO_LOCATION = (31.2304, 121.4737)

# A valid 1×1 PNG, served for every file download (GET) so that handlers reading photos work.
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4b00000000049454e44ae426082"
)

_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        "tg-time",
    }
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ANCHOR_RE = re.compile(r"<a\s+href\s*=\s*\"([^\"]*)\"\s*>(.*?)</a>", re.DOTALL | re.IGNORECASE)
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")

# Bot API send methods without a dedicated handler: (placeholder label, parameter naming the content).
_MEDIA_LABELS: dict[str, tuple[str, str]] = {
    "sendphoto": ("图片", "photo"),
    "senddocument": ("文件", "document"),
    "sendvideo": ("视频", "video"),
    "sendaudio": ("音频", "audio"),
    "sendvoice": ("语音", "voice"),
    "sendanimation": ("动图", "animation"),
    "sendsticker": ("贴纸", "sticker"),
    "sendvideonote": ("视频消息", "video_note"),
}


def demo_phone(user_id: int) -> str:
    """The demo phone number a simulated person shares with the contact button."""
    return f"+86138{user_id % 10**8:08d}"


def _check_html(text: str) -> None:
    """Raise _ApiError like Telegram when text is not valid Bot API HTML."""
    bad = "Bad Request: can't parse entities: "
    stack: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) != -1:
        match = _TAG_RE.match(text, start)
        offset = len(text[:start].encode())
        if match is None:
            raise _ApiError(400, f"{bad}unsupported start tag at byte offset {offset}")
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            raise _ApiError(400, f'{bad}unsupported start tag "{name}" at byte offset {offset}')
        if closing:
            if not stack or stack[-1] != name:
                raise _ApiError(400, f'{bad}can\'t find start tag corresponding to end tag "{name}"')
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    if stack:
        raise _ApiError(400, f'{bad}can\'t find end tag corresponding to start tag "{stack[-1]}"')


def render_html(text: str) -> str:
    """Render Bot API HTML as plain text: links keep their web address, tags go, entities are unescaped."""

    def anchor(match: re.Match[str]) -> str:
        """Show a web link's address after its text."""
        href, inner = html.unescape(match.group(1)), match.group(2)
        shown = html.unescape(re.sub(_TAG_RE, "", inner))
        return f"{inner} ({href})" if href.startswith(("http://", "https://")) and href != shown else inner

    text = _ANCHOR_RE.sub(anchor, text)
    return html.unescape(_TAG_RE.sub("", text))


def _plain(text: str, parse_mode: object) -> str:
    """Plain text of a message as Telegram stores it, validating HTML like Telegram does."""
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        _check_html(text)
        return render_html(text)
    return text


class _ApiError(Exception):
    """A Bot API error answer (status code and description)."""

    def __init__(self, code: int, description: str) -> None:
        """Keep the status code and the description."""
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class StoredMessage:
    """A message remembered by the console server, sent by the bot or by a simulated person."""

    chat_id: int
    message_id: int
    from_bot: bool
    text: str
    payload: JSON
    inline_keyboard: list[list[JSON]] = field(default_factory=list)
    reply_keyboard: JSON | None = None
    deleted: bool = False
    shown_seq: int = 0


@dataclass(frozen=True)
class BotEvent:
    """Something the bot did that a person would see: kind is message, edit, delete, answer or error."""

    kind: str
    chat_id: int | None
    message: StoredMessage | None = None
    text: str = ""
    method: str = ""
    show_alert: bool = False
    at: float = field(default_factory=time.monotonic)


class ConsoleRequest(BaseRequest):
    """A BaseRequest answering Bot API calls in-process, like a tiny Telegram server for one bot."""

    __slots__ = (
        "_callback_owner",
        "_chats",
        "_event",
        "_event_loop",
        "_ids",
        "_listeners",
        "_messages",
        "_next_message_id",
        "_reply_keyboards",
        "_seq",
        "_update_id",
        "_updates",
        "_users",
        "bot_user",
        "commands",
        "delivered_update_id",
        "last_activity",
    )

    def __init__(
        self,
        *,
        bot_id: int = DEFAULT_BOT_ID,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = DEFAULT_BOT_NAME,
    ) -> None:
        """Set up an empty server whose bot user has the given id, username and name."""
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.commands: dict[str, list[JSON]] = {}
        self.delivered_update_id = 0
        self.last_activity = 0.0
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._reply_keyboards: dict[int, StoredMessage] = {}
        self._callback_owner: dict[str, int] = {}
        self._listeners: list[Callable[[BotEvent], None]] = []
        self._updates: list[JSON] = []
        self._update_id = 0
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._event: asyncio.Event | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None

    # --- BaseRequest interface -------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """No network, hence no read timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to set up (may be called once per role the request plays)."""

    async def shutdown(self) -> None:
        """Wake a pending getUpdates so that it returns promptly."""
        if self._event is not None:
            self._event.set()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call with (status code, JSON payload); GET (file download) gets a PNG."""
        if method.upper() == "GET":
            return 200, DEMO_PNG
        api_method = url.rsplit("/", 1)[-1]
        name = api_method.lower()
        params: JSON = dict(request_data.parameters) if request_data else {}
        files: JSON = request_data.multipart_data if request_data and request_data.contains_files else {}
        if name != "getupdates":
            self.last_activity = time.monotonic()
        try:
            result = await self._dispatch(name, params, files)
        except _ApiError as exc:
            chat_id = self._chat_id_or_none(params.get("chat_id"))
            self._emit(BotEvent("error", chat_id, text=exc.description, method=api_method))
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            return exc.code, json.dumps(body, ensure_ascii=False).encode()
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()

    # --- what a client of the server (the console session, a test, a benchmark) uses -------------

    def add_listener(self, listener: Callable[[BotEvent], None]) -> None:
        """Call listener synchronously for every event a person would see."""
        self._listeners.append(listener)

    def register_user(self, user_id: int, first_name: str, *, username: str | None = None) -> JSON:
        """Make a simulated Telegram user known (for message senders and private chat info)."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
        if username:
            user["username"] = username
        self._users[user_id] = user
        self._chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            self._chats[user_id]["username"] = username
        return user

    def user(self, user_id: int) -> JSON:
        """The Bot API User of a simulated person (registered on the fly if unknown)."""
        if user_id not in self._users:
            self.register_user(user_id, f"用户{user_id}")
        return self._users[user_id]

    def chat(self, chat_id: int) -> JSON:
        """The Bot API Chat for a chat id: a person's private chat or a group."""
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            self.user(chat_id)
            return self._chats[chat_id]
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"群 {chat_id}"}

    def push_update(self, update: JSON) -> int:
        """Queue an update for getUpdates, giving it the next update_id, and return that id."""
        self._update_id += 1
        self._updates.append({"update_id": self._update_id, **update})
        self._wake().set()
        return self._update_id

    def send_user_message(self, user_id: int, text: str | None = None, **fields: Any) -> int:
        """Queue a message from a person in their private chat (text gets bot_command entities)."""
        message: JSON = {
            "message_id": self._new_message_id(user_id),
            "date": int(time.time()),
            "chat": self.chat(user_id),
            "from": self.user(user_id),
        }
        if text is not None:
            message["text"] = text
            entities = [
                {
                    "type": "bot_command",
                    "offset": utf16_len(text[: m.start()]),
                    "length": utf16_len(m.group()),
                }
                for m in _COMMAND_RE.finditer(text)
            ]
            if entities:
                message["entities"] = entities
        message.update(fields)
        shown = text if text is not None else str(fields.get("caption", ""))
        self._store(StoredMessage(user_id, message["message_id"], False, shown, message))
        return self.push_update({"message": message})

    def send_user_photo(self, user_id: int, caption: str | None = None) -> int:
        """Queue a photo (the demo picture) with an optional caption from a person."""
        n = next(self._ids)
        photo = [
            {
                "file_id": f"console-photo-{n}-{w}",
                "file_unique_id": f"cp{n}{w}",
                "width": w,
                "height": w,
                "file_size": len(DEMO_PNG),
            }
            for w in (90, 320)
        ]
        fields: JSON = {"photo": photo}
        if caption:
            fields["caption"] = caption
        return self.send_user_message(user_id, None, **fields)

    def press_inline(self, user_id: int, message: StoredMessage, callback_data: str) -> int:
        """Queue a callback_query from a person pressing an inline button of a bot message."""
        query_id = f"console-cq-{next(self._ids)}"
        self._callback_owner[query_id] = user_id
        query = {
            "id": query_id,
            "from": self.user(user_id),
            "chat_instance": f"console-{message.chat_id}",
            "message": message.payload,
            "data": callback_data,
        }
        return self.push_update({"callback_query": query})

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """All remembered messages of a chat, oldest first (deleted ones included, flagged)."""
        return list(self._messages.get(chat_id, {}).values())

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A remembered message, or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def reply_keyboard(self, chat_id: int) -> StoredMessage | None:
        """The bot message whose reply keyboard is currently shown in a chat, if any."""
        return self._reply_keyboards.get(chat_id)

    def hide_reply_keyboard(self, chat_id: int) -> None:
        """Hide a chat's reply keyboard (as a client does after a one-time keyboard is used)."""
        self._reply_keyboards.pop(chat_id, None)

    # --- the server's internals -------------------------------------------------------------------

    def _wake(self) -> asyncio.Event:
        """The event set when an update is queued, bound to the running loop."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self._event is None or (loop is not None and loop is not self._event_loop):
            self._event, self._event_loop = asyncio.Event(), loop
        return self._event

    def _emit(self, event: BotEvent) -> None:
        """Tell every listener."""
        for listener in self._listeners:
            listener(event)

    def _new_message_id(self, chat_id: int) -> int:
        """Next message id in a chat (shared by both sides, as in a private chat)."""
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _store(self, message: StoredMessage) -> None:
        """Remember a message."""
        self._messages.setdefault(message.chat_id, {})[message.message_id] = message

    @staticmethod
    def _chat_id_or_none(value: object) -> int | None:
        """A numeric chat id from a parameter, or None."""
        try:
            return int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None

    def _chat_id(self, params: JSON) -> int:
        """The chat_id parameter as an int, or a 400 error like Telegram's."""
        chat_id = self._chat_id_or_none(params.get("chat_id"))
        if chat_id is None:
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _find(self, params: JSON, action: str) -> StoredMessage:
        """The bot message an edit or delete refers to, or Telegram's 400 error."""
        chat_id = self._chat_id(params)
        message = self.get_message(chat_id, int(params.get("message_id", 0)))
        if message is None or message.deleted:
            raise _ApiError(400, f"Bad Request: message to {action} not found")
        return message

    async def _dispatch(self, name: str, params: JSON, files: JSON) -> Any:
        """Answer one Bot API method."""
        simple: dict[str, Callable[[JSON], Any]] = {
            "getme": lambda p: self.bot_user,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_text,
            "editmessagecaption": self._edit_caption,
            "editmessagereplymarkup": self._edit_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback,
            "setmycommands": self._set_commands,
            "getmycommands": lambda p: self.commands.get(self._scope_key(p), []),
            "deletemycommands": self._delete_commands,
            "getchat": self._get_chat,
            "getchatmember": lambda p: {"status": "member", "user": self.user(int(p.get("user_id", 0)))},
            "getfile": self._get_file,
            "sendlocation": lambda p: self._send_other(
                p, f"[位置: {p.get('latitude')}, {p.get('longitude')}]"
            ),
            "sendvenue": lambda p: self._send_other(
                p, f"[地点: {p.get('title', '')} {p.get('address', '')}]"
            ),
            "sendcontact": lambda p: self._send_other(
                p, f"[联系人: {p.get('first_name', '')} {p.get('phone_number', '')}]"
            ),
            "sendpoll": lambda p: self._send_other(p, f"[投票: {p.get('question', '')}]"),
            "senddice": lambda p: self._send_other(p, "[骰子]"),
            "getwebhookinfo": lambda p: {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": 0,
            },
        }
        if name == "getupdates":
            return await self._get_updates(params)
        if name == "deletewebhook":
            if params.get("drop_pending_updates"):
                self._updates.clear()
            return True
        if name in _MEDIA_LABELS:
            return self._send_media(name, params, files)
        if name == "sendmediagroup":
            return self._send_media_group(params, files)
        if name in simple:
            return simple[name](params)
        if name.startswith("send") and "chat_id" in params:
            return self._send_other(params, f"[{name[4:]}]")
        return True

    async def _get_updates(self, params: JSON) -> list[JSON]:
        """getUpdates: confirm updates below offset, return up to limit, long-poll up to timeout."""
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self._wake()
        while not self._updates and (remaining := deadline - loop.time()) > 0:
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        batch = self._updates[:limit]
        if batch:
            self.delivered_update_id = max(self.delivered_update_id, batch[-1]["update_id"])
        return batch

    def _bot_message(self, params: JSON, text: str, extra: JSON | None = None) -> StoredMessage:
        """Create, remember and announce a bot message in params' chat, applying its reply_markup."""
        chat_id = self._chat_id(params)
        payload: JSON = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot_user,
            **(extra or {}),
        }
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
            "reply_to_message_id"
        )
        if reply_to and (original := self.get_message(chat_id, int(reply_to))):
            payload["reply_to_message"] = original.payload
        message = StoredMessage(chat_id, payload["message_id"], True, text, payload)
        self._apply_markup(message, params.get("reply_markup"))
        message.shown_seq = next(self._seq)
        self._store(message)
        self._emit(BotEvent("message", chat_id, message, text=text))
        return message

    def _apply_markup(self, message: StoredMessage, markup: object) -> None:
        """Attach an inline keyboard to a message, or set/remove the chat's reply keyboard."""
        if not isinstance(markup, dict):
            message.inline_keyboard = []
            message.payload.pop("reply_markup", None)
            return
        if "inline_keyboard" in markup:
            message.inline_keyboard = [list(row) for row in markup["inline_keyboard"]]
            message.payload["reply_markup"] = {"inline_keyboard": message.inline_keyboard}
        elif "keyboard" in markup:
            rows = [
                [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in markup["keyboard"]
            ]
            message.reply_keyboard = {**markup, "keyboard": rows}
            self._reply_keyboards[message.chat_id] = message
        elif markup.get("remove_keyboard"):
            self._reply_keyboards.pop(message.chat_id, None)

    def _send_message(self, params: JSON) -> JSON:
        """sendMessage."""
        raw = str(params.get("text", ""))
        text = _plain(raw, params.get("parse_mode"))
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > _TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
        return self._bot_message(params, text, {"text": text}).payload

    def _caption(self, params: JSON) -> str:
        """The plain caption of a media message, checked against Telegram's limit."""
        caption = _plain(str(params.get("caption") or ""), params.get("parse_mode"))
        if utf16_len(caption) > _CAPTION_LIMIT:
            raise _ApiError(400, "Bad Request: message caption is too long")
        return caption

    @staticmethod
    def _file_name(params: JSON, files: JSON, key: str) -> str:
        """A readable name for sent media: the uploaded file's name or the file_id/URL given."""
        if key in files:
            return str(files[key][0])
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value.removeprefix("attach://"))
            return str(attached[0]) if attached else value
        return str(value or "")

    def _send_media(self, name: str, params: JSON, files: JSON) -> JSON:
        """sendPhoto, sendDocument and the other single-media send methods."""
        label, key = _MEDIA_LABELS[name]
        file_name = self._file_name(params, files, key)
        caption = self._caption(params)
        n = next(self._ids)
        extra: JSON = {}
        if name == "sendphoto":
            extra["photo"] = [
                {"file_id": f"bot-photo-{n}", "file_unique_id": f"bp{n}", "width": 320, "height": 320}
            ]
        elif name == "senddocument":
            extra["document"] = {
                "file_id": f"bot-doc-{n}",
                "file_unique_id": f"bd{n}",
                "file_name": file_name,
            }
        if caption:
            extra["caption"] = caption
        shown = f"[{label}: {file_name}]" + (f" {caption}" if caption else "")
        return self._bot_message(params, shown, extra).payload

    def _send_media_group(self, params: JSON, files: JSON) -> list[JSON]:
        """sendMediaGroup: one message per item."""
        labels = {"photo": "图片", "video": "视频", "document": "文件", "audio": "音频"}
        sent = []
        for item in params.get("media") or []:
            media = item.get("media", "")
            if isinstance(media, str) and media.startswith("attach://"):
                attached = files.get(media.removeprefix("attach://"))
                media = attached[0] if attached else media
            caption = _plain(str(item.get("caption") or ""), item.get("parse_mode"))
            shown = f"[{labels.get(item.get('type', ''), '媒体')}: {media}]" + (
                f" {caption}" if caption else ""
            )
            sent.append(self._bot_message(params, shown, {"caption": caption} if caption else None).payload)
        return sent

    def _send_other(self, params: JSON, shown: str) -> JSON:
        """Any other send method: a message showing a placeholder line."""
        return self._bot_message(params, shown).payload

    def _edited(self, message: StoredMessage, text: str, markup: object) -> JSON:
        """Apply an edit (new text and inline keyboard), or fail like Telegram when nothing changes."""
        before = (message.text, message.inline_keyboard)
        new_keyboard = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        if before == (text, [list(row) for row in new_keyboard]):
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        message.text = text
        message.payload["edit_date"] = int(time.time())
        self._apply_markup(message, markup)
        message.shown_seq = next(self._seq)
        self._emit(BotEvent("edit", message.chat_id, message, text=text))
        return message.payload

    def _edit_text(self, params: JSON) -> JSON | bool:
        """editMessageText (inline_message_id edits are accepted and ignored)."""
        if "inline_message_id" in params:
            return True
        message = self._find(params, "edit")
        text = _plain(str(params.get("text", "")), params.get("parse_mode"))
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > _TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
        if "text" not in message.payload:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        message.payload["text"] = text
        return self._edited(message, text, params.get("reply_markup"))

    def _edit_caption(self, params: JSON) -> JSON | bool:
        """editMessageCaption: the placeholder line keeps its media part, the caption changes."""
        if "inline_message_id" in params:
            return True
        message = self._find(params, "edit")
        caption = self._caption(params)
        media = message.text.split("]", 1)[0] + "]" if message.text.startswith("[") else ""
        message.payload["caption"] = caption
        shown = f"{media} {caption}".strip()
        return self._edited(message, shown, params.get("reply_markup"))

    def _edit_markup(self, params: JSON) -> JSON | bool:
        """editMessageReplyMarkup."""
        if "inline_message_id" in params:
            return True
        message = self._find(params, "edit")
        return self._edited(message, message.text, params.get("reply_markup"))

    def _delete_message(self, params: JSON) -> bool:
        """deleteMessage."""
        message = self._find(params, "delete")
        message.deleted = True
        self._emit(BotEvent("delete", message.chat_id, message, text=message.text))
        return True

    def _answer_callback(self, params: JSON) -> bool:
        """answerCallbackQuery: a notification or alert for whoever pressed the button."""
        text = str(params.get("text") or "")
        if text:
            owner = self._callback_owner.get(str(params.get("callback_query_id")))
            self._emit(BotEvent("answer", owner, text=text, show_alert=bool(params.get("show_alert"))))
        return True

    @staticmethod
    def _scope_key(params: JSON) -> str:
        """A key for a command scope and language."""
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _set_commands(self, params: JSON) -> bool:
        """setMyCommands: remember the command list per scope/language."""
        self.commands[self._scope_key(params)] = list(params.get("commands") or [])
        return True

    def _delete_commands(self, params: JSON) -> bool:
        """deleteMyCommands."""
        self.commands.pop(self._scope_key(params), None)
        return True

    def _get_chat(self, params: JSON) -> JSON:
        """getChat: a ChatFullInfo."""
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **self.chat(self._chat_id(params)),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    @staticmethod
    def _get_file(params: JSON) -> JSON:
        """getFile: every file is the demo PNG."""
        file_id = str(params.get("file_id", ""))
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(DEMO_PNG),
            "file_path": f"console/{file_id}.png",
        }


@dataclass(frozen=True)
class Person:
    """A simulated Telegram user: id, name (Telegram first_name) and an optional role label."""

    user_id: int
    name: str
    role: str = ""

    @property
    def label(self) -> str:
        """How the console names this person, e.g. "居民 张阿姨"."""
        return f"{self.role} {self.name}" if self.role and self.role not in self.name else self.name

    @property
    def first_name(self) -> str:
        """The Telegram first_name: the name without a leading role word."""
        if self.role and self.name.startswith(self.role + " "):
            return self.name[len(self.role) + 1 :].strip() or self.name
        return self.name

    @classmethod
    def from_spec(cls, user_id: int, spec: "str | Sequence[str] | Person") -> "Person":
        """Build from a name, a (name, role) pair or a Person."""
        if isinstance(spec, Person):
            return spec
        if isinstance(spec, str):
            return cls(user_id, spec)
        parts = [str(p) for p in spec]
        return cls(user_id, parts[0] if parts else f"用户{user_id}", parts[1] if len(parts) > 1 else "")


PeopleSpec = Mapping[int, "str | Sequence[str] | Person"]

_HELP = """\
离线控制台：你可以轮流扮演下列各人和机器人对话；机器人发给任何人的消息都会显示在这里（→ 收件人：内容）。
  直接输入文字      以当前身份发消息（以 / 开头即为命令，如 /start）
  数字 N            按下最近一条带按钮的消息中编号为 N 的按钮
  :press 文字       按下文字相符的按钮
  :photo [说明]     发送一张示例图片（可带说明文字）
  :say 文字         原样发送文字（例如纯数字，不当作按钮）
  :as 编号或名字    切换身份（名字写开头几个字即可）
  :who              列出所有身份
  :help             显示本帮助
  :quit             退出（或按 Ctrl-D）"""


def _readable(line: str) -> str:
    """A line as text: bytes that were not UTF-8 (read as surrogates) become �, so that every update can be
    encoded as JSON (one such line made every later getUpdates fail)."""
    try:
        return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return line.encode("utf-8", "replace").decode("utf-8")


class _LineReader:
    """Reads input lines on a daemon thread, one per request, so the event loop never blocks."""

    def __init__(self, stream: TextIO | None, use_builtin_input: bool) -> None:
        """Start the reader thread."""
        self._stream = stream
        self._builtin = use_builtin_input
        if stream is None and hasattr(sys.stdin, "reconfigure"):
            sys.stdin.reconfigure(errors="surrogateescape")  # (bytes that are not UTF-8: kept, then replaced)
        self._requests: queue.Queue[tuple[str, asyncio.Future[str | None]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="console-input", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        """Serve read requests until told to stop."""
        while (request := self._requests.get()) is not None:
            prompt, future = request
            line: str | None
            try:
                if self._builtin:
                    line = _readable(input(prompt))
                else:
                    raw = (self._stream or sys.stdin).readline()
                    line = _readable(raw.rstrip("\r\n")) if raw else None
            except EOFError:
                line = None
            except Exception:  # a broken stream ends the session
                line = None
            loop = future.get_loop()
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._deliver, future, line)
            if line is None:
                return

    @staticmethod
    def _deliver(future: asyncio.Future[str | None], line: str | None) -> None:
        """Hand a line to the waiting coroutine."""
        if not future.done():
            future.set_result(line)

    async def readline(self, prompt: str) -> str | None:
        """Next line (without newline), or None at end of input."""
        if not self._thread.is_alive():
            return None
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._requests.put((prompt, future))
        return await future

    def close(self) -> None:
        """Let the thread end after its current read."""
        self._requests.put(None)


class ConsoleSession:
    """Turns typed lines into updates from simulated people and prints what the bot sends."""

    def __init__(
        self,
        request: ConsoleRequest,
        people: PeopleSpec,
        *,
        output: TextIO | None = None,
        current: int | None = None,
        echo_input: bool = False,
    ) -> None:
        """Register the people with the server and listen to its events."""
        if not people:
            raise ValueError("run_console needs at least one simulated person")
        self.request = request
        self.people = {uid: Person.from_spec(uid, spec) for uid, spec in people.items()}
        self.current = current if current in self.people else next(iter(self.people))
        self.output = output if output is not None else sys.stdout
        self.echo_input = echo_input
        self.prompt_pending = False
        self.line_buffer: Callable[[], str] | None = None
        for person in self.people.values():
            request.register_user(person.user_id, person.first_name)
        request.add_listener(self.show_event)

    @property
    def person(self) -> Person:
        """The person currently at the keyboard."""
        return self.people[self.current]

    @property
    def prompt(self) -> str:
        """The input prompt naming the current person."""
        return f"{self.person.label}> "

    def write(self, text: str) -> None:
        """Print lines to the console output."""
        self.output.write(text if text.endswith("\n") else text + "\n")
        self.output.flush()

    def recipient(self, chat_id: int | None) -> str:
        """Display name of a chat: a simulated person, another user or a group."""
        if chat_id is None:
            return "机器人"
        if chat_id in self.people:
            return self.people[chat_id].label
        return f"用户 {chat_id}" if chat_id > 0 else f"群 {chat_id}"

    @staticmethod
    def button_lines(message: StoredMessage) -> list[str]:
        """Numbered buttons under a message: inline rows, or a reply keyboard marked with ⌨."""
        lines = []
        number = 0
        rows = message.inline_keyboard or (message.reply_keyboard or {}).get("keyboard", [])
        for row in rows:
            cells = []
            for button in row:
                number += 1
                text = str(button.get("text", ""))
                if "url" in button:
                    text += " ↗"
                if button.get("request_contact"):
                    text += "（分享联系方式）"
                if button.get("request_location"):
                    text += "（分享位置）"
                cells.append(f"[{number}] {text}")
            if cells:
                lines.append("  ".join(cells))
        if message.reply_keyboard and lines:
            lines[0] = "⌨ " + lines[0]
            lines[1:] = ["  " + line for line in lines[1:]]
        return lines

    def format_event(self, event: BotEvent) -> list[str]:
        """The console lines for one bot event."""
        head = f"→ {self.recipient(event.chat_id)}: "
        if event.kind == "error":
            where = f"（发给 {self.recipient(event.chat_id)}）" if event.chat_id is not None else ""
            return [f"(!) 机器人请求失败 {event.method}{where}: {event.text}"]
        if event.kind == "answer":
            return [head + ("(弹窗) " if event.show_alert else "(提示) ") + event.text]
        if event.kind == "delete":
            first = event.text.splitlines()[0] if event.text else ""
            return [head + "(已删除) " + (first[:30] + "…" if len(first) > 30 else first)]
        prefix = "(已编辑) " if event.kind == "edit" else ""
        body = (prefix + event.text).split("\n")
        lines = [head + body[0]] + ["    " + line for line in body[1:]]
        if event.message is not None:
            lines += ["    " + line for line in self.button_lines(event.message)]
        return lines

    def show_event(self, event: BotEvent) -> None:
        """Print a bot event (re-showing the prompt if it was waiting for input)."""
        lines = self.format_event(event)
        if self.prompt_pending:
            self.output.write("\n")
        self.write("\n".join(lines))
        if self.prompt_pending:
            typed = self.line_buffer() if self.line_buffer is not None else ""
            self.output.write(self.prompt + typed)
            self.output.flush()

    def live_keyboards(self, chat_id: int) -> list[StoredMessage]:
        """Bot messages in a chat whose buttons can still be pressed, most recently shown first."""
        live = [
            m for m in self.request.messages(chat_id) if m.from_bot and m.inline_keyboard and not m.deleted
        ]
        if (reply := self.request.reply_keyboard(chat_id)) is not None:
            live.append(reply)
        return sorted(live, key=lambda m: m.shown_seq, reverse=True)

    @staticmethod
    def buttons(message: StoredMessage) -> list[JSON]:
        """A message's buttons in display order."""
        rows = message.inline_keyboard or (message.reply_keyboard or {}).get("keyboard", [])
        return [button for row in rows for button in row]

    def press(self, message: StoredMessage, button: JSON) -> int | None:
        """Press a button as the current person; return the update id it queued, if any."""
        uid = self.current
        text = str(button.get("text", ""))
        if message.inline_keyboard:
            if "callback_data" in button:
                self.write(f"    ↳ 按下「{text}」")
                return self.request.press_inline(uid, message, str(button["callback_data"]))
            if "url" in button:
                self.write(f"    ↳ 这是链接按钮：{button['url']}")
            elif "copy_text" in button:
                self.write(f"    ↳ 已复制：{(button['copy_text'] or {}).get('text', '')}")
            else:
                self.write("    ↳ 控制台不支持这种按钮")
            return None
        keyboard = message.reply_keyboard or {}
        if keyboard.get("one_time_keyboard"):
            self.request.hide_reply_keyboard(message.chat_id)
        if button.get("request_contact"):
            phone = demo_phone(uid)
            self.write(f"    ↳ 分享联系方式 {phone}")
            contact = {"phone_number": phone, "first_name": self.person.first_name, "user_id": uid}
            return self.request.send_user_message(uid, None, contact=contact)
        if button.get("request_location"):
            lat, lon = DEMO_LOCATION
            self.write(f"    ↳ 分享位置 {lat}, {lon}")
            return self.request.send_user_message(uid, None, location={"latitude": lat, "longitude": lon})
        if any(k in button for k in ("request_users", "request_chat", "request_poll", "web_app")):
            self.write("    ↳ 控制台不支持这种按钮")
            return None
        self.write(f"    ↳ 发送「{text}」")
        return self.request.send_user_message(uid, text)

    def press_number(self, number: int) -> int | bool | None:
        """Press button N of the latest live keyboard; False if there is no such button."""
        keyboards = self.live_keyboards(self.current)
        if keyboards:
            buttons = self.buttons(keyboards[0])
            if 1 <= number <= len(buttons):
                return self.press(keyboards[0], buttons[number - 1])
        return False

    def press_words(self, words: str) -> int | None:
        """Press the button whose text best matches words (latest keyboard first)."""
        wanted = words.strip().casefold()
        if not wanted:  # ("" is in every button's text)
            self.write("（请在 :press 后写上按钮的字，例如 :press 确认）")
            return None
        candidates = [(m, b) for m in self.live_keyboards(self.current) for b in self.buttons(m)]
        exact = [(m, b) for m, b in candidates if str(b.get("text", "")).strip().casefold() == wanted]
        partial = [(m, b) for m, b in candidates if wanted in str(b.get("text", "")).casefold()]
        match = (exact or partial or [None])[0]
        if match is None:
            self.write(f"（没有找到按钮「{words.strip()}」）")
            return None
        return self.press(*match)

    def find_people(self, query: str) -> list[Person]:
        """People matching an id, or a prefix of their label, name, role or any word of the label."""
        query = query.strip()
        if query.lstrip("-").isdigit() and int(query) in self.people:
            return [self.people[int(query)]]
        q = query.casefold()

        def keys(p: Person) -> list[str]:
            """Strings a query may start."""
            return [s.casefold() for s in (p.label, p.name, p.role, p.first_name, *p.label.split()) if s]

        found = [p for p in self.people.values() if any(k.startswith(q) for k in keys(p))]
        if query.isdigit():
            found = [p for p in self.people.values() if str(p.user_id).startswith(query)]
        return found or [p for p in self.people.values() if q in p.label.casefold()]

    def switch(self, query: str) -> None:
        """Become another person, then remind which buttons are waiting in their chat."""
        found = self.find_people(query)
        if len(found) != 1:
            self.write("（找不到这个人）" if not found else "（不止一个人符合，请写得更具体）")
            self.show_people()
            return
        self.current = found[0].user_id
        self.write(f"（现在你是 {self.person.label}，id {self.current}）")
        keyboards = self.live_keyboards(self.current)
        if keyboards:
            latest = keyboards[0]
            first = latest.text.splitlines()[0] if latest.text else ""
            self.write(f"    最近的按钮（{first[:30]}）：")
            self.write("\n".join("    " + line for line in self.button_lines(latest)))

    def show_people(self) -> None:
        """List the simulated people, marking the current one."""
        for person in self.people.values():
            mark = "*" if person.user_id == self.current else " "
            self.write(f" {mark} {person.user_id:>6}  {person.label}")

    def show_help(self) -> None:
        """Print the help text and the bot's commands."""
        self.write(_HELP)
        commands = next(iter(self.request.commands.values()), [])
        if commands:
            self.write("机器人的命令：")
            for command in commands:
                self.write(f"  /{command.get('command')}  {command.get('description', '')}")

    def handle_line(self, line: str) -> int | bool | None:
        """Act on one typed line: the update id queued, None if none, or False to quit."""
        stripped = line.strip()
        if not stripped:
            return None
        if stripped.startswith(":"):
            verb, _, arg = stripped[1:].partition(" ")
            verb = verb.lower()
            if verb in ("quit", "q", "exit"):
                return False
            if verb == "help":
                self.show_help()
            elif verb == "who":
                self.show_people()
            elif verb == "as":
                self.switch(arg)
            elif verb == "press":
                return self.press_words(arg)
            elif verb == "photo":
                return self.request.send_user_photo(self.current, arg.strip() or None)
            elif verb == "say":
                return self.request.send_user_message(self.current, arg) if arg else None
            else:
                self.write("（不认识的指令，输入 :help 查看帮助）")
            return None
        if stripped.isdigit():
            pressed = self.press_number(int(stripped))
            if pressed is not False:
                return pressed
        return self.request.send_user_message(self.current, line)


async def _wait_quiet(
    request: ConsoleRequest,
    app: Application,
    update_id: int,
    *,
    quiet: float,
    max_wait: float,
    busy: Callable[[Application], bool] | None = None,
) -> None:
    """Wait until the update was fetched and handled and the bot sent nothing for `quiet` seconds (nor was `busy`:
    its outbox being delivered, which on a loaded machine may pause longer than that between its messages)."""
    start = time.monotonic()
    deadline = start + max_wait
    while request.delivered_update_id < update_id and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(app.update_queue.join(), max(0.0, deadline - time.monotonic()))
    while (now := time.monotonic()) < deadline:
        if busy is not None and busy(app):
            start = now
        idle = now - max(request.last_activity, start)
        if idle >= quiet:
            return
        await asyncio.sleep(min(quiet - idle, deadline - now))


async def run_console(
    build_application: Callable[[ConsoleRequest], Application],
    people: PeopleSpec,
    *,
    input_stream: TextIO | None = None,
    output: TextIO | None = None,
    current: int | None = None,
    quiet: float = 0.3,
    max_wait: float = 5.0,
    request: ConsoleRequest | None = None,
    on_ready: Callable[[ConsoleSession], Awaitable[None]] | None = None,
    busy: Callable[[Application], bool] | None = None,
) -> None:
    """Run the bot's Application on a ConsoleRequest with polling and chat as `people` until input ends; each line
    waits for the bot to be quiet (and not `busy`)."""
    request = request or ConsoleRequest()
    interactive = input_stream is None and output is None and sys.stdin.isatty() and sys.stdout.isatty()
    echo = not (input_stream is None and sys.stdin.isatty())
    session = ConsoleSession(request, people, output=output, current=current, echo_input=echo)
    app = build_application(request)
    if app.bot.request is not request:
        raise ValueError(
            "build_application must use the given ConsoleRequest: .request(req).get_updates_request(req)"
        )
    if app.updater is None:
        raise ValueError("build_application must build an Application with an Updater")
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # line editing and history for input()

            session.line_buffer = readline.get_line_buffer
    reader = _LineReader(input_stream, use_builtin_input=interactive)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        await _wait_quiet(request, app, 0, quiet=min(quiet, 0.1), max_wait=max_wait, busy=busy)
        session.write(
            f"离线控制台（不连接 Telegram）。现在你是 {session.person.label}；输入 :help 查看帮助。"
        )
        if on_ready is not None:
            await on_ready(session)
        while True:
            session.prompt_pending = True
            if not interactive:
                session.output.write(session.prompt)
                session.output.flush()
            line = await reader.readline(session.prompt)
            session.prompt_pending = False
            if line is None:
                session.write("")
                break
            if session.echo_input and not interactive:
                session.write(line)
            result = session.handle_line(line)
            if result is False:
                break
            if isinstance(result, int):
                await _wait_quiet(request, app, result, quiet=quiet, max_wait=max_wait, busy=busy)
        session.write("（再见）")
    finally:
        reader.close()
        session.prompt_pending = False
        try:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        finally:
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)
