"""An older resident on a phone, end to end through the resident flows, told the way they really talk: a need in
short pieces, 对 / 不对 / 算了 / 五星 typed instead of pressing buttons, addresses and phones told their way (in pieces,
in Chinese numerals, read out, in full-width digits, a shared place), the same need again, a wrong community."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from routing import db, dispatch, drafts, tickets
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, texts_of
from tests.bot.handlers.resident.neighbours_harness import tickets_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1  # placed in a grid by the `chat` fixture
NEWCOMER = 77  # no grid chosen yet
NEED = "楼道灯坏了好几天了"
ADDRESS = "幸福里小区3号楼2单元502"
INTRO = texts.NON_REQUEST["other"]  # 「我是社区服务助手……请直接说说您遇到的问题。」


# --- a need told over several short messages ---
async def test_a_need_told_in_short_pieces_keeps_the_later_pieces(chat: BotChat) -> None:
    """The resident types as on a phone: 「楼道灯」, then 「坏了」, then 「好几天了」. The first shows the unsure card
    (「楼道灯」 with 燃气泄漏 among the guesses). The next two pieces get the bot's self-introduction 「…请直接说说您遇到
    的问题」 — which they just did — and are dropped: the request waiting under the card still reads only 「楼道灯」,
    and 「坏了 / 好几天了」 never reaches the member. Expected: the pieces told while the card waits are added to the
    request (or at least answered as part of it), not met with the introduction."""
    await chat.say(RESIDENT, "楼道灯")
    shown = texts_of(await chat.say(RESIDENT, "坏了")) + "\n" + texts_of(await chat.say(RESIDENT, "好几天了"))
    draft = chat.intake_draft(RESIDENT) or {}
    assert INTRO not in shown, shown
    assert "坏了" in draft.get("text", ""), draft


# --- 「对吗？」 answered in words ---
@pytest.mark.parametrize("words", ["对", "是的", "好", "确认", "對"])
async def test_typing_yes_to_is_this_right_goes_on_to_the_address(chat: BotChat, words: str) -> None:
    """The card asks 「对吗？」; an older resident answers 对 / 是的 / 好 instead of pressing 确认. The bot answers
    with its generic self-introduction (「请直接说说您遇到的问题」) and the request stays unconfirmed: the resident
    believes it is filed, or types the whole need again."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.NON_REQUEST["other"] not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "address", (shown, chat.intake_draft(RESIDENT))


@pytest.mark.parametrize("words", ["不对", "不是", "取消"])
async def test_typing_no_to_is_this_right_is_understood(chat: BotChat, words: str) -> None:
    """不对 / 不是 / 取消 typed under 「对吗？…不对请点「修改」」 get the generic self-introduction: neither the
    categories to change it nor a cancellation."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.NON_REQUEST["other"] not in shown, shown
    assert chat.intake_draft(RESIDENT) is None or texts.CHOOSE_CATEGORY in shown or "修改" in shown, shown


@pytest.mark.parametrize("words", ["不对，是5号楼", "我说错了"])
async def test_a_correction_under_is_this_right_is_understood(chat: BotChat, words: str) -> None:
    """The card says 「对吗？没问题请点「确认」，不对请点「修改」」. The resident answers in words: 「不对，是5号楼」 or
    「我说错了」. The bot answers with its self-introduction 「我是社区服务助手…请直接说说您遇到的问题」 (for 不对，是5号楼
    even with a 登记为诉求 button, as though it were a new need): neither the categories to change it, nor 5号楼 kept
    as the place. Only a bare 不对 is understood (resident.typed_answer / address_only in _target). Expected: a
    correction is taken as 不对 (the categories shown) and/or its place kept, never the introduction."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert INTRO not in shown, shown


