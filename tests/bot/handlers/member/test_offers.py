"""Offers to members (接单 / 不方便): who is offered a ticket, offers that can no longer be answered, what an offer
shows, answers pressed or typed, and a coordinator's 指派 with what the coordinators are told."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot import delivery, texts
from bot.delivery import render
from bot.handlers.common import now
from classifier import Classifier
from routing import db, dispatch, members, tickets
from routing.models import Member, Notification, NotificationKind, Offer, OfferState, Ticket
from tests.bot.chat_harness import BotChat, assign, assign_through_bot, bot_chat, buttons, card_with, texts_of
from tests.bot.handlers.member.helpers import TZ, file_ticket, notifications
from tests.conftest import COORD, G11, G12, GRID_COORD, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1  # the resident `chat` has placed in a grid (WORLD_RESIDENT files tickets straight through routing)
NEED = "楼道灯坏了好几天了，晚上很黑"  # an electrician's job (电工)
GAS = "厨房煤气味很大，好像漏气了"  # 燃气泄漏: urgent, 燃气维修 / 消防
OTHER_GRID_COORD = 9012  # a second coordinator of G11
NEIGHBOUR = 5


def _offered_to(world: World, ticket_id: int) -> set[int]:
    """Who was sent an offer of the ticket."""
    return {n.recipient_id for n in notifications(world, ticket_id, NotificationKind.offer)}


def _pending(world: World, ticket_id: int) -> set[int]:
    """Telegram ids of the members whose offer of the ticket waits for their answer."""
    with db.transaction(world.engine) as s:
        return set(s.exec(select(Member.telegram_id).join(Offer, Offer.member_id == Member.id).where(
            Offer.ticket_id == ticket_id, Offer.state == OfferState.pending)).all())


def _pending_for(chat: BotChat, telegram_id: int, ticket_id: int) -> bool:
    with db.transaction(chat.engine) as s:
        return s.exec(select(Offer).join(Member, Member.id == Offer.member_id).where(
            Offer.ticket_id == ticket_id, Member.telegram_id == telegram_id,
            Offer.state == OfferState.pending)).first() is not None


def _status(world: World, ticket_id: int) -> str:
    with db.transaction(world.engine) as s:
        return s.get(Ticket, ticket_id).status


def _offers(chat, member: int) -> list[str]:
    return [r.text for r in chat.replies(member) if "新工单" in r.text]


async def _wang_offered(chat: BotChat, world: World) -> int:
    """王师傅 has a wave offer (楼道灯) waiting for his answer; returns his id."""
    wang = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, NEED)
    assert any("接单" in str(buttons(r)) for r in chat.replies(wang))
    return wang


# --- who is offered a ticket ---
@SQLITE
def test_a_member_who_ticked_only_gas_repair_is_not_offered_general_repairs(world: World) -> None:
    """At /join a member ticks ✅燃气维修 and leaves ▫️维修 (general repair, a separate button) unticked. A 家具小修
    ticket (skill 维修) is still offered to him — with a fit of 0.95, so ahead of a 维修 member one grid away: the
    containment rule meant for free-text tags (水电工 ⊇ 电工) turns the trade word 维修 inside 燃气维修 / 家电维修 into
    the general 维修 skill, against TRADE_WORDS' own rule that trades are compared by what they work on."""
    gas = world.member("燃气师傅", ["燃气维修"])
    world.member("维修师傅", ["维修"], G12)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, WORLD_RESIDENT, "衣柜门合页坏了", T0, label="repair.furniture", grid_code=G11,
                                    address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id
    offered = [n.recipient_id for n in notifications(world, tid, NotificationKind.offer)]
    assert gas not in offered, offered


@SQLITE
@pytest.mark.parametrize(("tag", "label", "text"), [
    ("宠物医生", "health.family_doctor", "想签约家庭医生，老人有高血压"),  # a vet is no family doctor
    ("电焊工", "repair.electrical", "家里跳闸了，插座都没电"),  # a welder is no electrician
    ("燃气维修师傅", "repair.furniture", "衣柜门合页坏了"),  # a gas fitter is no general handyman
    ("电器维修师傅", "repair.lock", "防盗门锁坏了打不开"),  # an appliance repairer is no locksmith
])
def test_a_free_text_tag_is_not_taken_for_another_trade(world: World, tag: str, label: str, text: str) -> None:
    """A member registers with a free-text tag (as the API and the demo allow: rapidfuzz maps tags to skills). A vet's
    「宠物医生」 is taken for 医生 (0.95: 医生 is inside it), a welder's 「电焊工」 for 电工 (ratio 0.8), and 「燃气维修师傅」 /
    「电器维修师傅」 for the general 维修 (the trade-word rule only looks at tags that *end* in 维修, so 师傅 after it
    defeats it — the bug fixed for 燃气维修 comes back): each is offered requests of a trade not theirs."""
    member = world.member("张三", [tag])
    ticket_id = file_ticket(world, text, label)
    assert member not in _offered_to(world, ticket_id), f"{tag} offered {label}"


@SQLITE
@pytest.mark.parametrize(("tag", "label", "text"), [
    ("家具维修", "repair.furniture", "衣柜门合页坏了"),  # the item is 家具小修, skill 维修
    ("门窗维修", "repair.lock", "窗户关不上了，合页坏了"),  # the item 门锁门窗, skills 开锁 / 维修
    ("作业辅导", "education.tutoring", "孩子作业不会做，想找人辅导一下"),  # the item is named 作业辅导, skill 教师
    ("心理疏导", "health.mental", "最近心情很差，想找人聊聊"),  # the item is named 心理疏导, skill 心理咨询
])
def test_a_free_text_tag_naming_the_service_itself_is_matched(world: World, tag: str, label: str, text: str) -> None:
    """A volunteer types the very service he offers, in the words of the item residents' requests are filed under:
    「家具维修」, 「门窗维修」, 「作业辅导」, 「心理疏导」. None of them maps to any skill (X维修 is kept from 维修 by the
    trade-word rule; 作业辅导 and 心理疏导 share too few characters with 教师 / 心理咨询): he is registered without a
    word of warning and is never offered the requests he named."""
    member = world.member("李四", [tag])
    ticket_id = file_ticket(world, text, label)
    assert member in _offered_to(world, ticket_id), f"{tag} not offered {label}"


