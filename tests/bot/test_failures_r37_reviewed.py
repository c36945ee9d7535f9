"""Failures of Telegram or the database in the middle of a step: an answer lost after a change was saved, an update
sent again after a crash, the bot back after downtime, a coordinator who blocked the bot. Found by a review of
failures in the thirty-seventh session (each test failed on the code before); the last section, by a review of the
fixes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select
from telegram.error import TimedOut

from bot import texts
from bot.console import _ApiError
from routing import db
from routing.models import Draft, Notification, NotificationKind, Rating, TicketStatus
from tests.bot.chat_harness import BotChat, photo
from tests.bot.test_failures import failing_statement
from tests.conftest import COORD, GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "之前反映的臭水沟 现在又臭得不行"  # read as a status query: answered with a 登记为诉求 button
REASON = "这个不是电的问题，是水管漏水"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"


def times_out_once(chat: BotChat, method: str) -> list[dict[str, Any]]:
    """The bot's next call of `method` (lower case: editmessagetext, sendmessage…) times out, as on a bad network;
    the calls after it go through. Returns the parameters of the call that failed."""
    real, failed = chat._telegram_dispatch, []

    async def flaky(name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if name == method and not failed:
            failed.append(params)
            raise TimedOut("Timed out")
        return await real(name, params, files)

    chat._telegram_dispatch = flaky  # type: ignore[method-assign]
    return failed


def shown(replies: list[Any]) -> str:
    return "\n".join(f"[{r.kind}] {r.text}" for r in replies)

async def _register_button(chat: BotChat):
    (answer,) = await chat.say(RESIDENT, NEED)
    return answer, answer.button("登记为诉求")


async def test_register_anyway_pressed_while_the_database_fails_keeps_the_words(chat: BotChat) -> None:
    """The resident's words 「之前反映的臭水沟 现在又臭得不行」 were read as a question; she presses 「📝 这是我的诉求，登记为诉求」.
    The database fails for a moment while her request is saved: she is told 「抱歉，系统暂时繁忙，请稍后再试一次。已经登记
    的内容不会丢失。」. She presses the button again, as told, and gets 「这个按钮已经失效了（情况已有变化）…」: her words are
    gone and she has to type them again. Cause: bot/handlers/resident.py `register_anyway` takes the kept words
    (`_take_not_understood` deletes the NOT_UNDERSTOOD draft) in one transaction and saves the intake draft
    (`_start_intake` → `_new_intake`) in another; the first is committed when the second fails. Expected: taking the
    words and saving the intake happen in one transaction (or the words are deleted only once the intake is saved),
    so that the second press continues."""
    answer, button = await _register_button(chat)
    with failing_statement(chat.engine, "draft") as failed:
        first = await chat.press(RESIDENT, button, answer.message)
    assert failed and texts.TRY_AGAIN in shown(first), shown(first)
    chat.errors.clear()
    again = await chat.press(RESIDENT, button, answer.message)
    assert texts.STALE_BUTTON not in shown(again), shown(again)
    assert (chat.intake_draft(RESIDENT) or {}).get("text") == NEED, shown(again)


async def test_register_anyway_whose_answer_is_lost_keeps_the_words(chat: BotChat) -> None:
    """The same press, and Telegram times out on the bot's 「好的，按诉求为您登记。」 (the edit of the message with the
    button): she reads 「抱歉，系统暂时繁忙，请稍后再试一次」, presses again and is told the button has expired
    (「这个按钮已经失效了」) — no request saved, her words lost. Cause: as above, `register_anyway` deletes the kept
    words before anything is shown or saved. Expected: the second press continues with her words."""
    answer, button = await _register_button(chat)
    failed = times_out_once(chat, "editmessagetext")
    first = await chat.press(RESIDENT, button, answer.message)
    assert failed and texts.TRY_AGAIN in shown(first), shown(first)
    chat.errors.clear()
    again = await chat.press(RESIDENT, button, answer.message)
    assert texts.STALE_BUTTON not in shown(again), shown(again)
    assert (chat.intake_draft(RESIDENT) or {}).get("text") == NEED, shown(again)

def _drafts_touched_ago(chat: BotChat, person: int, ago: timedelta) -> None:
    with db.transaction(chat.engine) as s:
        s.exec(update(Draft).where(Draft.telegram_id == person).values(updated_at=datetime.now(UTC) - ago))


async def test_a_comment_written_right_after_the_stars_is_kept_after_a_restart(chat: BotChat, world: World) -> None:
    """The resident presses ⭐⭐ and, one minute later, writes why: 「师傅只换了灯泡，线路还是有问题，一开灯就跳闸」. The bot
    was down just then and is back 40 minutes after the stars: Telegram hands it the message, dated one minute after
    the rating. The comment window (COMMENT_WINDOW, 30 minutes) is measured to the moment the bot reads it, not to when
    she wrote it, so her reason is not kept as the rating's comment (the coordinators following the reopened ticket
    never read it) and she is answered as if she had started something new. Cause: bot/handlers/router.py `_route`
    passes now() to `_incoming` / `awaits_comment` where common.sent_at(update) (the message's date) is meant — as
    the README says of a message read after the bot was down. Expected: the words are saved as the comment
    (「补充说明已记录，谢谢您！」)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT)
    await chat.say(member, "灯泡已经换好了")
    prompt = next(r for r in reversed(chat.replies(RESIDENT)) if "请为这次服务打个分" in r.text)
    two = [b["callback_data"] for row in prompt.message.inline_keyboard for b in row][1]
    await chat.press(RESIDENT, two, prompt.message)
    # The stars were pressed 40 minutes ago; the bot went down right after and is back now.
    _drafts_touched_ago(chat, RESIDENT, timedelta(minutes=40))
    written = int(time.time()) - 39 * 60  # one minute after the stars
    reason = "师傅只换了灯泡，线路还是有问题，一开灯就跳闸"
    answered = await chat.say(RESIDENT, reason, date=written)
    with db.transaction(chat.engine) as s:
        rating = s.exec(select(Rating).where(Rating.ticket_id == ticket_id)).one()
    assert rating.comment == reason, shown(answered)