async def test_a_flustered_correction_does_not_open_a_crisis_ticket(chat: BotChat) -> None:
    """Under 「对吗？」 the resident, flustered, types 「不对不对 我说错了」 (no, no, I said it wrong). The bot answers
    「💛 您的感受很重要，您并不孤单。如果您有伤害自己的想法，请立即拨打心理援助热线 12356…」, opens an urgent 心理疏导
    ticket at once and alerts the coordinators about a person in crisis; the lamp need is pushed behind it. (The
    classifier's self-harm model reads the doubled 不对不对 + 我说错了 as a sign; the router sends any urgent reading
    under 「对吗？」 ahead of the waiting need: bot/handlers/router.py _route.) Expected: a correction of the card is
    understood as 不对 (the categories shown), no crisis ticket."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "不对不对 我说错了"))
    assert "12356" not in shown, shown
    assert chat.state()["tickets"] == [], chat.state()["tickets"]


async def test_telling_on_the_need_with_bushi_under_the_card_is_kept(chat: BotChat) -> None:
    """Under 「对吗？」 for 「楼道灯坏了好几天了」 the resident adds 「不是一两天了，都坏了一个多月了」 ("it's not a day
    or two — it has been broken over a month"). Expected: the words go on telling the need (as 「好几天了」 does) and the
    card is shown again. Instead says_no_first reads 不是 followed by anything as a correction: the categories are shown
    (as if the bot had misread the lamp), and the words are dropped from the need."""
    await chat.say(RESIDENT, NEED)
    words = "不是一两天了，都坏了一个多月了"
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert texts.CHOOSE_CATEGORY not in shown and "一个多月" in draft.get("text", ""), (shown, draft.get("text"))


@pytest.mark.parametrize("words", ["谢谢", "谢谢你", "我的事怎么样了"])
async def test_thanks_or_a_question_under_is_this_right_says_the_need_is_not_filed_yet(
    chat: BotChat, words: str
) -> None:
    """The resident tells 「楼道灯坏了好几天了」, sees the card, and — thinking it is done — types 谢谢 (or asks
    我的事怎么样了). The bot answers 「不客气！能帮上忙我们很高兴。有需要随时找我。」 (or 「您还没有工单。遇到问题直接告诉
    我就行。」) and nothing more: the resident leaves believing the need is registered, while it waits for 确认
    forever. At the address and phone steps the same words get 「您刚才的诉求还没有提交…」 after the answer
    (resident._aside + _ask_again), but under 「对吗？」 the router sends them to new_request
    (bot/handlers/router.py _target → resident.new_request → _answer_talk), which knows nothing of the waiting card.
    Expected: the reply says the need is not submitted yet and needs 确认."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "还没有提交" in shown or "确认" in shown, shown


# --- the address step ---
async def test_an_address_sent_in_several_messages_keeps_every_part(chat: BotChat) -> None:
    """幸福里小区 / 3号楼 / 2单元502 in three messages: the first becomes the address, the next two arrive at the phone
    step and are dropped with 「还差最后一步」; the ticket's address is only 幸福里小区 — the member cannot find the flat."""
    await chat.intake_to_address(RESIDENT, NEED)
    for part in ("幸福里小区", "3号楼", "2单元502", "跳过"):
        await chat.say(RESIDENT, part)
    assert chat.count(Ticket) == 1
    ticket = chat.ticket(1)
    kept = f"{ticket.address}\n{ticket.text}"
    assert "3号楼" in kept and "502" in kept, (ticket.address, ticket.text)


async def test_an_address_told_in_chinese_numerals_is_not_asked_for_again(chat: BotChat) -> None:
    """Voice input without punctuation, the address in Chinese numerals (三号楼二单元五零二): product.md asks for an
    address 'unless the message already has one', but after 确认 the bot asks 「请告诉我需要上门的地址」 anyway."""
    said = "我家厨房的水管漏水了好几天了地上全是水我一个老头子弄不了麻烦你们找个人来修一下我住在幸福里小区三号楼二单元五零二"
    await chat.intake_to_address(RESIDENT, said)
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "phone", chat.intake_draft(RESIDENT)


async def test_a_place_shared_at_the_address_step_is_kept(chat: BotChat) -> None:
    """product.md: residents write 'sometimes with … a photo or a location'. Asked for the address, the resident
    shares a place (Telegram's location/venue, 和平路 1 号): 「抱歉，我暂时只能看懂文字和照片」 and it is dropped.
    (tests/bot/test_hostile_input.py's media:venue:at-address-step asserts this drop as 'nothing saved'.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    venue = {"location": {"latitude": 31.23, "longitude": 121.47}, "title": "居委会", "address": "和平路 1 号"}
    shown = texts_of(await chat.say(RESIDENT, None, venue=venue))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") or state.get("step") == "phone", (shown, state)


@pytest.mark.parametrize("words", ["有人管吗", "什么地址", "地址写什么"])
async def test_a_question_at_the_address_step_is_not_saved_as_the_address(chat: BotChat, words: str) -> None:
    """After 确认 the bot asks 「请告诉我需要上门的地址」. The resident asks back 「有人管吗」 or 「什么地址」. The bot
    says 「方便留个手机号吗？」: the question itself was saved as the address (resident.address_given takes any text of 4+
    characters that is no request, thanks or status), and the ticket sends the member to 「什么地址」. Expected: a
    question is not an address — the address is asked again."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert draft.get("address") != words, (shown, draft)
    assert draft.get("step") == "address", (shown, draft)


@pytest.mark.parametrize("words", ["那算了吧", "算了 不报了", "不要了不要了", "算了不修了", "不用了已经好了"])
async def test_giving_up_at_the_address_step_is_not_taken_for_an_address(chat: BotChat, words: str) -> None:
    """Asked for the address, the resident gives up in words. 那算了吧 / 算了 不报了 / 不要了不要了 / 算了不修了 are
    saved as the ticket's address and the bot asks for a phone (one 跳过 away from a ticket at 「那算了吧」);
    不用了已经好了 gets 「不客气！能帮上忙我们很高兴」 and the address demanded again, with no word of how to stop."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT)
    assert state is None or state.get("address") != words, (shown, state)
    assert state is None or "取消" in shown or "/cancel" in shown, (shown, state)


async def test_never_mind_at_the_address_step_does_not_open_a_crisis_ticket(chat: BotChat) -> None:
    """算了不要了 (never mind, I don't want it) typed at the address step is read as a sign of self-harm: an urgent
    心理疏导 ticket is opened in the resident's name, coordinators alerted, and the resident told 12356 and
    「您不是一个人」 — the lighting request they were filing waits behind it."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "算了不要了"))
    assert "12356" not in shown and chat.count(Ticket) == 0, shown


# --- the phone step: the address corrected, no phone, the number read out or typed full-width ---
async def test_correcting_the_building_at_the_phone_step_does_not_keep_the_wrong_one(chat: BotChat) -> None:
    """The resident gives 「幸福里小区3号楼2单元502」, is asked for a phone, and notices the mistake: 「不对，是5号楼」.
    The bot says 「已补充地址：幸福里小区3号楼2单元502 是5号楼」 and the ticket goes out with both buildings — the member
    goes to 3号楼, the wrong one (resident.phone_typed → _address_at_phone appends every address part told at the
    phone step, a correction too). Expected: words that say the address was wrong (不对 / 说错了) replace the part they
    correct, or the address is asked again — never both buildings kept."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "不对，是5号楼"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert not ("3号楼" in address and "5号楼" in address), (shown, address)


@pytest.mark.parametrize("words", ["不对，房间号602", "不对，门牌号602"])
async def test_a_room_corrected_with_its_name_keeps_the_address(chat: BotChat, words: str) -> None:
    """At the phone step (address 幸福里小区3号楼2单元502) the resident corrects the room saying what it is:
    「不对，房间号602」 / 「不对，门牌号602」. Expected: 幸福里小区3号楼2单元602. Instead numbers.corrected_address's new
    _NAMED_FIRST rule (678d8f2: 光明里5号楼, another estate named first) takes any two non-numerals before a number for
    a new estate and returns the words as the whole address: the ticket's address becomes 「房间号602」 — estate,
    building and unit lost, and the bot confirms 「地址已改为：房间号602」. (Before 678d8f2 the room was replaced.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, words))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert address.startswith("幸福里小区3号楼2单元") and "602" in address, (shown, address)


async def test_suanle_buyongle_at_the_phone_step_skips_the_phone(chat: BotChat) -> None:
    """Asked 「方便留个手机号吗？」, the resident answers 「算了，不用了」 ("never mind, no need") — no phone. 不用了 at the
    phone step means no phone (resident._WITHDRAWN's own comment); since 678d8f2 算了 is in _WITHDRAWN, so the whole
    lamp request is given up (「好的，这次就不登记了」) — the resident thinks it was submitted. Expected: the phone skipped
    and the request submitted (a ticket opened)."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "算了，不用了"))
    assert tickets_of(chat, RESIDENT), shown


async def test_a_phone_read_out_in_groups_is_not_copied_into_the_request(chat: BotChat) -> None:
    """At the phone step the resident types the number as it is said aloud, in groups: 「幺三八 幺二三四 五六七八」. The
    phone is taken (13812345678), but the same words are also added to the request as 「（补充）幺三八 幺二三四 五六七八」:
    the ticket's need now carries the phone number, wherever its text is shown. (resident.phone_in removes only
    _NUMBER_RUN — seven or more numerals in a row — not the grouped number numbers.phone_in found; what is left is kept
    as a supplement by phone_typed.) Expected: the ticket's text is the need only."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, "幺三八 幺二三四 五六七八")
    [(_, _, _, text, _, phone)] = chat.state()["tickets"]
    assert phone == "13812345678"
    assert "五六七八" not in text, text


