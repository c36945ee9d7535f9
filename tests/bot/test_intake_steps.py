"""The address and phone steps of an intake: what a resident types there that is not an address or a
number is answered, or kept with the request, never taken for what it is not and never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot import texts
from bot.handlers import resident, router
from routing import db, drafts
from routing.models import Draft, Ticket
from tests.bot.chat_harness import BotChat, Reply, chinese

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
PHOTO = [{"file_id": "p-s", "file_unique_id": "ps", "width": 90, "height": 90},
         {"file_id": "p-l", "file_unique_id": "pl", "width": 1280, "height": 960}]
STICKER = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512,
           "is_animated": False, "is_video": False, "emoji": "😀"}


def _intake(chat: BotChat) -> dict | None:
    with db.transaction(chat.engine) as s:
        return drafts.get_draft(s, RESIDENT, resident.INTAKE)


def _texts(replies: list[Reply]) -> str:
    assert replies and all(chinese(r.text) for r in replies), [r.text for r in replies]
    return "\n".join(r.text for r in replies)


async def _to_phone_step(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    assert _intake(chat)["step"] == "phone"


# ── the address step ──────────────────────────────────────────────────────────────────────────────
async def test_a_question_after_an_earlier_ticket_is_answered_not_taken_for_the_address(chat: BotChat) -> None:
    earlier = await chat.submit(RESIDENT, "小区门口的垃圾好几天没人清理了")
    await chat.intake_to_address(RESIDENT, NEED)

    shown = _texts(await chat.say(RESIDENT, "人呢？说好的9点"))
    assert f"#{chat.ticket(earlier).number}" in shown, "the resident's tickets, as /my shows them"
    assert texts.STILL_NEEDS_ADDRESS in shown and "3 号楼 2 单元 502" in shown  # the last address offered
    assert _intake(chat)["step"] == "address" and not _intake(chat).get("address")

    await chat.say(RESIDENT, "和平路 12 号 1 单元 301")
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(earlier + 1).address == "和平路 12 号 1 单元 301"
    assert not chat.unexpected_errors()


@pytest.mark.parametrize("aside", ["谢谢你们了", "您好您好"])
async def test_thanks_or_a_greeting_at_the_address_step_asks_again(chat: BotChat, aside: str) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    shown = _texts(await chat.say(RESIDENT, aside))
    assert texts.STILL_NEEDS_ADDRESS in shown
    assert _intake(chat)["step"] == "address" and chat.count(Ticket) == 0


@pytest.mark.parametrize("address", ["和平小区", "人民路菜市场对面", "红星村三组", "老干部活动中心楼下"])
async def test_addresses_without_numbers_are_still_addresses(chat: BotChat, address: str) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    assert texts.ASK_PHONE in _texts(await chat.say(RESIDENT, address))
    assert _intake(chat)["address"] == address


async def test_a_too_short_address_is_asked_again(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    assert texts.ADDRESS_TOO_SHORT in _texts(await chat.say(RESIDENT, "3楼"))
    assert _intake(chat)["step"] == "address"


# ── the phone step ────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("typed", "stored"), [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "+8613812345678"),
    ("0379-61234567", "037961234567"),
    ("座机 6123456", "6123456"),
    ("我的电话是13812345678", "13812345678"),
])
async def test_a_typed_number_is_taken(chat: BotChat, typed: str, stored: str) -> None:
    await _to_phone_step(chat)
    assert "已为您登记工单" in _texts(await chat.say(RESIDENT, typed))
    ticket = chat.ticket(1)
    assert ticket.phone == stored and ticket.text == NEED, "the number's label is not added to the request"


@pytest.mark.parametrize("skip", ["跳过", "不用了", "不方便", "没有手机", "不用了，谢谢你们"])
async def test_no_number_submits_without_one(chat: BotChat, skip: str) -> None:
    await _to_phone_step(chat)
    assert "已为您登记工单" in _texts(await chat.say(RESIDENT, skip))
    ticket = chat.ticket(1)
    assert ticket.phone is None and ticket.text == NEED


async def test_words_at_the_phone_step_are_kept_with_the_request(chat: BotChat) -> None:
    await _to_phone_step(chat)
    words = "下午三点以后家里才有人，<b>敲门</b>大声点"
    shown = _texts(await chat.say(RESIDENT, words))
    assert "补充到您的诉求里" in shown and words in shown, "the words come back as written (escaped)"
    assert chat.count(Ticket) == 0 and _intake(chat)["step"] == "phone"
    await chat.redeliver(chat.updates[-1], RESIDENT)  # Telegram re-sends it: added once

    await chat.say(RESIDENT, "13812345678 老人耳背多敲几下")
    ticket = chat.ticket(1)
    assert ticket.text == f"{NEED}\n（补充）{words}\n（补充）老人耳背多敲几下"
    assert ticket.phone == "13812345678" and not chat.unexpected_errors()


async def test_declining_with_a_reason_keeps_the_reason(chat: BotChat) -> None:
    await _to_phone_step(chat)
    await chat.say(RESIDENT, "不要打电话，下午三点以后直接来敲门")
    ticket = chat.ticket(1)
    assert ticket.phone is None and ticket.text == f"{NEED}\n（补充）不要打电话，下午三点以后直接来敲门"


async def test_an_incomplete_number_is_asked_again(chat: BotChat) -> None:
    await _to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, "138123456"))
    assert texts.PHONE_INCOMPLETE in shown and chat.count(Ticket) == 0
    await chat.say(RESIDENT, "13812345678")
    assert chat.ticket(1).phone == "13812345678"


@pytest.mark.parametrize("aside", ["谢谢", "好的", "嗯嗯"])
async def test_short_words_at_the_phone_step_ask_again(chat: BotChat, aside: str) -> None:
    await _to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, aside))
    assert texts.PHONE_HOW in shown and chat.count(Ticket) == 0
    assert _intake(chat)["text"] == NEED, "nothing worth keeping was added"


async def test_a_status_query_at_the_phone_step_is_answered(chat: BotChat) -> None:
    await _to_phone_step(chat)
    shown = _texts(await chat.say(RESIDENT, "我之前报的那个单子有人接了吗"))
    assert "工单" in shown and texts.PHONE_HOW in shown
    assert chat.count(Ticket) == 0 and _intake(chat)["text"] == NEED


async def test_an_intake_left_overnight_takes_no_later_need_as_its_address(chat: BotChat) -> None:
    """A resident who stopped at the address step and comes back the next day with another need starts that need;
    within STEP_IDLE the same words would have been the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    with db.transaction(chat.engine) as s:
        s.exec(update(Draft).values(updated_at=datetime.now(UTC) - router.STEP_IDLE - timedelta(minutes=1)))
    shown = _texts(await chat.say(RESIDENT, "我家厨房下水道堵了，水下不去"))
    assert "我理解您反映的是" in shown and "下水道" in shown, shown
    assert _intake(chat)["text"] == "我家厨房下水道堵了，水下不去"