async def test_an_albums_next_photos_are_kept_with_the_resolution_after_a_restart(
    chat: BotChat, world: World
) -> None:
    """A member at the 办结 step sends an album of two photos of the new lamp, captioned 「灯泡已经换好了」: Telegram delivers
    it as two messages written in the same second. The bot reads the first (the ticket is resolved), then stops; it
    is back ten minutes later and reads the second photo. The album window (ALBUM_WINDOW, 5 minutes) is measured to
    the moment of reading, so the second photo is no longer the resolution's: it is taken for a photo of a new need of
    the member's own (「照片收到了。请再用一句话说说是什么问题，我会把照片和它一起登记。」), and the resident never sees it. Cause: bot/handlers/router.py
    `_route` passes now() to `_incoming` instead of common.sent_at(update). Expected: the second photo joins the
    resolution (ticket.resolution_attachments has both)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT)
    written = int(time.time()) - 10 * 60
    await chat.say(member, None, photo=photo("lamp-1"), caption="灯泡已经换好了", media_group_id="album-1",
                   date=written)
    assert chat.ticket(ticket_id).resolution_attachments == ["lamp-1"]
    _drafts_touched_ago(chat, member, timedelta(minutes=10))  # (read just before the bot went down)
    answered = await chat.say(member, None, photo=photo("lamp-2"), media_group_id="album-1", date=written)
    assert chat.ticket(ticket_id).resolution_attachments == ["lamp-1", "lamp-2"], shown(answered)

async def test_a_done_note_sent_again_after_a_lost_answer_is_confirmed(chat: BotChat, world: World) -> None:
    """A member at the 办结 step sends 「灯泡已经换好了」. The ticket is resolved, but Telegram loses the bot's
    「✅ 已办结，辛苦了！」, so the member reads 「抱歉，系统暂时繁忙，请稍后再试一次」 and sends the same note again. The
    bot answers 「不客气！能帮上忙我们很高兴。有需要随时找我。」 — a resident's thanks reply: the member is never told that
    the ticket was 办结 (and may go back to the resident or call the coordinator). Cause: after `_finish_task` the TASK
    draft waits for an album's photos only (router._target: words are taken only when the note was missing), so the
    same words fall through to a new resident message. Expected: the same note repeated within the album window is
    answered with the 办结 confirmation (texts.DONE), not as a resident's talk."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT)
    failed = times_out_once(chat, "sendmessage")
    first = await chat.say(member, "灯泡已经换好了")
    assert failed and failed[0]["text"] == texts.DONE and texts.TRY_AGAIN in shown(first)
    assert chat.ticket(ticket_id).status == TicketStatus.resolved
    chat.errors.clear()
    again = await chat.say(member, "灯泡已经换好了")
    assert "不客气" not in shown(again), shown(again)
    assert "已办结" in shown(again), shown(again)