@pytest.mark.parametrize("typed", ["１３８１２３４５６７８", "13８1234５678"])
async def test_a_phone_typed_in_full_width_digits_is_taken(chat: BotChat, typed: str) -> None:
    """The resident's phone keyboard is in full-width mode (a Chinese input method's 全角), and they type their mobile
    「１３８１２３４５６７８」: the bot says 「这个号码好像不完整…手机号是 11 位」 — it is 11 digits — again and again; with
    only some digits full-width (「13８1234５678」) the bot shows the domain's error 「电话号码格式不对：'13８1234５678'」 and no
    ticket is opened. (bot/numbers.py phone_in matches half-width patterns on text it never normalizes, and hands back
    full-width digits that routing/tickets.py rejects.) Expected: the number is read as 13812345678 and the ticket is
    opened with it."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, typed))
    tickets_now = chat.state()["tickets"]
    assert len(tickets_now) == 1, (shown, tickets_now)
    assert tickets_now[0][5] == "13812345678", (shown, tickets_now)


async def test_a_phone_read_out_with_a_digit_too_many_is_not_cut_short(chat: BotChat) -> None:
    """The resident says their number aloud with one digit too many: 「一三八一二三四五六七八九」 (12 numerals). The bot
    files the ticket with 13812345678 — the first eleven — and says nothing; the member calls a wrong number. Typed
    in digits, 138123456789 gets 「这个号码好像不完整，请再核对一下」. (numbers._CN_MOBILE takes the first eleven numerals
    and the twelfth, left as 九, is no \\d for PHONE_NUMBER's (?!\\d).) Expected: the number is checked again, as it is
    for digits."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "一三八一二三四五六七八九"))
    phones = [t[5] for t in chat.state()["tickets"]]
    assert "13812345678" not in phones, (shown, phones)


# --- what an offer shows of numbers told their way ---
@pytest.mark.parametrize(
    ("need", "phone_step", "secret"),
    [(NEED, "我电话一三八一二三四五六七八", "一三八一二三四五六七八"),
     ("楼道灯坏了好几天了我住三号楼二单元五零二", "跳过", "五零二")],
)
async def test_numbers_in_chinese_numerals_are_not_shown_in_offers(
    chat: BotChat, world: World, need: str, phone_step: str, secret: str
) -> None:
    """A phone typed in Chinese numerals at the phone step is not taken as the phone: it is 「补充到您的诉求里」 and
    then shown in the offer to every member of the wave (product.md: offers show the need and the grid, never the
    resident's phone or exact address); the same for a room number in Chinese numerals in the need
    (redact() hides only digits)."""
    member = world.member("王师傅", ["电工"])
    await chat.intake_to_address(RESIDENT, need)
    if (chat.intake_draft(RESIDENT) or {}).get("step") == "address":
        await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, phone_step)
    if chat.count(Ticket) == 0:
        await chat.say(RESIDENT, "跳过")
    offers = [r.text for r in chat.replies(member) if "新工单" in r.text]
    assert offers, chat.replies(member)
    assert not any(secret in o for o in offers), offers


