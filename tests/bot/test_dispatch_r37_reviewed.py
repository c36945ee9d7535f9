"""Found by a review of dispatch in the thirty-seventh session (each test failed on the code before).

The coordinators' side (派单): /dispatch, 指派, a member's answer to it, 退回 and what follows, urgent tickets'
alerts, /overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import update

from bot import texts
from routing import db, dispatch, tickets
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, Reply, photo
from tests.conftest import COORD, G11, GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"  # 照明楼道: an electrician's job (电工)
GAS = "厨房煤气味很大，好像漏气了"  # 燃气泄漏: urgent, 燃气维修 / 消防


def _buttons(reply: Reply) -> list[str]:
    return [b["text"] for row in reply.message.inline_keyboard for b in row] if reply.message else []


def _cards(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if "指派" in str(_buttons(r))]


async def _assign(chat: BotChat, coordinator: int, card: Reply, name: str) -> None:
    """指派 on `card`, then the member `name`."""
    listed = await chat.press(coordinator, card.button("指派"), card.message)
    picker = next(r for r in listed if name in str(_buttons(r)))
    await chat.press(coordinator, picker.button(name), picker.message)


# 1 ------------------------------------------------------------------------------------------------
async def test_a_photo_sent_as_the_hand_back_reason_loses_the_step(chat: BotChat, world: World) -> None:
    """A member on site presses 「↩️ 退回」 and is asked 「请说明退回的原因（例如：需要专业资质、联系不上居民）：」. On a phone the
    natural answer is a photo of the problem (the lamp 6 m up a stairwell) and then the words. The photo is answered
    「请说明退回的原因」 — but the step is already gone (task_text_given clears the draft on the InvalidInput that
    tickets.hand_back raises for an empty reason), so the words he types next, 「梯子不够高，需要专业设备」, are taken as a
    resident's new message (「我是社区服务助手…请直接说说您遇到的问题」) and the ticket stays his, 办理中. The photo is lost too.
    Expected: a photo without words at the 退回 step keeps the step (asks for the words, or takes the photo with them),
    and the words that follow hand the ticket back."""
    wang = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(wang, "back", RESIDENT)
    asked = await chat.say(wang, photo=photo("lamp-6m-up"))
    told = await chat.say(wang, "梯子不够高，需要专业设备")
    seen = "\n".join(r.text for r in asked + told)
    assert chat.ticket(ticket_id).status != "in_progress", seen
    assert "已退回" in seen, seen
    card = next(r.text for r in chat.replies(GRID_COORD) if "退回" in r.text)  # (nobody else can: 派单)
    assert "梯子不够高" in card and "照片 1 张" in card, card


# 2 ------------------------------------------------------------------------------------------------
async def test_an_urgent_ticket_offered_to_members_is_missing_from_dispatch(chat: BotChat, world: World) -> None:
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
    assert any(number in r.text for r in _cards(shown)), [r.text for r in shown]


# 3 ------------------------------------------------------------------------------------------------
async def test_the_urgent_alert_of_a_ticket_nobody_can_take_says_it_waits_for_dispatch(
    chat: BotChat, world: World
) -> None:
    """A gas smell is reported in a grid where no member has the skill (nobody registered 燃气维修 / 消防 yet). The
    ticket goes straight to 派单, and because it is urgent its only card to the coordinators is the 🚨 one (to_dispatch
    is called with alert_sent=True: no 📮). That card reads 「状态：已提交」 — an internal state the ticket already left
    (the payload is built before to_dispatch; the ticket is 待派单) — and nothing says that nobody was asked and it is
    up to them: the `needs_dispatch` the payload carries is never shown (texts.urgent_alert ignores it). Compare a
    ticket offered to members: 「状态：待接单」. Expected: the card says 待派单 / that no member was found and the
    coordinator must 指派 now."""
    await chat.say(RESIDENT, GAS)
    alert = next(r for r in chat.replies(GRID_COORD) if "紧急工单" in r.text)
    assert "已提交" not in alert.text, alert.text
    assert "待派单" in alert.text or "派单" in alert.text.split("响应时限")[-1], alert.text


# 4 ------------------------------------------------------------------------------------------------
async def test_the_coordinator_is_not_told_when_the_member_he_assigned_hands_the_ticket_back(
    chat: BotChat, world: World
) -> None:
    """The 网格员 assigns a waiting ticket to 王师傅 by hand (指派), and is told 「✅ 您指派的工单 … 已由 王师傅 接单。」. 王师傅
    then hands it back: 「需要登高作业证，我没有」. The resident is told 「暂时退回，正在为您重新安排」, the ticket silently goes out
    in waves again — and the coordinator who answers for it hears nothing: the last thing he was told is that 王师傅
    has it. (He hears only if every member of the new waves declines, tens of minutes later.) The same happens to an
    urgent ticket handed back: the coordinators alerted 🚨 are not told it lost its member. Cause: tickets.hand_back
    notifies only the resident and calls send_next_wave; _tell_assigner is never called for a hand-back. Expected:
    the coordinator who assigned it (or the grid's coordinators) is told who handed it back and why."""
    ticket_id = await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    await _assign(chat, GRID_COORD, card, "王师傅")
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    await chat.press(wang, offer.button("接单"), offer.message)
    details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
    await chat.press(wang, details.button("退回"), details.message)
    mark = len(chat.events)
    await chat.say(wang, "需要登高作业证，我没有")
    assert chat.ticket(ticket_id).assignee_id is None
    told = [r.text for r in chat.replies(GRID_COORD, mark)]
    assert any("王师傅" in t and "登高作业证" in t for t in told), told


async def test_the_coordinators_alerted_to_an_urgent_ticket_are_told_when_it_is_handed_back(
    chat: BotChat, world: World
) -> None:
    """A gas smell: 王师傅 takes it from the offer, then hands it back (「没有带检测仪」). It goes out to 李师傅 again, and
    the coordinators who got the 🚨 alert hear that it lost its member, who and why (a card with 指派)."""
    wang = world.member("王师傅", ["燃气维修"])
    world.member("李师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    offer = next(r for r in chat.replies(wang) if "接单" in str(_buttons(r)))
    await chat.press(wang, offer.button("接单"), offer.message)
    details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
    await chat.press(wang, details.button("退回"), details.message)
    mark = len(chat.events)
    await chat.say(wang, "没有带检测仪")
    told = [r for r in chat.replies(GRID_COORD, mark) if "王师傅" in r.text and "检测仪" in r.text]
    assert told and _cards(told), [r.text for r in chat.replies(GRID_COORD, mark)]


# 5 ------------------------------------------------------------------------------------------------
async def test_dispatch_does_not_say_a_ticket_is_past_its_limit(chat: BotChat, world: World) -> None:
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
    shown = _cards(await chat.say(GRID_COORD, "/dispatch"))
    assert len(shown) == 1, [r.text for r in shown]
    assert "超期" in shown[0].text, shown[0].text


# 6 ------------------------------------------------------------------------------------------------
async def test_a_member_who_types_that_he_cannot_take_an_assignment_is_answered_as_a_resident(
    chat: BotChat, world: World
) -> None:
    """The 网格员 assigns a ticket to 王师傅 (「👉 协调员指派给您一张工单」). 王师傅, an older volunteer, answers in words, as
    he would to a person: 「我在外地，这单接不了」 (or just 「不方便」). The bot answers him as a new resident:
    「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题。」 (sometimes with 「📝 这是我的诉求，登记为诉求」). The
    assignment stays pending, the coordinator hears nothing for three wave timeouts and then only 「一直没有回复」. Typing
    「接单」 is pointed to the button (PRESS_TAKE, member.about_their_work), README: "Members' words do what their buttons
    would where it is safe" — but a refusal is not recognised at all. Expected: words refusing an offer or
    assignment waiting for the member's answer point to 「不方便」 (or decline it), not the resident's welcome."""
    ticket_id = await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    await _assign(chat, GRID_COORD, card, "王师傅")
    assert any("指派给您" in r.text for r in chat.replies(wang))
    for words in ("我在外地，这单接不了", "不方便"):
        told = "\n".join(r.text for r in await chat.say(wang, words))
        assert "社区服务助手" not in told, (words, told)
        assert "不方便" in told or "婉拒" in told or "已告诉协调员" in told, (words, told)
    assert chat.ticket(ticket_id).status == "offered"  # (still asked, not lost)


# 7 ------------------------------------------------------------------------------------------------
async def test_a_coordinator_refused_for_a_stale_list_is_sent_to_a_button_that_is_not_there(
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
    await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    street_card = _cards(await chat.say(COORD, "/dispatch"))[0]
    grid_card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    street_list = next(r for r in await chat.press(COORD, street_card.button("指派"), street_card.message)
                       if "李师傅" in str(_buttons(r)))
    await _assign(chat, GRID_COORD, grid_card, "王师傅")
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    await chat.press(wang, offer.button("接单"), offer.message)

    refused = await chat.press(COORD, street_list.button("李师傅"), street_list.message)
    assert any("刚有变化" in r.text for r in refused), [r.text for r in refused]
    # What he has now to act on: the message he pressed, and /dispatch.
    pressed = next(m for m in chat.request.messages(COORD) if m.message_id == street_list.message.message_id)
    now_shown = [b["text"] for row in pressed.inline_keyboard for b in row]
    listed = _cards(await chat.say(COORD, "/dispatch"))
    assert any("指派" in b for b in now_shown) or "王师傅" in pressed.text or listed, (pressed.text, now_shown)


# 8 ------------------------------------------------------------------------------------------------
async def test_overdue_does_not_say_who_holds_a_late_ticket_nor_which_limit(chat: BotChat, world: World) -> None:
    """王师傅 accepted a leaking pipe 30 hours ago and has not finished it: its 办结 limit passed 6 hours ago. The work
    group was told 「请协调员私聊我发送 /overdue 督办」; the 网格员 sends /overdue and reads
    「🔴 #… 水管疏通 · 已接单 · 幸福里第一网格 · 时限 12月6日 16:24」 — no word of who has it (the person to chase), nor
    whether 时限 is the response or the resolution limit, and no button to act on it (/dispatch does not list a ticket
    a member holds). The red card itself says 「办理人：王师傅」 and 「办结时限」. Cause: texts.overdue prints only number,
    item, status, grid and due time, though the rows carry `member_name` and `limit`. Expected: each line names the
    limit (响应 / 办结) and, for a ticket in hand, its 办理人."""
    now = datetime.now(UTC)
    t0 = now - timedelta(hours=30)
    wang = world.member("王师傅", ["水暖"], now=t0)
    with db.transaction(chat.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", t0, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼", settings=world.settings).id
    from routing import dispatch

    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, wang, t0 + timedelta(minutes=5))
    shown = "\n".join(r.text for r in await chat.say(GRID_COORD, "/overdue"))
    assert "🔴" in shown, shown
    assert "王师傅" in shown, shown
    assert "办结" in shown, shown


# 9 ------------------------------------------------------------------------------------------------
async def test_the_coordinator_whose_assignment_fails_because_the_member_blocked_the_bot_is_not_told_why(
    chat: BotChat, world: World
) -> None:
    """The 网格员 assigns a ticket to 王师傅 (「已把工单 … 指派给 王师傅，等待对方确认。」). 王师傅 has blocked the bot: the next
    message to him fails with 403 and delivery calls dispatch.member_unreachable. The ticket goes back to 派单, and the
    网格员 receives a bare 「📮 有工单需要派单 … 发送 /dispatch 处理。」 — the same card as a brand-new ticket, with no word that
    his assignment to 王师傅 was withdrawn or why, so he may well assign 王师傅 again. Had the street coordinator made the
    assignment he would have been told 「↩️ 您指派给 王师傅 的工单 … 已收回，原因：联系不上（已屏蔽机器人）」; an escalated ticket's card
    says 「↩️ 指派给 王师傅 的工单已收回：…」. Cause: dispatch._off_duty calls to_dispatch(…, f"member_{reason}") without the
    `details` (declined_by / decline_reason / withdrawn) the other paths pass, and _tell_assigner then skips the
    assigner because he is among the coordinators the 📮 card told. (The same for a member removed by another
    coordinator with /members.) Expected: the card names 王师傅 and says why the assignment was withdrawn."""
    from routing import dispatch

    ticket_id = await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    await _assign(chat, GRID_COORD, card, "王师傅")
    mark = len(chat.events)
    with db.transaction(chat.engine) as s:
        dispatch.member_unreachable(s, wang, datetime.now(UTC))
    await chat.deliver()
    assert chat.ticket(ticket_id).status == "dispatch"
    told = [r.text for r in chat.replies(GRID_COORD, mark)]
    assert told, "the coordinator is told nothing"
    assert any("王师傅" in t for t in told), told


# Found by a review of the fixes --------------------------------------------------------------------
# (the refusal typed in words, urgent tickets' coordinators, 退回 photos, the coordinators' texts)

async def _offered(chat: BotChat, world: World) -> int:
    """王师傅 has a wave offer (楼道灯) waiting for his answer; returns his id."""
    wang = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, NEED)
    assert any("接单" in str(_buttons(r)) for r in chat.replies(wang))
    return wang


async def test_polite_typed_refusals_are_still_answered_as_a_new_resident(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting. He answers it in words as people do, politely: 「不好意思，这单我不方便」,
    「今天有事，不方便」, or that it is not his trade: 「这个我修不了」. The fix e85a0ba points 「不方便」 alone and
    「我在外地，这单接不了」 to the 「不方便」 button, but these everyday variants still get the resident's welcome
    (「我是社区服务助手…请直接说说您遇到的问题」): _JUST_NOT_CONVENIENT must match the whole message (a 不好意思 / 今天有事
    before it breaks it) and _REFUSING has no 不方便 nor 修不了 / 干不了 / 弄不了. Expected: pointed to 「不方便」 too."""
    wang = await _offered(chat, world)
    for words in ("不好意思，这单我不方便", "今天有事，不方便", "这个我修不了"):
        told = "\n".join(r.text for r in await chat.say(wang, words))
        assert "社区服务助手" not in told, (words, told)
        assert texts.PRESS_DECLINE in told, (words, told)


async def test_a_members_own_need_mentioning_a_trip_is_taken_for_a_refusal(chat: BotChat, world: World) -> None:
    """王师傅, a member with an offer waiting, is also a resident. He writes his own family's need:
    「我儿子出差了，家里水管漏了」. Since e85a0ba any message with 出差了 / 在外地 / 没时间 / 没空 … anywhere in it
    (_REFUSING.search) from a member with an offer is answered 「不能接的话，请点工单消息下面的「不方便」按钮，好及时另行安排。」
    — his leaking pipe is not registered nor offered 登记为诉求 (as it was before the fix, and as it is for any
    resident: 「我是社区服务助手…」 with 「📝 这是我的诉求，登记为诉求」), and he is nudged to decline an offer he did not
    mention. The same for his own ticket's news 「维修师傅说今天来不了」 (来不了), which a resident is answered about with
    his tickets and 登记为诉求. Expected: a message that tells a need
    is not read as a refusal of the offer."""
    wang = await _offered(chat, world)
    for words in ("我儿子出差了，家里水管漏了", "维修师傅说今天来不了"):
        told = await chat.say(wang, words)
        seen = "\n".join(r.text for r in told)
        assert texts.PRESS_DECLINE not in seen, (words, seen)
        assert any("登记为诉求" in str(_buttons(r)) for r in told), (words, seen)  # (as any resident is answered)


async def test_a_member_who_says_he_will_go_later_is_told_to_decline(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting and types under it 「下午没时间，我晚上去修」 — he means to take it, tonight. The bot
    answers 「不能接的话，请点工单消息下面的「不方便」按钮，好及时另行安排。」: 没时间 anywhere in the words is read as a refusal
    (_REFUSING.search in member.about_their_work), and he is steered to the button that gives the ticket away.
    Expected: words that say when he will go are not answered as a refusal (rather: point to 「接单」)."""
    wang = await _offered(chat, world)
    seen = "\n".join(r.text for r in await chat.say(wang, "下午没时间，我晚上去修"))
    assert texts.PRESS_DECLINE not in seen, seen


async def test_a_refusal_asked_as_a_question_is_not_pointed_to_the_button(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting and asks 「我这周在外地，接不了怎么办？」 — the very question the 「不方便」 button answers.
    The classifier reads it as a request (a land dispute), and about_their_work returns at once for a request
    (before the new refusal check, which would skip it anyway: _A_QUESTION, meant for a member's own 家里灯修好了吗,
    excludes anything ending in ？). So his refusal becomes an intake card of his own: 「「我这周在外地，接不了怎么办？」
    我不太确定这属于哪类事项，请选一个最接近的…」 and the offer stays unanswered. Expected: a
    refusal asked as a question (接不了怎么办？) is answered with the 「不方便」 button too."""
    wang = await _offered(chat, world)
    seen = "\n".join(r.text for r in await chat.say(wang, "我这周在外地，接不了怎么办？"))
    assert texts.PRESS_DECLINE in seen, seen


async def test_the_street_coordinator_alerted_to_an_urgent_ticket_is_not_told_it_was_handed_back(
    chat: BotChat, world: World
) -> None:
    """A gas smell: both the 网格员 and the street coordinator get 「🚨 紧急工单，请立即跟进」. 王师傅, the only member with the
    skill, takes it and then hands it back (「没有带检测仪」). With nobody else to offer it to, it goes to 派单 — and only
    the 网格员 gets the 📮 card: the street coordinator, alerted like him, hears nothing and believes 王师傅 is on the
    way. c52623f promised 「for an urgent ticket the coordinators alerted get its card again」, but tell_hand_back
    sends to all levels only when the ticket did not go back to 派单 (when it did, to_dispatch told the grid level
    alone, and `told` is that level). Expected: every coordinator who got the 🚨 alert is told of the 退回."""
    wang = world.member("王师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    assert any("紧急工单" in r.text for r in chat.replies(COORD))
    offer = next(r for r in chat.replies(wang) if "接单" in str(_buttons(r)))
    await chat.press(wang, offer.button("接单"), offer.message)
    details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
    await chat.press(wang, details.button("退回"), details.message)
    mark = len(chat.events)
    await chat.say(wang, "没有带检测仪")
    grid = [r.text for r in chat.replies(GRID_COORD, mark) if "检测仪" in r.text]
    assert grid, "the 网格员 is told"
    street = [r.text for r in chat.replies(COORD, mark)]
    assert any("王师傅" in t and "检测仪" in t for t in street), street


async def test_hand_back_photos_promised_to_the_coordinators_reach_nobody(chat: BotChat, world: World) -> None:
    """王师傅 took a 楼道灯 from an offer, presses 退回 and sends a photo first. The bot answers 「📷 照片收到了，会和退回的
    原因一起交给协调员。请再用文字说明退回的原因：」; he types 「梯子不够高，需要专业设备」. 李师傅 can still be asked, so the ticket
    goes out in a new wave — and no coordinator gets anything, neither the words nor the photo (tell_hand_back only
    tells coordinators when it went to 派单, is urgent, or was assigned by one; the photos only ride on the 📮 card).
    The promise made to 王师傅 is false, and the photo of why it cannot be done is lost to whoever dispatches it
    later. Expected: the photo reaches the coordinators as promised (or the bot does not promise it)."""
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    ticket_id = await chat.at_task_step(wang, "back", RESIDENT)
    mark = len(chat.events)
    asked = "\n".join(r.text for r in await chat.say(wang, photo=photo("lamp-6m-up")))
    await chat.say(wang, "梯子不够高，需要专业设备")
    assert chat.ticket(ticket_id).assignee_id is None
    promised = "交给协调员" in asked
    told = chat.replies(GRID_COORD, mark) + chat.replies(COORD, mark)
    got_photo = any(r.message is not None and getattr(r.message, "photo", None) for r in told) or any(
        "照片" in r.text for r in told)
    assert got_photo or not promised, (asked, [r.text for r in told])


async def test_the_street_coordinator_alerted_to_an_urgent_ticket_is_not_told_nobody_took_it(
    chat: BotChat, world: World
) -> None:
    """The neighbour of the 退回 fix: a gas smell, both the 网格员 and the street coordinator get 「🚨 紧急工单，请立即跟进 …
    状态：待接单」. 王师傅, the only member with the skill, presses 「不方便」. The ticket goes to 派单 and only the 网格员
    gets 「📮 有工单需要派单」; the street coordinator, who answers for the urgent ticket too, is left with a card saying
    it waits for a member's 接单 (his /dispatch would show it, but nothing makes him look). The 🚨 card's audience
    (all levels) is told by the 退回 path (tell_hand_back's all_levels) but not by a decline nor an expired wave
    (to_dispatch → _dispatch_needed at the ticket's level). Expected: everyone the 🚨 alert went to hears that the
    urgent ticket now waits for 指派."""
    wang = world.member("王师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    assert any("紧急工单" in r.text for r in chat.replies(COORD))
    offer = next(r for r in chat.replies(wang) if "接单" in str(_buttons(r)))
    mark = len(chat.events)
    await chat.press(wang, offer.button("不方便"), offer.message)
    assert any("派单" in r.text for r in chat.replies(GRID_COORD, mark)), "the 网格员 is told"
    street = [r.text for r in chat.replies(COORD, mark)]
    assert any("派单" in t for t in street), street


async def test_hand_back_photos_come_again_unannounced_after_a_declined_assignment(
    chat: BotChat, world: World
) -> None:
    """王师傅 hands a 楼道灯 back with a photo (「梯子不够高，需要专业设备」); nobody else can take it, so the 网格员 gets
    「📮 有工单需要派单 ↩️ 王师傅 退回：「梯子不够高…」 📷 退回时发的照片 1 张」 and the photo. He assigns it to 李师傅, who
    presses 「不方便」: the new 📮 card says 「↩️ 指派的 李师傅 不方便」 — and the same photo of 王师傅's comes again after it,
    captioned only 「工单 … 的照片」, announced by nothing (the card's 退回 line is replaced by the decline line), as if
    李师傅 had sent it. Every later return to 派单 until someone accepts sends it again. Cause: _dispatch_needed sends
    payload["hand_back_photos"] (from _handed_back, which reads the last 退回 as long as nobody accepted since) whatever
    the card shows. Expected: the photos are sent with the card that announces them, not with every later card."""
    wang = world.member("王师傅", ["电工"])
    await chat.at_task_step(wang, "back", RESIDENT)
    await chat.say(wang, photo=photo("lamp-6m-up"))
    await chat.say(wang, "梯子不够高，需要专业设备")
    first = [r for r in chat.replies(GRID_COORD) if "退回" in r.text]
    assert first and "照片 1 张" in first[-1].text, [r.text for r in chat.replies(GRID_COORD)]
    li = world.member("李师傅", ["电工"])
    card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    listed = await chat.press(GRID_COORD, card.button("指派"), card.message)
    picker = next(r for r in listed if "李师傅" in str(_buttons(r)))
    await chat.press(GRID_COORD, picker.button("李师傅"), picker.message)
    offer = next(r for r in chat.replies(li) if "指派给您" in r.text)
    mark = len(chat.events)
    await chat.press(li, offer.button("不方便"), offer.message)
    after = chat.replies(GRID_COORD, mark)
    card_text = "\n".join(r.text for r in after if "派单" in r.text)
    photos_again = [r for r in after if r.text.endswith("的照片")]
    assert not photos_again or "照片" in card_text, (card_text, [r.text for r in after])


async def test_the_refusal_of_a_stale_list_points_to_a_button_the_refreshed_list_does_not_have(
    chat: BotChat, world: World
) -> None:
    """Two coordinators open 指派 on the same ticket; the 网格员 assigns 王师傅, who accepts. The street coordinator then
    picks 李师傅 in his old list. Since 9bb9906 his message is refreshed into 「工单 … 现由 王师傅 负责。改派给谁？（改派后会
    通知对方）」 with the member buttons — but the alert over it still says 「工单 … 刚有变化，现由 王师傅 负责。需要改派的话，
    请重新点「指派」」: there is no 「指派」 under the message any more, the names are (dispatch.assign_ticket's message,
    written for the stale list). Expected: the refusal tells him to choose again in the list shown (e.g. 「需要改派的话，
    请在下面重新选择」), not to press a button that is not there."""
    await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    street_card = _cards(await chat.say(COORD, "/dispatch"))[0]
    grid_card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    street_list = next(r for r in await chat.press(COORD, street_card.button("指派"), street_card.message)
                       if "李师傅" in str(_buttons(r)))
    listed = await chat.press(GRID_COORD, grid_card.button("指派"), grid_card.message)
    picker = next(r for r in listed if "王师傅" in str(_buttons(r)))
    await chat.press(GRID_COORD, picker.button("王师傅"), picker.message)
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    await chat.press(wang, offer.button("接单"), offer.message)
    refused = await chat.press(COORD, street_list.button("李师傅"), street_list.message)
    pressed = next(m for m in chat.request.messages(COORD) if m.message_id == street_list.message.message_id)
    now_shown = [b["text"] for row in pressed.inline_keyboard for b in row]
    told = "\n".join(r.text for r in refused)
    assert "王师傅" in pressed.text, pressed.text  # (the list refreshed, as the fix meant)
    assert "请重新点「指派」" not in told or any("指派" in b for b in now_shown), (told, pressed.text, now_shown)


async def test_an_assignment_nobody_answered_is_carded_as_a_refusal(chat: BotChat, world: World) -> None:
    """The neighbour of 92d494d (a withdrawn 指派 explained): the 网格员 assigns a ticket to 李师傅, who never answers.
    After the assignment's timeouts it goes back to 派单 and the 网格员's card reads 「📮 有工单需要派单 ↩️ 指派的 李师傅
    不方便：「未回复」」 — 不方便 is the wording of a member who pressed 「不方便」, i.e. refused; 李师傅 said nothing at all
    (he may not have seen it; the next assignment to him may be just as silent). The withdrawn (blocked the bot,
    removed, full) and declined paths now each say what happened; this one does not: advance_waves passes
    {"declined_by", "decline_reason": "未回复"} without "withdrawn" (nor an "unanswered" the card knows), so
    texts.dispatch_needed takes the 不方便 branch. Expected: the card says he did not answer (as the assigner's own
    message does: 「一直没有回复」 / 「指派已收回」), not that he found it 不方便."""
    ticket_id = await chat.submit(RESIDENT, NEED)
    world.member("李师傅", ["电工"])
    card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    listed = await chat.press(GRID_COORD, card.button("指派"), card.message)
    picker = next(r for r in listed if "李师傅" in str(_buttons(r)))
    await chat.press(GRID_COORD, picker.button("李师傅"), picker.message)
    mark = len(chat.events)
    with db.transaction(chat.engine) as s:  # (the assignment's timeouts have passed)
        s.exec(update(Ticket).where(Ticket.id == ticket_id).values(next_wave_at=datetime.now(UTC) - timedelta(seconds=1)))
    with db.transaction(chat.engine) as s:
        assert dispatch.advance_waves(s, datetime.now(UTC)) == 1
    await chat.deliver()
    cards = [r.text for r in chat.replies(GRID_COORD, mark) if "李师傅" in r.text]
    assert cards, [r.text for r in chat.replies(GRID_COORD, mark)]
    assert not any("李师傅 不方便" in t for t in cards), cards


async def test_the_coordinator_who_assigned_a_ticket_handed_back_with_a_photo_gets_the_photo(
    chat: BotChat, world: World
) -> None:
    """(With the fix above, the 退回 photo's prompt no longer promises the coordinators.) The 网格员 assigned a 楼道灯 to
    王师傅, who accepts and hands it back with a photo and 「梯子不够高，需要专业设备」; 李师傅 can still be asked, so it goes
    out in a new wave and the 网格员 hears 「↩️ 王师傅 退回了您指派的工单…」. Expected: that message counts the photo and
    the photo follows it (he may have to assign it again), once."""
    await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    card = _cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    await _assign(chat, GRID_COORD, card, "王师傅")
    world.member("李师傅", ["电工"])
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    await chat.press(wang, offer.button("接单"), offer.message)
    details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
    await chat.press(wang, details.button("退回"), details.message)
    mark = len(chat.events)
    await chat.say(wang, photo=photo("lamp-6m-up"))
    await chat.say(wang, "梯子不够高，需要专业设备")
    told = chat.replies(GRID_COORD, mark)
    assert any("退回了您指派的工单" in r.text and "照片 1 张" in r.text for r in told), [r.text for r in told]
    assert len([r for r in told if r.text.endswith("的照片")]) == 1, [r.text for r in told]


# Found by a third review --------------------------------------------------------------------------------
# (the typed refusal read as the whole message: reasons after it, particles, bare questions; urgent tickets taken)

async def _answers(chat: BotChat, world: World, phrases: tuple[str, ...]) -> dict[str, str]:
    wang = await _offered(chat, world)
    return {w: "\n".join(r.text for r in await chat.say(wang, w)) for w in phrases}


async def test_a_refusal_with_its_reason_after_it_is_answered_as_a_new_resident(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting and types the refusal first, the reason after: 「接不了，我在外地」,
    「这单我接不了了，家里有事」. Before c14815e (_REFUSING.search) these were answered 「不能接的话，请点工单消息下面的
    「不方便」按钮…」; now _REFUSAL must match the whole message and allows nothing after the refusal but 怎么办/行吗, so he
    gets the new resident's welcome 「我是社区服务助手…请直接说说您遇到的问题。」 with 「📝 这是我的诉求，登记为诉求」 and the
    offer waits unanswered. A regression. Expected: pointed to 「不方便」."""
    seen = await _answers(chat, world, ("接不了，我在外地", "这单我接不了了，家里有事"))
    for words, told in seen.items():
        assert texts.PRESS_DECLINE in told, (words, told)
        assert "社区服务助手" not in told, (words, told)


async def test_a_refusal_with_an_everyday_reason_or_particle_is_answered_as_a_new_resident(
    chat: BotChat, world: World
) -> None:
    """「家里有事，去不了」, 「不好意思啊，今天去不了」, 「现在在外地，回不来」, 「我在外地呢」 — ordinary refusals from a member
    with an offer waiting. Each contains 去不了 / 在外地, which _REFUSING.search answered with 「不方便」 before c14815e.
    Now 家里 is not in _WHO_WHEN, 啊 / 呢 are not in _PAUSE or the endings, 回不来 is not in _CANNOT, so the whole-message
    match fails and he gets 「我是社区服务助手…」 (a regression). Expected: pointed to 「不方便」."""
    seen = await _answers(chat, world, ("家里有事，去不了", "不好意思啊，今天去不了", "现在在外地，回不来", "我在外地呢"))
    for words, told in seen.items():
        assert texts.PRESS_DECLINE in told, (words, told)


async def test_a_reason_alone_is_no_refusal(chat: BotChat, world: World) -> None:
    """The neighbour of the fix: _WHY lists 在忙, 不舒服, 太忙了 as reasons, but a reason typed alone as the answer —
    「在忙」, 「人不舒服」, 「最近太忙了」 — needs a _CANNOT word after it, so he is welcomed as a new resident
    (「我是社区服务助手…」) while 「没时间」 or 「人不在本地」 alone are pointed to 「不方便」. Expected: the same answer."""
    seen = await _answers(chat, world, ("在忙", "人不舒服", "最近太忙了"))
    for words, told in seen.items():
        assert "社区服务助手" not in told, (words, told)
        assert texts.PRESS_DECLINE in told, (words, told)


async def test_not_convenient_today_but_tomorrow_is_answered_as_a_new_resident(chat: BotChat, world: World) -> None:
    """c14815e points 「下午没时间，我晚上去修」 to 「接单」 (_GOING_LATER), but its neighbour 「今天不方便，明天去修」 or
    「今天不行，明天过去」 gets 「我是社区服务助手…请直接说说您遇到的问题。」 with 「登记为诉求」: 不方便 / 不行 are in _CANNOT
    but not in _WHY, which is all _REASONS lets before the time. Expected: pointed to 「接单」 like the 没时间 wording."""
    seen = await _answers(chat, world, ("今天不方便，明天去修", "今天不行，明天过去"))
    for words, told in seen.items():
        assert texts.PRESS_TAKE in told, (words, told)


async def test_a_members_question_about_his_own_repair_is_taken_for_a_refusal(chat: BotChat, world: World) -> None:
    """王师傅 (an offer waiting) asks about something he was told: 「今天来不了？」, 「修不了？」. Before c14815e,
    _A_QUESTION kept a question (…？) from being read as a refusal; the fix dropped that check for the whole-message
    pattern (to accept 接不了怎么办？), and the trailing ？ is allowed by itself, so his question is answered 「不能接的话，
    请点工单消息下面的「不方便」按钮…」 — pushing him to give away an offer he did not mention. Expected: a bare question
    (ending in ？ with no 怎么办 / 行吗) is not answered as his refusal."""
    seen = await _answers(chat, world, ("今天来不了？", "修不了？"))
    for words, told in seen.items():
        assert texts.PRESS_DECLINE not in told, (words, told)


async def test_the_street_coordinator_told_an_urgent_ticket_waits_for_dispatch_is_never_told_it_was_taken(
    chat: BotChat, world: World
) -> None:
    """A gas smell. 王师傅 and 李师傅 (燃气维修) both press 「不方便」, so since 104406a both the 网格员 and the street
    coordinator get 「📮 有工单需要派单 🚨 紧急 … 状态：待派单 … 发送 /dispatch 处理。」 with 「👉 指派」. The 网格员 assigns it
    to 李师傅, who presses 「接单」: the 网格员 hears 「✅ 您指派的工单 … 已由 李师傅 接单。」, but the street coordinator gets
    nothing and his card still says 待派单 with 「👉 指派」 — for an urgent gas leak he is now asked to act on, he
    believes nobody has it and may 改派 it away from the member on his way (the reverse of the fix's own reason:
    "before, he still thought a member had it"). Cause: _dispatch_audience widened who gets the 📮 card (all levels
    for an urgent ticket), but accepting an assignment tells only the assigner (_tell_assigner / the accept path),
    and the other 📮 cards are neither edited nor followed up. Expected: every coordinator the urgent 📮 card went to
    hears that 李师傅 took it (or his card no longer says 待派单)."""
    wang = world.member("王师傅", ["燃气维修"])
    li = world.member("李师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    for member in (wang, li):
        offer = next((r for r in chat.replies(member) if "接单" in str(_buttons(r))), None)
        if offer is not None:
            await chat.press(member, offer.button("不方便"), offer.message)
    street_cards = [r for r in chat.replies(COORD) if "有工单需要派单" in r.text]
    assert street_cards, "the street coordinator got the 📮 card (104406a)"
    card = [r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text][-1]
    mark = len(chat.events)
    await _assign(chat, GRID_COORD, card, "李师傅")
    offer = next(r for r in chat.replies(li, mark) if "指派给您" in r.text)
    await chat.press(li, offer.button("接单"), offer.message)
    told = [r.text for r in chat.replies(COORD, mark)]
    shown = next(m for m in chat.request.messages(COORD)
                 if m.message_id == street_cards[-1].message.message_id)
    assert any("李师傅" in t for t in told) or "待派单" not in shown.text, (told, shown.text)


async def test_an_offer_sent_after_its_limit_has_passed_says_so(chat: BotChat, world: World) -> None:
    """已超期 is decided when a card is sent (bot.delivery): an offer of a plumbing ticket written two hours ago (its
    one-hour response limit passed since), delivered only now, shows 「（已超期）」 beside its 响应时限."""
    plumber = world.member("王师傅", ["水暖"])
    with db.transaction(chat.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", datetime.now(UTC) - timedelta(hours=2),
                              label="repair.plumbing", grid_code=G11, address="幸福里3号楼2单元502", confidence=0.9)
    await chat.deliver()
    offer = next(r for r in chat.replies(plumber) if "接单" in str(_buttons(r)))
    assert "响应时限" in offer.text and "（已超期）" in offer.text, offer.text