@SQLITE
@pytest.mark.xfail(strict=True, reason="not done yet: weighing every member tied at the lookahead cut (rank() over the scored rows) cost 10–30 % of the candidate query and ~15 % of SQLite routing throughput here; see the closing note")
def test_equally_good_members_without_offers_come_before_those_already_holding_some(world: World) -> None:
    """A grid registers sixteen volunteers with the same skill on the same day (all tie: same grid, same fit, no load,
    never assigned). Five leaks come in one after another and nobody answers yet. The fifth goes again to 成员1–3, who
    already hold two unanswered offers each, while 成员13–16, as good and with none, have never been offered anything:
    the pending-offers penalty is only applied to the first WAVE_SIZE × LOOKAHEAD members by id, so ties beyond them are
    never seen (the Python `rank`, which the SQL claims to mirror, puts 成员13–15 first)."""
    ids = [world.member(f"成员{i}", ["水暖"]) for i in range(1, 17)]
    for i in range(4):
        file_ticket(world, at=T0 + minutes(i))
    fifth = file_ticket(world, at=T0 + minutes(4))
    offered = _offered_to(world, fifth)
    assert offered.isdisjoint(ids[:3]), f"offered again to members holding two offers each: {sorted(offered)}"
    assert offered <= set(ids[12:]), sorted(offered)


# --- offers that can no longer be answered: a member at capacity, off duty ---
@SQLITE
def test_a_member_who_reaches_capacity_no_longer_holds_up_his_other_offers(world: World) -> None:
    """王师傅 (capacity 1, the grid's only plumber) is offered two leaks a minute apart and takes the first. He can no
    longer take the second (接单 is refused: 「您手上已有 1 张工单」), yet its offer stays pending: nobody else is asked,
    the 快办 ticket waits three wave timeouts (30 of its 60 minutes to respond) on him, and only then do the
    coordinators hear that it needs 派单. His offer should be withdrawn when he fills up and the ticket moved on."""
    wang = world.member("王师傅", ["水暖"], capacity=1)
    first = file_ticket(world)
    second = file_ticket(world, "卫生间下水道堵了", at=T0 + minutes(1))
    assert _pending(world, second) == {wang}
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(2), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(12), settings=world.settings)  # (the first wave timed out)
    assert wang not in _pending(world, second), "the second ticket still waits on a member who cannot take it"
    assert _status(world, second) == "dispatch", _status(world, second)


@SQLITE
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


# --- what an offer shows: never the resident's phone nor door ---
@SQLITE
@pytest.mark.parametrize("phone", ["138－1234－5678", "138.1234.5678"])
async def test_offers_hide_a_phone_written_with_a_full_width_hyphen_or_dots(
    chat: BotChat, world: World, phone: str
) -> None:
    """A resident writes 「…有事打我电话138－1234－5678」 (the full-width hyphen a Chinese keyboard in full-width mode
    types; the address rules of bot/numbers.py accept 「－」 for this reason) or 「138.1234.5678」, as on a business card.
    The offer that goes to every member of the wave before anyone accepts shows the number in full; offers must never
    show the resident's phone (product.md 接单: only the member who accepted sees it). 138-1234-5678 and 138 1234 5678
    are hidden.
    (bot/texts.py offer → bot/numbers.py redact: PHONE_NUMBER and _LONG_NUMBER group digits only by [-\\s].)"""
    member = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, f"楼道灯坏了好几天了，晚上很黑，有事打我电话{phone}")
    offer = card_with(chat.replies(member), "接单")
    assert "1234" not in offer.text and "5678" not in offer.text, offer.text


@SQLITE
@pytest.mark.parametrize("phone", ["0571.8888.6666", "010.8765.4321", "138 - 1234 - 5678"])
async def test_offers_hide_a_landline_grouped_with_dots_or_a_mobile_with_spaced_hyphens(
    chat: BotChat, world: World, phone: str
) -> None:
    """A resident writes 「…有事打我电话0571.8888.6666」 (a landline as printed on a business card, grouped 4-4 with dots)
    or 「138 - 1234 - 5678」. The offer that goes to every member of the wave shows the number in full, while
    0571-8888-6666, 0571 8888 6666 and 138.1234.5678 are hidden: today's fix (_GROUPED_PHONE) takes dots only for a
    mobile grouped 3-4-4 and a landline whose number after the area code is one run of 7-8 digits; _LONG_NUMBER takes
    only [-\\s] one at a time. Offers must never show the resident's phone (product.md: only the member who accepted).
    (bot/numbers.py _GROUPED_PHONE / _phone_spans.)"""
    member = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, f"楼道灯坏了好几天了，晚上很黑，有事打我电话{phone}")
    offer = card_with(chat.replies(member), "接单")
    assert phone[-4:] not in offer.text, offer.text


@SQLITE
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


@SQLITE
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
        assert "302" not in offers[0].split("诉求")[1], offers[0]  # (the ticket's number may hold 302)