@pytest.mark.parametrize("phone", ["138 1234 5678", "138-1234-5678"])
async def test_offer_never_shows_the_residents_phone_written_with_spaces_or_dashes(
    chat: BotChat, world: World, phone: str
) -> None:
    """Offers go to several members before anyone accepts (product.md: they never show the resident's phone), also
    when the number is written in groups, as people write it."""
    member = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, f"楼道灯坏了好几天了，晚上很黑，有事打我电话{phone}")
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    assert "5678" not in offer.text, offer.text


async def test_offer_never_shows_an_exact_address_in_building_unit_room_notation(
    chat: BotChat, world: World
) -> None:
    """楼-单元-室 written as 3-2-502 is the usual short form of an exact address; offers must not show it."""
    member = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, "幸福里小区3-2-502门口的楼道灯坏了好几天了，晚上很黑")
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    assert "502" not in offer.text.split("诉求")[1], offer.text  # (the ticket's number may hold 502)


# --- the same need again ---
async def test_the_same_need_told_again_mid_intake_is_not_promised_as_another(chat: BotChat) -> None:
    """At the address step the resident sends /start (the welcome says 「直接用一句话告诉我就行」) and tells the same
    need again. The bot answers 「「楼道灯坏了」这件事我先记下了，等这一件登记好就接着为您办」, but a need with the same
    item is deliberately not kept: after the address and 跳过 nothing follows. The resident waits for a second
    registration that never comes."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "/start")
    promised = "接着为您办" in texts_of(await chat.say(RESIDENT, "楼道灯坏了"))
    await chat.say(RESIDENT, ADDRESS)
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    assert not promised or texts.NEXT_NEED in after, after


@pytest.mark.parametrize("words", ["算了", "不要了", "取消", "好的"])
async def test_answering_the_same_need_question_in_words_is_not_met_with_the_introduction(
    chat: BotChat, words: str
) -> None:
    """The resident's lamp ticket is open; they tell 「楼道灯坏了」 again and read 「您…反映过同样的问题…不用重复登记，有进展
    会第一时间通知您。如果这是另一件事，请点「仍要新建」。」 They answer 「算了」 / 「不要了」 / 「好的」 (fine, no new one).
    The bot replies with its self-introduction 「…请直接说说您遇到的问题。」 — as if they had said nothing of a need — and
    the duplicate draft stays (the router's typed answers cover only step "confirm", address and phone; at step
    "duplicate" the words go to new_request). Expected: a short acknowledgement that the earlier ticket goes on."""
    await chat.submit(RESIDENT, NEED)
    shown_dup = texts_of(await chat.say(RESIDENT, "楼道灯坏了"))
    assert "仍要新建" in shown_dup, shown_dup
    shown = texts_of(await chat.say(RESIDENT, words))
    assert INTRO not in shown, shown


# --- asking after their ticket ---
@pytest.mark.parametrize("stage", ["waiting", "accepted"])
async def test_asking_whether_anyone_handles_it_shows_the_ticket(chat: BotChat, world: World, stage: str) -> None:
    """The resident's lamp ticket is open (waiting, or taken by 王师傅). Days later they ask 「有人管吗」 — the way older
    residents ask after their request. 「我的事怎么样了」 shows 「我的工单 #… 照明楼道 · 待接单」, but 「有人管吗」 gets
    the self-introduction 「…请直接说说您遇到的问题」: the resident is told nothing of their ticket. (The classifier
    reads it as kind "other", so resident._answer_talk sends NON_REQUEST["other"].) Expected: their tickets and where
    each stands, as for any status question."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    if stage == "accepted":
        with db.transaction(chat.engine) as s:
            dispatch.accept_offer(s, ticket_id, member, datetime.now(UTC))
    await chat.deliver()
    number = chat.ticket(ticket_id).number
    shown = texts_of(await chat.say(RESIDENT, "有人管吗"))
    assert number in shown, shown