async def test_a_hand_back_reason_sent_again_after_a_restart_is_not_a_new_need(chat: BotChat, world: World) -> None:
    """王师傅 presses 退回 on the light he cannot fix and gives the reason 「这个不是电的问题，是水管漏水」: the ticket goes back
    to the coordinators (「已退回，工单已转给协调员派单。」). The bot is killed before it confirms that update, and after the
    restart Telegram hands it over again. This time the words are taken for a need of 王师傅's own:
    「我理解您反映的是：家居维修 · 水管疏通「这个不是电的问题，是水管漏水」对吗？没问题请点「确认」…」 — an intake card for his
    hand-back reason (one 确认 away from a bogus ticket in his name). The same happens when the answer to the
    reason was lost and he sends it again after 「抱歉，系统暂时繁忙，请稍后再试一次」. (Other reasons get the bot's
    self-introduction or a 登记为诉求 button instead.) Cause: `member._finish_task` clears the TASK draft, so in
    bot/handlers/router.py `_target` the same words find no member flow and become a resident's REQUEST. Expected: the
    repeated reason is recognised (e.g. keep a short-lived "handed back" TASK draft, like the ALBUM one after 办结, and
    answer texts.HANDED_BACK… again) — never an intake card."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "back", RESIDENT)
    first = await chat.say(member, REASON)
    assert "已退回" in shown(first) and chat.ticket(ticket_id).status != TicketStatus.in_progress
    again = await chat.redeliver(chat.updates[-1], member)
    assert "我理解您反映的是" not in shown(again), shown(again)
    assert chat.intake_draft(member) is None, chat.state()["drafts"]


async def test_a_rating_comment_sent_again_after_a_restart_is_not_a_new_need(chat: BotChat, world: World) -> None:
    """The resident rates the repair ⭐⭐ and writes why: 「师傅只换了灯泡，线路还是有问题，一开灯就跳闸」 — 「补充说明已记录，谢谢您！」.
    The bot is killed before it confirms that update; after the restart Telegram hands it over again and the bot now
    shows her 「我理解您反映的是：家居维修 · 电路维修「师傅只换了灯泡…」对吗？没问题请点「确认」…」: her comment read as a new
    need. An older resident presses 确认 and a second ticket opens for the problem the reopened one already covers
    (the same card appears if she sends the comment again because the 「补充说明已记录」 was lost). Cause:
    resident._comment clears the COMMENT draft, so router._target sends the repeated words to new_request. Expected:
    the same words again right after the comment are recognised as the comment (answered 「补充说明已记录」 again, or
    nothing), never an intake card."""
    member = world.member("王师傅", ["电工"])
    await chat.at_task_step(member, "done", RESIDENT)
    await chat.say(member, "灯泡已经换好了")
    prompt = next(r for r in reversed(chat.replies(RESIDENT)) if "请为这次服务打个分" in r.text)
    two = [b["callback_data"] for row in prompt.message.inline_keyboard for b in row][1]
    await chat.press(RESIDENT, two, prompt.message)
    first = await chat.say(RESIDENT, "师傅只换了灯泡，线路还是有问题，一开灯就跳闸")
    assert "补充说明已记录" in shown(first), shown(first)
    again = await chat.redeliver(chat.updates[-1], RESIDENT)
    assert "我理解您反映的是" not in shown(again), shown(again)
    assert chat.intake_draft(RESIDENT) is None, chat.state()["drafts"]


@pytest.mark.parametrize("how", ["redelivered", "sent-again"])
async def test_an_address_told_twice_is_not_doubled_on_the_ticket(chat: BotChat, how: str) -> None:
    """At the address step the resident sends 「幸福里小区 3 号楼 2 单元 502」; the bot saves it and asks for a phone. Then
    either the bot is killed before confirming the update and Telegram sends it again ("redelivered"), or Telegram
    lost the bot's 「方便留个手机号吗？」 so she read 「抱歉，系统暂时繁忙，请稍后再试一次」 and sent the address again
    ("sent-again"). The bot now answers 「已补充地址：幸福里小区 3 号楼 2 单元 502 幸福里小区 3 号楼 2 单元 502」 and the ticket
    the member receives carries the address twice (with visit times told after it, 「3号楼2单元502，白天家里没人…」, those
    words end up both in the address and in the request). Cause: at the phone step bot/handlers/resident.py
    `phone_typed` → `_address_at_phone` appends every address it reads (`f"{address} {part}"`), even one the address
    already holds. Expected: a part the address already contains is not added again; the ticket's address is
    「幸福里小区 3 号楼 2 单元 502」."""
    await chat.intake_to_address(RESIDENT)
    if how == "redelivered":
        await chat.say(RESIDENT, ADDRESS)
        again = await chat.redeliver(chat.updates[-1], RESIDENT)
    else:
        failed = times_out_once(chat, "sendmessage")
        first = await chat.say(RESIDENT, ADDRESS)
        assert failed and "手机号" in failed[0]["text"] and "繁忙" in shown(first), shown(first)
        chat.errors.clear()
        again = await chat.say(RESIDENT, ADDRESS)
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(1).address == ADDRESS, shown(again)

def blocked_by(chat: BotChat, person: int) -> Callable[[], None]:
    """`person` has blocked the bot: Telegram answers 403 to everything sent to them. Returns a function that
    unblocks."""
    real = chat._telegram_dispatch

    async def forbidden(name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if str(params.get("chat_id")) == str(person):
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return await real(name, params, files)

    chat._telegram_dispatch = forbidden  # type: ignore[method-assign]

    def unblock() -> None:
        chat._telegram_dispatch = real  # type: ignore[method-assign]
    return unblock


async def test_a_ticket_to_dispatch_reaches_a_coordinator_when_the_grids_one_blocked_the_bot(
    chat: BotChat, world: World
) -> None:
    """The grid's only 网格员 (GRID_COORD) has blocked the bot, or left Telegram. A resident reports a broken
    corridor light that no member can take (nobody registered with the skill): the 「📮 有工单需要派单」 card goes to the
    网格员 only, Telegram answers 403, and the notification is marked unreachable. Nobody else is told — the street
    coordinator (COORD) sees nothing, so the ticket waits unassigned until its response limit passes and a red card
    goes up. For members the README promises that a 403 moves their offers on; for a coordinator the alert is simply
    lost. Cause: routing/outbox.py `mark_unreachable` → dispatch.member_unreachable does nothing for a coordinator,
    and members.coordinators_for keeps addressing people with Person.unreachable_at set. Expected: the dispatch card
    reaches a coordinator who can read it (the next level up: the community, else the street), both for the alert
    that bounced and for later ones."""
    blocked_by(chat, GRID_COORD)
    await chat.submit(RESIDENT)
    await chat.deliver()
    with db.transaction(chat.engine) as s:
        kinds = [(n.recipient_id, n.kind, n.status) for n in s.exec(select(Notification)).all()]
    assert (GRID_COORD, NotificationKind.dispatch_needed, "unreachable") in kinds  # (the bounce happened)
    assert any("需要派单" in r.text or "派单" in r.text for r in chat.replies(COORD)), (shown(chat.replies(COORD)), kinds)
    # A later ticket's card goes to the street at once, not to the 网格员 who cannot read it.
    chat.home(2)
    second = await chat.submit(2, "小区门口的路灯不亮了，晚上走路看不见")
    with db.transaction(chat.engine) as s:
        told = {n.recipient_id for n in s.exec(select(Notification).where(
            Notification.ticket_id == second, Notification.kind == NotificationKind.dispatch_needed)).all()}
    assert told == {COORD}, told


# ── Found by a review of the fixes ──────────────────────────────────────────────────────────────────────────────

def dispatch_cards_of(chat: BotChat, ticket_id: int) -> set[int]:
    with db.transaction(chat.engine) as s:
        return {n.recipient_id for n in s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.kind == NotificationKind.dispatch_needed)).all()}


@pytest.mark.parametrize("how", ["uses-the-bot", "unblocks-in-settings"])
async def test_a_coordinator_who_unblocked_the_bot_gets_the_cards_again(
    chat: BotChat, world: World, how: str
) -> None:
    """The grid's 网格员 (GRID_COORD) had blocked the bot; a 「📮 有工单需要派单」 card bounced (403) and he is marked
    unreachable, so later cards skip him for the street. He unblocks the bot — from the chat's profile or Settings →
    Blocked users, which sends Telegram's my_chat_member update (kicked → member) and no /start — and goes on working:
    he types /overdue and the bot answers him. Yet every new ticket of his grid still goes to the street coordinator
    only, forever (until he happens to type /start or a need): he is the one who should 派单, and never hears of
    them. Before the fix the cards after his unblocking reached him. Cause: Person.unreachable_at is cleared only by
    members.ensure_person, which coordinator commands, button presses and the private my_chat_member update never
    call (bot/handlers/group.bot_membership handles groups only); routing/members.coordinators_at_level now skips
    everyone with it set. Expected: any update from him (a command, a press, my_chat_member 'member') clears it, and
    the next ticket's dispatch card goes to him."""
    unblock = blocked_by(chat, GRID_COORD)
    await chat.submit(RESIDENT)
    await chat.deliver()
    unblock()
    if how == "uses-the-bot":
        answered = await chat.say(GRID_COORD, "/overdue")
        assert answered, "the bot answered his command"
    else:
        bot_user = chat.request.bot_user
        await chat.push({"my_chat_member": {
            "chat": chat.request.chat(GRID_COORD), "from": chat.request.user(GRID_COORD), "date": int(time.time()),
            "old_chat_member": {"user": bot_user, "status": "kicked", "until_date": 0},
            "new_chat_member": {"user": bot_user, "status": "member"}}}, GRID_COORD)
    chat.home(2)
    second = await chat.submit(2, "小区门口的路灯不亮了，晚上走路看不见")
    assert GRID_COORD in dispatch_cards_of(chat, second), dispatch_cards_of(chat, second)


