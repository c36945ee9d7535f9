"""Hostile and broken input, each through the real Application on the console's in-process Bot API.

For every case: no exception other than the domain's polite refusals reaches the error handler,
Telegram would accept every message the bot sends (the console parses HTML like Telegram and refuses
bad markup; a second answer to one button press is refused, as Telegram does), whatever the person
sees is Chinese and polite, their words come back escaped, and no ticket or draft is lost or created
wrongly.

Run as a script for the count: `python -m tests.bot.test_hostile_input` prints
"hostile inputs tried: N, failed: M".
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import texts
from bot.handlers import resident
from classifier import Classifier
from routing import db, dispatch, members, tickets
from routing.models import Draft, Ticket
from tests.bot.chat_harness import BotChat, Reply, bot_chat, chinese
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
NEED = "楼道灯坏了好几天了，晚上很黑"


@dataclass
class Scene:
    """One case's world: the bot, a resident with a home grid, members on demand."""

    chat: BotChat
    world: World
    resident: int = RESIDENT
    people: set[int] = field(default_factory=lambda: {RESIDENT})

    def member(self, name: str = "王师傅", skills: tuple[str, ...] = ("电工",)) -> int:
        tid = self.world.members.get(name) or self.world.member(name, list(skills))
        self.people.add(tid)
        return tid

    async def offered(self) -> tuple[int, int, Reply]:
        """A ticket offered to an electrician: (ticket id, member, the offer he got)."""
        member = self.member()
        ticket_id = await self.chat.submit(self.resident, NEED)
        offer = next(r for r in self.chat.replies(member) if "新工单" in r.text)
        return ticket_id, member, offer


Case = Callable[[Scene], Awaitable[None]]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        assert name not in CASES, name
        CASES[name] = fn
        return fn

    return register


def polite(replies: list[Reply], *expected: str) -> None:
    """Something was said, in Chinese, and (if given) it contains each expected text."""
    assert replies, "the person got no answer"
    assert all(chinese(r.text) for r in replies), [r.text for r in replies]
    for words in expected:
        assert any(words in r.text for r in replies), (words, [r.text for r in replies])


# ── text a resident sends when nothing is in progress ───────────────────────────────────────────
LONG_REQUEST = (NEED + "，" + "真的很黑很危险" * 600)[:4096]
TEXTS: dict[str, tuple[str, str | None]] = {
    # name: (text, words the answer must contain; None = any polite answer)
    "empty-text": ("", texts.UNSUPPORTED_MESSAGE),
    "whitespace-only": ("   \n\t  ", texts.EMPTY_MESSAGE),
    "ideographic-spaces": ("\u3000\u3000\u3000", texts.EMPTY_MESSAGE),
    "zero-width-only": ("\u200b\u200d\ufeff", None),
    "4096-angle-brackets": ("<" * 4096, None),
    "4096-ampersands": ("&amp;" * 819 + "&", None),
    "2048-emoji-4096-utf16": ("😀" * 2048, None),
    "html-tags": ("<b>楼道灯</b>坏了 </i> <script>alert(1)</script> & &amp; <a href='x'>", "<script>"),
    "markdown-specials": (r"_*[]()~`>#+-=|{}.!\ 电梯*坏了* _好几天_ `rm -rf`", "_*[]()~`>#+-=|{}.!"),
    "fake-entities": ("&lt;b&gt; &#60;i&#62; &#x3C;u> 电梯坏了", "&lt;b&gt; &#60;i&#62;"),
    "unclosed-tag": ("<b 楼道灯坏了", "<b 楼道灯坏了"),
    "emoji-only": ("😀🙏🏻👨‍👩‍👧🇨🇳", None),
    "english": ("The light in our stairwell has been broken for days", None),
    "english-greeting": ("Hello, can you help me?", None),
    "traditional-chinese": ("樓道燈壞了好幾天了，晚上很黑", "我理解您反映的是"),
    "pinyin": ("lou dao deng huai le hao ji tian le", None),
    "mixed-script": ("电梯 elevator 坏了 broken!!! 😡", None),
    "rtl-override": ("\u202e楼道灯坏了\u202c", None),
    "control-characters": ("楼道\x07灯\x1b[31m坏了\x08", None),
    "slash-without-command": ("/ 楼道灯坏了", None),
    "non-latin-command": ("/开始", None),
    "sql-like": ("'; DROP TABLE ticket; -- 楼道灯坏了", "DROP TABLE"),
}