# --- the community ---
async def test_a_resident_who_chose_the_wrong_community_can_choose_again(chat: BotChat) -> None:
    """Telegram's command menu says 「/start 开始 / 选择社区」, but /start offers the communities only to someone without
    a grid; 选错社区了 gets the generic introduction, /help names no way either. A resident who tapped the wrong
    community has every request routed to the wrong grid's members and coordinators for good."""
    shown = await chat.say(RESIDENT, "/start")
    buttons = [b for r in shown if r.message for row in r.message.inline_keyboard for b in row]
    assert any(b["callback_data"].startswith("geo:") or "社区" in b["text"] for b in buttons), [r.text for r in shown]


@pytest.mark.parametrize("words", ["算了", "取消", "不要了"])
async def test_giving_up_before_choosing_the_community_is_understood(chat: BotChat, words: str) -> None:
    """A newcomer tells 「楼道灯坏了好几天了」 and is shown the community buttons. They change their mind: 「算了」 /
    「取消」 / 「不要了」. The bot answers 「您说的事我已经记下了。请点下面的按钮选择社区和网格，选好就接着为您登记。」 with
    the buttons again: the opposite of what was asked, and the need stays waiting (the router's AREA_WORDS rule in
    bot/handlers/router.py _target checks typed_answer only at step "confirm"). Under 「对吗？」 and at the address
    step the same words cancel (「好的，这件事先不登记了」). Expected: the request is given up here too."""
    await chat.say(NEWCOMER, NEED)
    shown = texts_of(await chat.say(NEWCOMER, words))
    assert "已经记下" not in shown, shown
    assert chat.intake_draft(NEWCOMER) is None, (shown, chat.intake_draft(NEWCOMER))


