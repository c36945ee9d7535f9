"""接单 in the chat: a member going off duty with an offer in hand, and the coordinator's 指派 list after a member said
不方便. Found by a review of matching in the thirty-sixth session (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db
from routing.models import Member, Offer, OfferState
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"  # an electrician's job (电工)


def _buttons(reply) -> list[str]:
    return [b["text"] for row in reply.message.inline_keyboard for b in row] if reply.message else []


def _pending_for(chat: BotChat, telegram_id: int, ticket_id: int) -> bool:
    with db.transaction(chat.engine) as s:
        return s.exec(select(Offer).join(Member, Member.id == Offer.member_id).where(
            Offer.ticket_id == ticket_id, Member.telegram_id == telegram_id,
            Offer.state == OfferState.pending)).first() is not None


async def test_going_off_duty_with_an_offer_in_hand_does_not_leave_the_ticket_waiting_on_him(
        chat: BotChat, world: World) -> None:
    """王师傅, the grid's only electrician, gets 「有一张新工单等您接单」 and, leaving for the hospital, sends /duty off: 「已切换
    为离岗，暂时不会收到新工单」. The offer stays open in his chat with its 接单 button, and the ticket keeps waiting on him
    (nobody else asked, the coordinators not told) for three wave timeouts — half of a 快办 response limit — though the
    spec offers tickets only to members on duty. Going off duty should withdraw the offer and move the ticket on, as
    being removed or blocking the bot does (`dispatch._off_duty`); `members.set_duty` leaves pending offers alone."""
    wang = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    assert any("新工单" in r.text for r in chat.replies(wang))
    mark = len(chat.events)
    off = texts_of(await chat.say(wang, "/duty off"))
    assert "离岗" in off, off
    assert not _pending_for(chat, wang, ticket_id), "the off-duty member's offer is still open"
    assert any("需要派单" in r.text for r in chat.replies(GRID_COORD, mark)), (
        "the coordinators are not told the ticket needs 派单: it waits on a member off duty",
        chat.ticket(ticket_id).status)


async def test_the_assign_list_does_not_put_first_the_member_who_just_declined(
        chat: BotChat, world: World) -> None:
    """王师傅 (this grid) is offered the stairwell light and presses 「不方便」; nobody else could be asked (李师傅, the
    grid's other electrician, was off duty then, and is back on duty now), so it goes to 派单. The 网格员 presses 指派: the first button is
    王师傅 — the member who said 不方便 to this very ticket minutes ago — ranked as any other and with nothing on his
    button or the card saying he declined it; waves never ask a decliner again (`matching._best_members` for_ticket),
    `dispatch.dispatch_candidates` does not care."""
    wang = world.member("王师傅", ["电工"])
    li = world.member("李师傅", ["电工"])
    with db.transaction(chat.engine) as s:
        s.exec(select(Member).where(Member.telegram_id == li)).one().on_duty = False
    await chat.submit(RESIDENT, NEED)
    offer = next(r for r in chat.replies(wang) if "新工单" in r.text)
    await chat.press(wang, offer.button("不方便"), offer.message)
    await chat.say(li, "/duty on")
    card = next(r for r in reversed(chat.replies(GRID_COORD)) if "指派" in str(_buttons(r)))
    shown = [b for r in await chat.press(GRID_COORD, card.button("指派"), card.message) for b in _buttons(r)]
    assert shown, "no member buttons"
    assert "王师傅" not in shown[0] or "不方便" in shown[0] or "婉拒" in shown[0], shown
