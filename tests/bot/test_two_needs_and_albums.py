"""Two needs in one message, albums and photos before words: round two's fixes reviewed (each test failed on
them). Each test's docstring tells the bug as it was found."""

from __future__ import annotations

import pytest

from bot.handlers import resident
from routing import db, drafts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, Reply, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
ADDRESS = "幸福里小区 3 号楼 2 单元 502"


def _photo(n: int) -> list[dict]:
    return [{"file_id": f"photo-{n}", "file_unique_id": f"u{n}", "width": 1280, "height": 960}]


def _intake(chat: BotChat) -> dict | None:
    with db.transaction(chat.engine) as s:
        return drafts.get_draft(s, RESIDENT, resident.INTAKE)


def _card(replies: list[Reply], words: str) -> Reply:
    return next(r for r in replies if r.message is not None and any(
        words in b["text"] for row in r.message.inline_keyboard for b in row))


async def test_the_119_advice_comes_before_anything_else_when_a_gas_leak_is_the_second_need(chat: BotChat) -> None:
    """「楼道灯坏了 另外 厨房煤气泄漏了」: the gas leak is taken first, but the very first thing the resident reads is
    「您还提到「楼道灯坏了」，先登记第一件…」 — the 119 advice (README: 'a gas leak or a fire: 119 and what to do,
    first') only comes after a note about a broken light."""
    replies = await chat.say(RESIDENT, "楼道灯坏了 另外 厨房煤气泄漏了")
    texts_ = [r.text for r in replies if r.kind == "message"]
    assert any("119" in t for t in texts_), texts_
    assert "119" in texts_[0], texts_


async def test_the_address_told_at_the_end_of_two_needs_is_not_asked_again_for_the_first(chat: BotChat) -> None:
    """「小区门口路灯坏了，另外垃圾也没人清，幸福里小区3号楼2单元502」: the message has the address (product.md: an
    address is asked 'unless the message already has one'), but it is cut off with the second need, so after 确认 of
    the first the bot asks 「请告诉我需要上门的地址」 as if none was given."""
    replies = await chat.say(RESIDENT, "小区门口路灯坏了，另外垃圾也没人清，幸福里小区3号楼2单元502")
    assert "还提到" in texts_of(replies), texts_of(replies)  # (two needs read)
    card = _card(replies, "确认")
    shown = texts_of(await chat.press(RESIDENT, card.button("确认"), card.message))
    assert "请告诉我需要上门的地址" not in shown, (shown, _intake(chat))


async def test_cancelling_the_first_of_two_needs_does_not_drop_the_second(chat: BotChat) -> None:
    """The bot promised 「您还提到「垃圾也没人清」，先登记第一件，登记好就接着为您登记这一件」. The resident cancels the
    first (the street light is fixed already, or it was read wrong): the second need is silently forgotten — no
    card, no ticket, nothing kept."""
    replies = await chat.say(RESIDENT, "小区门口路灯坏了，另外垃圾也没人清")
    assert "还提到" in texts_of(replies), texts_of(replies)
    card = _card(replies, "取消")
    shown = texts_of(await chat.press(RESIDENT, card.button("取消"), card.message))
    state = _intake(chat) or {}
    assert "垃圾" in shown or "垃圾" in str(state.get("text", "")), (shown, state)


async def test_an_album_of_ten_photos_then_a_captioned_photo_can_still_be_submitted(chat: BotChat) -> None:
    """Ten photos sent first (a full album, no caption: each kept for the words to come), then one more photo with
    the words 「楼下垃圾堆了好几天没人清」: the draft holds 11 attachments (the kept ones are capped at 10, the
    caption's photo is added beyond), and at the very last step submit_ticket refuses 「附件最多 10 个」 — the
    request is never filed."""
    for n in range(10):
        await chat.say(RESIDENT, None, photo=_photo(n), media_group_id="album-1")
    card = _card(await chat.say(RESIDENT, None, photo=_photo(10), caption="楼下垃圾堆了好几天没人清"), "确认")
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "跳过"))
    assert chat.count(Ticket) == 1, shown


async def test_a_gas_leak_told_after_an_album_of_ten_photos_is_opened_at_once(chat: BotChat) -> None:
    """The same with an emergency: ten photos of the kitchen, then a photo with 「厨房煤气泄漏了」. The urgent ticket
    is to be opened at once and the coordinators alerted; with 11 attachments submit_ticket refuses and no
    emergency ticket exists."""
    for n in range(10):
        await chat.say(RESIDENT, None, photo=_photo(n), media_group_id="album-1")
    shown = texts_of(await chat.say(RESIDENT, None, photo=_photo(10), caption="厨房煤气泄漏了"))
    assert chat.count(Ticket) == 1, shown