@SQLITE
@pytest.mark.parametrize(("words", "room"), [
    ("幸福里3号楼2单元502号厨房水管漏水了", "502"),  # a room said N号, as many residents write it
    ("我家门牌号3-502，厨房水管漏水了", "3-502"),  # building-room, without the unit
])
def test_an_offer_hides_the_room_number_written_with_hao_or_as_building_dash_room(
        world: World, words: str, room: str) -> None:
    """The resident's message already holds the address, so it is the ticket's words. Every member of the wave reads
    them in the offer's 「诉求」 line, where house numbers are masked: 「幸福里*号楼*单元502号」 (the room N号 is taken
    for a bare day-of-month 号 and left) and 「门牌号3-502」 (only building-unit-room with three parts is masked) — the
    door is shown to members who have not accepted, against 「offers never show the exact address」."""
    world.member("王师傅", ["水暖"])
    ticket_id = file_ticket(world, words, address="")
    with db.transaction(world.engine) as s:
        note = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.kind == NotificationKind.offer)).one()
    text, _ = render(note.kind, note.payload, TZ)
    need = next(line for line in text.splitlines() if line.startswith("诉求"))  # (not the ticket's number: #U2502)
    assert room not in need, text


# (no backend mark: the `backend` fixture's own parameters run it on SQLite and PostgreSQL)
@pytest.mark.parametrize("words", [
    "幸福里5#楼2-301厨房水管漏水了",  # 5# is how buildings are numbered on many estates' signs (5号楼)
    "幸福里5号楼1门402厨房水管漏水了",  # a unit said 门 (2门, as in Beijing)
    "幸福里5号楼6楼602厨房水管漏水了",  # the floor named before the room
])
def test_offer_hides_the_room_number_of_common_address_forms(world: World, words: str) -> None:
    """A member offered a ticket (not yet accepted) reads the resident's room number in the offer: the spec
    promises offers never show the exact address, but bot.numbers.redact hides a room only after 单元/号楼/栋/幢…,
    so after a unit said 1门, a floor said 6楼, or in the estates' 5#楼2-301 notation (nothing of it hidden),
    the door (301, 402, 602) stays in the 「诉求」 line of every member in the wave."""
    from zoneinfo import ZoneInfo

    world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, WORLD_RESIDENT, words, T0, label="repair.plumbing", grid_code=G11,
                                          address=words[:-6], confidence=0.9, settings=world.settings).id
        note = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.kind == "offer")).one()
        text, _ = render(note.kind, note.payload, ZoneInfo("Asia/Shanghai"))
    room = {"幸福里5#": "301", "幸福里5号楼1门": "402", "幸福里5号楼6楼": "602"}
    door = next(v for k, v in room.items() if words.startswith(k))
    need = next(line for line in text.splitlines() if line.startswith("诉求"))  # (not the ticket's number: #U2602)
    assert door not in need and "厨房水管漏水了" in need, text


@SQLITE
def test_an_offer_after_a_hand_back_shows_no_response_limit_already_past(world: World) -> None:
    """A member accepts a 水管 ticket (快办: respond within 60 min) at once, works on it and hands it back two hours
    later. The new offer to the next member says 「请在 3月3日 11:00 前响应」 although it is 12:00 now: the deadline
    shown was met by the first acceptance and is long past — the member is asked to beat a time already gone."""
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"], G12)
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    tid = file_ticket(world)
    back = T0 + minutes(120)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, a, "缺少配件", back, settings=world.settings)
    [note] = notifications(world, tid, NotificationKind.offer, b)
    text, _ = delivery.render(note.kind, note.payload, TZ)

    due = datetime.fromisoformat(note.payload["respond_due_at"])
    assert due < back  # (the situation)
    assert f"请在 {texts.local_time(due, TZ)} 前响应" not in text, text


