"""What a frightened resident meets (found by a review; each test failed on the code before): an urgent need is a
ticket at once, its coordinators alerted before any question; someone in crisis is asked gently, never the form; what
they add about the emergency (已经打了119, 消防车到了) goes to that ticket, not a second one or the address; an
emergency typed in the middle of another need goes first and the other follows; a cry for help gets a hotline."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot import texts
from bot.handlers import resident
from routing import db, drafts
from routing.models import Notification, NotificationKind, Ticket
from tests.bot.chat_harness import BotChat, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
ADDRESS = "幸福里小区 3 号楼 2 单元 502"


def _urgent_alerts(chat: BotChat) -> int:
    with db.transaction(chat.engine) as s:
        return len(s.exec(select(Notification).where(Notification.kind == NotificationKind.urgent_alert)).all())


def _intake(chat: BotChat) -> dict | None:
    with db.transaction(chat.engine) as s:
        return drafts.get_draft(s, RESIDENT, resident.INTAKE)


# ── an urgent need is a ticket at once ─────────────────────────────────────────────────────────────
@pytest.mark.parametrize("text", ["厨房一股煤气味，很大", "我妈摔倒了叫不醒"])
async def test_an_urgent_report_alerts_the_coordinators_before_any_question(chat: BotChat, text: str) -> None:
    """The resident, frightened, answers nothing after the advice: the ticket and the coordinators' alert exist."""
    shown = texts_of(await chat.say(RESIDENT, text))
    assert "119" in shown or "120" in shown
    assert "已为您登记紧急工单" in shown and "确认" not in shown
    assert chat.count(Ticket) == 1 and _urgent_alerts(chat) >= 1


async def test_the_crisis_line_promise_of_notified_staff_is_kept(chat: BotChat) -> None:
    shown = texts_of(await chat.say(RESIDENT, "我不想活了"))
    assert "12356" in shown and "已经告诉社区的工作人员" in shown  # (said once the ticket exists, not before)
    assert _urgent_alerts(chat) >= 1


async def test_someone_in_crisis_is_asked_gently_and_may_decline(chat: BotChat) -> None:
    shown = texts_of(await chat.say(RESIDENT, "我不想活了"))
    assert "请告诉我需要上门的地址" not in shown and "不想说也没关系" in shown and "确认" not in shown
    await chat.say(RESIDENT, "不想说")
    await chat.say(RESIDENT, "跳过")
    assert _intake(chat) is None and chat.count(Ticket) == 1


async def test_where_and_a_phone_given_later_reach_the_coordinators(chat: BotChat) -> None:
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "13812345678"))
    assert "已补充到您的紧急工单" in shown
    ticket = chat.ticket(1)
    assert (ticket.address, ticket.phone) == (ADDRESS, "13812345678")
    with db.transaction(chat.engine) as s:
        added = s.exec(select(Notification).where(Notification.kind == NotificationKind.contact_added)).all()
    assert added, "the coordinators are told what was added"


# ── what the resident adds about the emergency ────────────────────────────────────────────────────
async def test_already_called_119_is_added_to_the_emergency_not_a_second_need(chat: BotChat) -> None:
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    shown = texts_of(await chat.say(RESIDENT, "已经打了119"))
    assert "已补充到您的紧急工单" in shown or "补充到您的紧急工单" in shown, shown
    await chat.say(RESIDENT, ADDRESS)
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    assert texts.NEXT_NEED not in after and _intake(chat) is None and chat.count(Ticket) == 1
    assert "已经打了119" in chat.ticket(1).text and chat.ticket(1).address == ADDRESS


async def test_the_fire_brigade_arrived_is_not_taken_for_the_address(chat: BotChat) -> None:
    await chat.say(RESIDENT, "家里着火了")
    await chat.say(RESIDENT, "已经打过119了，消防车到了")
    state = _intake(chat)
    assert state is not None and not state.get("address") and not chat.ticket(1).address, state


async def test_already_called_120_keeps_what_happened(chat: BotChat) -> None:
    await chat.say(RESIDENT, "我妈摔倒了叫不醒")
    await chat.say(RESIDENT, "已经打了120")
    assert chat.count(Ticket) == 1
    assert "我妈摔倒了叫不醒" in chat.ticket(1).text and "已经打了120" in chat.ticket(1).text


async def test_an_emergency_at_another_needs_address_step_goes_first_and_the_other_follows(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    first = texts_of(await chat.say(RESIDENT, "厨房一股煤气味，很大"))
    assert "119" in first and "已为您登记紧急工单" in first
    await chat.say(RESIDENT, ADDRESS)
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    assert texts.NEXT_NEED in after and "楼道灯" in after, after
    assert _intake(chat)["text"] == "楼道灯坏了好几天了，晚上很黑"


# ── a cry for help; a question after an emergency ─────────────────────────────────────────────────
@pytest.mark.parametrize("text", ["救命啊", "有人吗 救命", "快来人啊"])
async def test_a_cry_for_help_gets_a_hotline(chat: BotChat, text: str) -> None:
    shown = texts_of(await chat.say(RESIDENT, text))
    assert "110" in shown or "120" in shown, shown


async def test_a_question_after_an_emergency_lists_its_ticket(chat: BotChat) -> None:
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    shown = texts_of(await chat.say(RESIDENT, "人呢？说好的人呢"))
    assert "您还没有工单" not in shown, shown