# --- the rating ---
@pytest.mark.parametrize("words", ["五星", "5分", "5", "很满意", "不满意 灯还是不亮"])
async def test_a_typed_rating_is_recorded_or_pointed_to_the_buttons(
    chat: BotChat, world: World, words: str
) -> None:
    """Under 「请为这次服务打个分」 the resident types 五星 / 很满意 and is told 「不客气！能帮上忙我们很高兴」 (or the
    generic introduction for 5分 / 5 / 不满意 灯还是不亮): nothing is recorded, the resident thinks they rated (or
    complained), the 满意率 and the member's points never see it, and 「灯还是不亮」 does not reopen anything."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    now = datetime.now(UTC)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, member, now)
        tickets.resolve_ticket(s, ticket_id, member, now)
    await chat.deliver()
    assert any("打个分" in r.text for r in chat.replies(RESIDENT))
    shown = texts_of(await chat.say(RESIDENT, words))
    ticket = chat.ticket(ticket_id)
    assert ticket.rating is not None or "打分" in shown or "⭐" in shown or "星" in shown, (shown, ticket.status)


async def test_yesterdays_rating_buttons_after_rating_from_the_reminder_say_it_is_rated(
    chat: BotChat, world: World
) -> None:
    """The lamp was fixed yesterday; the resident did not rate. Today the 回访 reminder comes and they press ⭐⭐⭐⭐⭐ on
    it. Scrolling up, they see yesterday's 「请为这次服务打个分」 with its buttons still there and press 4 too. The bot
    answers 「工单 #… 当前状态为「已关闭」，办结后才能评价」 — "it can be rated only once done" — about a ticket that is done
    and rated: the resident thinks their rating was lost. (resident.rating_button calls tickets.rate_ticket, whose
    refusal for a closed ticket is shown as it is.) Expected: a short 「这张工单您已经评过分了」-like answer."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    yesterday = datetime.now(UTC) - timedelta(days=1, hours=1)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, member, yesterday)
    with db.transaction(chat.engine) as s:
        tickets.resolve_ticket(s, ticket_id, member, yesterday)
    await chat.deliver()
    first = next(r for r in chat.replies(RESIDENT) if "打个分" in r.text)
    first_four = first.button("4")
    with db.transaction(chat.engine) as s:
        assert tickets.remind_unrated(s, datetime.now(UTC), settings=world.settings) == 1
    await chat.deliver()
    reminder = [r for r in chat.replies(RESIDENT) if r.message is not None and r.message.inline_keyboard][-1]
    assert reminder.message.message_id != first.message.message_id
    await chat.press(RESIDENT, reminder.button("5"), reminder.message)
    shown = texts_of(await chat.press(RESIDENT, first_four, first.message))
    assert chat.ticket(ticket_id).rating == 5
    assert "办结后才能评价" not in shown, shown