# --- 接单 and 不方便 pressed ---
@SQLITE
async def test_a_quick_second_tap_on_decline_after_accepting_does_not_say_the_ticket_went_to_others(
    chat: BotChat, world: World
) -> None:
    """接单 and 不方便 sit side by side under an offer. The member taps 接单 and, before the message changes on his phone,
    his thumb also lands on 不方便 (or he has second thoughts). He holds the ticket — the resident was told 「已由 王师傅
    接单」 and 接单成功 with the address came — but the second tap rewrites the offer to 「好的，已转给其他党员。」:
    decline_offer returns quietly for an offer that is no longer pending, and the handler then tells him it was passed
    on, whatever happened to it (taken by himself, by another member, or cancelled)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    offer = next(r for r in reversed(chat.replies(member)) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    second = texts_of(await chat.press(member, f"of:dec:{ticket_id}", offer.message))
    held = chat.ticket(ticket_id)
    assert held.status == "accepted" and held.assignee_id == world.member_id(member)
    assert "已转给其他党员" not in second, second


# --- answers typed instead of pressed ---
@SQLITE
@pytest.mark.parametrize("words", ["接单", "好的我去", "收到"])
async def test_typing_jiedan_under_an_offer_is_not_answered_as_a_resident(
    chat: BotChat, world: World, words: str
) -> None:
    """A member gets 「📋 有一张新工单等您接单 … [✋ 接单] [🙅 不方便]」 and, on the phone, types 「接单」 (or 「好的我去」,
    「收到」) instead of pressing the button. He should be told the ticket is not his yet and to press 「接单」 under the offer (or the
    offer taken). Instead the router takes the word as a resident's status query and answers 「您还没有工单。遇到问题
    直接告诉我就行。」 (好的我去 / 收到: the resident's introduction 「我是社区服务助手…请直接说说您遇到的问题。」): the
    member thinks he has it, the ticket stays offered, nobody goes.
    (bot/handlers/router.py _target / _route: a member's words always go to resident.new_request.)"""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    assert card_with(chat.replies(member), "接单")
    told = texts_of(await chat.say(member, words))
    assert "您还没有工单" not in told and "我是社区服务助手" not in told, told
    assert chat.ticket(ticket_id).status == "accepted" or "接单" in told, told


@SQLITE
async def test_a_member_saying_he_feels_unwell_gets_the_crisis_line_not_the_refusal_hint(
    chat: BotChat, world: World
) -> None:
    """A resident who writes 「我真的不舒服」 or 「我最近身体不舒服」 gets 「💛 您的感受很重要，您并不孤单。如果您有伤害自己
    的想法，请立即拨打心理援助热线 12356…」 (the classifier hears self_harm in them). 王师傅 is a party member — and a
    resident like anyone — with an offer waiting: since 87ace99 the same words are answered only 「不能接的话，请点工单
    消息下面的「不方便」按钮，好及时另行安排。」 — the crisis line and the crisis handling are gone, the bot tells a man who
    may be in distress to decline a job. Cause: 87ace99 made a reason alone a refusal (_CLAUSE allows _WHY without
    _CANNOT, 不舒服 is in _WHY, 身体 / 最近 / 真的 in _WHO_WHEN), and about_their_work, called before the request is
    handled, lets a typed refusal through even when it is read as a request with urgent signals. Before the fix none
    of these matched (a _CANNOT word was required). Expected: the same crisis answer as any resident gets (urgent
    words never taken for an answer to the offer)."""
    heard = "\n".join(r.text for r in await chat.say(NEIGHBOUR, "我真的不舒服"))
    assert "12356" in heard, heard  # (what any resident is told)
    wang = await _wang_offered(chat, world)
    for words in ("我真的不舒服", "我最近身体不舒服", "我也不舒服"):
        told = "\n".join(r.text for r in await chat.say(wang, words))
        assert "12356" in told, (words, told)
        assert texts.PRESS_DECLINE not in told, (words, told)


@SQLITE
async def test_busy_will_look_later_is_pointed_to_the_offers_buttons(chat: BotChat, world: World) -> None:
    """The neighbour of 「在忙」 alone (now pointed to 「不方便」 by 87ace99): 王师傅, an offer waiting, between duties types
    「在忙，等会儿看」 or 「在忙，晚点回复」 — he is busy and will look at it later. He is answered with the new resident's
    welcome 「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题。」, as if he were a stranger with
    a need, and nothing tells him the offer waits for his answer. _CLAUSE only knows reasons and refusals, so anything
    after 在忙 (等会儿看, 晚点回复) breaks the whole-message match, and _GOING_LATER needs a verb of going (去/来). Expected:
    no new-resident welcome for a member answering his offer; he is pointed to the offer's buttons (「接单」 /
    「不方便」)."""
    wang = await _wang_offered(chat, world)
    for words in ("在忙，等会儿看", "在忙，晚点回复"):
        told = "\n".join(r.text for r in await chat.say(wang, words))
        assert "社区服务助手" not in told, (words, told)
        assert "「接单」" in told or "「不方便」" in told, (words, told)


# --- a coordinator's 指派, and what the coordinators are told ---
@SQLITE
async def test_the_coordinator_who_assigned_is_told_of_the_acceptance_in_their_words(
    chat: BotChat, world: World
) -> None:
    """A coordinator assigns a ticket (指派) and the member accepts: the coordinator is told in a coordinator's words, not
    the resident's 「您的工单 … 对方会尽快联系您」."""
    await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
    member = world.member("王师傅", ["电工"])
    await assign_through_bot(chat, COORD, "王师傅")
    offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
    mark = len(chat.events)
    await chat.press(member, offer.button("接单"), offer.message)
    told = [r.text for r in chat.replies(COORD, mark)]
    assert told, "the coordinator is told"
    assert not any("您的工单" in t or "对方会尽快联系您" in t for t in told), told


@SQLITE
async def test_declining_a_coordinators_assignment_is_not_passed_to_other_members(
    chat: BotChat, world: World
) -> None:
    """不方便 on what a coordinator assigned sends the ticket back to the coordinators, and says so (not 「已转给其他党员」)."""
    ticket_id = await chat.submit(RESIDENT, NEED)
    member = world.member("王师傅", ["电工"])
    await assign_through_bot(chat, GRID_COORD, "王师傅")
    offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
    shown = [r.text for r in await chat.press(member, offer.button("不方便"), offer.message)]
    assert chat.ticket(ticket_id).status == "dispatch"  # back with the coordinators, no other member asked
    assert not any("已转给其他党员" in t for t in shown), shown


@SQLITE
async def test_coordinator_who_assigned_hears_of_the_decline(chat: BotChat, world: World) -> None:
    """The street coordinator who assigned a ticket of G11 hears of the member's decline, as of an acceptance (not only
    the grid's coordinator)."""
    await chat.submit(RESIDENT, NEED)
    member = world.member("王师傅", ["电工"])
    await assign_through_bot(chat, COORD, "王师傅")
    offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
    mark = len(chat.events)
    await chat.press(member, offer.button("不方便"), offer.message)
    assert chat.replies(GRID_COORD, mark), "the grid coordinator is told"
    assert chat.replies(COORD, mark), "the coordinator who assigned it is told nothing"


async def _declined_assignment(chat: BotChat, world: World, skills: tuple[str, ...] = ("电工",)) -> tuple[int, int]:
    """A street coordinator's 指派 of the resident's need to 王师傅 (`skills`), who presses 不方便: (ticket id, his id)."""
    ticket_id = await chat.submit(RESIDENT, NEED)
    member = world.member("王师傅", list(skills))
    await assign_through_bot(chat, COORD, "王师傅")
    offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
    shown = texts_of(await chat.press(member, offer.button("不方便"), offer.message))
    assert texts.DECLINED_ASSIGNMENT in shown, shown
    return ticket_id, member


@SQLITE
async def test_why_a_member_declined_an_assignment_reaches_the_coordinator(chat: BotChat, world: World) -> None:
    """After 不方便 on a 指派 the bot invites a reason; 「家里老人住院了 这周都在医院」 typed next is no need of his own
    (no card, no 登记为诉求): the coordinator who assigned it reads it with the ticket's number, he is thanked."""
    ticket_id, member = await _declined_assignment(chat, world)
    mark = len(chat.events)
    replies = await chat.say(member, "家里老人住院了 <这周>都在医院")
    assert texts_of(replies) == texts.DECLINE_REASON_TOLD, texts_of(replies)
    told = texts_of(chat.replies(COORD, mark))
    assert "王师傅" in told and f"#{chat.ticket(ticket_id).number}" in told and "<这周>都在医院" in told, told
    assert chat.intake_draft(member) is None
    mark = len(chat.events)
    assert texts.DECLINE_REASON_TOLD in texts_of(await chat.say(member, "下周应该可以")), "a reason in two messages"
    assert "下周应该可以" in texts_of(chat.replies(COORD, mark))
    mark = len(chat.events)
    replies = await chat.say(member, "下周应该可以")  # (sent again: a double send, or after 请稍后再试)
    assert texts.DECLINE_REASON_TOLD in texts_of(replies) and not chat.replies(COORD, mark), texts_of(replies)
    assert chat.intake_draft(member) is None


@SQLITE
@pytest.mark.parametrize("words", ["好的", "谢谢", "我家厨房水管漏水了"])
async def test_thanks_or_his_own_need_after_declining_are_no_reason(chat: BotChat, world: World, words: str) -> None:
    """好的 / 谢谢 after 不方便 are answered as before; a need of his own the bot is sure of gets its card. None of them
    is sent to the coordinator as why."""
    _, member = await _declined_assignment(chat, world)
    mark = len(chat.events)
    replies = await chat.say(member, words)
    assert texts.DECLINE_REASON_TOLD not in texts_of(replies), texts_of(replies)
    assert not any("婉拒工单" in r.text for r in chat.replies(COORD, mark))


TAP = "我家水龙头坏了"  # 水暖


def declined_to_coordinator(chat: BotChat, coordinator: int, mark: int) -> bool:
    """Whether a coordinator was told why a member declined since `mark`."""
    return any("婉拒工单" in r.text for r in chat.replies(coordinator, mark))


@SQLITE
@pytest.mark.parametrize(("words", "pointed"), [("接不了", texts.PRESS_DECLINE),
                                                ("今天有事，去不了", texts.PRESS_DECLINE),
                                                ("在忙，等会儿看", texts.PRESS_LATER)])
async def test_words_under_a_new_offer_after_declining_another_point_to_its_buttons(
        chat: BotChat, world: World, words: str, pointed: str) -> None:
    """王师傅 declines the lamp, then the tap is offered to him and he types 「接不了」 under it: he is pointed to its
    buttons (接不了 answers the offer waiting, not why he declined the lamp)."""
    wang = world.member("王师傅", ["电工", "水暖"])
    await chat.submit(RESIDENT, NEED)
    lamp = [r for r in chat.replies(wang) if "新工单" in r.text][-1]
    await chat.press(wang, lamp.button("不方便"), lamp.message)
    await chat.submit(RESIDENT, TAP)
    assert "水龙头" in [r for r in chat.replies(wang) if "新工单" in r.text][-1].text
    replies = await chat.say(wang, words)
    assert pointed in texts_of(replies), texts_of(replies)


@SQLITE
async def test_cancel_ends_the_wait_for_a_reason(chat: BotChat, world: World) -> None:
    """不方便 on a 指派, then /cancel (「现在没有进行中的步骤」), then his own 「家里卫生间有点渗水」: sent to the coordinator
    as why he declined."""
    wang = (await _declined_assignment(chat, world))[1]
    await chat.say(wang, "/cancel")
    mark = len(chat.events)
    replies = await chat.say(wang, "家里卫生间有点渗水")
    assert texts.DECLINE_REASON_TOLD not in texts_of(replies), texts_of(replies)
    assert not declined_to_coordinator(chat, COORD, mark)


@SQLITE
@pytest.mark.parametrize("words", ["家里水管有点问题", "我家门口有点臭"])
async def test_a_need_of_his_own_after_declining_a_wave_offer_is_not_swallowed(
        chat: BotChat, world: World, words: str) -> None:
    """A wave offer declined (no reason was asked, nobody will read one): his own need the bot is unsure of is answered
    「收到，谢谢告知。」 and lost — without 不方便 he is offered 「登记为诉求」."""
    wang = world.member("王师傅", ["电工"])
    chat.home(wang)
    await chat.submit(RESIDENT, NEED)
    offer = next(r for r in chat.replies(wang) if "新工单" in r.text)
    await chat.press(wang, offer.button("不方便"), offer.message)
    replies = await chat.say(wang, words)
    assert texts.DECLINE_REASON_KEPT not in texts_of(replies), texts_of(replies)
    assert any("登记为诉求" in b for r in replies for b in buttons(r)), texts_of(replies)


@SQLITE
async def test_a_reason_sent_again_is_not_read_as_his_own_need(chat: BotChat, world: World) -> None:
    """「家里老人住院了 这周都在医院」 sent twice (a re-sent message, a double tap): the second becomes an intake card
    (陪诊陪护 / 就医协助 / 其他…) for a need of his own."""
    wang = (await _declined_assignment(chat, world))[1]
    assert texts.DECLINE_REASON_TOLD in texts_of(await chat.say(wang, "家里老人住院了 这周都在医院"))
    replies = await chat.say(wang, "家里老人住院了 这周都在医院")
    assert chat.intake_draft(wang) is None, texts_of(replies)
    assert not any("其他" in b or "登记为诉求" in b for r in replies for b in buttons(r)), texts_of(replies)


@SQLITE
async def test_the_reason_asked_for_an_assignment_reaches_its_coordinator_after_another_decline(
        chat: BotChat, world: World) -> None:
    """王师傅 declines COORD's 指派 (asked: 「方便的话回一句原因，我转告协调员」), then a wave offer of a tap; his reason
    goes to the newest declined offer — the wave's — and COORD, who asked for it, never hears it."""
    wang = (await _declined_assignment(chat, world))[1]
    chat.home(NEIGHBOUR)
    # (a neighbour's lamp: offered to 王师傅, an electrician)
    await chat.submit(NEIGHBOUR, "家里客厅的灯不亮了")
    offers = [r for r in chat.replies(wang) if "新工单" in r.text]
    assert offers, "a wave offer of the second lamp"
    await chat.press(wang, offers[-1].button("不方便"), offers[-1].message)
    mark = len(chat.events)
    replies = await chat.say(wang, "家里老人住院了 这周都在医院")
    assert declined_to_coordinator(chat, COORD, mark), f"COORD asked for it and never got it; he read {texts_of(replies)}"


@SQLITE
async def test_a_coordinator_declining_his_own_assignment_is_not_asked_why(chat: BotChat, world: World) -> None:
    """李主任 (G11's coordinator, also an electrician) assigns a ticket to himself and presses 不方便: he is told
    「已告诉协调员…方便的话回一句原因，我转告协调员」 — he is that coordinator; his words next go to nobody."""
    await chat.submit(RESIDENT, NEED)  # (no electrician yet: it waits for 派单)
    with db.transaction(world.engine) as s:
        invite = members.create_invite(s, COORD, now(), settings=world.settings)
        members.register_member(s, GRID_COORD, invite.code, "李主任", ["电工"], G11, now(), settings=world.settings)
    await assign_through_bot(chat, GRID_COORD, "李主任")
    offer = next(r for r in chat.replies(GRID_COORD) if "指派给您" in r.text)
    shown = texts_of(await chat.press(GRID_COORD, offer.button("不方便"), offer.message))
    assert "转告协调员" not in shown, shown


@SQLITE
@pytest.mark.parametrize("words", ["这几天在外地，回不来", "最近腿脚不怎么方便，爬不了楼", "没什么，就是家里有点事"])
async def test_a_reason_with_ji_or_shenme_in_it_is_told(chat: BotChat, world: World, words: str) -> None:
    """The reason the bot asked for, with 几 (这几天), 怎么 (不怎么) or 什么 (没什么) in it: told, not read as a question."""
    _, wang = await _declined_assignment(chat, world)
    mark = len(chat.events)
    replies = await chat.say(wang, words)
    assert texts.DECLINE_REASON_TOLD in texts_of(replies), texts_of(replies)
    assert declined_to_coordinator(chat, COORD, mark)


# ── A: calling a ticket off ──────────────────────────────────────────────────────────────────────────────────


@SQLITE
@pytest.mark.parametrize("words", ["我十分钟后到", "在路上了，马上到", "已经联系上居民了"])
async def test_words_about_the_ticket_he_took_next_are_not_why_he_declined(
        chat: BotChat, world: World, words: str) -> None:
    """王师傅 declines COORD's 指派 of the lamp (asked why), then takes a neighbour's tap offered to him. 「我十分钟后到」 is
    about the tap he just took: COORD must not read 「王师傅 婉拒工单 #… 的原因：我十分钟后到」."""
    _, wang = await _declined_assignment(chat, world, ("电工", "水暖"))
    chat.home(NEIGHBOUR)
    await chat.submit(NEIGHBOUR, TAP)
    await chat.take_and_start(wang)
    mark = len(chat.events)
    replies = await chat.say(wang, words)
    assert not declined_to_coordinator(chat, COORD, mark), texts_of(replies)


@SQLITE
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
    card = next(r for r in reversed(chat.replies(GRID_COORD)) if "指派" in str(buttons(r)))
    shown = [b for r in await chat.press(GRID_COORD, card.button("指派"), card.message) for b in buttons(r)]
    assert shown, "no member buttons"
    assert "王师傅" not in shown[0] or "不方便" in shown[0] or "婉拒" in shown[0], shown


@SQLITE
async def test_a_coordinator_cannot_assign_to_a_member_at_capacity(chat: BotChat, world: World) -> None:
    """A member at capacity could never accept (接单 is refused): the 指派 is refused with the reason, and the ticket
    stays waiting for 派单 (it was left offered with no timer)."""
    chat.home(RESIDENT + 1)
    member = world.member("王师傅", ["电工"], capacity=1)
    first = await chat.submit(RESIDENT, NEED)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, first, member, datetime.now(UTC))
    second = await chat.submit(RESIDENT + 1, "我家下水道堵了，水下不去")  # no plumber: 派单
    assert chat.ticket(second).status == "dispatch"
    mark = len(chat.events)
    await assign_through_bot(chat, GRID_COORD, "王师傅")
    told = [r.text for r in chat.replies(GRID_COORD, mark)]
    assert any("上限" in t for t in told), told
    assert chat.ticket(second).status == "dispatch"
    assert not any("指派给您" in r.text for r in chat.replies(member))


@SQLITE
async def test_a_second_coordinator_of_the_grid_learns_the_ticket_at_dispatch_was_taken(
    chat: BotChat, world: World
) -> None:
    """A grid with two coordinators (网格员 and a second one added with jiedan coordinator add). A lamp is out; 王师傅
    and 李师傅 both press 「不方便」, so both coordinators get 「📮 有工单需要派单 … 状态：待派单 … 👉 指派」. The 网格员
    assigns it to 李师傅, who presses 「接单」: the 网格员 hears 「✅ 您指派的工单 … 已由 李师傅 接单。」; the second
    coordinator hears nothing and his card still says 待派单 with 「👉 指派」, so he may assign it again or call the
    resident. b7ac1df tells every coordinator the 📮 card reached only for urgent tickets (`if ticket.urgent and
    ticket.dispatch_at is not None` in dispatch.accept_offer); _dispatch_audience sends a non-urgent ticket's card to
    every coordinator of its level too. Expected: every coordinator the 📮 card went to hears that 李师傅 took it (or
    his card no longer says 待派单)."""
    with db.transaction(chat.engine) as s:
        members.add_coordinator(s, COORD, OTHER_GRID_COORD, G11, T0)
    wang = world.member("王师傅", ["电工"])
    li = world.member("李师傅", ["电工"])
    await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    for member in (wang, li):
        offer = next((r for r in chat.replies(member) if "接单" in str(buttons(r))), None)
        if offer is not None:
            await chat.press(member, offer.button("不方便"), offer.message)
    other_cards = [r for r in chat.replies(OTHER_GRID_COORD) if "有工单需要派单" in r.text]
    assert other_cards, "the second coordinator got the 📮 card"
    card = [r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text][-1]
    mark = len(chat.events)
    await assign(chat, GRID_COORD, card, "李师傅")
    offer = next(r for r in chat.replies(li, mark) if "指派给您" in r.text)
    await chat.press(li, offer.button("接单"), offer.message)
    told = [r.text for r in chat.replies(OTHER_GRID_COORD, mark)]
    shown = next(m for m in chat.request.messages(OTHER_GRID_COORD)
                 if m.message_id == other_cards[-1].message.message_id)
    assert any("李师傅" in t for t in told) or "待派单" not in shown.text, (told, shown.text)


@SQLITE
async def test_coordinators_learn_an_urgent_ticket_waiting_for_dispatch_was_cancelled(
    chat: BotChat, world: World
) -> None:
    """The neighbour of b7ac1df (every coordinator an urgent ticket's 📮 card reached hears when it is taken): a gas
    smell, 王师傅 and 李师傅 both press 「不方便」, so the 网格员 and the street coordinator each get 「📮 有工单需要派单
    🚨 紧急 … 燃气泄漏 … 状态：待派单」 with 「👉 指派」. Then the resident cancels the ticket (the gas company came). Neither
    coordinator hears a word and both cards still say 待派单: for an urgent gas leak each believes a resident is still
    waiting and will 指派 a member or phone her — a member sent to a leak that no longer exists. Cause:
    tickets.cancel_ticket tells only the assignee (and the resident when a coordinator cancels); the 📮 audience
    (dispatch._dispatch_audience) is not told, nor are the cards edited. Expected: every coordinator the urgent 📮
    card reached is told it was cancelled (or his card no longer says 待派单)."""
    wang = world.member("王师傅", ["燃气维修"])
    li = world.member("李师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    for member in (wang, li):
        offer = next((r for r in chat.replies(member) if "接单" in str(buttons(r))), None)
        if offer is not None:
            await chat.press(member, offer.button("不方便"), offer.message)
    cards = {c: [r for r in chat.replies(c) if "有工单需要派单" in r.text] for c in (COORD, GRID_COORD)}
    assert all(cards.values()), "both coordinators got the urgent 📮 card"
    with db.transaction(chat.engine) as s:
        ticket_id = s.exec(select(Ticket).order_by(Ticket.id.desc())).first().id
    mark = len(chat.events)
    with db.transaction(chat.engine) as s:
        tickets.cancel_ticket(s, ticket_id, RESIDENT, datetime.now(UTC))
    await chat.deliver()
    for coordinator, shown_cards in cards.items():
        told = [r.text for r in chat.replies(coordinator, mark)]
        shown = next(m for m in chat.request.messages(coordinator)
                     if m.message_id == shown_cards[-1].message.message_id)
        assert any("取消" in t for t in told) or "待派单" not in shown.text, (coordinator, told, shown.text)


# --- a member who blocked the bot ---
@SQLITE
def test_coordinators_told_a_member_blocked_the_bot_see_the_ticket_held_and_can_reassign_it(world: World) -> None:
    """A member holding a ticket blocks the bot (403): the coordinator gets one message per held ticket, but it
    names no ticket, says his *pending offers* moved on (the held ticket did not move: it stays 已接单 with him) and
    has no 指派 button — and /dispatch does not list an accepted ticket, so the coordinator cannot act on it."""
    member = world.member("王师傅", ["水暖"])
    tid = file_ticket(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, T0 + minutes(1))
        number = f"#{tickets.get_ticket(s, tid).number}"
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, member, T0 + minutes(2), settings=world.settings)
    [note] = notifications(world, tid, NotificationKind.member_unreachable, GRID_COORD)
    text, markup = delivery.render(note.kind, note.payload, TZ)
    assert number in text, text
    assert markup is not None, "no 指派 button to give the ticket to someone else"


@SQLITE
def test_the_coordinator_who_assigned_a_member_who_blocked_the_bot_is_told(world: World) -> None:
    """The street coordinator opens /dispatch and assigns a 网格 ticket to 王师傅 (「已把工单…指派给 王师傅，等待对方
    确认」). 王师傅 has blocked the bot: the assignment fails with 403, he is set off duty and the ticket goes back to
    派单 — the 网格员 gets the card, but the street coordinator who made the assignment hears nothing and goes on
    believing 王师傅 will confirm (a decline, an acceptance or no answer are all told to him: `_tell_assigner`)."""
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, WORLD_RESIDENT, "家里有点事想找人帮忙", T0, label=None, grid_code=G11,
                                          address="幸福里3号楼", settings=world.settings).id
    wang = world.member("王师傅", ["水暖"], G12, now=T0 + minutes(1))
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, ticket_id, COORD, world.member_id(wang), T0 + minutes(2), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, wang, T0 + minutes(3), settings=world.settings)
    assert _status(world, ticket_id) == "dispatch"
    with db.transaction(world.engine) as s:
        told = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.recipient_id == COORD,
                                                 Notification.created_at > T0 + minutes(2))).all()
        grid_told = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                      Notification.recipient_id == GRID_COORD,
                                                      Notification.created_at > T0 + minutes(2))).all()
    assert grid_told, "(the 网格员 is told)"
    assert told, "the street coordinator who assigned 王师傅 is never told the assignment did not reach him"


