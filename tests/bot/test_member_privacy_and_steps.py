"""Members through the real bot, found by a review (each test failed before): numbers in the need shown in offers,
/duty on, and a member's step (退回, /join) left for a day taking the next day's words. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier
from routing import db, members
from tests.bot.chat_harness import bot_chat
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1


def _offers(chat, member: int) -> list[str]:
    return [r.text for r in chat.replies(member) if "新工单" in r.text]


async def test_offers_hide_a_local_phone_number_in_the_need(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A resident writes their number in the request (「…有事打我家电话 87654321」, a local number the phone step
    itself accepts as a phone). The offer to members who have not accepted shows it in full: offers must never
    show the resident's phone (product.md 接单)."""
    member = world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑，有事打我家电话87654321")
        offers = _offers(chat, member)
        assert offers, chat.replies(member)
        assert "87654321" not in offers[0], offers[0]


async def test_offers_hide_the_room_number_of_an_address_in_the_need(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """「我家在幸福里5栋302，…」: the bot itself takes 幸福里5栋302 as the request's address (no address is asked),
    but the offer to members who have not accepted shows 「幸福里*栋302」 — the estate and the room number. Offers
    must not show the exact address (only the member who accepted sees it)."""
    member = world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.intake_to_address(RESIDENT, "我家在幸福里5栋302，楼道灯坏了好几天了，晚上很黑")
        with db.transaction(engine) as s:
            from routing import drafts

            assert (drafts.get_draft(s, RESIDENT, "intake") or {}).get("address") == "我家在幸福里5栋302"
        await chat.say(RESIDENT, "跳过")
        offers = _offers(chat, member)
        assert offers, chat.replies(member)
        assert "302" not in offers[0], offers[0]


async def test_duty_on_and_off_set_what_they_say(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A member who is on duty (as every new member is) types 「/duty on」 to make sure: the bot ignores the word and
    toggles, so he is now off duty and gets no offers — the opposite of what he asked for."""
    member = world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        shown = [r.text for r in await chat.say(member, "/duty on")]
        with db.transaction(engine) as s:
            on_duty = members.get_member(s, member).on_duty
        assert on_duty, shown


async def test_a_join_left_for_a_day_does_not_take_the_next_days_need_as_a_name(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Someone types /join CODE, is asked for a name, and never answers. Three days later, as a resident, they write
    a need: the bot takes it as the name (a short need: 「请选择您擅长的服务技能」; a longer one: 「称呼请用 1–20 个字」
    again and again) and the need is never filed. An intake left for 12 hours stops taking words (INTAKE_IDLE); the
    registration's name step never does."""
    from datetime import timedelta

    from sqlalchemy import update

    from routing.models import Draft
    from tests.bot.chat_harness import _now
    from tests.conftest import COORD

    person = 77
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(person)
        with db.transaction(engine) as s:
            code = members.create_invite(s, COORD, _now()).code
        await chat.say(person, f"/join {code}")
        with db.transaction(engine) as s:
            s.exec(update(Draft).where(Draft.telegram_id == person).values(updated_at=_now() - timedelta(days=3)))
        shown = [r.text for r in await chat.say(person, "楼道灯坏了，晚上很黑")]
        assert any("我理解您反映的是" in t for t in shown), shown


async def test_a_hand_back_left_for_a_day_does_not_take_the_next_days_need_as_its_reason(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A member presses 退回 on a ticket he holds, is asked for a reason, and leaves it (he keeps working on it). The
    next day he writes a need of his own (「我家厨房下水道堵了，水下不去」): the bot takes it as the hand-back reason,
    the ticket he is working on is taken from him and re-offered, and his own need is never filed. A step left for
    a day should not turn unrelated words into an irreversible hand-back (the intake stops after INTAKE_IDLE)."""
    from datetime import timedelta

    from sqlalchemy import update

    from routing.models import Draft
    from tests.bot.chat_harness import _now

    member = world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        chat.home(member)
        ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
        details = await chat.take_and_start(member)
        await chat.press(member, f"tk:back:{ticket_id}", details.message)
        with db.transaction(engine) as s:
            s.exec(update(Draft).where(Draft.telegram_id == member).values(updated_at=_now() - timedelta(days=1)))
        shown = [r.text for r in await chat.say(member, "我家厨房下水道堵了，水下不去")]
        assert chat.ticket(ticket_id).status == "in_progress", shown
