"""/dispatch and 指派 as the coordinators use them: which waiting tickets the list shows and in what order (past
fifty, limits passed), the member list and its buttons (two coordinators on one ticket, a double tap, a member's
capacity), and /overdue."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from bot import texts
from bot.console import StoredMessage
from bot.handlers import coordinator as handler
from classifier import Classifier
from routing import db, dispatch, members, tickets
from routing.alerts import scan_alerts
from routing.errors import NotAllowed
from routing.models import Member, Ticket
from tests.bot.chat_harness import BotChat, Reply, assign, bot_chat, buttons, card_with, texts_of
from tests.bot.conftest import RESIDENT
from tests.bot.handlers.coordinator.helpers import GAS, NEED, dispatch_cards
from tests.conftest import COORD, G11, GRID_COORD, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT  # (1001: the small world's resident, not `chat`'s)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _listed(reply) -> bool:
    """A card of /dispatch's list (not a 📮 card still being delivered)."""
    return "指派" in str(buttons(reply)) and "有工单需要派单" not in reply.text


async def _choose(chat: BotChat, coordinator: int, card) -> list:
    """Press 指派 on a card: what the coordinator is shown."""
    return await chat.press(coordinator, card.button("指派"), card.message)


# --- /dispatch: which waiting tickets it lists, and in what order ---