def _rated_two_stars(chat: BotChat) -> Any:
    prompt = next(r for r in reversed(chat.replies(RESIDENT)) if "请为这次服务打个分" in r.text)
    two = [b["callback_data"] for row in prompt.message.inline_keyboard for b in row][1]
    return chat.press(RESIDENT, two, prompt.message)


def _comment_of(chat: BotChat, ticket_id: int) -> str | None:
    with db.transaction(chat.engine) as s:
        return s.exec(select(Rating).where(Rating.ticket_id == ticket_id)).one().comment


async def test_a_need_written_hours_after_the_stars_while_the_bot_was_down_is_a_new_request(
    chat: BotChat, world: World
) -> None:
    """The bot is down for the morning. At 08:00 the resident types 「2星」 under the rating prompt; at 11:00 — three
    hours later — she writes about something else: 「厨房水管漏水了，一直在滴水」. The bot comes back at 12:00 and reads both.
    The stars rate the ticket, and then her leak, written three hours after them, is taken as the rating's comment
    (「补充说明已记录，谢谢您！」): no request is opened for it and it ends in the light's rating. The sent_at fix measures
    the window to when the message was written, but from when the bot *read* the stars (the draft's updated_at is
    the processing time), so during a catch-up every message written before the restart counts as within every
    window, however far apart they were written (the same for ALBUM_WINDOW and the photos kept for a need). Cause:
    bot/handlers/router.py `_target` compares `written` with Draft.updated_at, two different clocks. Expected: a
    step keeps the written time of the message that opened it (e.g. `written_at` in the draft state) and the window
    is measured between the two written times: her leak gets its intake card."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT)
    await chat.say(member, "灯泡已经换好了")
    now_ = int(time.time())
    with db.transaction(chat.engine) as s:  # (the prompt was sent the evening before)
        s.exec(update(Notification).where(Notification.recipient_id == RESIDENT).values(
            sent_at=datetime.now(UTC) - timedelta(hours=16)))
    rated = await chat.say(RESIDENT, "2星", date=now_ - 4 * 3600)
    assert "补充" in shown(rated) or "星" in shown(rated), shown(rated)
    leak = await chat.say(RESIDENT, "厨房水管漏水了，一直在滴水", date=now_ - 3600)
    assert "我理解您反映的是" in shown(leak), shown(leak)
    assert "厨房" not in (_comment_of(chat, ticket_id) or "")


async def test_a_two_part_comment_redelivered_is_not_saved_twice(chat: BotChat, world: World) -> None:
    """The resident rates ⭐⭐ and tells why in two messages, 「灯还是不亮」 and 「一开灯就跳闸」. The bot is killed before it
    confirms them (getUpdates hands both over in one batch, confirmed only by the next call) and Telegram sends both
    again after the restart. The rating's comment becomes 「灯还是不亮 / 一开灯就跳闸 / 灯还是不亮 / 一开灯就跳闸」, and the
    member and the coordinators are sent each part a second time (💬 居民补充). The fix for a re-sent comment only
    remembers the last part (`commented`), so the first part re-sent is new to it and appended, and then the second
    one is new again. Cause: bot/handlers/resident.py `comment_given` compares with the last comment only. Expected:
    a comment part already in the rating's comment (or the update_id / message_id already handled) is thanked for
    and not saved again: the comment stays 「灯还是不亮\\n一开灯就跳闸」."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT)
    await chat.say(member, "灯泡已经换好了")
    await _rated_two_stars(chat)
    await chat.say(RESIDENT, "灯还是不亮")
    await chat.say(RESIDENT, "一开灯就跳闸")
    assert _comment_of(chat, ticket_id) == "灯还是不亮\n一开灯就跳闸"
    first, second = chat.updates[-2], chat.updates[-1]
    await chat.redeliver(first, RESIDENT)
    await chat.redeliver(second, RESIDENT)
    assert _comment_of(chat, ticket_id) == "灯还是不亮\n一开灯就跳闸"


