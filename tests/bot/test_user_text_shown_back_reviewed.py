"""User text shown back in Telegram: invisible and direction characters, long needs and notes, numbers grouped by
voice input, /forget taking back the cards that showed an address. Found by a review of escaping in the thirty-sixth
session (each test failed before); each docstring tells the bug as a user met it."""

from __future__ import annotations

import unicodedata

import pytest
from sqlmodel import select

from bot import texts
from routing import db
from routing.models import Ticket, TicketStatus
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
PHONE = "13912345678"
OPENERS, CLOSERS = "\u202a\u202b\u202d\u202e\u2066\u2067\u2068", "\u202c\u2069"


def _open_directions(text: str) -> int:
    """How many bidi embeddings/overrides/isolates are still open at the end of `text` (Unicode's rules, simplified)."""
    depth = 0
    for char in text:
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth:
            depth -= 1
    return depth


async def test_an_address_made_only_of_invisible_characters_is_not_taken(chat: BotChat) -> None:
    """Asked for the address, a resident's phone keyboard sends only zero-width spaces (a paste from a chat app, an
    IME glitch). The bot takes twelve invisible characters as the address and moves on to the phone: the member who
    accepts reads 「地址：」 with nothing after it. (bot/handlers/resident.py address_given: len(text.strip()) >= 4 counts
    U+200B, which str.strip() keeps.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "\u200b" * 12))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("step") == "address", (state.get("step"), repr(state.get("address")), shown)


async def test_a_hand_back_reason_of_invisible_characters_is_asked_again(chat: BotChat, world: World) -> None:
    """A member presses 退回 and is asked 「请说明退回的原因」; what they send is only a zero-width space (an accidental
    send). The ticket is handed back at once and the coordinator's 📮 card says 「↩️ 王师傅 退回：」 with no reason — the
    very thing 退回 asks for so that the coordinator knows whom to send next. (bot/handlers/member.py task_text_given:
    `not text.strip()` does not see U+200B as empty.)"""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "back", RESIDENT, NEED)
    shown = texts_of(await chat.say(member, "\u200b"))
    assert chat.ticket(ticket_id).status == TicketStatus.in_progress, shown
    assert texts.ASK_HAND_BACK_REASON in shown, shown


async def test_a_right_to_left_override_in_the_address_does_not_turn_the_phone_number_around(chat: BotChat) -> None:
    """The resident's address begins with U+202E (RIGHT-TO-LEFT OVERRIDE: pasted from a map app, or typed on a keyboard
    with an Arabic/Hebrew layout). On the coordinator's 📮 card (and /dispatch) the address and the phone share one
    line, 「地址：‮… 电话：13912345678」: the override is still open when the phone is written, so the coordinator's
    Telegram shows the number backwards (87654321931) and calls the wrong person. (bot/texts.py waiting_ticket: the
    resident's address is put inside a line without isolating it (U+2068 … U+2069) or closing its override.)"""
    await chat.intake_to_address(RESIDENT, NEED)  # nobody can take it: it goes to the grid coordinator
    await chat.say(RESIDENT, "\u202e" + "幸福里小区3号楼2单元502")
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    shown = texts_of(chat.replies(GRID_COORD)) + "\n" + texts_of(await chat.say(GRID_COORD, "/dispatch"))
    phone_lines = [line for line in shown.splitlines() if PHONE in line]
    assert phone_lines, shown
    for line in phone_lines:
        before = line[: line.index(PHONE)]
        assert _open_directions(before) == 0, f"direction override still open before the phone: {line!r}"


async def test_words_added_at_the_phone_step_to_a_long_need_reach_the_member(chat: BotChat, world: World) -> None:
    """An elderly resident dictates a long need (voice input: 1,500 characters), confirms it and gives the address;
    at the phone step she adds 「我白天上班，晚上七点以后在家」 and is told 「已把这句话补充到您的诉求里」. The member who
    accepts never reads it: 接单成功 quotes only the first 1,000 characters of the request, and the words added come at
    its end — he goes at noon to an empty flat. (bot/texts.py task_details: quote(p['text'], 1000) keeps the head; the
    supplement is appended to the text by routing/tickets.py with_supplement.)"""
    member = world.member("王师傅", ["电工"])
    long_need = (NEED + "，老人上下楼很不方便，已经摔过一次了。") * 60
    assert 1400 < len(long_need) < 2000
    await chat.intake_to_address(RESIDENT, long_need)
    await chat.say(RESIDENT, ADDRESS)
    added = texts_of(await chat.say(RESIDENT, "我白天上班，晚上七点以后在家"))
    assert "补充" in added, added
    await chat.say(RESIDENT, "跳过")
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    details = texts_of([r for r in chat.replies(member) if "接单成功" in r.text])
    assert "晚上七点以后在家" in details, details[-300:]


async def test_words_added_to_a_need_of_telegrams_full_length_are_kept(chat: BotChat) -> None:
    """A resident's need is a whole Telegram message (4,096 characters, which the bot accepts: tickets.MAX_TEXT). At the
    phone step she adds 「我白天上班，晚上七点以后在家」 and the bot answers 「已把这句话补充到您的诉求里」 — but the words are
    dropped: the text with the supplement is cut back to 4,096 characters, so the ticket holds none of it.
    (routing/tickets.py with_supplement: `(text + added)[:MAX_TEXT]` cuts the end, which is the supplement.)"""
    full = (NEED + "，老人上下楼很不方便。") * 200
    full = full[:4096]
    await chat.intake_to_address(RESIDENT, full)
    await chat.say(RESIDENT, ADDRESS)
    added = texts_of(await chat.say(RESIDENT, "我白天上班，晚上七点以后在家"))
    assert "已把这句话补充到您的诉求里" in added, added
    await chat.say(RESIDENT, "跳过")
    with db.transaction(chat.engine) as s:
        kept = s.exec(select(Ticket).where(Ticket.resident_id == RESIDENT)).one().text
    assert "晚上七点以后在家" in kept, kept[-100:]


@pytest.mark.parametrize("written", ["139\u200b1234\u200b5678", "139，1234，5678"], ids=["zero-width", "voice-commas"])
async def test_an_offer_hides_a_phone_number_however_it_is_grouped(chat: BotChat, world: World, written: str) -> None:
    """A resident's need carries her number: pasted from a chat app that puts zero-width spaces into numbers
    (139\u200b1234\u200b5678), or dictated by voice input, which writes the pauses as commas (「我的电话是139，1234，5678」).
    Every offered member's 📋 card shows the need "redacted", but this number is shown whole (it reads 13912345678 on
    screen) — product.md: offers never show the resident's phone. (bot/numbers.py redact/_phone_spans: the patterns take
    digits grouped by spaces, hyphens, dots; a format character or a full-width comma between the groups hides it.)"""
    world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    await chat.submit(RESIDENT, f"楼道灯坏了好几天了，我的电话是{written}，请联系我")
    await chat.deliver()
    offers = [r.text for m in (2001, 2002) for r in chat.replies(m) if "新工单" in r.text]
    assert offers, "no offer sent"
    for text in offers:
        for line in text.splitlines():  # (the digits each line shows)
            assert PHONE not in "".join(c for c in line if c.isdigit()), text


async def test_when_to_come_told_at_the_phone_step_is_kept_and_not_answered_as_a_status_question(chat: BotChat) -> None:
    """At the phone step a resident says when to come, in words: 「白天家里没人，晚上六点以后再来」 (README's own example
    of words told there, with 六 instead of 6). The bot answers 「您还没有工单。遇到问题直接告诉我就行。」 — wrong (she is
    in the middle of one) — and the words are dropped: nothing is added to the request, so the member comes at noon.
    (bot/handlers/resident.py phone_typed: a message the classifier reads as kind "status" (再来) goes to _aside, which
    answers the /my question, instead of being kept as a supplement like other words.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "白天家里没人，晚上六点以后再来"))
    await chat.say(RESIDENT, "跳过")
    with db.transaction(chat.engine) as s:
        kept = s.exec(select(Ticket).where(Ticket.resident_id == RESIDENT)).one().text
    assert "您还没有工单" not in shown and "六点以后再来" in kept, (shown, kept)


async def test_the_resident_reads_the_whole_done_note(chat: BotChat, world: World) -> None:
    """The member marks the work done with a careful note (the bot takes up to 2,000 characters): what he replaced,
    and, at its end, a warning — 「…电表箱里的线已经老化，建议尽快请物业更换，否则有火灾隐患。」 The resident's
    「✅ 您的工单 … 已办结」 quotes only the first 300 characters and ends in 「…」; the warning is lost, and no command
    (/my, /mydata) shows the note. Nothing forced the cut: the message is far below Telegram's 4,096.
    (bot/texts.py resident_update "ticket_resolved": quote(p['note'], 300).)"""
    member = world.member("王师傅", ["电工"])
    warning = "另外，电表箱里的线已经老化，建议尽快请物业更换，否则有火灾隐患。"
    note = "已更换楼道灯泡和声控开关，" + "逐层检查了一到六楼的灯具和线路，" * 20 + warning
    assert 300 < len(note) < 2000
    await chat.at_task_step(member, "done", RESIDENT, NEED)
    await chat.say(member, note)
    await chat.deliver()
    told = texts_of([r for r in chat.replies(RESIDENT) if "已办结" in r.text])
    assert warning in told, told[-200:]


async def test_the_coordinator_reads_the_whole_hand_back_reason(chat: BotChat, world: World) -> None:
    """A member hands a ticket back and explains, as 退回 asks, in two or three sentences (about 150 characters): what he
    found, and at the end what the next one needs to know — 「…居民说只有周六上午家里有人。」 The coordinator's 📮 card cuts
    the reason at 100 characters (「…」), and /dispatch does not show it at all: the coordinator assigns the next member
    without the one thing the member wrote it for. (bot/texts.py dispatch_needed: quote(p['hand_back_reason'], 100).)"""
    member = world.member("王师傅", ["电工"])  # the only electrician: the ticket goes to the coordinators
    last = "居民说只有周六上午家里有人。"
    reason = "上门看过了，不是灯泡的问题，是楼道配电箱里的空气开关烧了，需要有电工证的师傅带配件来换，" * 3 + last
    assert 100 < len(reason) < 500
    ticket_id = await chat.at_task_step(member, "back", RESIDENT, NEED)
    await chat.say(member, reason)
    await chat.deliver()
    assert chat.ticket(ticket_id).status == "dispatch"
    shown = texts_of(chat.replies(GRID_COORD)) + texts_of(await chat.say(GRID_COORD, "/dispatch"))
    assert last in shown, shown


async def test_mydata_shows_the_whole_request_as_stored(chat: BotChat) -> None:
    """A resident exercises her right to see what is kept about her (/mydata; README "Personal data (PIPL)"). Her
    request was long (800 characters, all stored); /mydata shows its first 300 characters and 「…」, though the function
    promises "as many messages as it takes … nothing is left out" and the whole fits one message easily. What the bot
    holds about her, including the part she may want erased, is not shown. (bot/texts.py my_data: 诉求 is
    quote(t['text']) — QUOTE_LIMIT 300; a rating comment is cut to 200 the same way.)"""
    tail = "我家门口的监控摄像头也一起看看，户主叫张秀英。"
    long_need = (NEED + "，老人上下楼很不方便，已经摔过一次了。") * 30 + tail
    assert 600 < len(long_need) < 1500
    ticket_id = await chat.submit(RESIDENT, long_need)
    assert tail in chat.ticket(ticket_id).text  # (stored whole)
    shown = texts_of(await chat.say(RESIDENT, "/mydata"))
    assert tail in shown, shown[-400:]


@pytest.mark.parametrize("name", ["\u3164", "\u200b\u200b"], ids=["hangul-filler", "zero-width"])
async def test_a_resident_with_an_invisible_telegram_name_is_not_shown_as_a_blank(
    chat: BotChat, world: World, name: str
) -> None:
    """Many Telegram users set an "empty" name (the Hangul filler ㅤ, or zero-width spaces). The member who accepts such
    a resident's ticket reads 「居民：」 followed by nothing; task_details has a fallback (居民) for a missing name, and
    member names typed at /join are cleaned of exactly these characters (members.clean_name), but a resident's Telegram
    name is taken as is. (bot/handlers/common.py display_name; bot/texts.py task_details: `p.get("resident_name") or
    "居民"` sees a non-empty string.)"""
    member = world.member("王师傅", ["电工"])
    chat.request.register_user(RESIDENT, name)
    await chat.submit(RESIDENT, NEED)
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    details = next(r.text for r in chat.replies(member) if "接单成功" in r.text)
    line = next(line for line in details.splitlines() if line.startswith("居民："))
    shown = line.removeprefix("居民：")
    assert any(unicodedata.category(c)[0] in "LN" and c != "\u3164" for c in shown), repr(line)


async def test_forget_takes_the_residents_address_out_of_the_members_task_card(chat: BotChat, world: World) -> None:
    """A resident whose ticket a member has accepted sends /forget and confirms: she is told her personal data is
    deleted, and the member gets 「工单 … 已取消。原因：居民已申请删除个人信息」 — right under the 「✅ 接单成功」 card that
    still shows her words, her name, her exact address and her phone, for a ticket that no longer exists. The bot keeps
    the id of that message (outbox: "so that a later notification can edit that message") and edits withdrawn offers
    the same way, but /forget edits nothing. (routing/privacy.py forget_resident queues only the cancellation; nothing
    edits the delivered offer_accepted message.)"""
    member = world.member("王师傅", ["电工"])
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, PHONE)
    await chat.deliver()
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    card = next(r for r in chat.replies(member) if "接单成功" in r.text)
    assert PHONE in card.text
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, chat.last_message(RESIDENT).inline_keyboard[0][0]["callback_data"])
    await chat.deliver()
    assert any("已取消" in r.text for r in chat.replies(member))
    still = [m.text for m in chat.request.messages(member)
             if m.from_bot and not m.deleted and (PHONE in m.text or "2 单元 502" in m.text)]
    assert still == [], still
