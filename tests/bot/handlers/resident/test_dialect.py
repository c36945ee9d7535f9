"""Residents and members who write in Traditional characters or Cantonese (product.md: residents write "everyday
Chinese (Simplified or Traditional)"): typed answers under the card, the address, the phone, the offer, the stars and
the member's words are understood as in Simplified (the classifier normalizes, the bot's own word lists must too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import texts
from routing import db, tickets
from routing.models import Notification, Ticket
from tests.bot.chat_harness import BotChat, card_with, texts_of
from tests.conftest import G11, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
NEED_HANT = "樓道燈壞了好幾天了，晚上很黑"
ADDRESS_HANT = "幸福里小區3號樓2單元502"


# --- typed answers under 「对吗？」 ---
@pytest.mark.parametrize("words", ["係", "係呀", "冇錯", "對啊"])
async def test_a_cantonese_or_traditional_yes_under_the_card_confirms(chat: BotChat, words: str) -> None:
    """Under 「我理解您反映的是…对吗？」 an older resident types 「係」 (Cantonese "yes"; or 係呀, 冇錯, or the Traditional
    對啊) instead of pressing 「确认」. The bot answers 「您的诉求还没有提交…请点「确认」」 and the need stays unconfirmed;
    对 / 對 / 沒錯 are taken as yes (resident.typed_answer, _YES_WORDS has no 係/冇錯 and no 啊 after 對)."""
    await chat.say(RESIDENT, NEED)
    told = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT)
    assert draft and draft["step"] == "address", (told, draft)


@pytest.mark.parametrize("words", ["唔要喇", "唔使啦", "算啦"])
async def test_a_cantonese_give_up_under_the_card_cancels(chat: BotChat, words: str) -> None:
    """Under 「…对吗？」 the resident changes their mind and types 「唔要喇」 (Cantonese "don't want it any more"; 唔使喇,
    "no need"). 不要了 / 算了 cancel the request (「好的，这次就不登记了…」); these are not understood, the draft stays
    waiting and the bot keeps asking to press 「确认」 (resident.typed_answer / _GIVE_UP_WORDS)."""
    await chat.say(RESIDENT, NEED)
    told = texts_of(await chat.say(RESIDENT, words))
    assert chat.intake_draft(RESIDENT) is None, told


@pytest.mark.parametrize("words", ["唔使喇", "唔使喇，唔該", "算了吧，唔該"])
async def test_no_need_in_cantonese_under_the_card_opens_no_self_harm_ticket(chat: BotChat, words: str) -> None:
    """Under 「我理解您反映的是…对吗？」 a Cantonese-speaking resident changes their mind: 「唔使喇」 ("no need now"; or
    唔使喇，唔該 "no need, thanks", 算了吧，唔該 "forget it, thanks"). The bot answers with the suicide-crisis text
    「💛 您的感受很重要，您并不孤单…心理援助热线 12356」 and OPENS AN URGENT health.mental ticket (coordinators alerted at
    once), the lighting need dropped behind it. In Simplified 算了吧 / 不用了 are a give-up (resident.py: "not an
    address, and not despair either") caught before the classifier; the Cantonese ones reach it, and the self-harm model
    (learned from examples such as 唔使擔心我 / 以後唔使管𠊎了) reads 唔使 as despair (router._route: urgent words under
    the card go first)."""
    await chat.say(RESIDENT, NEED)
    told = texts_of(await chat.say(RESIDENT, words))
    assert chat.count(Ticket) == 0, (told, [chat.ticket(1).label, chat.ticket(1).text])
    assert "12356" not in told, told


@pytest.mark.parametrize("words", ["冇問題", "冇问题啊", "冇問題，唔該", "没得问题"])
async def test_no_problem_in_cantonese_or_sichuanese_under_the_card_confirms(chat: BotChat, words: str) -> None:
    """The card asks 「对吗？没问题请点「确认」」; an older resident in Guangzhou answers with the card's own word in
    Cantonese, 「冇問題」 (or 冇问题啊, 冇問題，唔該; in Sichuan 没得问题), and was told 「您的诉求还没有提交…」: 冇错 was
    a yes, 冇問題 was not."""
    await chat.say(RESIDENT, NEED)
    told = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT)
    assert draft and draft["step"] == "address", (told, draft)


# --- the address, told with the need, under 「对吗？」 or given up ---
async def test_a_traditional_address_told_with_the_need_is_not_asked_again(chat: BotChat) -> None:
    """A resident writes 「樓道燈壞了好幾天了，晚上很黑，幸福里小區3號樓2單元502」 and presses 「确认」. product.md: the bot
    asks for an address "unless the message already has one" — in Simplified it goes straight to the phone. Here it
    asks 「请告诉我具体地址…」 again: numbers.address_in finds no 號樓/單元 (resident._intake_state keeps address None)."""
    await chat.intake_to_address(RESIDENT, f"{NEED_HANT}，{ADDRESS_HANT}")
    draft = chat.intake_draft(RESIDENT)
    assert draft["step"] == "phone" and draft.get("address"), draft


@pytest.mark.parametrize("words", [f"地址是{ADDRESS_HANT}", f"在{ADDRESS_HANT}"])
async def test_a_traditional_address_typed_under_the_card_is_kept(chat: BotChat, words: str) -> None:
    """Under 「我理解您反映的是…对吗？」 the resident types where it is, 「地址是幸福里小區3號樓2單元502」 (in Simplified:
    「地址已记下：…」, the address step then skipped). In Traditional the bot does not see an address
    (resident.address_only → numbers.address_in is None; router._target): 「地址是幸福里小區…」 becomes a NEW request
    that replaces the lighting need — the card 「「地址是幸福里小區3號樓2單元502」 我不太确定这属于哪类事项，请选一个…」
    with items to choose (the classifier's guess is 燃气泄漏) — and the light is forgotten; 「在幸福里小區…」 is not kept
    and after 「确认」 the resident is asked for the address again."""
    replies = await chat.say(RESIDENT, NEED)
    card = card_with(replies, "确认")
    told = texts_of(await chat.say(RESIDENT, words))
    assert chat.intake_draft(RESIDENT)["text"] == NEED, (told, chat.intake_draft(RESIDENT)["text"])
    await chat.press(RESIDENT, card.button("确认"), card.message)
    draft = chat.intake_draft(RESIDENT)
    assert draft and draft["step"] == "phone" and "502" in (draft.get("address") or ""), draft


@pytest.mark.parametrize("words", ["算了，不報了", "不用麻煩了"])
async def test_giving_up_in_traditional_at_the_address_step_is_not_taken_for_the_address(
    chat: BotChat, words: str
) -> None:
    """Asked 「请告诉我具体地址」, the resident gives up: 「算了，不報了」 (Traditional of 算了，不报了; or 不用麻煩了). In Simplified the request is dropped (「好的，这次就不登记了」). Here the words
    are saved as the ADDRESS (resident.gives_up: _GIVE_UP_WORDS are Simplified only) and the bot goes on to ask a
    phone; a 跳过 after that files a ticket whose address is 「算了，不報了」. (resident.py: giving up is "not an address, and
    not despair either".)"""
    await chat.intake_to_address(RESIDENT, NEED)
    told = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT)
    assert draft is None or draft.get("address") != words, (told, draft)


# --- the phone step ---
@pytest.mark.parametrize("words", ["沒有電話", "沒有", "冇電話", "不記得了"])
async def test_no_phone_said_in_traditional_or_cantonese_files_the_ticket(chat: BotChat, words: str) -> None:
    """At 「留个电话方便联系吗？（可跳过）」 the resident types 「沒有電話」 (Traditional of 没有电话; or 沒有, or the
    Cantonese 冇電話, or 不記得了). In Simplified 没有 / 不记得 are 跳过 and the ticket is filed. Here no ticket is
    made: the words are appended to the need as a 补充 (「已把这句话补充到您的诉求里：「冇電話」」), or answered as a
    status query (「您还没有工单」), or the phone is asked again (SKIP_WORDS lists 没有 / 不记得 but not 沒有 / 不記得
    nor 冇)."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    told = texts_of(await chat.say(RESIDENT, words))
    assert chat.count(Ticket) == 1, told
    assert words not in chat.ticket(1).text, chat.ticket(1).text


@pytest.mark.parametrize("words", ["手機號碼：13812345678", "我的電話號碼是13812345678"])
async def test_a_phone_labelled_in_traditional_leaves_no_label_in_the_need(chat: BotChat, words: str) -> None:
    """At the phone step the resident types 「手機號碼：13812345678」. The ticket is filed with the phone, but its need
    reads 「樓道燈…（补充：手機號碼：）」-like: the label is taken for words to add to the request (in Simplified,
    手机号码 / 电话 are labels, _PHONE_LABEL strips them): members and coordinators read a stray 「手機號碼：」."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    await chat.say(RESIDENT, words)
    ticket = chat.ticket(1)
    assert ticket.phone == "13812345678"
    assert ticket.text == NEED, ticket.text


# --- the offer: a Traditional address hidden ---
@pytest.mark.parametrize("words", [
    "幸福里小區3號樓2單元502廚房水管漏水了",
    "和平路12號1單元301廚房水管漏水了",
    "幸福里5棟302廚房水管漏水了",
])
def test_offer_hides_a_room_number_written_in_traditional(world: World, words: str) -> None:
    """A resident in Traditional characters writes 「幸福里小區3號樓2單元502廚房水管漏水了」. Every member in the wave
    gets the offer 「诉求：「幸福里小區3號樓2單元502廚房水管漏水了」」 with the door number in full, before anyone
    accepted: product.md says offers never show the exact address (the same words in Simplified read
    「幸福里小区*号楼*单元***…」). bot/numbers.py _HOUSE knows only 号/号楼/单元/栋 in Simplified, so redact hides
    nothing of 號樓/單元/棟."""
    from bot.delivery import render

    world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, words, datetime.now(UTC), label="repair.plumbing",
                                          grid_code=G11, address=words[:-6], confidence=0.9,
                                          settings=world.settings).id
        note = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.kind == "offer")).one()
        text, _ = render(note.kind, note.payload, ZoneInfo("Asia/Shanghai"))
    door = {"幸福里小區3": "502", "和平路12": "301", "幸福里5棟": "302"}
    room = next(v for k, v in door.items() if words.startswith(k))
    told = next(line for line in text.splitlines() if line.startswith("诉求"))  # (the ticket's number may hold 302)
    assert room not in told, text