def _text_case(text: str, expected: str | None) -> Case:
    async def run(scene: Scene) -> None:
        before = scene.chat.count(Ticket)
        replies = await scene.chat.say(scene.resident, text)
        polite(replies, *([expected] if expected else []))
        assert scene.chat.count(Ticket) == before
        drafts = scene.chat.state()["drafts"]
        if any("我理解您反映的是" in r.text or "不太确定" in r.text for r in replies):
            # Understood as a request: its draft holds what was written, less invisible and direction characters
            # (U+202E would turn the rest of a card's line around: a phone after an address, read backwards).
            written = members.visible_text(text).strip()
            ((_, flow, state),) = drafts
            assert flow == "intake" and state["text"] == written
            shown = next(r.text for r in replies if "「" in r.text)
            assert texts.clip(written) in shown, "the resident's words come back as written (escaped)"
        else:
            # Not a request: at most the words kept for 登记为诉求, and as the latest of the pieces a need may be told in
            # (read with the next words for a moment), exactly as written.
            assert all((flow == resident.NOT_UNDERSTOOD and state["text"] == text)
                       or (flow == resident.PIECES and state["texts"][-1] == text) for _, flow, state in drafts)

    return run


for _name, (_text, _expected) in TEXTS.items():
    CASES[f"text:{_name}"] = _text_case(_text, _expected)


@case("text:4096-chars-request-to-ticket")
async def _long_request(scene: Scene) -> None:
    """A request of Telegram's maximum length goes all the way to a ticket with every character."""
    polite(await scene.chat.say(scene.resident, LONG_REQUEST), "我理解您反映的是")
    card = scene.chat.replies(scene.resident)[-1]
    await scene.chat.press(scene.resident, card.button("确认"), card.message)
    await scene.chat.say(scene.resident, ADDRESS)
    polite(await scene.chat.say(scene.resident, "跳过"), "已为您登记工单")
    ((_, _, _, text, *_),) = scene.chat.state()["tickets"]
    assert text == LONG_REQUEST


# ── things that are not text ────────────────────────────────────────────────────────────────────
def _file(kind: str, **extra: Any) -> dict[str, Any]:
    return {"file_id": f"{kind}-file-id", "file_unique_id": f"{kind}-unique", **extra}


MEDIA: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": _file("sticker", type="regular", width=512, height=512, is_animated=False,
                                 is_video=False, emoji="😀")},
    "voice": {"voice": _file("voice", duration=3, mime_type="audio/ogg")},
    "video": {"video": _file("video", width=640, height=480, duration=5)},
    "video-note": {"video_note": _file("videonote", length=240, duration=5)},
    "audio": {"audio": _file("audio", duration=120, title="<b>歌</b>")},
    "animation": {"animation": _file("gif", width=320, height=240, duration=2)},
    "document": {"document": _file("doc", file_name="<b>报修单</b>.pdf", mime_type="application/pdf"),
                 "caption": ""},
    "poll": {"poll": {"id": "1", "question": "楼道灯要不要换？", "options": [
        {"text": "要", "voter_count": 0, "persistent_id": "a"},
        {"text": "不要", "voter_count": 0, "persistent_id": "b"}], "total_voter_count": 0,
        "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
        "allows_revoting": False, "members_only": False}},
    "dice": {"dice": {"emoji": "🎲", "value": 6}},
    "location": {"location": {"latitude": 31.2304, "longitude": 121.4737}},
    "venue": {"venue": {"location": {"latitude": 31.23, "longitude": 121.47}, "title": "<i>居委会</i>",
                        "address": "和平路 1 号"}},
    "contact-of-someone-else": {"contact": {"phone_number": "+8613912345678", "first_name": "邻居",
                                            "user_id": 4242}},
    "contact-card-without-telegram": {"contact": {"phone_number": "+8613912345678", "first_name": "邻居"}},
}