# --- a resident's emergency with a gas fitter on the grid (the resident's intake, not the member's) ---
@SQLITE
async def test_a_gas_smell_told_on_with_the_unit_is_not_a_second_emergency(
    chat: BotChat, world: World
) -> None:
    """A resident reports 「厨房一股煤气味，很大」 and gives her address 幸福里小区3号楼502 (no unit), skips the phone:
    urgent ticket #1. Ten minutes later: 「2单元楼道里煤气味越来越大了」 — her own entrance, the same leak, told on.
    Expected: the words added to #1 (「…已补充到您刚才登记的紧急工单…」), as for 「煤气味越来越大了」. Instead a second
    urgent ticket is opened (a second 🚨 alert, a second crew): since fb57205 duplicates.own_open_emergency compares the
    places the new words name (_places: {2单元}) with those of the ticket (_where: {3号楼}) and, sharing none, calls it
    another place — a part of the address the first report did not give is taken for somewhere else."""
    world.member("王师傅", ["燃气维修"])
    chat.home(101)
    assert "已为您登记紧急工单" in texts_of(await chat.say(101, "厨房一股煤气味，很大"))
    await chat.say(101, "幸福里小区3号楼502")
    await chat.say(101, "跳过")
    shown = texts_of(await chat.say(101, "2单元楼道里煤气味越来越大了"))
    with db.transaction(chat.engine) as s:
        mine = list(s.exec(select(Ticket).where(Ticket.resident_id == 101)).all())
    assert len(mine) == 1, (shown, [(t.number, t.address, t.text) for t in mine])