async def test_a_done_photo_redelivered_is_confirmed_again(chat: BotChat, world: World) -> None:
    """王师傅 finishes with what most members send: one photo of the new lamp captioned 「灯泡已经换好了」. The ticket is
    resolved, but the bot is killed before confirming the update and Telegram hands the same message over again after
    the restart (or Telegram lost 「✅ 已办结，辛苦了！」 and he sends the photo again). This time the bot says nothing at
    all: he never reads that the ticket was 办结 and calls the coordinator or presses buttons on a ticket that is no
    longer his. The fix for the re-sent 办结 note covers words only: bot/handlers/member.py `_finish_task` answers
    texts.DONE again only for `text and not photos`; a photo goes to the album branch, which answers "" (and, sent
    again from the gallery with a new file id, adds the same picture to the resolution and sends it to the resident a
    second time). Expected: the same message again (same caption within ALBUM_WINDOW, or the same photo) is answered
    with texts.DONE."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT)
    first = await chat.say(member, None, photo=photo("lamp-1"), caption="灯泡已经换好了")
    assert "已办结" in shown(first), shown(first)
    assert chat.ticket(ticket_id).resolution_attachments == ["lamp-1"]
    again = await chat.redeliver(chat.updates[-1], member)
    assert "已办结" in shown(again), shown(again)


async def test_register_anyway_pressed_again_after_its_card_was_lost_shows_the_card(chat: BotChat) -> None:
    """The resident's 「之前反映的臭水沟 现在又臭得不行」 was read as a question; she presses 「登记为诉求」. The bot edits the
    message (「好的，按诉求为您登记。」) and saves her request, but Telegram times out on the card that follows (the
    categories, or 「我理解您反映的是…对吗？」): she reads 「抱歉，系统暂时繁忙，请稍后再试一次。已经登记的内容不会丢失。」 and,
    as told, presses the button again — and is told 「这个按钮已经失效了（情况已有变化）…」. Her request waits in a draft
    she cannot see, with no button to go on; if she types her need again it starts over. The fix keeps the words
    only until the intake is saved (resident._new_intake clears NOT_UNDERSTOOD), so a failure after that point loses
    the way back. Cause: bot/handlers/resident.py `register_anyway` answers STALE_BUTTON whenever the words are gone,
    without looking for the intake they became. Expected: a second press whose words were taken by the intake
    waiting shows that intake's card again (as the first press would have)."""
    answer, button = await _register_button(chat)
    failed = times_out_once(chat, "sendmessage")
    first = await chat.press(RESIDENT, button, answer.message)
    assert failed and texts.TRY_AGAIN in shown(first), shown(first)
    assert (chat.intake_draft(RESIDENT) or {}).get("text") == NEED
    chat.errors.clear()
    again = await chat.press(RESIDENT, button, answer.message)
    assert texts.STALE_BUTTON not in shown(again), shown(again)
    assert any(r.message is not None and r.message.inline_keyboard for r in again), shown(again)