def _media_case(fields: dict[str, Any], mid_intake: bool) -> Case:
    async def run(scene: Scene) -> None:
        if mid_intake:
            await scene.chat.intake_to_address(scene.resident)
        before = scene.chat.state()
        polite(await scene.chat.say(scene.resident, None, **fields))
        assert scene.chat.state() == before, "nothing saved, nothing lost"

    return run


PLACES = ("location", "venue")  # (at the address step, a place shared is the address: see _place_case)
CONTACTS = ("contact-of-someone-else", "contact-card-without-telegram")  # (kept for the phone step: _contact_case)

for _name, _fields in MEDIA.items():
    CASES[f"media:{_name}"] = _media_case(_fields, mid_intake=False)
    if _name not in PLACES + CONTACTS:
        CASES[f"media:{_name}:at-address-step"] = _media_case(_fields, mid_intake=True)


def _place_case(fields: dict[str, Any]) -> Case:
    async def run(scene: Scene) -> None:
        """A place shared at the address step is the address (product.md: residents send a location); its
        name, markup and all, is kept as typed and shown escaped."""
        await scene.chat.intake_to_address(scene.resident)
        polite(await scene.chat.say(scene.resident, None, **fields), texts.ASK_PHONE)
        ((_, _, draft),) = scene.chat.state()["drafts"]
        place = fields.get("venue", {}).get("address") or "121.47370"
        assert draft["step"] == "phone" and place in draft["address"], draft

    return run


for _name in PLACES:
    CASES[f"media:{_name}:at-address-step"] = _place_case(MEDIA[_name])


@case("media:photo-without-caption")
async def _photo(scene: Scene) -> None:
    """A photo alone is a request whose words are missing: the bot asks what it is about."""
    photo = [{"file_id": "p-s", "file_unique_id": "ps", "width": 90, "height": 90},
             {"file_id": "p-l", "file_unique_id": "pl", "width": 1280, "height": 960}]
    polite(await scene.chat.say(scene.resident, None, photo=photo))
    assert scene.chat.count(Ticket) == 0


for _name in CONTACTS:

    def _contact_case(fields: dict[str, Any] = MEDIA[_name]) -> Case:
        async def run(scene: Scene) -> None:
            """At the phone step a card from the address book (her son's, a neighbour's) is the number to call,
            never dropped without a word; whose it is stays out of the request (offers show its words)."""
            await scene.chat.intake_to_address(scene.resident)
            await scene.chat.say(scene.resident, ADDRESS)
            polite(await scene.chat.say(scene.resident, None, **fields), "已为您登记工单")
            ((*_, phone),) = scene.chat.state()["tickets"]
            assert phone == "+8613912345678" and "邻居" not in scene.chat.ticket(1).text

        return run

    CASES[f"media:{_name}:at-phone-step"] = _contact_case()

    def _contact_early_case(fields: dict[str, Any] = MEDIA[_name]) -> Case:
        async def run(scene: Scene) -> None:
            """A card sent at the address step is kept for the phone step; the address is asked again."""
            await scene.chat.intake_to_address(scene.resident)
            polite(await scene.chat.say(scene.resident, None, **fields), "已记下联系电话")
            ((_, _, draft),) = scene.chat.state()["drafts"]
            assert draft["step"] == "address" and draft["phone"] == "+8613912345678", draft

        return run

    CASES[f"media:{_name}:at-address-step"] = _contact_early_case()


# ── edited and forwarded messages ───────────────────────────────────────────────────────────────
@case("edited:idle")
async def _edited_idle(scene: Scene) -> None:
    message = scene.chat.message_payload(scene.resident, NEED, edit_date=1)
    polite(await scene.chat.push({"edited_message": message}, scene.resident), texts.EDITED_MESSAGE)
    assert scene.chat.state() == {"tickets": [], "drafts": []}