# --- a need told in pieces, before any card ---
@pytest.mark.parametrize("pieces", [["我老伴", "在厕所", "摔了", "起不来了"], ["我老伴摔了", "起不来了"]])
async def test_an_emergency_told_in_pieces_is_read_together(chat: BotChat, pieces: list[str]) -> None:
    """Each piece got the self-introduction 「我是社区服务助手…请直接说说您遇到的问题」; 「我老伴摔了起不来了」 in one message is
    a medical emergency, in pieces no 120, no ticket. Read together, it is; the greeting is said once."""
    shown = ""
    for piece in pieces:
        shown += texts_of(await chat.say(RESIDENT, piece)) + "\n"
    assert "120" in shown and chat.ticket(1).urgent, shown
    assert shown.count("我是社区服务助手") <= 1, shown


async def test_a_gas_leak_told_in_two_pieces_is_one(chat: BotChat) -> None:
    """「煤气」 (an unsure card: 燃气泄漏 / 燃气具维修 …), then 「味道好大」: a new unsure card replaced it — no 119."""
    await chat.say(RESIDENT, "煤气")
    shown = texts_of(await chat.say(RESIDENT, "味道好大"))
    assert "119" in shown and chat.ticket(1).label == "safety.gas_leak", shown


async def test_words_long_apart_are_not_read_together(chat: BotChat) -> None:
    """Pieces are read together only while they follow each other (PIECES_WINDOW)."""
    from bot.handlers import resident

    await chat.say(RESIDENT, "我老伴")
    with db.transaction(chat.engine) as s:
        kept = drafts.get_draft(s, RESIDENT, resident.PIECES)
        kept["at"] = (datetime.fromisoformat(kept["at"]) - resident.PIECES_WINDOW - timedelta(minutes=1)).isoformat()
        drafts.save_draft(s, RESIDENT, resident.PIECES, kept, datetime.now(UTC))
    shown = texts_of(await chat.say(RESIDENT, "在厕所"))
    assert "我在听" not in shown, shown


async def test_pieces_before_a_need_that_makes_an_emergency_with_them(chat: BotChat) -> None:
    """「我老伴」, then 「没气了」 (alone: 物业设施 · 水电气暖, a confident card): together a medical emergency."""
    await chat.say(RESIDENT, "我老伴")
    shown = texts_of(await chat.say(RESIDENT, "没气了"))
    assert "120" in shown and chat.ticket(1).urgent and "我老伴" in chat.ticket(1).text, shown


@pytest.mark.parametrize("words", ["嗯", "你是机器人吗"])
async def test_a_question_or_an_acknowledgement_is_no_piece(chat: BotChat, words: str) -> None:
    await chat.say(RESIDENT, "今天天气不错")
    assert "我在听" not in texts_of(await chat.say(RESIDENT, words))
