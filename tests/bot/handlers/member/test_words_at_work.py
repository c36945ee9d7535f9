"""A member's words about his work that the self-harm model alone reads as a sign (the forty-sixth session's review of
coordinators and members at the offline console): 配件没了明天买了再来 from 王师傅 with the ticket in hand opened a 🚨
心理疏导 ticket in his name — 李主任 alerted, 陈医生 offered it, yellow and red cards after —, and his next words went
on it. With a ticket in hand or an offer waiting, such words are about the work; the crisis line is said beside them.
And a refusal typed with its reason under an offer."""

from __future__ import annotations

import pytest

from bot import texts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, card_with, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "厨房水管漏水了"


async def _started(chat: BotChat, world: World) -> int:
    """RESIDENT's pipe ticket, accepted and started by 王师傅: his id."""
    member = world.member("王师傅", ["水暖", "维修"])
    await chat.submit(RESIDENT, NEED)
    offer = card_with(chat.replies(member), "接单")
    await chat.press(member, offer.button("接单"), offer.message)
    task = card_with(chat.replies(member), "开始")
    await chat.press(member, task.button("开始"), task.message)
    return member


async def test_parts_run_out_with_the_ticket_in_hand_is_about_the_visit(chat: BotChat, world: World) -> None:
    member = await _started(chat, world)
    shown = texts_of(await chat.say(member, "配件没了明天买了再来"))
    assert "转告居民" in shown and "12356" in shown and "紧急" not in shown, shown
    assert chat.count(Ticket) == 1


@pytest.mark.parametrize("words", ["这两天腰疼去不了", "我腿疼，去不了"])
async def test_unable_to_go_with_an_offer_waiting_opens_no_crisis_ticket(chat: BotChat, world: World, words: str) -> None:
    member = world.member("王师傅", ["水暖", "维修"])
    await chat.submit(RESIDENT, NEED)
    card_with(chat.replies(member), "不方便")
    shown = texts_of(await chat.say(member, words))
    assert "不方便" in shown and "12356" in shown and chat.count(Ticket) == 1, shown


async def test_a_sign_in_so_many_words_from_a_member_at_work_is_still_a_crisis(chat: BotChat, world: World) -> None:
    """我不想活了 (a pattern of a sign, not the model alone) with a ticket in hand: a crisis ticket, as from anyone."""
    member = await _started(chat, world)
    shown = texts_of(await chat.say(member, "我不想活了 这单也修不了了"))
    assert "12356" in shown and chat.count(Ticket) == 2, shown


async def test_a_refusal_with_its_reason_typed_under_an_offer_points_to_its_button(chat: BotChat, world: World) -> None:
    """不方便，今天在医院陪老伴 under an offer got the introduction with 「登记为诉求」 (being in hospital with his wife was
    no reason the rules knew): the offer waited on, nobody told."""
    member = world.member("王师傅", ["水暖", "维修"])
    await chat.submit(RESIDENT, NEED)
    card_with(chat.replies(member), "不方便")
    shown = texts_of(await chat.say(member, "不方便，今天在医院陪老伴"))
    assert texts.PRESS_DECLINE in shown, shown


@pytest.mark.parametrize("words", ["换了水龙头的阀门", "水管接头松了，拧紧了"])
async def test_his_work_told_in_words_of_the_tickets_item_is_no_new_request(
        chat: BotChat, world: World, words: str) -> None:
    """换了水龙头的阀门 from 王师傅 with the pipe ticket started got 「我理解您反映的是：家居维修 · 水管疏通…对吗？[✅ 确认]」:
    one press, a second ticket of the same leak offered around, his note never reaching the resident."""
    member = await _started(chat, world)
    shown = texts_of(await chat.say(member, words))
    assert "转告居民" in shown and "对吗" not in shown, shown
    assert chat.intake_draft(member) is None and chat.count(Ticket) == 1


@pytest.mark.parametrize("words", ["居民说药都买好了", "不想修了 反正也活不久了", "这两天去不了 想一个人待着"])
async def test_signs_beside_his_work_or_passed_on_from_a_resident_are_still_a_crisis(
        chat: BotChat, world: World, words: str) -> None:
    """A third review: these were taken for his work (「这句话是说您手上的工单吗？」, 转告居民) — a resident's signs passed
    on, or his own, never reached anyone as a crisis."""
    member = await _started(chat, world)
    shown = texts_of(await chat.say(member, words))
    assert "12356" in shown and "转告居民" not in shown and chat.count(Ticket) == 2, shown


@pytest.mark.parametrize("words", ["5号楼楼道灯也坏了 帮忙报一下", "居民家门开了 里面没动静"])
async def test_his_own_report_with_a_ticket_in_hand_is_not_taken_for_his_work(
        chat: BotChat, world: World, words: str) -> None:
    member = await _started(chat, world)
    shown = texts_of(await chat.say(member, words))
    assert "转告居民" not in shown and ("对吗" in shown or "最接近" in shown), shown  # (a need's card, as anyone's)


async def test_taking_typed_with_tickets_in_hand_and_no_offer_is_not_told_he_has_none(
        chat: BotChat, world: World) -> None:
    """接单 typed by 王师傅 holding a ticket, no offer waiting: 「您还没有工单」 (a resident's answer, and false)."""
    member = await _started(chat, world)
    shown = texts_of(await chat.say(member, "接单"))
    assert texts.NO_OFFER_WAITING in shown and "您还没有工单" not in shown, shown


@pytest.mark.parametrize("words", ["修好了吗", "到底修好了没"])
async def test_a_status_question_from_a_member_with_work_points_to_his_tasks(
    chat: BotChat, world: World, words: str
) -> None:
    """「修好了吗」 from 王师傅 with a lamp in hand got 「您还没有工单」 — false to him. As /my says: he has no ticket as a
    resident, and his work is under /tasks."""
    member = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    await chat.take_and_start(member)
    told = texts_of(await chat.say(member, words))
    assert "您还没有工单" not in told and "/tasks" in told, told