async def test_a_hand_back_reason_sent_again_later_as_told_is_not_a_new_need(chat: BotChat, world: World) -> None:
    """王师傅 presses 退回 and gives the reason 「这个不是电的问题，是水管漏水」. The ticket is handed back, but Telegram loses the
    bot's answer and he reads 「抱歉，系统暂时繁忙，请稍后再试一次。已经登记的内容不会丢失。」 — so, as told, he tries again
    *later*: ten minutes on, between two jobs, he sends the same reason. The bot now shows him an intake card for his
    own reason: 「我理解您反映的是：家居维修 · 水管疏通「这个不是电的问题，是水管漏水」对吗？…」 (one 确认 from a bogus ticket
    in his name), and he is still not told that the ticket was handed back. The re-sent-reason fix recognises the
    same words only within ALBUM_WINDOW (5 minutes, meant for an album's photos arriving together), far shorter than
    the 'later' the bot asked him to wait. Cause: bot/handlers/router.py `_target` drops the HANDED_BACK (and ALBUM)
    draft's `told` after member.ALBUM_WINDOW. Expected: the step's own words are recognised for as long as a retry
    after 「请稍后再试一次」 is likely (e.g. COMMENT_WINDOW, 30 minutes), answered with 「已退回…」 again."""
    member = world.member("王师傅", ["电工"])
    await chat.at_task_step(member, "back", RESIDENT)
    failed = times_out_once(chat, "sendmessage")
    first = await chat.say(member, REASON)
    assert failed and "已退回" in failed[0]["text"] and "繁忙" in shown(first), shown(first)
    chat.errors.clear()
    _time_passes(chat, member, 10)
    again = await chat.say(member, REASON)
    assert "我理解您反映的是" not in shown(again), shown(again)
    assert "已退回" in shown(again), shown(again)


