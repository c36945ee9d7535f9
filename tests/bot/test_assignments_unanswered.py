"""Coordinators' 指派 that nobody answers, found by a review of the coordinator side in the thirty-fourth session (each
test failed before): the coordinator who assigned is told, and an assignment times out after a red card too. Each
test's docstring tells the bug as it was found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from classifier import Classifier
from routing import db, dispatch, members, tickets
from routing.alerts import scan_alerts
from routing.models import Notification, NotificationKind, Offer, OfferState, Ticket
from tests.bot.chat_harness import BotChat, bot_chat
from tests.conftest import COORD, G11, GRID_COORD, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"  # an electrician's job (电工)


def _buttons(reply) -> list[str]:
    return [b["text"] for row in reply.message.inline_keyboard for b in row] if reply.message else []


async def _assign_through_bot(chat: BotChat, coordinator: int, name: str) -> None:
    """The coordinator's /dispatch → 指派 → the member's button."""
    card = next(r for r in await chat.say(coordinator, "/dispatch") if "指派" in str(_buttons(r)))
    picker = next(r for r in await chat.press(coordinator, card.button("指派"), card.message)
                  if name in str(_buttons(r)))
    done = await chat.press(coordinator, picker.button(name), picker.message)
    assert any("指派给" in r.text and name in r.text for r in done), [r.text for r in done]


async def test_the_street_coordinator_who_assigned_hears_when_the_member_never_answers(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The street coordinator opens /dispatch, presses 指派 on a ticket of 幸福里第一网格 and chooses 李师傅: 「已把工单 …
    指派给 李师傅，等待对方确认」. 李师傅 never answers; after three wave timeouts the ticket goes back to 派单 — and only
    the 网格员 is told 「指派的 李师傅 不方便：「未回复」」. The street coordinator who made the assignment hears nothing at
    all (had 李师傅 accepted or pressed 不方便, he would have been told: accept_offer / decline_offer tell
    `dispatched_by`; advance_waves does not), and goes on believing 李师傅 has it."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        ticket_id = await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
        world.member("李师傅", ["电工"])
        await _assign_through_bot(chat, COORD, "李师傅")
        number = chat.ticket(ticket_id).number
        mark = len(chat.events)
        with db.transaction(engine) as s:  # (the three wave timeouts have passed: 30 minutes)
            s.exec(update(Ticket).where(Ticket.id == ticket_id)
                   .values(next_wave_at=datetime.now(UTC) - timedelta(seconds=1)))
        with db.transaction(engine) as s:
            assert dispatch.advance_waves(s, datetime.now(UTC)) == 1
        await chat.deliver()
        assert chat.ticket(ticket_id).status == "dispatch"  # (back in 派单: the timeout did fire)
        assert any(number in r.text for r in chat.replies(GRID_COORD, mark))  # (the 网格员 is told)
        told = [r.text for r in chat.replies(COORD, mark)]
        assert any(number in t and "李师傅" in t for t in told), (
            "the street coordinator who assigned the ticket is never told 李师傅 did not answer", told)


def test_an_assignment_made_after_the_yellow_card_still_times_out(world: World) -> None:
    """A 独居探访 request (fast: 60 minutes to respond) waits for 派单. At 48 minutes the 网格员 gets the yellow card
    「还没有党员接单，请尽快派单」 and, at 50 minutes, assigns 李师傅 — who never answers. At 60 minutes the red card
    escalates the ticket (status 已升级), and from then on the assignment never times out: advance_waves only looks at
    tickets still 待接单. Hours later /dispatch still says 「⏳ 已指派给 李师傅，等待对方确认」, nobody is ever told
    「李师傅 未回复」, and 李师傅's offer is still open. (The same assignment made at 20 minutes goes back to 派单 with
    「未回复」 at 50 minutes; for a fast item every assignment made after its yellow card is caught this way.)"""
    with db.transaction(world.engine) as s:
        members.ensure_person(s, RESIDENT, T0, name="居民")
        ticket_id = tickets.submit_ticket(s, RESIDENT, "楼上独居的王奶奶好几天没见出门了，麻烦去看看", T0,
                                          label="elderly.lonely_visit", grid_code=G11, address="幸福里5号楼",
                                          settings=world.settings).id
        assert s.get(Ticket, ticket_id).status == "dispatch"
    li = world.member("李师傅", ["探访关爱"], now=T0 + minutes(1))
    li_id = world.member_id(li)
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, T0 + minutes(49), settings=world.settings) == 1  # the yellow card: 请尽快派单
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, ticket_id, GRID_COORD, li_id, T0 + minutes(50), settings=world.settings)
    with db.transaction(world.engine) as s:
        scan_alerts(s, T0 + minutes(61), settings=world.settings)  # the red card
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, ticket_id).status == "escalated"
    for at in (81, 120, 240):
        with db.transaction(world.engine) as s:
            dispatch.advance_waves(s, T0 + minutes(at), settings=world.settings)
    with db.transaction(world.engine) as s:
        offer = s.exec(select(Offer).where(Offer.ticket_id == ticket_id, Offer.member_id == li_id)).one()
        told = [p for p in s.exec(select(Notification.payload).where(
            Notification.ticket_id == ticket_id,
            Notification.kind.in_([NotificationKind.dispatch_needed, NotificationKind.assignment_answered]),
            Notification.created_at > T0 + minutes(50))).all() if p.get("declined_by") == "李师傅"
            or (p.get("member_name") == "李师傅" and not p.get("accepted"))]
    assert offer.state != OfferState.pending or told, (
        "3 hours after the assignment 李师傅's offer is still open and no coordinator was told he did not answer")