@SQLITE
async def test_a_misread_need_corrected_into_an_emergency_does_not_come_back(
    chat: BotChat, world: World
) -> None:
    """A resident writes 「厨房水龙头坏了，幸福里小区3号楼2单元502」 meaning the gas; the bot reads 「家居维修 · 水管疏通 …
    对吗？」. She answers 「不对，是厨房燃气灶漏气了，一股煤气味」. She rightly gets the 119 advice and an urgent ticket
    (after giving the address again). But when she skips the phone the bot says 「您刚才还提到另一件事，现在接着为您登记：
    …水管疏通 「厨房水龙头坏了…」 对吗？」 — the very reading she just said was wrong (不对) comes back as a second need.
    Expected: her 不对 ends that reading; no 水管疏通 card afterwards. Since fb57205 bot/handlers/router.py _route turns a
    correction read as urgent into REQUEST with "waiting" = the whole draft under 「对吗？」 (only "meaning" dropped), so
    the misread need is restored after the emergency."""
    world.member("王师傅", ["燃气维修"])
    chat.home(101)
    await chat.say(101, "厨房水龙头坏了，幸福里小区3号楼2单元502")
    assert "119" in texts_of(await chat.say(101, "不对，是厨房燃气灶漏气了，一股煤气味"))
    await chat.say(101, "幸福里小区3号楼2单元502")
    shown = texts_of(await chat.say(101, "跳过"))
    assert "水管疏通" not in shown and "水龙头" not in shown, shown