@case("edited:at-address-step")
async def _edited_mid(scene: Scene) -> None:
    """Editing an earlier message does not change the request being described."""
    await scene.chat.intake_to_address(scene.resident)
    before = scene.chat.state()
    message = scene.chat.message_payload(scene.resident, "和平路 99 号 9 单元 999", edit_date=1)
    polite(await scene.chat.push({"edited_message": message}, scene.resident), texts.EDITED_MESSAGE)
    assert scene.chat.state() == before


@case("edited:command")
async def _edited_command(scene: Scene) -> None:
    message = scene.chat.message_payload(
        scene.resident, "/forget", edit_date=1, entities=[{"type": "bot_command", "offset": 0, "length": 7}])
    polite(await scene.chat.push({"edited_message": message}, scene.resident), texts.EDITED_MESSAGE)


FORWARDS = {
    "from-user": {"type": "user", "date": 1, "sender_user": {"id": 777, "is_bot": False, "first_name": "邻居"}},
    "from-hidden-user": {"type": "hidden_user", "date": 1, "sender_user_name": "<b>张三</b>"},
    "from-channel": {"type": "channel", "date": 1, "message_id": 5,
                     "chat": {"id": -1001, "type": "channel", "title": "小区通知"}},
}


def _forward_case(origin: dict[str, Any]) -> Case:
    async def run(scene: Scene) -> None:
        """A forwarded need is read like one typed by the resident (their own draft, nobody else's)."""
        polite(await scene.chat.say(scene.resident, NEED, forward_origin=origin), "我理解您反映的是")
        ((telegram_id, flow, _),) = scene.chat.state()["drafts"]
        assert (telegram_id, flow) == (scene.resident, "intake")

    return run


for _name, _origin in FORWARDS.items():
    CASES[f"forwarded:{_name}"] = _forward_case(_origin)


# ── commands ────────────────────────────────────────────────────────────────────────────────────
COMMANDS: dict[str, tuple[str, str | None]] = {
    "unknown": ("/foo", texts.UNKNOWN_COMMAND),
    "unknown-with-args": ("/foo bar <b>baz</b>", texts.UNKNOWN_COMMAND),
    "unknown-uppercase": ("/START", None),
    "very-long-unknown": ("/" + "a" * 32, texts.UNKNOWN_COMMAND),
    "for-another-bot": ("/start@some_other_bot", None),
    "start-with-args": ("/start extra words <i>", "社区服务助手"),
    "start-addressed": ("/start@jiedan_console_bot", "社区服务助手"),
    "help-with-args": ("/help me please", None),
    "my-with-args": ("/my 1 2 3", None),
    "cancel-with-args-idle": ("/cancel now", texts.NOTHING_TO_CANCEL),
    "join-without-code": ("/join", texts.JOIN_NEEDS_CODE),
    "join-bad-code": ("/join NOPE", None),
    "join-bad-code-and-args": ("/join <b>NOPE</b> extra & more", None),
    "duty-as-resident": ("/duty on", texts.NOT_A_MEMBER),
    "tasks-as-resident": ("/tasks all", texts.NOT_A_MEMBER),
    "points-as-resident": ("/points 999", texts.NOT_A_MEMBER),
    "invite-as-resident": ("/invite 5", None),
    "dispatch-as-resident": ("/dispatch all", None),
    "overdue-as-resident": ("/overdue x", None),
    "stats-with-args": ("/stats 2024", None),
    "report-as-resident": ("/report 2024-01", None),
    "mydata-with-args": ("/mydata please", None),
    "forget-with-args": ("/forget now!", None),
}


def _command_case(text: str, expected: str | None) -> Case:
    async def run(scene: Scene) -> None:
        """A command with whatever after it: answered politely; nothing is created or erased."""
        polite(await scene.chat.say(scene.resident, text), *([expected] if expected else []))
        assert scene.chat.state() == {"tickets": [], "drafts": []}

    return run


for _name, (_text, _expected) in COMMANDS.items():
    CASES[f"command:{_name}"] = _command_case(_text, _expected)


