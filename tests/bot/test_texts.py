"""What users read (bot/texts.py): their words escaped and cut, invisible characters, long words reaching their
reader whole, photos, names of categories and statuses, where a ticket went, the times they are told."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot import texts
from classifier import Classifier
from routing import abuse, db, dispatch, members, tickets
from routing.errors import DomainError
from routing.models import Member, Notification, NotificationKind, Offer, OfferState, Ticket, TicketStatus
from tests.bot.chat_harness import BotChat, bot_chat, texts_of
from tests.conftest import COORD, G11, GRID_COORD, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

TZ = ZoneInfo("Asia/Shanghai")
RESIDENT = 1  # the resident `chat` has placed in a grid
NEED = "楼道灯坏了好几天了，晚上很黑"
SHORT_NEED = "楼道灯坏了好几天了"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
PHONE = "13912345678"
OPENERS, CLOSERS = "\u202a\u202b\u202d\u202e\u2066\u2067\u2068", "\u202c\u2069"
PHOTO = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}]
DONE_PHOTO = [{"file_id": "photo-done", "file_unique_id": "u2", "width": 90, "height": 90}]
NEWCOMER = 4242
ASKS_SKILLS = "请选择您擅长的服务技能"
TELEGRAM_MAX_INLINE_BUTTONS = 100


def _open_directions(text: str) -> int:
    """How many bidi embeddings/overrides/isolates are still open at the end of `text` (Unicode's rules, simplified)."""
    depth = 0
    for char in text:
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth:
            depth -= 1
    return depth


def _photo_shown(chat: BotChat, person: int, since: int) -> bool:
    """Whether `person` was sent a photo since event `since` (being told of one is not enough: 📷 N 张 is said
    whether or not the photo then goes out)."""
    return any(event.chat_id == person and event.kind == "message" and event.message is not None
               and "photo" in event.message.payload for event in chat.events[since:])


async def _rate(chat: BotChat, member: int, ticket_id: int, stars: int) -> None:
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, "已经换了新灯泡")
    prompt = next(r for r in reversed(chat.replies(RESIDENT)) if "打个分" in r.text)
    await chat.press(RESIDENT, prompt.button(str(stars)), prompt.message)


def chat_now() -> datetime:
    from bot.handlers.common import now

    return now()