# ── what a resident sends at the address and phone steps that is not the answer ─────────────────
async def test_a_date_in_the_need_is_not_taken_for_the_address(chat: BotChat) -> None:
    """"从10号就坏了" (since the 10th) is a date, not a house number: the bot must still ask where to go."""
    mark = len(chat.events)
    await chat.intake_to_address(RESIDENT, "路灯从10号就坏了，到现在还没修")
    shown = [r.text for r in chat.replies(RESIDENT, mark)]
    assert any("上门的地址" in t for t in shown), shown
    assert _intake(chat)["step"] == "address", _intake(chat)


async def test_a_second_need_typed_at_the_address_step_is_not_stored_as_the_address(chat: BotChat) -> None:
    """A resident asked for the address writes another problem instead: it must not become the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "我家水管也漏水了，厨房全是水")
    state = _intake(chat)
    assert state is not None and state.get("address") != "我家水管也漏水了，厨房全是水", state


async def test_a_sticker_at_the_address_step_asks_for_the_address_not_the_problem(chat: BotChat) -> None:
    """At the address step a sticker/voice gets "请用文字描述一下您的问题"; the resident who then describes the
    problem again has that description saved as the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = [r.text for r in await chat.say(RESIDENT, None, sticker=STICKER)]
    await chat.say(RESIDENT, NEED)  # doing what the bot just asked
    assert _intake(chat)["address"] != NEED, (shown, _intake(chat))


async def test_a_photo_at_the_address_step_is_not_answered_with_describe_your_problem(chat: BotChat) -> None:
    """A photo without words at the address step: the bot says "没有收到文字内容，请用一句话描述您遇到的问题",
    drops the photo, and the description that follows becomes the address."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = [r.text for r in await chat.say(RESIDENT, None, photo=PHOTO)]
    assert not any("描述您遇到的问题" in t for t in shown), shown
    assert _intake(chat)["step"] == "address"


async def test_a_photo_with_a_caption_at_the_phone_step_keeps_the_photo(chat: BotChat) -> None:
    """The bot says it added the caption to the request, but the photo itself is silently dropped: the
    member never sees it."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = [r.text for r in await chat.say(RESIDENT, None, photo=PHOTO, caption="就是这个灯，灯罩也掉了")]
    assert any("补充到您的诉求里" in t for t in shown), shown
    await chat.say(RESIDENT, "跳过")
    ticket = chat.ticket(1)
    assert ticket.attachments, (ticket.text, ticket.attachments)


@pytest.mark.parametrize("words", ["不知道", "记不住号码"])
async def test_not_knowing_the_number_is_not_added_to_the_request(chat: BotChat, words: str) -> None:
    """An elderly resident asked for a phone says 不知道: it is appended to the need as "（补充）不知道"."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    shown = [r.text for r in await chat.say(RESIDENT, words)]
    state = _intake(chat)
    text = state["text"] if state else chat.ticket(1).text
    assert text == NEED, (shown, text)


async def test_another_need_told_at_the_address_step_is_taken_up_after_the_first(chat: BotChat) -> None:
    """The second need is kept with the first intake and started once the first is submitted: neither is lost."""
    await chat.intake_to_address(RESIDENT, NEED)
    kept = [r.text for r in await chat.say(RESIDENT, "我家水管也漏水了，厨房全是水")]
    assert any("先记下了" in t for t in kept), kept
    await chat.say(RESIDENT, ADDRESS)
    after = [r.text for r in await chat.say(RESIDENT, "跳过")]
    assert chat.ticket(1).address == ADDRESS and "楼道灯" in chat.ticket(1).text
    assert any(texts.NEXT_NEED in t for t in after), after
    assert any("我理解您反映的是" in t and "水管" in t for t in after), after
    assert _intake(chat)["text"] == "我家水管也漏水了，厨房全是水"