@case("command:cancel-with-args-mid-intake")
async def _cancel_mid(scene: Scene) -> None:
    await scene.chat.intake_to_address(scene.resident)
    polite(await scene.chat.say(scene.resident, "/cancel right now"), texts.INTAKE_CANCELLED)  # (nothing registered)
    assert scene.chat.state() == {"tickets": [], "drafts": []}


@case("command:unknown-at-address-step")
async def _unknown_mid(scene: Scene) -> None:
    await scene.chat.intake_to_address(scene.resident)
    before = scene.chat.state()
    polite(await scene.chat.say(scene.resident, "/address 3号楼"), texts.UNKNOWN_COMMAND)
    assert scene.chat.state() == before


# ── buttons: garbage, from before a restart or an upgrade, for tickets gone or changed ─────────
# Telegram's callback data is 1-64 bytes: never empty (PTB would hand an empty one to every handler).
GARBAGE = [
    "x", ":", "::::", "of", "of:", "of:acc", "of:acc:", "of:acc:abc", "of:acc:-1", "of:acc:0",
    "of:acc:99999999999999999999", "of:acc:" + "9" * 57, "of:acc:１２", "of:acc:²", "rt:١:5", "of:xyz:1",
    "of:dec:424242",
    "tk:", "tk:start:abc", "tk:done:424242", "tk:back:99999999999999999999", "rt:", "rt:1", "rt:1:7",
    "rt:abc:5", "rt:1:-3", "rt:424242:5", "rt:99999999999999999999:5", "rt:1:skip", "dp:", "dp:abc",
    "dp:1:xyz", "dp:424242", "dp:424242:1", "dp:99999999999999999999", "jn:", "jn:999", "jn:-1", "jn:fin",
    "jn:grid", "jn:grid:NOPE", "in:", "in::", "in:zzz:ok", "in:zzz:it:nope.nope", "in:zzz:cat:nope",
    "in:zzz:chg", "in:zzz:addr", "geo:", "geo:NOPE", "geo:S01-C01-G99", "geo:<b>", "fg:", "fg:maybe",
    "<b>x</b>", "confirm:5", "v1:of:acc:1", "accept_5",
]


def _garbage_case(data: str) -> Case:
    async def run(scene: Scene) -> None:
        """Callback data nobody's keyboard carries: a polite refusal, nothing changes."""
        await scene.chat.say(scene.resident, "/help")
        before = scene.chat.state()
        polite(await scene.chat.press(scene.resident, data))
        assert scene.chat.state() == before

    return run


for _data in GARBAGE:
    CASES[f"button:garbage:{_data!r}"] = _garbage_case(_data)


@case("button:intake-from-before-a-restart")
async def _restart_intake(scene: Scene) -> None:
    """The 确认 under a card sent by the previous process still works: the draft is in the database."""
    card = next(r for r in await scene.chat.say(scene.resident, NEED) if "我理解" in r.text)
    await scene.chat.restart()
    polite(await scene.chat.press(scene.resident, card.button("确认"), card.message), "地址")
    await scene.chat.say(scene.resident, ADDRESS)
    polite(await scene.chat.say(scene.resident, "跳过"), "已为您登记工单")
    assert scene.chat.count(Ticket) == 1


@case("button:offer-from-before-a-restart")
async def _restart_offer(scene: Scene) -> None:
    ticket_id, member, offer = await scene.offered()
    await scene.chat.restart()
    polite(await scene.chat.press(member, offer.button("接单"), offer.message), "接单成功")
    assert scene.chat.ticket(ticket_id).status == "accepted"


@case("button:offer-for-a-ticket-taken-by-another")
async def _taken(scene: Scene) -> None:
    second = scene.member("刘师傅")
    ticket_id, first, offer = await scene.offered()
    other = next(r for r in scene.chat.replies(second) if "新工单" in r.text)
    too_late = offer.button("接单")  # pressed before the edit that removes the buttons arrived
    await scene.chat.press(second, other.button("接单"), other.message)
    before = scene.chat.state()
    polite(await scene.chat.press(first, too_late, offer.message), texts.TICKET_TAKEN)
    assert scene.chat.state() == before and scene.chat.ticket(ticket_id).status == "accepted"