def _plumbing(world: World, text: str = "厨房水管漏水了") -> int:
    with db.transaction(world.engine) as s:
        members.ensure_person(s, 1001, T0, name="王阿姨")
        return tickets.submit_ticket(s, 1001, text, T0, label="repair.plumbing", grid_code=G11,
                                     address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id


# --- what a user typed, escaped and cut ---
def test_user_text_is_escaped_and_cut_before_escaping() -> None:
    assert texts.quote("<b>a</b> & _x_ *y*") == "&lt;b&gt;a&lt;/b&gt; &amp; _x_ *y*"
    cut = texts.quote("<" * 500, 10)
    assert "…" in cut and cut.count("&lt;") == 9  # never half an entity (its head and its tail kept)


def test_the_resident_s_name_and_address_are_escaped_in_task_details() -> None:
    payload = {
        "number": "#A1234",
        "category_name": "家居维修",
        "item_name": "水管疏通",
        "grid_name": "第一网格",
        "text": "漏水",
        "resident_name": "<script>",
        "address": "A&B 小区",
        "phone": None,
    }
    details = texts.task_details(payload, TZ)
    assert "&lt;script&gt;" in details and "A&amp;B" in details and "未留" in details


def test_long_messages_fit_telegram() -> None:
    message = texts.fit("第一行\n" + "很长的内容" * 2000)
    assert len(message) <= texts.MESSAGE_LIMIT and message.endswith("（内容过长，已省略）")


def test_fit_counts_as_telegram_does() -> None:
    """An emoji is two UTF-16 units: a message of emoji is cut by units, not by characters."""
    long = "🙏" * 3000  # 3,000 characters, 6,000 units
    assert texts.utf16_len(texts.fit(long)) <= texts.MESSAGE_LIMIT < texts.utf16_len(long)
    assert texts.fit("好" * texts.MESSAGE_LIMIT) == "好" * texts.MESSAGE_LIMIT


# --- invisible and direction characters ---
@SQLITE
async def test_an_address_made_only_of_invisible_characters_is_not_taken(chat: BotChat) -> None:
    """Asked for the address, a resident's phone keyboard sends only zero-width spaces (a paste from a chat app, an
    IME glitch). The bot takes twelve invisible characters as the address and moves on to the phone: the member who
    accepts reads 「地址：」 with nothing after it. (bot/handlers/resident.py address_given: len(text.strip()) >= 4 counts
    U+200B, which str.strip() keeps.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "\u200b" * 12))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("step") == "address", (state.get("step"), repr(state.get("address")), shown)


@SQLITE
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


@SQLITE
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


@SQLITE
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


@pytest.mark.parametrize("name", ["\u3164", "\u2800\u2800", "\u3164\u3164\u3164"],
                         ids=["hangul-filler", "braille-blank", "hangul-fillers"])
def test_a_blank_looking_member_name_is_refused(name: str) -> None:
    """clean_name drops Cf/Cc/Co/Cn characters, but the blank characters people actually use for invisible Telegram
    names are letters or symbols: U+3164 HANGUL FILLER (Lo) and U+2800 BRAILLE PATTERN BLANK (So). Such a name is
    accepted, and residents read 「已由  接单」, coordinators get a 指派 button with no name."""
    try:
        kept = members.clean_name(name)
    except DomainError:
        return
    assert kept.strip("\u3164\u2800\u115f\u1160 ") != "", repr(kept)


# --- words typed at a step, read as meant ---
@SQLITE
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


@SQLITE
@pytest.mark.parametrize("words", ["算了 不报了", "不用了已经好了", "取消"])
async def test_giving_up_at_the_phone_step_does_not_file_or_extend_the_request(chat: BotChat, words: str) -> None:
    """The give-up words now understood under 「对吗？」 and at the address step are not understood one step later:
    at the phone step 「不用了已经好了」 (no need, it is fixed) files the ticket (不用 = skip the phone) and sends a member
    to a fixed problem; 「算了 不报了」 is appended to the need 「已把这句话补充到您的诉求里」; 「取消」 gets the phone
    question again."""
    await chat.intake_to_address(RESIDENT, SHORT_NEED)
    await chat.say(RESIDENT, "幸福里小区3号楼2单元502")
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "phone"
    shown = texts_of(await chat.say(RESIDENT, words))
    assert chat.count(Ticket) == 0, shown
    assert chat.intake_draft(RESIDENT) is None or (chat.intake_draft(RESIDENT) or {}).get("step") == "cancelled", (
        shown, chat.intake_draft(RESIDENT))


@SQLITE
@pytest.mark.parametrize("need", ["三星冰箱不制冷了", "五星小区停水了"])
async def test_a_new_need_naming_samsung_or_a_five_star_estate_is_not_a_rating(
    chat: BotChat, world: World, need: str
) -> None:
    """A resident whose earlier ticket was resolved and never rated (it stays 已办结 for good) later writes a new
    need: 「三星冰箱不制冷了」 (Samsung fridge) or 「五星小区停水了」. _RATING_WORDS matches 三星/五星 in any message of
    ≤ 12 characters, so instead of filing the need the bot answers 「请点下面的星星打分」 with the old ticket's rating
    buttons; the need is dropped."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, SHORT_NEED)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, member, datetime.now(UTC))
        tickets.resolve_ticket(s, ticket_id, member, datetime.now(UTC))
    await chat.deliver()
    shown = texts_of(await chat.say(RESIDENT, need))
    assert "我理解您反映的是" in shown and texts.RATE_WITH_BUTTONS not in shown, shown


@SQLITE
@pytest.mark.parametrize("words", ["算了，不干志愿者了", "我不搞志愿者了", "不干党员了"])
async def test_giving_up_with_gan_or_gao_still_leaves_the_join(chat: BotChat, world: World, words: str) -> None:
    """Asked for his name after /join, a volunteer changes his mind: 「算了，不干志愿者了」. Before f93edf6 _NOT_JOINING
    took (当|做|干|搞)(志愿者|党员)了; now only 当/做 go with 志愿者/党员, so these words become his member name and the
    skills buttons follow."""
    code = world.invite()
    await chat.say(NEWCOMER, f"/join {code}")
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert ASKS_SKILLS not in shown, shown


# --- long words reach their reader whole ---
@SQLITE
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


@SQLITE
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


@SQLITE
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


@SQLITE
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


# --- photos reach their readers ---
@SQLITE
async def test_the_residents_photo_reaches_the_member_who_takes_the_ticket(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A resident sends a photo with the words of the need (or is told 「照片收到了，会和您的诉求一起交给接单的党员」
    for one sent later). The photo is stored on the ticket, but the member who accepts gets only text: no photo is
    ever sent (nothing in bot/ calls send_photo for a ticket) and 接单成功 does not even say there is one."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        await chat.say(RESIDENT, None, photo=PHOTO, caption=NEED)
        card = next(r for r in chat.replies(RESIDENT) if "我理解" in r.text)
        await chat.press(RESIDENT, card.button("确认"), card.message)
        await chat.say(RESIDENT, ADDRESS)
        await chat.say(RESIDENT, "跳过")
        assert chat.ticket(1).attachments == ["photo-1"]
        mark = len(chat.events)
        await chat.take_and_start(member)
        assert _photo_shown(chat, member, mark), [r.text for r in chat.replies(member, mark)]


@SQLITE
async def test_the_members_completion_photo_reaches_the_resident(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """办结 asks 「请用一句话说明办理结果（也可以发一张照片配文字）」 and product.md says the member marks it done "with a
    short note or photo". The photo is saved (resolution_attachments, and in the ticket_resolved payload) but the
    resident, who is asked to rate the work, only reads 「✅ 您的工单 … 已办结。」: the photo never reaches them."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        details = await chat.take_and_start(member)
        await chat.press(member, f"tk:done:{ticket_id}", details.message)
        mark = len(chat.events)
        await chat.say(member, None, photo=DONE_PHOTO, caption="换好了")
        assert chat.ticket(ticket_id).status == "resolved"
        assert _photo_shown(chat, RESIDENT, mark), [r.text for r in chat.replies(RESIDENT, mark)]


# --- the menu, categories and statuses named ---
def test_the_telegram_menu_lists_every_command_of_the_contract() -> None:
    """product.md "Commands (also a contract)" names /join and /invite; the menu the bot sets with setMyCommands
    (bot/app.py COMMANDS) has every other command but not these two: a coordinator looking in the menu for how to
    invite a member finds 邀请协调员 (/addcoordinator) and no 邀请党员."""
    from bot.app import COMMANDS

    contract = ["start", "help", "cancel", "my", "join", "duty", "tasks", "points",
                "invite", "dispatch", "overdue", "stats", "report"]
    in_menu = {c.command for c in COMMANDS}
    assert [c for c in contract if c not in in_menu] == []


def test_an_item_named_like_its_category_is_not_shown_as_other() -> None:
    """taxonomy.md lets a deployment edit names. With an item named as its category (category 心理疏导, item
    心理疏导; or 法律援助 · 法律援助), texts.item_of — which tells 其他 by the two names being equal, not by the
    ticket having no item — shows a classified request as 「其他（由协调员派单）」, and the receipt says
    「协调员会为您派单」 though it is offered to members."""
    receipt = texts.ticket_created("#A1234", "心理疏导", "心理疏导", False)
    assert "其他" not in receipt and "协调员会为您派单" not in receipt, receipt


@SQLITE
async def test_a_request_sent_to_other_is_not_called_other_other(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A resident presses 「🙋 其他（由协调员派单）」. The confirmed card says 「已确认：其他（由协调员派单）」 (texts.confirmed
    handles it), but the receipt then reads 「✅ 已为您登记工单 #H5866（其他 · 其他）。正在为您联系合适的党员志愿者」 and the
    coordinator's 📮 card 「#H5866 其他 · 其他」: the word doubled, as if a category and an item."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        unsure = await chat.say(RESIDENT, "我家门口有个东西坏了，麻烦派人来看看")
        card = next(r for r in unsure if r.message is not None and "其他" in str(r.message.inline_keyboard))
        await chat.press(RESIDENT, card.button("其他"), card.message)
        mark = len(chat.events)
        await chat.say(RESIDENT, ADDRESS)
        await chat.say(RESIDENT, "跳过")
        receipt = [r.text for r in chat.replies(RESIDENT, mark) if "已为您登记工单" in r.text]
        coordinator = [r.text for r in chat.replies(GRID_COORD, mark)]
        assert receipt and coordinator
        assert not [t for t in receipt + coordinator if "其他 · 其他" in t], receipt + coordinator


@SQLITE
@pytest.mark.parametrize("stars", [2, 5])
async def test_my_tickets_names_the_status_as_the_resident_was_told(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, stars: int
) -> None:
    """The same state has two names. After 2 stars the resident is told 「工单已重新打开，协调员会跟进」, then /my says
    「已重办」 (= "has been redone"), as if the work had been done again; the coordinator's 差评 card says 已重办 too.
    After 5 stars they are told 「工单 … 已归档」 and /my says 「已关闭」. Root: routing/states.py STATUS_NAMES
    (reopened 已重办, closed 已关闭) against bot/texts.py rated()/resident_update (重新打开, 已归档)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        mark = len(chat.events)
        await _rate(chat, member, ticket_id, stars)
        told = "\n".join(r.text for r in chat.replies(RESIDENT, mark))
        my = next(r.text for r in await chat.say(RESIDENT, "/my"))
        status = my.splitlines()[1].split(" · ")[1]  # "#A1234 照明楼道 · <status> · <date>"
        assert status.removeprefix("已") in told, (status, told)


# --- where a ticket went, and a removed member, as people are told ---
@SQLITE
@pytest.mark.parametrize("action", ["不方便", "退回"])
async def test_a_member_is_not_told_the_ticket_went_to_other_members_when_nobody_else_has_it(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, action: str
) -> None:
    """The only electrician of the grid presses 不方便 on an offer (or 退回 on a task). Nobody else can take it, so the
    ticket goes to the coordinators (待派单), but the member reads 「好的，已转给其他党员。」 (or 「已退回，工单会重新派给
    其他党员。」): told it was re-routed to members when it was not. Root: bot/texts.py DECLINED / HANDED_BACK are
    fixed words, chosen in bot/handlers/member.py offer_button / task_text_given without looking where it went."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        mark = len(chat.events)
        if action == "不方便":
            offer = next(r for r in chat.replies(member) if "新工单" in r.text)
            await chat.press(member, offer.button("不方便"), offer.message)
        else:
            details = await chat.take_and_start(member)
            mark = len(chat.events)
            await chat.press(member, f"tk:back:{ticket_id}", details.message)
            await chat.say(member, "需要专业电工证，我没有")
        assert chat.ticket(ticket_id).status == "dispatch"  # with the coordinators: no other member has it
        told = [r.text for r in chat.replies(member, mark)]
        assert not [t for t in told if "其他党员" in t], told


@SQLITE
def test_a_removed_member_cannot_be_assigned_from_a_list_opened_before(world: World) -> None:
    """The coordinator opens 指派 (the member buttons), meanwhile the member is removed with /members, then the
    coordinator presses that member's button: assign_ticket checks scope and load but not left_at, so the ticket is
    offered to someone who is no longer a member — who cannot accept it (您还不是注册成员), and nobody else is asked."""
    wang = world.member("王师傅", ["水暖"])
    ticket_id = _plumbing(world)
    with db.transaction(world.engine) as s:
        member_id = members.get_member(s, wang).id
        dispatch.decline_offer(s, ticket_id, wang, T0 + minutes(1), settings=world.settings)
        dispatch.remove_member(s, GRID_COORD, member_id, T0 + minutes(2), settings=world.settings)
    with db.transaction(world.engine) as s:
        try:
            dispatch.assign_ticket(s, ticket_id, GRID_COORD, member_id, T0 + minutes(3), settings=world.settings)
        except DomainError:
            return  # refused: fine
    with db.transaction(world.engine) as s:
        pending = s.exec(select(Offer).where(Offer.ticket_id == ticket_id, Offer.member_id == member_id,
                                             Offer.state == OfferState.pending)).all()
    assert not pending, "the ticket was assigned to a removed member"


@SQLITE
def test_the_resident_is_told_when_a_removed_members_ticket_goes_back(world: World) -> None:
    """The resident was told 「已由 王师傅 接单」. The coordinator removes 王师傅; his ticket goes back to 派单 — a
    hand-back (product.md: the resident is notified at hand-back; tickets.hand_back sends 「您的工单 … 暂时退回，正在为您
    重新安排」) — but remove_member tells only the coordinators and the member: the resident keeps waiting for a
    member who will never come."""
    wang = world.member("王师傅", ["水暖"])
    ticket_id = _plumbing(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, ticket_id, wang, T0 + minutes(1), settings=world.settings)
        dispatch.remove_member(s, GRID_COORD, members.get_member(s, wang).id, T0 + minutes(5),
                               settings=world.settings)
    with db.transaction(world.engine) as s:
        told = s.exec(select(Notification).where(Notification.recipient_id == 1001,
                                                 Notification.ticket_id == ticket_id,
                                                 Notification.kind == NotificationKind.ticket_handed_back)).all()
    assert told, "the resident was not told their ticket went back"


@SQLITE
async def test_a_removed_members_open_offer_loses_its_accept_button(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """product.md: an offer that no longer stands is withdrawn in the member's chat (every other withdrawal —
    taken, cancelled, reassigned — edits the offer message). remove_member withdraws the removed member's pending
    offers in the database only (_off_duty, as for someone who blocked the bot): the offer message keeps its 接单
    button, which now answers 「您还不是注册成员，请用邀请码 /join 加入」 — and an offer not yet delivered is still sent
    to them after the removal."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        wang = world.member("王师傅", ["电工"])
        await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
        offer = next(r for r in chat.replies(wang) if "新工单" in r.text)
        mark = len(chat.events)
        with db.transaction(engine) as s:
            dispatch.remove_member(s, GRID_COORD, members.get_member(s, wang).id, datetime.now(UTC))
        await chat.deliver()
        edits = [r for r in chat.replies(wang, mark) if r.kind == "edit"]
        still = [b for row in offer.message.inline_keyboard for b in row if "接单" in b["text"]]
        assert edits or not still, [(r.kind, r.text) for r in chat.replies(wang, mark)]


@SQLITE
async def test_members_list_of_a_street_with_more_than_100_members_can_be_sent(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """/members puts every member of the coordinator's scope in ONE inline keyboard, a button each. A street
    coordinator of a street with 101 members gets a keyboard Telegram refuses (over 100 buttons: "reply markup is
    too long"): /members shows nothing and nobody can be removed."""
    for n in range(101):
        world.member(f"志愿者{n}", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        shown = await chat.say(COORD, "/members")
        keyboards_ = [r.message.inline_keyboard for r in shown if r.message is not None and r.message.inline_keyboard]
        assert keyboards_, [r.text for r in shown]
        assert all(sum(len(row) for row in kb) <= TELEGRAM_MAX_INLINE_BUTTONS for kb in keyboards_), [
            sum(len(row) for row in kb) for kb in keyboards_]


@SQLITE
async def test_points_rank_does_not_count_members_who_were_removed(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The coordinator removed 甲 from the grid (/members). 乙, now the only member serving there, sends /points and
    reads 「网格排名：第 2 名（共 2 人）」: the removed member still counts and still ranks above. Root:
    routing/points.py member_summary counts Member rows of the grid without `left_at IS NULL`."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        gone, staying = world.member("甲", ["电工"]), world.member("乙", ["电工"])
        gone_id, staying_id = world.member_id(gone), world.member_id(staying)
        with db.transaction(engine) as s:
            s.get(Member, gone_id).points = 50
            s.get(Member, staying_id).points = 10
        with db.transaction(engine) as s:
            dispatch.remove_member(s, COORD, gone_id, chat_now())
        shown = [r.text for r in await chat.say(staying, "/points")]
        assert any("第 1 名（共 1 人）" in t for t in shown), shown


# --- times told ---
@SQLITE
def test_ticket_limit_time_shown_lets_the_resident_in_when_they_come_back(world: Any) -> None:
    """A resident opens 5 tickets in an hour (the first at 10:00:40); the 6th is refused with
    "请在 11:00 之后再提交新的工单". They come back at 11:00:20 — after 11:00, as told — and should be let in.
    Instead they are refused again: the moment is 11:00:40, and the message shows it cut down to the minute."""
    settings = world.settings
    first = T0 + timedelta(seconds=40)  # 10:00:40 local
    with db.transaction(world.engine) as s:
        for i in range(settings.TICKETS_PER_HOUR):
            tickets.submit_ticket(s, WORLD_RESIDENT, f"楼道灯坏了{i}号", first + timedelta(minutes=i),
                                  label="repair.plumbing", grid_code=G11, address="幸福里3号楼", phone="13800000000",
                                  settings=settings)
    with db.transaction(world.engine) as s:
        until = abuse.ticket_limit_until(s, WORLD_RESIDENT, first + timedelta(minutes=10), settings=settings)
    assert until is not None
    shown = texts.too_many_tickets(settings.TICKETS_PER_HOUR, until, settings.tz, at_submit=True)
    hour, minute = map(int, re.search(r"请在 \d+月\d+日 (\d\d):(\d\d) 之后", shown).groups())
    told = datetime(2025, 3, 3, hour, minute, tzinfo=settings.tz)
    back = told + timedelta(seconds=20)  # after the time shown
    with db.transaction(world.engine) as s:
        again = abuse.ticket_limit_until(s, WORLD_RESIDENT, back, settings=settings)
    assert again is None, (f"told 「…{hour:02d}:{minute:02d} 之后再提交」, at {back.astimezone(settings.tz):%H:%M:%S} "
                           f"still refused until {again.astimezone(settings.tz):%H:%M:%S}")


@SQLITE
async def test_an_emergency_written_while_the_bot_was_down_counts_from_when_it_was_written(chat: Any) -> None:
    """The bot is stopped (a crash, a deploy) for 40 minutes. Meanwhile a resident writes "厨房一股煤气味，很大";
    Telegram keeps the message and the bot reads it when it is back. The urgent ticket's 15-minute response limit
    should run from when the resident wrote (they have waited 40 minutes already: the coordinators' red card is
    due at once, and 响应率 must not count it as answered in time). Instead the limit starts when the bot read the
    message: the ticket looks fresh, due in 15 minutes, and the 40 minutes of waiting vanish from every figure."""
    import time

    from sqlmodel import select

    from routing.models import Ticket

    written = int(time.time()) - 40 * 60
    await chat.say(1, "厨房一股煤气味，很大", date=written)
    with db.transaction(chat.engine) as s:
        ticket = s.exec(select(Ticket)).one()
        created, due = ticket.created_at, ticket.respond_due_at
    sent = datetime.fromtimestamp(written, UTC)
    assert due <= sent + timedelta(minutes=15), (
        f"written at {sent:%H:%M:%S} UTC, ticket created {created:%H:%M:%S}, respond limit {due:%H:%M:%S}")


@SQLITE
async def test_the_coordinators_card_names_the_resident_with_a_link_to_her_chat(chat: BotChat) -> None:
    """「🚨 紧急工单，请立即跟进」 for 「活着太累了，不想活了」 had no name and no way to reach her (地址：未填　电话：未留).
    Coordinators' cards name the resident, linked to her chat (the offers to members before anyone accepts do not)."""
    from bot.delivery import render

    await chat.say(RESIDENT, "活着太累了，不想活了")
    with db.transaction(chat.engine) as s:
        alerts = s.exec(select(Notification).where(Notification.kind == NotificationKind.urgent_alert)).all()
        cards = [render(note.kind, note.payload, TZ)[0] for note in alerts]
    assert cards and all(f'href="tg://user?id={RESIDENT}"' in card for card in cards), cards


def test_a_forgotten_resident_is_not_named_nor_linked() -> None:
    from bot.texts import resident_named

    assert resident_named({"resident_name": "", "resident_id": 7}) == ""
    assert resident_named({"resident_name": "<王>", "resident_id": 7}) == '<a href="tg://user?id=7">&lt;王&gt;</a>'


@pytest.mark.parametrize("reason", ["off_duty", "full", "removed", "expired"])
def test_a_withdrawn_offer_does_not_say_others_were_asked(reason: str) -> None:
    """「已转给其他党员（您已离岗）」 when nobody else was asked (the only electrician: the ticket went to 派单), and
    「办结后会再收到新工单」 read as a promise that this one would come back."""
    told = texts.offer_withdrawn({"number": "#A1234", "reason": reason})
    assert "其他党员" not in told and "不需要您处理" in told, told


def test_overdue_rows_say_how_far_past_or_how_long_is_left() -> None:
    """/overdue's rows: 「已超 1 天 2 小时」 for a red ticket, 「还剩 10 分钟」 for a yellow one, as a coordinator reads it."""
    row = {"number": "#A1", "item_name": "水管疏通", "status_name": "已接单", "grid_name": "幸福里第一网格",
           "limit": "resolve", "due_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC)}
    shown = texts.overdue([row | {"overdue": True, "minutes_past_due": 26 * 60},
                           row | {"overdue": False, "minutes_past_due": -10},
                           row | {"overdue": True, "minutes_past_due": 0},
                           row | {"overdue": True, "minutes_past_due": 125}], TZ)
    assert "（已超 1 天 2 小时）" in shown, shown
    assert "（还剩 10 分钟）" in shown, shown
    assert "（已超 1 分钟）" in shown, shown  # (just past: never 「0 分钟」)
    assert "（已超 2 小时 5 分钟）" in shown, shown