def _time_passes(chat: BotChat, person: int, minutes: int) -> None:
    """`minutes` pass for the person's drafts: each one's updated_at moves back by as much."""
    with db.transaction(chat.engine) as s:
        for draft in s.exec(select(Draft).where(Draft.telegram_id == person)).all():
            draft.updated_at = draft.updated_at - timedelta(minutes=minutes)
            s.add(draft)


@pytest.mark.usefixtures("backend")
def test_a_button_pressed_is_dated_now_not_when_its_message_was_sent() -> None:
    """A resident presses a button under a message the bot sent three days ago (登记为诉求 under its answer to her
    question). The press is taken as written three days ago: common.sent_at returns the date of the bot's own
    message that carries the button, and 登记为诉求 passes it on as when her request was written, so an urgent
    ticket opened from it would count its response and resolution limits from three days ago — overdue at once,
    and the windows of her next messages measured from then. Expected: a press happens now."""
    from telegram import CallbackQuery, Chat, Message, Update, User

    from bot.handlers.common import sent_at

    resident = User(RESIDENT, "居民", False)
    old = Message(5, datetime.now(UTC) - timedelta(days=3), Chat(RESIDENT, "private"),
                  from_user=User(999, "bot", True))
    press = Update(7, callback_query=CallbackQuery("q1", resident, "chat", message=old, data="x"))
    assert datetime.now(UTC) - sent_at(press) < timedelta(minutes=1), sent_at(press)