@case("button:rating-a-ticket-not-yet-resolved")
async def _early_rating(scene: Scene) -> None:
    ticket_id, _, _ = await scene.offered()
    before = scene.chat.state()
    polite(await scene.chat.press(scene.resident, f"rt:{ticket_id}:5"), "办结后才能评价")
    assert scene.chat.state() == before


@case("button:rating-someone-elses-ticket")
async def _foreign_rating(scene: Scene) -> None:
    ticket_id, _, _ = await scene.offered()
    scene.chat.home(2)
    await scene.chat.say(2, "/help")
    scene.people.add(2)
    before = scene.chat.state()
    polite(await scene.chat.press(2, f"rt:{ticket_id}:1"))
    assert scene.chat.state() == before


@case("button:resident-presses-a-members-buttons")
async def _resident_accepts(scene: Scene) -> None:
    ticket_id, _, _ = await scene.offered()
    before = scene.chat.state()
    for data in (f"of:acc:{ticket_id}", f"of:dec:{ticket_id}", f"tk:start:{ticket_id}",
                 f"tk:done:{ticket_id}", f"dp:{ticket_id}", f"dp:{ticket_id}:1"):
        polite(await scene.chat.press(scene.resident, data))
    assert scene.chat.state() == before


@case("button:start-after-the-ticket-was-handed-back")
async def _after_hand_back(scene: Scene) -> None:
    ticket_id, member, offer = await scene.offered()
    await scene.chat.press(member, offer.button("接单"), offer.message)
    details = next(r for r in scene.chat.replies(member) if "接单成功" in r.text)
    with db.transaction(scene.chat.engine) as s:
        tickets.hand_back(s, ticket_id, member, "需要专业资质", datetime.now(UTC))
    before = scene.chat.state()
    polite(await scene.chat.press(member, details.button("开始"), details.message))
    assert scene.chat.state() == before


@case("button:old-card-after-a-newer-request")
async def _old_card(scene: Scene) -> None:
    """确认 under an older card does not confirm the newer request that replaced it (the need told again in other
    words; another need told there is kept for after it instead, tests/bot/handlers/resident/test_intake.py)."""
    old = next(r for r in await scene.chat.say(scene.resident, NEED) if "我理解" in r.text)
    await scene.chat.say(scene.resident, "楼道的灯不亮了，晚上黑乎乎的")
    before = scene.chat.state()
    polite(await scene.chat.press(scene.resident, old.button("确认"), old.message), texts.STALE_BUTTON)
    assert scene.chat.state() == before


@case("button:confirm-after-cancel")
async def _after_cancel(scene: Scene) -> None:
    card = next(r for r in await scene.chat.say(scene.resident, NEED) if "我理解" in r.text)
    await scene.chat.say(scene.resident, "/cancel")
    polite(await scene.chat.press(scene.resident, card.button("确认"), card.message), texts.STALE_BUTTON)
    assert scene.chat.state() == {"tickets": [], "drafts": []}


# ── the same update twice (Telegram re-sends what a crashed process did not confirm) ───────────
@case("twice:request-text")
async def _twice_text(scene: Scene) -> None:
    await scene.chat.say(scene.resident, NEED)
    polite(await scene.chat.redeliver(scene.chat.updates[-1], scene.resident))
    assert len(scene.chat.state()["drafts"]) == 1 and scene.chat.count(Ticket) == 0


@case("twice:confirm")
async def _twice_confirm(scene: Scene) -> None:
    await scene.chat.intake_to_address(scene.resident)
    before = scene.chat.state()
    polite(await scene.chat.redeliver(scene.chat.updates[-1], scene.resident))
    assert scene.chat.state() == before


@case("twice:skip-phone")
async def _twice_skip(scene: Scene) -> None:
    """The update that creates the ticket, delivered twice: one ticket."""
    await scene.chat.intake_to_address(scene.resident)
    await scene.chat.say(scene.resident, ADDRESS)
    polite(await scene.chat.say(scene.resident, "跳过"), "已为您登记工单")
    polite(await scene.chat.redeliver(scene.chat.updates[-1], scene.resident))
    assert scene.chat.count(Ticket) == 1 and scene.chat.count(Draft) == 0


