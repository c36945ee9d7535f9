"""Rate limits as a resident and a member live them (messages a minute, tickets an hour), through the real
Application on the offline console's in-process Bot API, on SQLite and PostgreSQL, with the handlers' clock under the
test's control; and a long answer measured as Telegram measures it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot import texts
from bot.handlers import member, router
from classifier import Classifier
from routing import db, drafts, tickets
from routing.models import Draft, Ticket
from tests.bot.chat_harness import BotChat, bot_chat, chinese
from tests.bot.handlers.resident.neighbours_harness import (
    ADDRESS,
    NEIGHBOUR,
    RESIDENT,
    Clock,
    card,
    handlers_clock,
    intake,
    neighbours_chat,
    request,
    tickets_of,
)
from tests.conftest import T0, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return handlers_clock(monkeypatch)


@pytest.fixture
async def chat(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> AsyncIterator[BotChat]:
    async with neighbours_chat(engine, tmp_path, classifier) as chat:
        yield chat


# --- messages a minute ---
async def test_message_flood_is_slowed_politely_but_urgent_words_pass(chat: BotChat, clock: Clock) -> None:
    clock.advance(seconds=5)  # 10:00:05
    understood = card(await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑"), "我理解您反映的是")
    await chat.press(RESIDENT, understood.button("确认"), understood.message)  # buttons are not counted
    draft = intake(chat, RESIDENT)
    for _ in range(19):  # 20 messages in this minute with the first one: each answered
        assert texts.STILL_NEEDS_ADDRESS in (await chat.say(RESIDENT, "你好"))[-1].text
    slow = await chat.say(RESIDENT, "你好")  # the 21st
    assert len(slow) == 1 and "发得有点快" in slow[0].text and "10:01" in slow[0].text
    assert "之前填写的内容都已保存" in slow[0].text and chinese(slow[0].text)
    assert await chat.say(RESIDENT, "你好") == []  # a flood gets one answer, not one per message
    assert await chat.say(RESIDENT, "小区门口垃圾没人清理") == []
    assert intake(chat, RESIDENT) == draft  # the request being described is kept

    urgent = await chat.say(RESIDENT, "煤气泄漏了，好大的味道")  # never held back: a ticket at once
    assert any("119" in r.text for r in urgent) and any("已为您登记紧急工单" in r.text for r in urgent)
    assert intake(chat, RESIDENT)["urgent"] and intake(chat, RESIDENT)["next_text"] == draft["text"]

    clock.advance(minutes=1)  # the next minute: back to normal (the urgent ticket's address step answers, asks again)
    greeted = [r.text for r in await chat.say(RESIDENT, "你好")]
    assert texts.URGENT_STILL_NEEDS_ADDRESS in greeted[-1]
    assert texts.NON_REQUEST["greeting"] in (await chat.say(NEIGHBOUR, "你好"))[-1].text  # per person


async def test_messages_written_slowly_while_the_bot_was_down_are_not_a_flood(chat: BotChat, clock: Clock) -> None:
    """The bot was down for half an hour. Meanwhile an older resident wrote 在吗 every minute, twenty times, then her
    need. Back up, the bot reads all 21 at once: they were counted in the minute it read them, the need was the 21st
    — held back as a flood (「您的消息发得有点快」) and lost. Messages count in the minute they were written."""
    clock.advance(minutes=30)
    for minute in range(20):
        written = int((T0 + timedelta(minutes=minute)).timestamp())
        assert await chat.say(RESIDENT, "在吗", date=written), minute
    need = await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑", date=int((T0 + timedelta(minutes=20)).timestamp()))
    assert any("我理解您反映的是" in r.text for r in need), [r.text for r in need]


async def test_members_notes_and_names_are_not_counted(chat: BotChat, clock: Clock) -> None:
    with db.transaction(chat.engine) as s:
        drafts.save_draft(s, RESIDENT, member.TASK, {"await": "note", "ticket_id": 1}, T0)
        assert router._incoming(s, RESIDENT, "修好了", [], T0, None)[:3:2] == (router.TASK_NOTE, None)
        drafts.save_draft(s, RESIDENT, member.JOIN, {"await": "name"}, T0 + timedelta(seconds=1))
        assert router._incoming(s, RESIDENT, "王师傅", [], T0, None)[:3:2] == (router.MEMBER_NAME, None)
        s.exec(Draft.__table__.delete())
        target, _, counted, _ = router._incoming(s, RESIDENT, "楼道灯坏了", [], T0, None)
        assert (target, counted.count) == (router.REQUEST, 1)


async def test_the_address_of_a_gas_leak_is_not_held_back_by_the_message_limit(chat: BotChat, clock: Clock) -> None:
    """An old woman has been typing a lot this minute (20 short messages while describing a need); then she
    smells gas and writes 「煤气泄漏了，好大的味道」. Urgent words pass the limit, as README promises: the
    urgent ticket is opened and the bot asks where she is. She answers at once with her address — and the
    bot says nothing at all, and the address never reaches the ticket the coordinators are looking at: the
    address is an ordinary message over MESSAGES_PER_MINUTE (bot/handlers/router._route holds back every
    message over the limit unless its own words are urgent, also the answers at an urgent ticket's own
    steps), and the one polite answer of the minute was spent already."""
    clock.advance(seconds=5)
    understood = card(await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑"), "我理解您反映的是")
    await chat.press(RESIDENT, understood.button("确认"), understood.message)
    for _ in range(20):
        await chat.say(RESIDENT, "你好")  # the 21st message of the minute got the polite answer
    urgent = await chat.say(RESIDENT, "煤气泄漏了，好大的味道")
    assert any("已为您登记紧急工单" in r.text for r in urgent)
    assert intake(chat, RESIDENT)["ticket_id"]

    clock.advance(seconds=10)  # still the same minute
    answered = await chat.say(RESIDENT, ADDRESS)
    with db.transaction(chat.engine) as s:
        gas = s.exec(select(Ticket).where(Ticket.resident_id == RESIDENT, Ticket.urgent)).one()
        address = gas.address
    assert answered != [], "the address of the emergency got no answer at all"
    assert "3 号楼" in address or "3号楼" in address, f"the urgent ticket's address: {address!r}"


def _photo(n: int) -> list[dict]:
    return [{"file_id": f"photo-{n}", "file_unique_id": f"u{n}", "width": 1280, "height": 960}]


async def test_photos_sent_before_words_held_back_by_the_limit_are_still_kept(chat: BotChat, clock: Clock) -> None:
    """A resident has been chatting a lot this minute, then sends a photo of the overflowing bins (the bot:
    「照片已收到…请用文字说说」) and the words 「楼下垃圾堆了好几天没人清」. Those words are over
    MESSAGES_PER_MINUTE: 「您的消息发得有点快…刚才的消息我没有处理，到时请重新发送；之前填写的内容都已保存」. A minute
    later she sends the words again — and the request has no photo any more: bot/handlers/router._incoming takes
    the photos kept for the words (resident.photos_kept clears the PHOTOS draft) before the limit is checked, in
    the same committed transaction, so a held-back message throws the photos away."""
    clock.advance(seconds=5)
    for _ in range(19):
        await chat.say(RESIDENT, "你好")
    await chat.say(RESIDENT, None, photo=_photo(1))  # the 20th message: kept for the words to come
    slow = await chat.say(RESIDENT, "楼下垃圾堆了好几天没人清")  # the 21st: held back
    assert len(slow) == 1 and "之前填写的内容都已保存" in slow[0].text

    clock.advance(minutes=1)
    understood = card(await chat.say(RESIDENT, "楼下垃圾堆了好几天没人清"), "我理解您反映的是")
    assert understood
    with db.transaction(chat.engine) as s:
        kept = [state for flow, state, _ in drafts.list_drafts(s, RESIDENT) if flow == "intake"]
    assert kept and kept[0].get("attachments") == ["photo-1"], f"the photo sent first is gone: {kept}"


# --- messages a minute after an emergency ---
@SQLITE
async def test_the_first_message_held_back_after_an_emergency_is_not_dropped_in_silence(
    chat: BotChat, clock: Clock
) -> None:
    """An old woman has typed a lot this minute (20 messages while describing the stairwell light), then smells gas:
    「煤气泄漏了，好大的味道」 — the 21st message, which passes as urgent words do. She gives her address and skips the
    phone (the answers at an urgent ticket's steps pass now), and the stairwell light comes back with 「对吗？」. She
    types 「对」 — and the bot says nothing at all: no 「您的消息发得有点快…」, no card, nothing. Each of her next
    messages this minute is dropped in silence too, so she believes the bot is broken right after an emergency.
    The polite answer goes only with the message that is the first over the limit (abuse.MessageCount.first_exceeded,
    used in bot/handlers/router.py _route), and that message was the gas leak, which was not held back; since
    644a028 the urgent ticket's address and phone pass as well, so the first message really held back comes later
    and finds the answer 'spent'."""
    clock.advance(seconds=5)
    card(await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑"), "我理解您反映的是")
    for _ in range(19):
        await chat.say(RESIDENT, "你好")  # 20 messages this minute, each answered
    urgent = await chat.say(RESIDENT, "煤气泄漏了，好大的味道")  # the 21st: urgent, never held back
    assert any("已为您登记紧急工单" in r.text for r in urgent)
    clock.advance(seconds=10)
    assert await chat.say(RESIDENT, ADDRESS) != []  # the urgent ticket's address: passes
    assert await chat.say(RESIDENT, "跳过") != []  # its phone: passes, the waiting need comes back
    assert (intake(chat, RESIDENT) or {}).get("text") == "楼道灯坏了好几天了，晚上很黑", intake(chat, RESIDENT)
    clock.advance(seconds=10)  # still the same minute
    answered = await chat.say(RESIDENT, "对")
    assert answered != [], "her first message held back got no answer at all"


@SQLITE
async def test_photos_of_a_fire_sent_at_its_address_step_reach_the_urgent_ticket(
    chat: BotChat, clock: Clock
) -> None:
    """A resident has typed a lot this minute (20 messages), then her stairwell fills with smoke: 「楼道里着火了，好多烟」.
    The urgent ticket is opened at once and the bot asks where she is. Before answering she sends the photo of the
    smoke, as the bot invites at any step (a photo there is added to the urgent ticket at once, 「照片已收到」, and the
    step asked again). The photo is dropped in silence: no answer, and the urgent ticket the coordinators are looking
    at has no photo. 644a028 lets the answers at an urgent ticket's steps through MESSAGES_PER_MINUTE
    (bot/handlers/router.py _incoming, `at_urgent_step`), but only words (ADDRESS, PHONE), not a photo at those steps
    (PHOTO_AT_STEP), which is held back like any message."""
    clock.advance(seconds=5)
    for _ in range(20):
        await chat.say(RESIDENT, "你好")  # the 21st message of the minute gets the polite answer
    urgent = await chat.say(RESIDENT, "楼道里着火了，好多烟")
    assert any("已为您登记紧急工单" in r.text for r in urgent), [r.text for r in urgent]
    state = intake(chat, RESIDENT) or {}
    assert state.get("ticket_id") and state.get("step") == "address", state
    clock.advance(seconds=5)
    answered = await chat.say(RESIDENT, None, photo=_photo(1))
    assert "photo-1" in (chat.ticket(state["ticket_id"]).attachments or []), [r.text for r in answered]


# --- tickets an hour ---
async def test_sixth_ticket_in_an_hour_waits_and_nothing_is_lost(chat: BotChat, clock: Clock) -> None:
    needs = ["家里插座没电了", "厨房水管漏水", "门锁坏了打不开", "冰箱不制冷了", "洗衣机不转了"]
    for need in needs:
        done = await request(chat, clock, RESIDENT, need)
        assert any("已为您登记工单" in r.text for r in done), [r.text for r in done]
        clock.advance(minutes=5)
    assert len(tickets_of(chat, RESIDENT)) == 5
    first = tickets_of(chat, RESIDENT)[0].created_at

    # (the first ticket is from 10:00 and some seconds: the minute told is the one after them, 11:01)
    assert first.second or first.microsecond
    clock.now = first + timedelta(minutes=50)
    said = await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑")  # told at once, may go on
    limit = card(said, "一小时内已经登记了 5 张工单")
    assert "11:01" in limit.text and "先为您保存" in limit.text
    understood = card(said, "我理解您反映的是")
    await chat.press(RESIDENT, understood.button("确认"), understood.message)
    await chat.say(RESIDENT, ADDRESS)
    held = await chat.say(RESIDENT, "跳过")
    assert "11:01" in card(held, "都已保存").text
    assert "跳过" in str(card(held, "都已保存").message.reply_keyboard)  # the phone keyboard again
    assert len(tickets_of(chat, RESIDENT)) == 5
    kept = intake(chat, RESIDENT)
    assert (kept["step"], kept["address"]) == ("phone", ADDRESS)

    clock.now = first + timedelta(hours=1, seconds=1)  # (before the time the resident was told) 跳过 again
    assert any("已为您登记工单" in r.text for r in await chat.say(RESIDENT, "跳过"))
    assert tickets_of(chat, RESIDENT)[-1].address == ADDRESS  # from the draft kept meanwhile
    assert len(tickets_of(chat, RESIDENT)) == 6

    # Five tickets in the last hour again; urgent words at any step are never held back.
    understood = card(await chat.say(RESIDENT, "卫生间马桶堵了，冲不下去"), "我理解您反映的是")
    await chat.press(RESIDENT, understood.button("确认"), understood.message)
    urgent = await chat.say(RESIDENT, "煤气泄漏了，好大的味道")  # at the address step: a ticket at once
    assert any("119" in r.text for r in urgent) and any("已为您登记紧急工单" in r.text for r in urgent)
    assert tickets_of(chat, RESIDENT)[-1].urgent and len(tickets_of(chat, RESIDENT)) == 7


# --- a long answer within Telegram's limit ---
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_mydata_with_emoji_rich_tickets_stays_within_telegrams_limit(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Telegram measures a message in UTF-16 units (🙏 counts 2): /mydata of emoji-rich requests still fits."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        now = datetime.now(UTC)
        with db.transaction(chat.engine) as s:
            for _ in range(8):
                tickets.submit_ticket(s, RESIDENT, "楼道灯坏了" + "🙏" * 300, now,
                                      label=None, grid_code="S01-C01-G01", address="幸福里 3 号楼")
        replies = await chat.say(RESIDENT, "/mydata")
        assert chat.api_errors == [], [e.text for e in chat.api_errors]
        assert any("我们保存的您的信息" in r.text for r in replies), [r.text for r in replies]