@SQLITE
async def test_an_urgent_ticket_offered_to_members_is_listed_in_dispatch(chat: BotChat, world: World) -> None:
    """A resident reports a gas smell. The 网格员 gets 「🚨 紧急工单，请立即跟进 … 状态：待接单」 (and a subscribed work group
    「请协调员立即私聊我发送 /dispatch 跟进」). He sends /dispatch and reads 「目前没有待派单的工单。👍」: the urgent ticket,
    which product.md says goes to the coordinators to assign by hand ("or it is urgent, it goes to the coordinators of
    that grid"), is in no list while it waits for a member's 接单 — once the 🚨 card scrolls away he cannot find it.
    Cause: dispatch._waiting lists WAITING_FOR_COORDINATOR and assigned tickets only, never an urgent `offered` one
    (list_waiting even orders by urgent first). Expected: an urgent ticket nobody has accepted is listed with 指派."""
    world.member("王师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    alert = next(r for r in chat.replies(GRID_COORD) if "紧急工单" in r.text)
    number = alert.text.split("#")[1].split()[0]
    shown = await chat.say(GRID_COORD, "/dispatch")
    assert any(number in r.text for r in dispatch_cards(shown)), [r.text for r in shown]


@SQLITE
async def test_dispatch_says_a_ticket_is_past_its_limit(chat: BotChat, world: World) -> None:
    """A leaking pipe reported three hours ago has waited for 派单 past its one-hour response limit (a 🔴 red card
    went out). The 网格员's /dispatch card shows 「响应时限：… 20:21」 with nothing more, exactly like a ticket still in
    time; the member he then assigns it to reads 「响应时限：… 20:21（已超期）」. The coordinator, who answers for the limits,
    is the only one not told which waiting tickets are already late (he has to compare each time with the clock).
    Cause: texts._time_limit marks 「（已超期）」 from the payload's `past_due`, which make_offers sets for offers but
    coordinator._waiting (and _dispatch_needed) never do. Expected: the /dispatch card says 已超期 too."""
    now = datetime.now(UTC)
    with db.transaction(chat.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now - timedelta(hours=3), label="repair.plumbing",
                              grid_code=G11, address="幸福里3号楼", settings=world.settings)
    await chat.deliver()  # (its 📮 card, sent three hours ago)
    shown = dispatch_cards(await chat.say(GRID_COORD, "/dispatch"))
    assert len(shown) == 1, [r.text for r in shown]
    assert "超期" in shown[0].text, shown[0].text


def test_dispatch_lists_a_ticket_about_to_go_red_before_a_reopened_one_whose_limit_is_a_day_away(world: World) -> None:
    """The 网格员's /dispatch shows the first 50 waiting tickets, 「by the limit that falls due first」 (today's fix). A
    plumbing ticket was fixed and then rated 1 star (reopened): its card says 「办结时限：<tomorrow>」 — its response was
    given long ago, the limit still running is the resolution's, 23 hours away. Another ticket, nobody asked to take it,
    is 10 minutes from its response limit (响应时限). He should see the one about to go red first; instead the reopened
    one comes first, because list_waiting orders every ticket by respond_due_at, a limit that no longer runs for a
    ticket already responded to (handed back or reopened) — fifty such tickets push the one about to go red off the list.
    (routing/dispatch.py list_waiting: `due = Ticket.respond_due_at` whatever the ticket's running limit;
    bot/texts.py _time_limit shows the resolution's for these.)"""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"], G11)
    with db.transaction(world.engine) as s:
        reopened = tickets.submit_ticket(s, WORLD_RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                         address="幸福里3号楼", phone="13800000000", settings=settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, reopened, plumber, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, reopened, plumber, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, reopened, WORLD_RESIDENT, 1, T0 + minutes(40))
    with db.transaction(world.engine) as s:
        fresh = tickets.submit_ticket(s, 200, "有件事想请社区帮忙看看", T0 + minutes(60), label=None, grid_code=G11,
                                      address="幸福里5号楼", settings=settings).id
    with db.transaction(world.engine) as s:
        a, b = s.get(Ticket, reopened), s.get(Ticket, fresh)
        assert a.status == "reopened" and b.status == "dispatch"
        running_a = a.resolve_due_at  # (responded: the resolution's limit runs)
        running_b = b.respond_due_at
        assert running_b < running_a, (running_a, running_b)
        listed = [t.id for t in dispatch.list_waiting(s, GRID_COORD)]
    assert listed.index(fresh) < listed.index(reopened), (listed, running_a, running_b)


@SQLITE
async def test_dispatch_does_not_hide_a_ticket_past_its_limit_behind_fifty_still_in_time(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Monday morning: 52 ordinary requests from the weekend wait for 派单 (each with 4 hours to be taken, 2 hours
    left), and a kitchen leak reported 90 minutes ago — 1 hour to be taken — is already past its limit (🔴, escalated).
    The 网格员 sends /dispatch: 50 cards, the oldest first, and 「另有 3 件待派单」. The leak, the one ticket already
    overdue, is not among the 50 (list_waiting orders urgent first, then by age, never by the limit), so it is the one
    he cannot reach from the list; /overdue was fixed for the same case (a red ticket behind many fresh ones)."""
    now = datetime.now(UTC)
    with db.transaction(engine) as s:
        for i in range(52):
            tickets.submit_ticket(s, 100 + i, f"有件事想请社区帮忙看看 {i}", now - timedelta(hours=2, seconds=60 - i),
                                  label=None, grid_code=G11, address=f"幸福里{i}号楼", settings=world.settings)
        leak = tickets.submit_ticket(s, 99, "厨房水管漏水了", now - timedelta(minutes=90), label="repair.plumbing",
                                     grid_code=G11, address="幸福里3号楼", settings=world.settings)
        leak_id, leak_number = leak.id, leak.number
    with db.transaction(engine) as s:
        scan_alerts(s, now, settings=world.settings)  # 🔴 for the leak
    async with bot_chat(engine, tmp_path, classifier) as chat:
        assert chat.ticket(leak_id).status == "escalated"
        for _ in range(3):
            await chat.deliver()
        cards = [r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r)]
        assert len(cards) == 50
        assert any(leak_number in r.text for r in cards), "the overdue leak is not among the 50 cards"


@SQLITE
async def test_dispatch_says_how_many_more_wait_past_fifty(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """After a busy weekend 55 tickets wait for 派单 in the grid. /dispatch sends 50 cards (list_waiting's limit) and
    nothing says 5 more wait: the coordinator dispatches the 50 and believes the list is done (/dispatch then shows the
    rest only after some of these were assigned)."""
    now = datetime.now(UTC) - timedelta(minutes=30)
    with db.transaction(engine) as s:
        for i in range(55):
            tickets.submit_ticket(s, 100 + i, f"有件事想请社区帮忙看看 {i}", now + timedelta(seconds=i), label=None,
                                  grid_code=G11, address=f"幸福里{i}号楼", settings=world.settings)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        await chat.deliver()
        shown = await chat.say(GRID_COORD, "/dispatch")
        cards = [r for r in shown if "指派" in str(buttons(r))]
        others = [r.text for r in shown if r not in cards]
        assert len(cards) == 55 or any("55" in t or "还有" in t or "其余" in t or "另有 5 件" in t for t in others), (len(cards), others)


@SQLITE
async def test_after_assigning_the_first_fifty_dispatch_shows_the_ones_still_waiting(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """55 tickets wait for 派单 in the grid. /dispatch sends 50 cards and says 「另有 5 件待派单，处理完上面这些后再发
    /dispatch 查看」. The 网格员 does exactly that: he assigns each of the 50 to a member (指派 → a name) and sends
    /dispatch again. He should now see the 5 tickets nobody has been asked to take; instead he gets the same 50 cards
    again (each 「⏳ 已指派给 …，等待对方确认」: list_waiting sorts the assigned ones first by age) and again 「另有 5 件」 —
    the 5 stay out of reach until members answer, however many times he asks."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    with db.transaction(engine) as s:
        for i in range(55):
            tickets.submit_ticket(s, 100 + i, f"有件事想请社区帮忙看看 {i}", start + timedelta(seconds=i), label=None,
                                  grid_code=G11, address=f"幸福里{i}号楼", settings=world.settings)
    members_ = [world.member(f"志愿者{i}", ["电工"], capacity=5) for i in range(10)]  # (five assignments each)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        await chat.deliver()
        await chat.deliver()
        first = [r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r)]
        assert len(first) == 50
        ids = [int(r.button("指派").split(":")[1]) for r in first]
        for n, ticket_id in enumerate(ids):  # (as pressing 指派 and a member's name on each card)
            with db.transaction(engine) as s:
                dispatch.assign_ticket(s, ticket_id, GRID_COORD, world.member_id(members_[n % 10]),
                                       datetime.now(UTC), settings=world.settings)
        again = await chat.say(GRID_COORD, "/dispatch")
        cards = [r for r in again if _listed(r)]
        unassigned = [r for r in cards if "已指派给" not in r.text]
        assert len(unassigned) == 5, (len(cards), len(unassigned), [r.text for r in again if r not in cards])


# --- 指派: the member list and its buttons ---

@SQLITE
async def test_the_member_who_can_take_the_ticket_now_is_in_the_assign_list(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """指派 lists at most 8 members ranked by skill, ignoring duty and load. In a grid with 4 electricians at their
    limit (3/3: assigning them is refused, 「手上已有…请指派其他成员」) and 4 off duty, the one member on duty with
    room (a plumber, who could change a bulb) is not in the list at all: the coordinator has 8 buttons, none of which
    can work now, and no way to reach the one that could."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
        busy = [world.member(f"电工{i}", ["电工"]) for i in range(4)]
        away = [world.member(f"休息{i}", ["电工"]) for i in range(4)]
        world.member("赵水暖", ["水暖"])
        with db.transaction(engine) as s:
            s.exec(update(Member).where(Member.telegram_id.in_(busy))
                   .values(active_count=3, capacity=3, last_assigned_at=datetime.now(UTC) - timedelta(days=3)))
            for tid in away:
                members.set_duty(s, tid, False)
        waiting = next(r for r in await chat.say(GRID_COORD, "/dispatch") if "指派" in str(buttons(r)))
        shown = [b for r in await _choose(chat, GRID_COORD, waiting) for b in buttons(r)]
        assert any("赵水暖" in b for b in shown), shown


@SQLITE
async def test_a_coordinator_cannot_give_a_member_more_assignments_than_they_can_take(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Four tickets wait for 派单. The 网格员 goes down /dispatch and presses 指派 → 王师傅 on each (his button reads
    「在岗 0/3」 every time: nothing he holds yet). Each press answers 「已把工单…指派给 王师傅，等待对方确认」. 王师傅 presses
    接单 on all four: the fourth is refused (「您手上已有 3 张工单，请先办结再接新单」) and stays with him, unanswerable.
    assign_ticket refuses a member at capacity (「手上已有…请指派其他成员」) but does not count the assignments already
    waiting for the member's answer, so the 网格员 should have been told at the fourth press; instead he believes it is
    taken care of, and that resident waits until the assignment times out."""
    start = datetime.now(UTC) - timedelta(minutes=20)
    with db.transaction(engine) as s:
        for i in range(4):
            tickets.submit_ticket(s, 100 + i, f"楼道灯坏了 {i} 号楼", start + timedelta(seconds=i), label=None,
                                  grid_code=G11, address=f"幸福里{i}号楼", settings=world.settings)
    wang = world.member("王师傅", ["电工"], capacity=3)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        await chat.deliver()
        cards = [r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r)]
        assert len(cards) == 4
        answers = []
        for card in cards:
            shown = card_with(await chat.press(GRID_COORD, card.button("指派"), card.message), "王师傅")
            answers.append("\n".join(r.text for r in await chat.press(GRID_COORD, shown.button("王师傅"),
                                                                       shown.message)))
        refused_to_coordinator = [a for a in answers if "等待对方确认" not in a]
        offers = [r for r in chat.replies(wang) if "指派给您" in r.text]
        refused_to_member = []
        for offer in offers:
            got = "\n".join(r.text for r in await chat.press(wang, offer.button("接单"), offer.message))
            if "请先办结" in got:
                refused_to_member.append(got)
        assert refused_to_coordinator or not refused_to_member, (answers, refused_to_member)


@SQLITE
async def test_a_double_tap_on_a_members_name_does_not_tell_the_member_the_ticket_is_no_longer_theirs(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """On a slow phone the 网格员 taps 王师傅 under 「把工单…指派给谁？」, sees nothing happen for a moment and taps again
    (two presses of the same button reach the bot before the list is replaced). 王师傅 should get one assignment;
    instead the second press counts as a new 指派 to the same person: 王师傅's first message is turned into
    「（工单 … 已有变化，不需要您处理了。）」 and a second 「协调员指派给您一张工单」 arrives under it — he is told the job is
    not his and then that it is, and the ticket's log shows two assignments."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.submit(RESIDENT, NEED)
        wang = world.member("王师傅", ["电工"])
        card = next(r for r in reversed(chat.replies(GRID_COORD)) if "需要派单" in r.text)
        choose = card_with(await chat.press(GRID_COORD, card.button("指派"), card.message), "王师傅")
        tap = choose.button("王师傅")
        await chat.press(GRID_COORD, tap, choose.message)
        await chat.press(GRID_COORD, tap, choose.message)  # (the second tap of the double tap)
        seen = [r.text for r in chat.replies(wang)]
        withdrawn = [t for t in seen if "不需要您处理" in t]
        offers = [t for t in seen if "指派给您" in t]
        assert not withdrawn and len(offers) == 1, seen


@pytest.mark.parametrize("added", ["address", "photo"])
def test_the_resident_adding_where_to_an_urgent_ticket_does_not_make_the_coordinators_tap_refused(
    world: World, added: str
) -> None:
    """A resident types 「厨房一股煤气味」: the urgent ticket opens at once (before its address) and the 网格员 is alerted.
    He presses 指派 and gets the member list. A few seconds later the resident, at the address step, types
    「幸福里3号楼」 (or sends a photo) — the ticket's data grows, nobody took it. The 网格员 taps 王师傅. He should get
    「已把工单…指派给 王师傅，等待对方确认」. Instead his tap is refused with 「工单 #… 刚有变化。需要改派的话，请重新点
    「指派」」: the list's buttons carry the ticket's version, and every update_ticket (contact_added, resolution photos,
    escalation…) bumps it, not only a change of who holds the ticket. On an urgent gas leak the coordinator loses the
    seconds of a second round, and is told something about 改派 that makes no sense (nobody has it).
    (routing/dispatch.py assign_ticket: `ticket.version != seen_version` for any change.)"""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, WORLD_RESIDENT, "厨房一股煤气味", T0, label="safety.gas_leak", grid_code=G11,
                                    urgent=True, settings=world.settings).id
    tid_member = world.member("王师傅", ["燃气"], G11)
    with db.transaction(world.engine) as s:
        member_id = members.get_member(s, tid_member).id
        _, held_by, _, _, holder = handler._candidates(s, tid, GRID_COORD, T0 + minutes(1))
    assert held_by is None
    with db.transaction(world.engine) as s:
        if added == "address":
            tickets.add_contact(s, tid, WORLD_RESIDENT, T0 + minutes(1), address="幸福里3号楼", settings=world.settings)
        else:
            tickets.add_contact(s, tid, WORLD_RESIDENT, T0 + minutes(1), attachments=["kitchen-photo"],
                                settings=world.settings)
    with db.transaction(world.engine) as s:
        _, name = handler._assign(s, tid, GRID_COORD, member_id, T0 + minutes(1), holder)
    assert name == "王师傅"
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).assignee_id is None


# --- two coordinators on one ticket: an old card, a stale list ---

@SQLITE
async def test_an_old_dispatch_card_says_who_holds_the_ticket_before_reassigning(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The street coordinator's /dispatch card and the 网格员's 📮 card show the same waiting ticket. The 网格员 assigns
    王师傅, who accepts and sets out. The street coordinator then presses 指派 on his card: he is asked 「把工单 … 指派给谁？」
    as if it were still waiting, with nothing saying 王师傅 has it, and his choice silently takes it from 王师傅."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        ticket_id = await chat.submit(RESIDENT, NEED)
        wang = world.member("王师傅", ["电工"])
        world.member("李师傅", ["电工"])
        street_card = next(r for r in await chat.say(COORD, "/dispatch") if "指派" in str(buttons(r)))
        grid_card = next(r for r in reversed(chat.replies(GRID_COORD)) if "需要派单" in r.text)
        choose = next(r for r in await _choose(chat, GRID_COORD, grid_card) if "王师傅" in str(buttons(r)))
        await chat.press(GRID_COORD, choose.button("王师傅"), choose.message)
        offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
        await chat.press(wang, offer.button("接单"), offer.message)
        details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
        await chat.press(wang, details.button("开始"), details.message)
        assert chat.ticket(ticket_id).status == "in_progress"

        shown = await _choose(chat, COORD, street_card)
        texts = [r.text for r in shown]
        picker = next((r for r in shown if "李师傅" in str(buttons(r))), None)
        if picker is not None:
            await chat.press(COORD, picker.button("李师傅"), picker.message)
        warned = any("王师傅" in t or "已接单" in t or "办理中" in t for t in texts)
        kept = chat.ticket(ticket_id).assignee_id == world.member_id(wang)
        assert warned or kept, (texts, chat.ticket(ticket_id).status)


@SQLITE
async def test_a_member_list_opened_before_another_coordinator_assigned_does_not_take_the_ticket_from_the_worker(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Two coordinators look at the same waiting ticket. The 网格员 presses 指派 on his 📮 card and gets the list of
    members, then is interrupted. Meanwhile the street coordinator assigns it (from /dispatch) to 王师傅, who accepts
    and presses 开始 — he is on his way. The 网格员 comes back to his phone and taps 李师傅 on the list still open.
    He should be told that 王师傅 has the ticket now (as pressing 指派 on an old card does: 「现由 王师傅 负责。改派给谁？」)
    or the press refused; instead the ticket is silently taken from 王师傅 in the middle of the job and given to 李师傅,
    and the 网格员's screen only says 「已把工单…指派给 李师傅，等待对方确认」."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        ticket_id = await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
        wang = world.member("王师傅", ["电工"])
        world.member("李师傅", ["电工"])
        grid_card = next(r for r in reversed(chat.replies(GRID_COORD)) if "需要派单" in r.text)
        grid_list = card_with(await chat.press(GRID_COORD, grid_card.button("指派"), grid_card.message), "李师傅")

        street_card = card_with(await chat.say(COORD, "/dispatch"), "指派")
        street_list = card_with(await chat.press(COORD, street_card.button("指派"), street_card.message), "王师傅")
        await chat.press(COORD, street_list.button("王师傅"), street_list.message)
        offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
        await chat.press(wang, offer.button("接单"), offer.message)
        details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
        await chat.press(wang, details.button("开始"), details.message)
        assert chat.ticket(ticket_id).status == "in_progress"

        shown = await chat.press(GRID_COORD, grid_list.button("李师傅"), grid_list.message)
        told = "\n".join(r.text for r in shown)
        kept = chat.ticket(ticket_id).assignee_id == world.member_id(wang)
        assert kept or "王师傅" in told, (told, chat.ticket(ticket_id).status)


async def _a_stale_list_pressed(chat: BotChat, world: World) -> tuple[list[Reply], StoredMessage]:
    """Both coordinators open 指派 on the same waiting ticket (from /dispatch); the 网格员 assigns 王师傅, who accepts;
    then the street coordinator picks 李师傅 in his old list. Returns what that press answered, and the message he
    pressed as it is now."""
    await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    street_card = dispatch_cards(await chat.say(COORD, "/dispatch"))[0]
    grid_card = dispatch_cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    street_list = next(r for r in await chat.press(COORD, street_card.button("指派"), street_card.message)
                       if "李师傅" in str(buttons(r)))
    await assign(chat, GRID_COORD, grid_card, "王师傅")
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    await chat.press(wang, offer.button("接单"), offer.message)
    refused = await chat.press(COORD, street_list.button("李师傅"), street_list.message)
    pressed = next(m for m in chat.request.messages(COORD) if m.message_id == street_list.message.message_id)
    return refused, pressed


@SQLITE
async def test_a_coordinator_refused_for_a_stale_list_is_left_a_way_to_reassign(
    chat: BotChat, world: World
) -> None:
    """Two coordinators work the same waiting ticket: the street's and the 网格员 each send /dispatch and press 指派. The
    网格员 picks 王师傅, who accepts at once. The street coordinator, a moment later, picks 李师傅 in his own list and
    gets 「工单 … 刚有变化，现由 王师傅 负责。需要改派的话，请重新点「指派」」. But his message is still the old list (王师傅 0/3,
    李师傅 0/3) with no 「指派」 button — the bot replaced it with the member buttons — every name he presses there gets
    the same refusal (the stale holder is in its callback data), and /dispatch answers 「目前没有待派单的工单。👍」
    (an accepted ticket is not listed). He is told to press a button that exists nowhere. Cause: the refusal
    (dispatch.assign_ticket's ConcurrentUpdate) reaches the error handler as an alert only; dispatch_button leaves the
    stale keyboard. Expected: the refused list is refreshed (who holds it now, buttons that work) or offers 指派."""
    refused, pressed = await _a_stale_list_pressed(chat, world)
    assert any("刚有变化" in r.text for r in refused), [r.text for r in refused]
    # What he has now to act on: the message he pressed, and /dispatch.
    now_shown = [b["text"] for row in pressed.inline_keyboard for b in row]
    listed = dispatch_cards(await chat.say(COORD, "/dispatch"))
    assert any("指派" in b for b in now_shown) or "王师傅" in pressed.text or listed, (pressed.text, now_shown)


@SQLITE
async def test_the_refusal_of_a_stale_list_does_not_point_to_a_button_that_is_gone(
    chat: BotChat, world: World
) -> None:
    """Two coordinators open 指派 on the same ticket; the 网格员 assigns 王师傅, who accepts. The street coordinator then
    picks 李师傅 in his old list. Since 9bb9906 his message is refreshed into 「工单 … 现由 王师傅 负责。改派给谁？（改派后会
    通知对方）」 with the member buttons — but the alert over it still says 「工单 … 刚有变化，现由 王师傅 负责。需要改派的话，
    请重新点「指派」」: there is no 「指派」 under the message any more, the names are (dispatch.assign_ticket's message,
    written for the stale list). Expected: the refusal tells him to choose again in the list shown (e.g. 「需要改派的话，
    请在下面重新选择」), not to press a button that is not there."""
    refused, pressed = await _a_stale_list_pressed(chat, world)
    now_shown = [b["text"] for row in pressed.inline_keyboard for b in row]
    told = "\n".join(r.text for r in refused)
    assert "王师傅" in pressed.text, pressed.text  # (the list refreshed, as the fix meant)
    assert "请重新点「指派」" not in told or any("指派" in b for b in now_shown), (told, pressed.text, now_shown)


# --- /overdue ---

@SQLITE
async def test_overdue_says_how_many_more_are_overdue_past_the_first_fifty(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """After a rainy weekend 60 tickets of the grid are past their response limit. The 网格员 sends /overdue: he gets
    one message listing 50 of them (alerts.overdue_tickets' limit) and nothing says 10 more are overdue, so he works
    through the list believing it is everything (/dispatch says 「另有 N 件待派单」 in the same case)."""
    start = datetime.now(UTC) - timedelta(hours=3)
    with db.transaction(engine) as s:
        for i in range(60):
            tickets.submit_ticket(s, 100 + i, f"厨房水管漏水了 {i}", start + timedelta(seconds=i),
                                  label="repair.plumbing", grid_code=G11, address=f"幸福里{i}号楼",
                                  settings=world.settings)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        await chat.deliver()  # (the 📮 cards of the 60 tickets, 50 a pass)
        replies = await chat.say(GRID_COORD, "/overdue")
        shown = "\n".join(r.text for r in replies if "📮" not in r.text)  # (cards still being delivered)
        listed = shown.count("🔴")
        more = re.search(r"(另有|还有|其余|其他)\s*10\s*件", shown)
        assert listed == 60 or more, (listed, shown[-300:])


def _pipe_taken_thirty_hours_ago(chat: BotChat, world: World) -> int:
    """王师傅 accepted a leaking pipe 30 hours ago and has not finished it (its 办结 limit passed 6 hours ago): his id."""
    t0 = datetime.now(UTC) - timedelta(hours=30)
    wang = world.member("王师傅", ["水暖"], now=t0)
    with db.transaction(chat.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", t0, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼", settings=world.settings).id
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, wang, t0 + timedelta(minutes=5))
    return wang


@SQLITE
async def test_overdue_says_who_holds_a_late_ticket_and_which_limit(chat: BotChat, world: World) -> None:
    """王师傅 accepted a leaking pipe 30 hours ago and has not finished it: its 办结 limit passed 6 hours ago. The work
    group was told 「请协调员私聊我发送 /overdue 督办」; the 网格员 sends /overdue and reads
    「🔴 #… 水管疏通 · 已接单 · 幸福里第一网格 · 时限 12月6日 16:24」 — no word of who has it (the person to chase), nor
    whether 时限 is the response or the resolution limit, and no button to act on it (/dispatch does not list a ticket
    a member holds). The red card itself says 「办理人：王师傅」 and 「办结时限」. Cause: texts.overdue prints only number,
    item, status, grid and due time, though the rows carry `member_name` and `limit`. Expected: each line names the
    limit (响应 / 办结) and, for a ticket in hand, its 办理人."""
    _pipe_taken_thirty_hours_ago(chat, world)
    shown = "\n".join(r.text for r in await chat.say(GRID_COORD, "/overdue"))
    assert "🔴" in shown, shown
    assert "王师傅" in shown, shown
    assert "办结" in shown, shown
    assert re.search(r"已超 (5 小时 5\d 分钟|6 小时)", shown), shown  # (how far past: 6 hours, not only the clock time)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_assign_list_turns_its_pages(chat: BotChat, world: World) -> None:
    """Ten electricians in the grid: 指派 listed the best eight and no more, so the one the coordinator had just phoned
    could not be chosen. Now 下一页 shows the other two (上一页 goes back), and one of them can be assigned."""
    ticket_id = await chat.submit(RESIDENT, NEED)  # (nobody registered yet: it waits for 派单)
    names = [f"电工{n}号" for n in range(10)]
    for name in names:
        world.member(name, ["电工"])
    card = dispatch_cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    listed = next(r for r in await chat.press(GRID_COORD, card.button("指派"), card.message) if "指派给谁" in r.text)
    first = [b for b in buttons(listed) if "电工" in b]
    assert len(first) == 8 and "下一页" in str(buttons(listed)) and "上一页" not in str(buttons(listed)), buttons(listed)
    turned = next(r for r in await chat.press(GRID_COORD, listed.button("下一页"), listed.message) if "指派给谁" in r.text)
    second = [b for b in buttons(turned) if "电工" in b]
    assert len(second) == 2 and not set(second) & set(first) and "上一页" in str(buttons(turned)), buttons(turned)
    back = next(r for r in await chat.press(GRID_COORD, turned.button("上一页"), turned.message) if "指派给谁" in r.text)
    assert [b for b in buttons(back) if "电工" in b] == first
    turned = next(r for r in await chat.press(GRID_COORD, back.button("下一页"), back.message) if "指派给谁" in r.text)
    chosen = next(name for name in names if any(name in b for b in second))
    await chat.press(GRID_COORD, turned.button(chosen), turned.message)
    assert any("指派给您" in r.text for r in chat.replies(world.members[chosen])), chat.ticket(ticket_id).status


# --- 上报: a ticket handed to the level above ---

@SQLITE
async def test_a_grid_coordinator_with_nobody_to_send_hands_the_ticket_up(chat: BotChat, world: World) -> None:
    """A ticket nobody in the grid can do waits for the 网格员's 派单. His cards had 指派 and 关闭 only: nothing to hand
    it to the community, so it sat until its red card. 「⬆️ 上报」 hands it up at once: the level above (the street,
    as the community has no coordinator here) gets its 📮 card saying who handed it up, and the ticket is theirs
    to dispatch; the 网格员 may still 指派 it."""
    ticket_id = await chat.submit(RESIDENT, NEED)  # no member registered: it waits for 派单
    card = next(r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text)
    assert "上报" in str(buttons(card)), card.text
    before = len(chat.replies(COORD))
    shown = await chat.press(GRID_COORD, card.button("上报"), card.message)
    assert any("已把工单" in r.text and "上报" in r.text for r in shown), [r.text for r in shown]
    await chat.deliver()
    raised = [r for r in chat.replies(COORD)[before:] if "有工单需要派单" in r.text]
    assert raised and "上报" in raised[-1].text, [r.text for r in chat.replies(COORD)[before:]]
    assert "上报" not in str(buttons(raised[-1])), "the street is the top: nothing above it"
    assert "指派" in str(buttons(raised[-1]))
    ticket = chat.ticket(ticket_id)
    assert (ticket.status, ticket.escalation_level) == ("escalated", 1)
    again = await chat.press(GRID_COORD, card.button("上报"), card.message)
    assert any("已在上一级" in r.text for r in again), [r.text for r in again]
    assert chat.ticket(ticket_id).escalation_level == 1


@SQLITE
async def test_the_top_level_and_a_ticket_in_hand_have_no_shang_bao(chat: BotChat, world: World) -> None:
    """The street coordinator's /dispatch cards have no 上报 (nobody above him); a ticket a member has taken is not
    handed up (nothing waits for 派单)."""
    ticket_id = await chat.submit(RESIDENT, NEED)
    shown = [r for r in await chat.say(COORD, "/dispatch") if _listed(r)]
    assert shown and all("上报" not in str(buttons(r)) for r in shown), [str(buttons(r)) for r in shown]
    grid_cards = [r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r)]
    assert grid_cards and "上报" in str(buttons(grid_cards[0]))
    wang = world.member("王师傅", ["电工"])
    with db.transaction(chat.engine) as s:
        dispatch.assign_ticket(s, ticket_id, GRID_COORD, world.member_id(wang), datetime.now(UTC))
        dispatch.accept_offer(s, ticket_id, wang, datetime.now(UTC))
    with db.transaction(chat.engine) as s, pytest.raises(NotAllowed, match="不需要上报"):
        dispatch.raise_ticket(s, ticket_id, GRID_COORD, datetime.now(UTC))


@SQLITE
async def test_the_assign_list_marks_who_said_bu_fang_bian_to_the_ticket(chat: BotChat, world: World) -> None:
    """王师傅 pressed 「不方便」 on the lamp's offer; nobody else took it and it waits for 派单. In 指派's list he came
    last, looking like anyone else: the 网格员 would phone him first. His button now says he said 不方便."""
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    with db.transaction(chat.engine) as s:
        for member in (wang, world.members["李师傅"]):
            dispatch.decline_offer(s, ticket_id, member, datetime.now(UTC))
    assert chat.ticket(ticket_id).status == "dispatch"
    card = next(r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r))
    await _choose(chat, GRID_COORD, card)
    picker = card_with(chat.replies(GRID_COORD), "王师傅")
    names = [b for b in buttons(picker) if "师傅" in b]
    assert names and all("已说不方便" in b for b in names), names


COMMUNITY_COORD = 9021  # (a coordinator of 幸福里社区, S01-C01, added for the tests of 上报 through three levels)


def _community_coordinator(chat: BotChat) -> None:
    with db.transaction(chat.engine) as s:
        members.add_coordinator(s, COORD, COMMUNITY_COORD, "S01-C01", datetime.now(UTC))


@SQLITE
async def test_shang_bao_to_a_community_with_no_coordinator_says_where_it_went(chat: BotChat) -> None:
    """A console review: 「已把工单 … 上报到幸福里社区，那里的协调员会收到」 when the community had no coordinator: the
    card went to the street. He is told so."""
    await chat.submit(RESIDENT, NEED)
    card = next(r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text)
    shown = texts_of(await chat.press(GRID_COORD, card.button("上报"), card.message))
    assert "暂无协调员" in shown and "示范街道" in shown, shown


@SQLITE
async def test_the_level_above_reads_why_the_ticket_came_back_and_the_level_below_hears_it_went_on(
    chat: BotChat, world: World
) -> None:
    """王师傅 hands the lamp back (联系不上居民); the 网格员 hands it up, then the community's coordinator hands it on to
    the street. A console review: the community's 📮 card said only who handed it up — not the 退回 and its reason —,
    and /dispatch never showed them; the 网格员 was never told his ticket went on to the street. Every card of it now
    says why it waits, and those below hear where it went."""
    _community_coordinator(chat)
    wang = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, wang, datetime.now(UTC))
        tickets.hand_back(s, ticket_id, wang, "联系不上居民，电话一直关机", datetime.now(UTC))
    await chat.deliver()
    card = next(r for r in reversed(chat.replies(GRID_COORD)) if "有工单需要派单" in r.text)
    listed = [r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r)]
    assert "联系不上居民" in listed[0].text, listed[0].text
    await chat.press(GRID_COORD, card.button("上报"), card.message)
    await chat.deliver()
    raised = next(r for r in reversed(chat.replies(COMMUNITY_COORD)) if "有工单需要派单" in r.text)
    assert "上报" in raised.text and "联系不上居民" in raised.text, raised.text
    before = len(chat.replies(GRID_COORD))
    await chat.press(COMMUNITY_COORD, raised.button("上报"), raised.message)
    await chat.deliver()
    told = texts_of(chat.replies(GRID_COORD)[before:])
    assert "上报到上一级" in told and chat.ticket(ticket_id).number in told, told
    assert chat.ticket(ticket_id).escalation_level == 2
    before = {c: len(chat.replies(c)) for c in (GRID_COORD, COMMUNITY_COORD)}
    with db.transaction(chat.engine) as s:
        tickets.cancel_ticket(s, ticket_id, COORD, datetime.now(UTC), reason="重复工单")
    await chat.deliver()
    for coordinator, seen in before.items():  # (the street closed it: those below, whose cards wait, hear it)
        assert "重复工单" in texts_of(chat.replies(coordinator)[seen:]), coordinator


async def _two_electricians_and_the_lamp(chat: BotChat, world: World) -> tuple[int, int, int]:
    """王师傅 and 李师傅 (electricians) registered, then the resident's lamp: their ids and the ticket's."""
    wang, li = world.member("王师傅", ["电工"]), world.member("李师傅", ["电工"])
    return wang, li, await chat.submit(RESIDENT, NEED)


@SQLITE
async def test_the_assign_list_tells_a_hand_back_and_a_low_rating_from_bu_fang_bian(chat: BotChat, world: World) -> None:
    """A console review: after a 1-star rating reopened the lamp, 指派's list marked 王师傅 — who did the work —
    「已说不方便」. A member who handed the ticket back, or whose work was rated low, is marked so."""
    wang, li, ticket_id = await _two_electricians_and_the_lamp(chat, world)
    now, wang_id = datetime.now(UTC), world.member_id(wang)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, li, now)
        tickets.hand_back(s, ticket_id, li, "没有梯子", now)
        dispatch.assign_ticket(s, ticket_id, GRID_COORD, wang_id, now)
        dispatch.accept_offer(s, ticket_id, wang, now)
        tickets.resolve_ticket(s, ticket_id, wang, now)
        tickets.rate_ticket(s, ticket_id, RESIDENT, 1, now)
    card = next(r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r))
    assert "居民评了 1 星" in card.text, card.text
    await _choose(chat, GRID_COORD, card)
    picker = card_with(chat.replies(GRID_COORD), "王师傅")
    marks = {b.split("（")[0]: b for b in buttons(picker) if "师傅" in b}
    assert "差评" in marks["👤 王师傅"] and "已退回" in marks["👤 李师傅"], marks


@SQLITE
@pytest.mark.parametrize("words", ["这单元门口好多垃圾", "楼上装修了没完没了", "我妈电话一直没人接 好担心"])
async def test_a_coordinators_own_words_are_not_taken_for_a_question_about_the_work(chat: BotChat, words: str) -> None:
    """这单元…, 装修了没完没了, 电话一直没人接 read as 这单 / 修了没 / 没人接 and got the commands (a review's probe)."""
    text = texts_of(await chat.say(GRID_COORD, words))
    assert texts.WORK_BY_COMMANDS not in text, text


@SQLITE
@pytest.mark.parametrize("words", ["有没有超期的工单", "今天的统计", "这个单子谁在办", "今天有几单没人接", "催一下",
                                   "张阿姨的水管修了没"])
async def test_a_coordinators_question_about_the_work_gets_the_commands(chat: BotChat, words: str) -> None:
    """A console review: 「有没有超期的工单」 from the 网格员 got 「您还没有工单」, 「今天的统计」 the resident's introduction;
    the forty-sixth session's: 这个单子谁在办, 今天有几单没人接, 催一下 the same, with 「登记为诉求」. Now: how to ask after
    one ticket (its number), and the commands."""
    text = texts_of(await chat.say(GRID_COORD, words))
    assert texts.WORK_BY_COMMANDS in text and "/overdue" in text and "您还没有工单" not in text, text


@SQLITE
async def test_a_coordinators_own_need_is_registered_not_pointed_to_zhi_pai(chat: BotChat) -> None:
    """A review: 「我家水管漏了，能派个人来看看吗」 from a coordinator got the 派单 pointer and the waiting list."""
    text = texts_of(await chat.say(GRID_COORD, "我家水管漏了，能派个人来看看吗"))
    assert texts.DISPATCH_BY_BUTTONS not in text and chat.intake_draft(GRID_COORD) is not None, text


@SQLITE
async def test_a_member_a_coordinator_took_the_ticket_from_is_not_marked_as_handing_it_back(
    chat: BotChat, world: World
) -> None:
    wang, li, ticket_id = await _two_electricians_and_the_lamp(chat, world)
    now, li_id = datetime.now(UTC), world.member_id(li)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, wang, now)
        dispatch.assign_ticket(s, ticket_id, GRID_COORD, li_id, now)
        marks = dispatch.turned_down_by(s, tickets.get_ticket(s, ticket_id))
    assert marks == {}, marks


@SQLITE
async def test_dispatch_lists_who_handed_the_ticket_up(chat: BotChat) -> None:
    """A review: only the pushed 📮 card said 上报; /dispatch's card of the same ticket did not."""
    await chat.submit(RESIDENT, NEED)
    card = next(r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text)
    await chat.press(GRID_COORD, card.button("上报"), card.message)
    listed = [r for r in await chat.say(COORD, "/dispatch") if _listed(r)]
    assert listed and "上报" in listed[0].text, [r.text for r in listed]


@SQLITE
async def test_after_shang_bao_each_level_hears_the_others_zhi_pai_and_its_answer(chat: BotChat, world: World) -> None:
    """A console review: after 上报, the community's coordinator assigned the ticket; the 网格员 who had handed it up —
    his 📮 card still 待派单 — heard nothing, neither of the 指派 nor of the 接单 that followed (the other way round,
    a level could 指派 a ticket the other had just assigned)."""
    _community_coordinator(chat)
    ticket_id = await chat.submit(RESIDENT, NEED)  # (nobody registered yet: it waits for 派单)
    card = next(r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text)
    await chat.press(GRID_COORD, card.button("上报"), card.message)
    before = len(chat.replies(GRID_COORD))
    wang = world.member("王师傅", ["电工"])
    wang_id = world.member_id(wang)
    with db.transaction(chat.engine) as s:
        dispatch.assign_ticket(s, ticket_id, COMMUNITY_COORD, wang_id, datetime.now(UTC))
    await chat.deliver()
    told = texts_of(chat.replies(GRID_COORD)[before:])
    assert "指派给 王师傅" in told and "不用再派单" in told, told
    before = len(chat.replies(GRID_COORD))
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, wang, datetime.now(UTC))
    await chat.deliver()
    assert "接单" in texts_of(chat.replies(GRID_COORD)[before:]), texts_of(chat.replies(GRID_COORD)[before:])


@SQLITE
async def test_the_cards_say_when_routing_found_nobody(chat: BotChat) -> None:
    """A console review: the 📮 card said only 「状态：待派单」, whether the one member with the skill had said 不方便,
    nobody had answered the waves, or nobody on duty had the skill. It says which."""
    await chat.submit(RESIDENT, NEED)  # (nobody registered: no member to offer it to)
    card = next(r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text)
    listed = [r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r)]
    reason = texts.DISPATCH_REASONS["no_candidates"]
    assert reason in card.text and reason in listed[0].text, (card.text, listed[0].text)


# --- 📣 催办 under a late ticket's card ---

@SQLITE
async def test_a_coordinator_urges_the_member_holding_a_late_ticket_from_its_card(
    chat: BotChat, world: World
) -> None:
    """王师傅 took a leaking pipe 30 hours ago and has not finished it: its 🔴 card reached the coordinators with 指派 and
    关闭 only. To chase him they had to find his phone number: 改派 was the only button that acted. Now the card
    carries 📣 催办: 王师傅 is told the coordinators are chasing the ticket, and the coordinator is told so; a second
    press within two hours tells him nothing more."""
    now, wang = datetime.now(UTC), _pipe_taken_thirty_hours_ago(chat, world)
    with db.transaction(chat.engine) as s:
        scan_alerts(s, now, settings=world.settings)
    await chat.deliver()
    red = next(r for person in (GRID_COORD, COORD) for r in chat.replies(person)
               if "红牌" in r.text and r.message is not None and any("催办" in b for b in buttons(r)))
    coordinator = GRID_COORD if red in chat.replies(GRID_COORD) else COORD
    told = texts_of(await chat.press(coordinator, red.button("催办"), red.message))
    assert "已催办 王师傅" in told, told
    urged = texts_of(chat.replies(wang)[-2:])
    assert "协调员在催办工单" in urged and "办结" in urged, urged
    heard = len(chat.replies(wang))
    told = texts_of(await chat.press(coordinator, red.button("催办"), red.message))
    assert "已经催办过" in told and len(chat.replies(wang)) == heard, told


@SQLITE
async def test_a_card_of_a_ticket_nobody_holds_has_no_urge_button(chat: BotChat, world: World) -> None:
    """Nobody took the pipe: its 🔴 card needs 指派, and 催办 would reach no one."""
    now = datetime.now(UTC)
    with db.transaction(chat.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now - timedelta(hours=3), label="repair.plumbing",
                              grid_code=G11, address="幸福里3号楼", settings=world.settings)
        scan_alerts(s, now, settings=world.settings)
    await chat.deliver()
    cards = [r for person in (GRID_COORD, COORD) for r in chat.replies(person) if "红牌" in r.text]
    assert cards and all(not any("催办" in b for b in buttons(r)) for r in cards if r.message is not None), cards


@SQLITE
async def test_the_assign_list_says_which_members_have_the_skill_the_ticket_needs(chat: BotChat, world: World) -> None:
    """A leaking pipe nobody took: 指派's list showed 王师傅 and 刘物业 alike (name, grid, duty, load), so a coordinator
    who did not know them could send the property manager to a pipe. Each now says the ticket's skill he covers, or
    「无对口技能」."""
    wang = world.member("王师傅", ["水暖"])
    world.member("刘物业", ["物业"])
    now = datetime.now(UTC)
    with db.transaction(chat.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼", settings=world.settings).id
    with db.transaction(chat.engine) as s:
        dispatch.decline_offer(s, ticket_id, wang, now)  # (the only plumber: the ticket waits for 派单)
    card = next(r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r))
    await _choose(chat, GRID_COORD, card)
    picker = card_with(chat.replies(GRID_COORD), "刘物业")
    marks = {b.split("（")[0]: b for b in buttons(picker) if "👤" in b}
    assert "·水暖" in marks["👤 王师傅"] and "无对口技能" in marks["👤 刘物业"], marks


@SQLITE
async def test_the_dispatch_card_says_who_said_bu_fang_bian_and_why(chat: BotChat, world: World) -> None:
    """Both plumbers said 不方便 to the pipe, one 「在医院陪老伴」, the other 「出差了」: /dispatch showed the ticket with
    「推送给的党员都没有接单」 and nothing of them, so the coordinator assigned it to the one at the hospital. Each card of
    the ticket now lists who said 不方便 and why."""
    wang, li = world.member("王师傅", ["水暖"]), world.member("李师傅", ["水暖"])
    now = datetime.now(UTC)
    with db.transaction(chat.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼", settings=world.settings).id
    with db.transaction(chat.engine) as s:
        dispatch.decline_offer(s, ticket_id, wang, now, reason="在医院陪老伴")
    with db.transaction(chat.engine) as s:
        dispatch.decline_offer(s, ticket_id, li, now, reason="出差了")
        assert s.get(Ticket, ticket_id).status == "dispatch"
    card = next(r for r in await chat.say(GRID_COORD, "/dispatch") if _listed(r))
    assert "不方便" in card.text and "王师傅（在医院陪老伴）" in card.text and "李师傅（出差了）" in card.text, card.text