@SQLITE
async def test_why_a_wave_offer_was_declined_reaches_the_coordinators_it_was_left_to(
        chat: BotChat, world: World) -> None:
    """王师傅, the only electrician, presses 不方便 (the ticket goes to 派单) and says 「在外地出差，下周才回来」: he was told
    「收到，谢谢告知」, the coordinator read nothing of it, and could 指派 it straight back to him."""
    wang = world.member("王师傅", ["电工"])
    chat.home(wang)
    await chat.submit(RESIDENT, NEED)
    offer = next(r for r in chat.replies(wang) if "新工单" in r.text)
    await chat.press(wang, offer.button("不方便"), offer.message)
    mark = len(chat.events)
    replies = await chat.say(wang, "在外地出差，下周才回来")
    await chat.deliver()
    assert texts.DECLINE_REASON_TOLD in texts_of(replies), texts_of(replies)
    assert declined_to_coordinator(chat, GRID_COORD, mark) or declined_to_coordinator(chat, COORD, mark)


async def test_going_off_duty_reminds_the_member_of_an_assignment_waiting_for_him(chat: BotChat, world: World) -> None:
    """A coordinator's 指派 stays when he goes off duty (it asks him by name), but /duty said only 「暂时不会收到新工单」:
    the assignment waited for an answer he was never reminded of."""
    member = world.member("王师傅", ["水暖"])
    await chat.submit(RESIDENT, "我家水管漏水了")
    offer = card_with(chat.replies(member), "不方便")
    await chat.press(member, offer.button("不方便"), offer.message)
    await assign_through_bot(chat, GRID_COORD, "王师傅")
    told = texts_of(await chat.say(member, "/duty"))
    assert "离岗" in told and "1 张协调员指派的工单在等您回复" in told, told
