"""An older resident on a phone, end to end through the resident flows, found by a review (each test failed before):
what older users type instead of pressing buttons (对, 五星, 算了), addresses and numbers told their way (in pieces,
in Chinese numerals, a shared place), the same need again, a wrong community. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import texts
from bot.handlers import resident
from routing import db, dispatch, drafts, tickets
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了"
ADDRESS = "幸福里小区3号楼2单元502"


def _intake(chat: BotChat) -> dict | None:
    with db.transaction(chat.engine) as s:
        return drafts.get_draft(s, RESIDENT, resident.INTAKE)


# ── 1. 「对吗？」 answered in words ────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["对", "是的", "好", "确认", "對"])
async def test_typing_yes_to_is_this_right_goes_on_to_the_address(chat: BotChat, words: str) -> None:
    """The card asks 「对吗？」; an older resident answers 对 / 是的 / 好 instead of pressing 确认. The bot answers
    with its generic self-introduction (「请直接说说您遇到的问题」) and the request stays unconfirmed: the resident
    believes it is filed, or types the whole need again."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.NON_REQUEST["other"] not in shown, shown
    assert (_intake(chat) or {}).get("step") == "address", (shown, _intake(chat))


@pytest.mark.parametrize("words", ["不对", "不是", "取消"])
async def test_typing_no_to_is_this_right_is_understood(chat: BotChat, words: str) -> None:
    """不对 / 不是 / 取消 typed under 「对吗？…不对请点「修改」」 get the generic self-introduction: neither the
    categories to change it nor a cancellation."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.NON_REQUEST["other"] not in shown, shown
    assert _intake(chat) is None or texts.CHOOSE_CATEGORY in shown or "修改" in shown, shown


# ── 2. the stars typed in words ───────────────────────────────────────────────────────────────────────
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


# ── 3. the address in pieces, in words, and giving up ────────────────────────────────────────────────
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
    assert (_intake(chat) or {}).get("step") == "phone", _intake(chat)


@pytest.mark.parametrize("words", ["那算了吧", "算了 不报了", "不要了不要了", "算了不修了", "不用了已经好了"])
async def test_giving_up_at_the_address_step_is_not_taken_for_an_address(chat: BotChat, words: str) -> None:
    """Asked for the address, the resident gives up in words. 那算了吧 / 算了 不报了 / 不要了不要了 / 算了不修了 are
    saved as the ticket's address and the bot asks for a phone (one 跳过 away from a ticket at 「那算了吧」);
    不用了已经好了 gets 「不客气！能帮上忙我们很高兴」 and the address demanded again, with no word of how to stop."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = _intake(chat)
    assert state is None or state.get("address") != words, (shown, state)
    assert state is None or "取消" in shown or "/cancel" in shown, (shown, state)


async def test_never_mind_at_the_address_step_does_not_open_a_crisis_ticket(chat: BotChat) -> None:
    """算了不要了 (never mind, I don't want it) typed at the address step is read as a sign of self-harm: an urgent
    心理疏导 ticket is opened in the resident's name, coordinators alerted, and the resident told 12356 and
    「您不是一个人」 — the lighting request they were filing waits behind it."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "算了不要了"))
    assert "12356" not in shown and chat.count(Ticket) == 0, shown


# ── 4. numbers in Chinese numerals shown to every member offered the ticket ─────────────────────────────
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
    if (_intake(chat) or {}).get("step") == "address":
        await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, phone_step)
    if chat.count(Ticket) == 0:
        await chat.say(RESIDENT, "跳过")
    offers = [r.text for r in chat.replies(member) if "新工单" in r.text]
    assert offers, chat.replies(member)
    assert not any(secret in o for o in offers), offers


# ── 5. /start in the middle, the same need again ──────────────────────────────────────────────────────
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


# ── 6. the wrong community ───────────────────────────────────────────────────────────────────────────
async def test_a_resident_who_chose_the_wrong_community_can_choose_again(chat: BotChat) -> None:
    """Telegram's command menu says 「/start 开始 / 选择社区」, but /start offers the communities only to someone without
    a grid; 选错社区了 gets the generic introduction, /help names no way either. A resident who tapped the wrong
    community has every request routed to the wrong grid's members and coordinators for good."""
    shown = await chat.say(RESIDENT, "/start")
    buttons = [b for r in shown if r.message for row in r.message.inline_keyboard for b in row]
    assert any(b["callback_data"].startswith("geo:") or "社区" in b["text"] for b in buttons), [r.text for r in shown]


# ── 7. a shared location at the address step ─────────────────────────────────────────────────────────
async def test_a_place_shared_at_the_address_step_is_kept(chat: BotChat) -> None:
    """product.md: residents write 'sometimes with … a photo or a location'. Asked for the address, the resident
    shares a place (Telegram's location/venue, 和平路 1 号): 「抱歉，我暂时只能看懂文字和照片」 and it is dropped.
    (tests/bot/test_hostile_input.py's media:venue:at-address-step asserts this drop as 'nothing saved'.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    venue = {"location": {"latitude": 31.23, "longitude": 121.47}, "title": "居委会", "address": "和平路 1 号"}
    shown = texts_of(await chat.say(RESIDENT, None, venue=venue))
    state = _intake(chat) or {}
    assert state.get("address") or state.get("step") == "phone", (shown, state)