# --- the rating ---
@pytest.mark.parametrize("words", ["五粒星", "5粒星"])
async def test_stars_counted_in_cantonese_rate_the_ticket(chat: BotChat, world: World, words: str) -> None:
    """Under 「请为这次服务打个分」 a Cantonese speaker types 「五粒星」 (粒 is Cantonese's measure word for stars, as 颗
    is Mandarin's: 五颗星 rates). The words are no rating (resident.stars_typed: _STARS and _RATING_WORDS know 颗/顆,
    not 粒): the bot answers 「不客气！…」 as to thanks, the ticket stays unrated and the buttons are not shown
    again."""
    member = world.member("王师傅", ["电工"])
    ticket_id = chat.resolved_ticket(member, NEED, "property.public_lighting", datetime.now(UTC) - timedelta(hours=1))
    await chat.deliver()
    shown = texts_of(await chat.say(RESIDENT, words))
    assert chat.ticket(ticket_id).rating == 5 or texts.RATE_WITH_BUTTONS in shown, shown


# --- the member's side ---
@pytest.mark.parametrize("words", ["接單", "我來"])
async def test_jiedan_typed_in_traditional_under_an_offer_points_to_the_button(
    chat: BotChat, world: World, words: str
) -> None:
    """A member who writes Traditional gets 「📋 有一张新工单等您接单 … [✋ 接单]」 and types 「接單」 (or 我來) instead of
    pressing. In Simplified (接单 / 我来) he is told to press 「接单」 under the offer. Here the words go to the resident
    flow and he is answered as a resident (「您还没有工单…」 or the assistant's introduction): he thinks he has the
    job, the offer stays open, nobody goes (member._TAKING is Simplified only)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    assert card_with(chat.replies(member), "接单")
    told = texts_of(await chat.say(member, words))
    assert chat.ticket(ticket_id).status == "accepted" or texts.PRESS_TAKE in told, told


@pytest.mark.parametrize("words", ["點錯了，不退了", "按錯了"])
async def test_traditional_words_taking_back_hand_back_keep_the_ticket(
    chat: BotChat, world: World, words: str
) -> None:
    """A member who writes Traditional presses 「退回」 by mistake, is asked 「请说明退回的原因…」 and types 「點錯了，不退了」
    (or 按錯了). In Simplified (点错了 / 按错了) the step is taken back and he keeps the ticket. Here it is handed back
    with 「點錯了，不退了」 as its reason: the resident is told it was handed back, the member loses the job
    (member._STEP_TAKEN_BACK is Simplified only)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    offer = card_with(chat.replies(member), "接单")
    await chat.press(member, offer.button("接单"), offer.message)
    details = card_with(chat.replies(member), "退回")
    await chat.press(member, details.button("退回"), details.message)
    told = texts_of(await chat.say(member, words))
    assert chat.ticket(ticket_id).status == "accepted", (told, chat.ticket(ticket_id).status)


@pytest.mark.parametrize("words", ["還沒修好", "按錯了"])
async def test_traditional_words_saying_not_done_do_not_resolve_the_ticket(
    chat: BotChat, world: World, words: str
) -> None:
    """A member presses 「办结」 mid-work and types 「還沒修好」 (Traditional of 还没修好; or 按錯了). In
    Simplified the ticket stays in progress (「好的，工单还在您手上…」). Here it is RESOLVED with that note: the resident
    reads 「已办结。办理说明：「還沒修好」」 and is asked to rate work not done, the member gets the points
    (member._NOT_DONE / _STEP_TAKEN_BACK: 还 / 错 only in Simplified)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT, NEED)
    told = texts_of(await chat.say(member, words))
    assert chat.ticket(ticket_id).status == "in_progress", (told, chat.ticket(ticket_id).status)