@case("twice:accept")
async def _twice_accept(scene: Scene) -> None:
    _ticket_id, member, offer = await scene.offered()
    await scene.chat.press(member, offer.button("接单"), offer.message)
    before = scene.chat.state()
    await scene.chat.redeliver(scene.chat.updates[-1], member)
    assert scene.chat.state() == before
    assert scene.world.get_member(member).active_count == 1
    assert sum("接单成功" in r.text for r in scene.chat.replies(member)) == 1


@case("twice:rating")
async def _twice_rating(scene: Scene) -> None:
    ticket_id, member, _offer = await scene.offered()
    now = datetime.now(UTC)
    with db.transaction(scene.chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, member, now)
        tickets.resolve_ticket(s, ticket_id, member, now)
    await scene.chat.deliver()
    rate = next(r for r in scene.chat.replies(scene.resident) if "打个分" in r.text)
    await scene.chat.press(scene.resident, rate.button("5"), rate.message)
    points_before = scene.world.get_member(member).rating_count
    before = scene.chat.state()
    polite(await scene.chat.redeliver(scene.chat.updates[-1], scene.resident))
    assert scene.chat.state() == before and scene.world.get_member(member).rating_count == points_before


@case("twice:forget-confirm")
async def _twice_forget(scene: Scene) -> None:
    await scene.chat.submit(scene.resident)
    await scene.chat.say(scene.resident, "/forget")
    ask = scene.chat.replies(scene.resident)[-1]
    await scene.chat.press(scene.resident, ask.button("确认"), ask.message)
    after = scene.chat.state()
    await scene.chat.redeliver(scene.chat.updates[-1], scene.resident)
    assert scene.chat.state() == after and scene.chat.count(Ticket) == 1


# ── group chats ─────────────────────────────────────────────────────────────────────────────────
GROUP = {"id": -1001234, "type": "supergroup", "title": "幸福里业主群"}


@case("group:text-is-ignored")
async def _group_text(scene: Scene) -> None:
    message = scene.chat.message_payload(scene.resident, NEED, chat=GROUP)
    await scene.chat.push({"message": message}, GROUP["id"])
    assert scene.chat.replies(GROUP["id"]) == [] and scene.chat.state() == {"tickets": [], "drafts": []}


@case("group:resident-command")
async def _group_command(scene: Scene) -> None:
    """Intake is for private chats: a command in a group starts nothing (any answer is polite)."""
    message = scene.chat.message_payload(
        scene.resident, "/start x", chat=GROUP, entities=[{"type": "bot_command", "offset": 0, "length": 6}])
    replies = await scene.chat.push({"message": message}, GROUP["id"])
    assert all(chinese(r.text) for r in replies)
    assert scene.chat.state() == {"tickets": [], "drafts": []}


# ── the test ────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("name", list(CASES))
async def test_hostile_input(name: str, engine: Engine, world: World, tmp_path: Path,
                             classifier: Classifier) -> None:
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        scene = Scene(chat, world)
        await CASES[name](scene)
        assert chat.unexpected_errors() == [], chat.unexpected_errors()
        assert chat.api_errors == [], "Telegram would refuse: " + "; ".join(e.text for e in chat.api_errors)
        for person in scene.people:
            assert all(chinese(r.text) for r in chat.replies(person)), [r.text for r in chat.replies(person)]


def main() -> int:
    """Run the matrix with pytest and print the count."""

    class Count:
        tried = failed = 0

        def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
            if report.when == "call" or (report.when == "setup" and report.failed):
                self.tried += 1
                self.failed += report.failed

    count = Count()
    code = pytest.main([f"{__file__}::test_hostile_input", "-q", "-p", "no:cacheprovider"], plugins=[count])
    print(f"hostile inputs tried: {count.tried}, failed: {count.failed}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
