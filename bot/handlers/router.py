"""Free text and photos go to whichever flow is waiting for words (newest first), else they are a
new request. The flows' state is read from the routing drafts on every message.

Residents' messages (everything but a member's task note or registration name) are counted against
MESSAGES_PER_MINUTE in the same transaction; one over the limit is held back with one polite answer
per minute, unless it is urgent: urgent words always go through."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlmodel import Session
from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from bot import numbers, texts
from bot.handlers import call_off, coordinator, member, resident
from bot.handlers.common import act, deps, now, query, reply, sent_at, step_left
from classifier import Classification
from routing import abuse, drafts, members, tickets, views

# Who takes a message: a member's flow (not rate limited) or a resident's.
TASK_NOTE, MEMBER_NAME, JOIN_WORDS, SKILL_WORDS = "task_note", "member_name", "join_words", "skill_words"
COMMENT, ADDRESS, PHONE, PHOTO_AT_STEP = "comment", "address", "phone", "photo_at_step"
TYPED_ANSWER = "typed_answer"  # 对 / 不对 / 取消 under 「对吗？」, 算了 at the address step
RATING = "rating"  # 五星 / 5分 / 很满意 typed under 「请为这次服务打个分」
ADDRESS_EARLY = "address_early"  # an address typed under 「对吗？」 (在幸福里3号楼2单元502): kept for the address step
PHONE_EARLY = "phone_early"  # a phone number typed under 「对吗？」 (对的，我电话138…): kept for the phone step
CLOSE_REASON = "close_reason"  # why a coordinator closes a ticket, typed after 关闭
AREA_WORDS = "area_words"  # words typed while the community and grid buttons wait (我住幸福里社区)
CALL_OFF_ANSWER = "call_off_answer"  # 是的 / 不撤销 typed under 「确定要撤销工单…吗？」
UNDO_GIVING_UP = "undo_giving_up"  # 按错了 / 还是要修的 right after a need was given up
REQUEST, EMPTY = "request", "empty"
PHOTOS_FIRST = "photos_first"  # a photo before its words: kept for the words that follow (resident.PHOTOS)
MEMBER_FLOWS = frozenset({TASK_NOTE, MEMBER_NAME, JOIN_WORDS, SKILL_WORDS})


def _cancel_all(session: Session, telegram_id: int, now_: datetime) -> tuple[int, dict[str, Any] | None, bool]:
    """Forget every flow in progress: the rows removed, the resident's intake among them (None if none), and whether
    it was left too long ago to go on with what it kept (STEP_IDLE)."""
    intake = drafts.draft_with_time(session, telegram_id, resident.INTAKE)
    removed = drafts.clear_draft(session, telegram_id)
    return removed, intake[0] if intake else None, intake is not None and step_left(intake[1], now_)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: leave the current step; tickets already created are kept (a request not registered yet is said to be
    dropped), and another need told with it comes next, as after 取消."""
    removed, intake, left = await act(context, _cancel_all, update.effective_user.id, now())
    request_dropped = intake is not None and not intake.get("ticket_id")
    shown = texts.INTAKE_CANCELLED if request_dropped else texts.CANCELLED_STEP if removed else texts.NOTHING_TO_CANCEL
    await reply(update, shown, ReplyKeyboardRemove())
    if intake is not None and not left:  # (yesterday's second need is not started today)
        await resident.next_need(update, context, intake)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text that is not a command."""
    await _route(update, context, update.effective_message.text or "", [])


async def photo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, with or without a caption (the largest size's file id is kept)."""
    message = update.effective_message
    await _route(update, context, message.caption or "", [message.photo[-1].file_id])


def _target(
    flows: list[tuple[str, dict[str, Any], datetime]], text: str, photos: list[str], now_: datetime
) -> tuple[str, dict]:
    """The flow waiting for these words (newest first), else a new request."""
    for flow, state, touched in flows:
        if flow == resident.GIVEN_UP and text and now_ - touched <= resident.UNDO_WINDOW and (
                resident.takes_back_giving_up(text)):
            return UNDO_GIVING_UP, state
        if flow == coordinator.CLOSE and text and coordinator.awaits_reason(state, touched, now_, text):
            return CLOSE_REASON, state
        if flow == call_off.CALL_OFF and text and call_off.awaits_answer(state, touched, now_) and (
                meaning := call_off.typed_answer(text)):
            return CALL_OFF_ANSWER, {**state, "meaning": meaning}
        if flow in (resident.INTAKE, member.TASK, member.JOIN) and step_left(touched, now_):
            continue  # a step left that long is over: the words are a new message (an intake is replaced)
        if flow == member.TASK and state.get("await") in member.WORDS_STEPS and now_ - touched > member.NOTE_WINDOW:
            continue  # (办结 pressed and left: words hours later are not the resident's note, nor a reason)
        if flow == member.TASK and state.get("await") in (member.ALBUM, member.HANDED_BACK):
            if text and text == state.get("told") and now_ - touched <= member.RETRY_WINDOW:
                return TASK_NOTE, state  # (the 办结 note or 退回 reason again: a re-sent update, or after a lost answer)
            if now_ - touched > member.ALBUM_WINDOW:
                continue
            if state["await"] == member.ALBUM and (photos or (text and state.get("note_missing"))):
                return TASK_NOTE, state  # (an album's next photo after 办结, a photo after its words, or the words)
            continue
        if flow == member.TASK and state.get("await") == member.DONE_OFFERED:
            continue  # (修好了 kept for 办结: the buttons answer; his next words are read as they are)
        if flow == member.TASK and state.get("await") in member.WORDS_STEPS:
            return TASK_NOTE, state  # (nothing visible sent, zero-width spaces: the step asks again)
        if flow == member.TASK and state.get("await") and (text or photos):
            return TASK_NOTE, state
        if flow == member.JOIN and state.get("await") == "name":
            return MEMBER_NAME, state  # (nothing visible, zero-width spaces: the name is asked again)
        if flow == member.JOIN and "name" in state and text:
            return JOIN_WORDS, state  # (the skills are chosen with buttons)
        if flow == member.SKILLS and text and now_ - touched <= member.SKILLS_WINDOW and member.names_skills(text):
            return SKILL_WORDS, state  # (电工 typed under /skills: its buttons)
        if flow == resident.INTAKE and text and not state.get("ticket_id"):
            step = state.get("step")
            meaning = (resident.typed_answer(text) or resident.choice_typed(text, state) if step == "confirm"
                       else "cancel" if step in ("address", "phone") and resident.gives_up(text, step)
                       else "cancel" if step == "area" and resident.gives_up(text, "address")
                       # (the same need told again: 好的 / 算了 say the ticket already open will do)
                       else "keep_original" if step == "duplicate" and (
                           resident.typed_answer(text) in ("yes", "cancel") or resident.same_matter(text))
                       else "new" if step == "duplicate" and resident.new_anyway(text)
                       else None)
            if meaning:
                return TYPED_ANSWER, {**state, "meaning": meaning}
            if step == "confirm" and (told := resident.address_only(text)):
                return ADDRESS_EARLY, {**state, "early_address": told[0], "confirmed": told[1], "correcting": told[2]}
            if step == "confirm" and (phone := resident.phone_only(text)):
                return PHONE_EARLY, {**state, "early_phone": phone, "confirmed": phone.yes}
            if step == "confirm" and resident.says_no_first(text):
                return TYPED_ANSWER, {**state, "meaning": "no", "corrects": True}  # (不对，是5号楼的电梯: choose again)
            if step == "area":
                return AREA_WORDS, state
        if flow == resident.COMMENT and resident.awaits_comment(touched, now_) and (text or photos):
            return COMMENT, state  # (a photo after the stars, with or without words: thanked, the window kept)
        if flow == resident.INTAKE and state.get("step") == "address" and text:
            return ADDRESS, state
        if flow == resident.INTAKE and state.get("step") == "phone" and text:
            return PHONE, state
        if flow == resident.INTAKE and photos and not text:
            return PHOTO_AT_STEP, state  # (a photo without words, an album's next one: added to the request)
    return (REQUEST if text else PHOTOS_FIRST if photos else EMPTY), {}


def _incoming(
    session: Session, telegram_id: int, text: str, photos: list[str], now_: datetime, stars: int | None = None,
    urgent: bool = False, talk: bool = False, written: datetime | None = None, need: str | None = None,
) -> tuple[str, dict, abuse.MessageCount | None, bool]:
    """Where the message goes, (for a resident's message) the count of this minute's messages, and whether it is held
    back (over MESSAGES_PER_MINUTE: urgent words and the answers at an urgent ticket's steps never are, nor counted).
    `talk`: the words are a greeting, thanks or a question (photos sent before them wait for the need). The steps'
    time windows are measured to when it was `written` (one read after the bot was down came in time). `need`: the item
    the words surely ask for, if any (words of a rating that ask for another item's work are that need)."""
    written = written or now_
    flows = _told_before_a_card(session, telegram_id, drafts.list_drafts(session, telegram_id), text)
    target, state = _target(flows, text, photos, written)
    # (an urgent ticket's where, phone and photos)
    at_urgent_step = target in (ADDRESS, PHONE, PHOTO_AT_STEP) and bool(state.get("ticket_id"))
    # Urgent words and an urgent ticket's answers always go through, and are not counted: the minute's one polite
    # answer is kept for the first message held back.
    counted = None if target in MEMBER_FLOWS or urgent or at_urgent_step else abuse.count_message(
        session, telegram_id, written)  # (in the minute it was written: those read at once after an outage are no flood)
    if counted is not None and counted.exceeded:
        return target, state, counted, True  # (held back: nothing it would take or end is touched)
    if target == REQUEST:
        # (sent before these words; 在吗 after a photo is answered, the photo kept for the need that follows)
        state = {"photos": [] if talk else resident.photos_kept(session, telegram_id, flows, written),
                 "waiting": _confirming(flows, written), "declined": member.reason_awaited(flows, written)}
    # Stars typed: a rating, also under another ticket's comment step (two tickets done: 5 ⭐ pressed, then 4 typed),
    # and at an intake's address or phone step when they are nothing else (五星 is no address: asked again after).
    at_intake_step = target in (ADDRESS, PHONE) and resident.stars_alone(text)
    # (五星 typed while a need waits under 「对吗？」: rated without a comment step, so that her 对 next answers the card)
    at_confirm_step = target == REQUEST and state.get("waiting") is not None and resident.stars_alone(text)
    # (点错了，应该是五星 at the comment step corrects that rating: resident.comment_given)
    at_comment_step = target == COMMENT and bool(stars) and not resident.says_slip(text)
    if stars is not None and (target == REQUEST or at_comment_step or at_intake_step):
        ticket = tickets.awaiting_rating(session, telegram_id, written)
        # (师傅根本没来过，还有卫生间的灯也坏了: the first part the rating's, the need after it registered)
        split = resident.dispute_and_need(text) if stars == 0 else None
        if ticket is not None and stars == 0 and need not in (None, ticket.label) and not (
                split or resident.disputes_the_done(text)):
            ticket = None  # (灯还是不亮，开关一按就跳闸 under the lamp's card: 电路维修, registered; 师傅根本没来过…: rated)
        if ticket is not None and ticket.id != state.get("ticket_id"):
            shown = views.ticket_payload(session, ticket)
            comment = split[0] if split else resident.words_with_stars(text) if stars else text.strip()  # (verbatim)
            target, state = RATING, {"ticket_id": ticket.id, "stars": stars, "number": shown["number"],
                                     "item_name": shown["item_name"], "comment": comment,
                                     "besides": split[1] if split else None,
                                     "intake": state if at_intake_step else state["waiting"] if at_confirm_step
                                     else None}
    if target != COMMENT and any(flow == resident.COMMENT for flow, _, _ in flows):
        drafts.clear_draft(session, telegram_id, resident.COMMENT)  # (words after it: the rating's comment is over)
    return target, state, counted, False


def _told_before_a_card(session: Session, telegram_id: int, flows: list[tuple[str, dict[str, Any], datetime]],
                        text: str) -> list[tuple[str, dict[str, Any], datetime]]:
    """The flows, a member's 办结 note or 退回 reason no longer recognised when sent again after a new offer's card: the
    same words then answer that card (今天有事，不方便: pointed to 「不方便」), not the step before it."""
    return [(flow, {**state, "told": None} if flow == member.TASK and text and state.get("told") == text
             and tickets.offered_since(session, telegram_id, touched, int(state["ticket_id"])) else state, touched)
            for flow, state, touched in flows]


def _confirming(flows: list[tuple[str, dict[str, Any], datetime]], now_: datetime) -> dict[str, Any] | None:
    """The need shown with 「对吗？」 and not yet confirmed (an emergency told now goes before it, then it)."""
    return resident.intake_at(flows, ("confirm",), now_)


def _a_need(read: Classification | None) -> bool:
    """Whether words with an address in them tell a need (3号楼2单元电梯坏了, 3号楼着火了), not only where."""
    return read is not None and read.kind == "request" and (read.confident or bool(read.urgent_signals))


def _stars(text: str, read: Classification | None) -> int | None:
    """Stars typed for a rating (五星, 5分), or 0 for words of one (很满意), unless the words are a new need
    (三星冰箱不制冷了, 五星小区停水了, 厨房水管漏了一星期了): see resident.stars_typed. Stars typed alone, or opening the
    words before their reason (一星，一开灯就跳闸: the failed repair told as a request of its kind), always rate; so do
    words that the work was not done (灯还是不亮，师傅根本没来过), unless they tell a need of another item (see _incoming)."""
    stars = resident.stars_typed(text)
    if stars is not None and read is not None and read.urgent_signals and not resident.stars_alone(text):
        return None  # (urgent words are never a rating's: 师傅没来过，现在楼道里冒烟了; 给5星，刚才我妈摔倒了 快来人)
    if stars is not None and read is not None and read.kind == "request" and read.confident and not (
            resident.stars_alone(text) or resident.stars_first(text) or resident.disputes_the_work(text)
            or resident.dispute_and_need(text)):
        return None
    return stars


def _talk(read: Classification | None) -> bool:
    """Whether words are a greeting, thanks or a status question: answered as talk, no need told."""
    return read is not None and read.kind in ("greeting", "thanks", "status")


def _urgent(read: Classification | None) -> bool:
    """Urgent words (gas, fire, someone hurt) are never held back. (Words, not an item of the urgent
    class: an address the classifier reads as a weak hazard is still an address.)"""
    return read is not None and bool(read.urgent_signals)


def _corrected(state: dict[str, Any]) -> dict[str, Any]:
    """A need told in place of the intake's (不对，是…; an emergency under 「对吗？」), as a new message: where and the
    phone told already go with it."""
    return {"photos": [], "address_told": state.get("address"), "phone_told": state.get("phone"), "corrected": True}


def _an_address_read_as_danger(target: str, text: str, read: Classification | None, state: dict[str, Any]) -> bool:
    """An answer to where that holds an address and reads urgent by the danger model alone (幸福里3号楼2单元502 我不在家
    我妈在: the model learned addresses from the dangers told with them), or says the address is not known: no emergency.
    Words of danger the patterns know (幸福里3号楼 我妈晕倒了) are one still."""
    if target == ADDRESS and resident.address_unknown(text):
        return True  # (我也不知道 — read by the self-harm model as a sign — answers where: the help to write it)
    if read is None or read.urgent_signals != ("danger",):
        return False
    # (under 「对吗？」 only where and a phone, nothing else: 和平里3号楼2单元501 我女儿电话138…; not …501 有人砸我家门 138…)
    return (target == ADDRESS and numbers.address_in(text) is not None) or (
        target == PHONE_EARLY and resident.only_where_and_phone(state["early_phone"]))


def _invite_told(session: Session, telegram_id: int, codes: list[str], alone: bool) -> tuple[str, bool] | None:
    """The first of `codes` that is an invite, and whether it is a coordinator's (in a sentence, one someone else
    made: a coordinator asking about his own code, 邀请码 XXXX 怎么发给王师傅, is not joining; sent alone, his own code is
    his /join)."""
    for code in codes:
        invite = members.find_invite(session, code)
        if invite is not None and (alone or invite.created_by != telegram_id):
            return code, invite.scope_code is not None
    return None


def _intake_step(session: Session, telegram_id: int, now_: datetime) -> dict[str, Any] | None:
    """The resident's intake draft when it waits for 确认 (or, before it, 仍要新建 or the community), an address or a
    phone."""
    steps = ("confirm", "duplicate", "area", "address", "phone")
    return resident.intake_at(drafts.list_drafts(session, telegram_id), steps, now_)


async def unsupported_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice, video, documents…: words asked for (at an intake's step, that step's answer; a place shared
    at the address step is the address, under 「对吗？」 (or the questions before it) kept for it as an address typed
    there is)."""
    state = await query(context, _intake_step, update.effective_user.id, sent_at(update))
    place = resident.place_of(update.effective_message)
    if state is not None and state.get("step") in ("confirm", "duplicate", "area"):
        if place:
            await resident.address_told_early(update, context, {**state, "early_address": place})
        else:
            await reply(update, f"{texts.UNSUPPORTED_AT_STEP}\n{texts.NEED_NOT_SUBMITTED}")
    elif state is None:
        await reply(update, texts.UNSUPPORTED_MESSAGE)
    elif place and state.get("step") == "address":
        await resident.address_given(update, context, state, place, [])
    else:
        await resident.unsupported_at_step(update, context, state)


async def _route(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, photos: list[str]) -> None:
    text = members.visible_text(text).strip()  # (zero-width spaces alone are no address, no reason)
    read = deps(context).classifier.classify(text) if text else None  # (once: every rule below asks of it)
    at_work = read is not None and member.a_sign_at_work(deps(context).classifier, read, text) and any(
        await query(context, member.work_in_hand, update.effective_user.id))
    if at_work:  # (配件没了明天买了再来 from a member with a ticket in hand: about it, not a crisis ticket in his name)
        read = dataclasses.replace(read, urgent=False, urgent_signals=(), hotlines=())
    target, state, counted, held = await query(
        context, _incoming, update.effective_user.id, text, photos, now(), _stars(text, read), _urgent(read), _talk(read),
        sent_at(update), read.label if read is not None and read.kind == "request" and read.confident else None,
    )
    if held:
        if counted is not None and counted.first_exceeded:
            # (a flood written in a minute long past, read after an outage: it may go on now)
            await reply(update, texts.too_many_messages(max(counted.until, now()), deps(context).tz))
        return
    then, leave_join = None, False
    if target == TYPED_ANSWER and state.get("corrects") and (_urgent(read) or resident.of_another_item(
            read, state.get("label"))):
        # (不是，楼下着火了 under 「对吗？」: an emergency; 不对 是厨房水管漏了: the need told right. The reading it corrects is
        # dropped, the address told kept)
        target, state = REQUEST, _corrected(state)
    another_need = target in (ADDRESS_EARLY, PHONE_EARLY) and _a_need(read) and (  # (a need told with where it is)
        not _an_address_read_as_danger(target, text, read, state))
    phone_told = None
    if target == PHONE_EARLY and (aside := state["early_phone"].aside):
        beside = deps(context).classifier.classify(aside)  # (电话138…，老人在家摔倒了: the number would hide it)
        # (an emergency or another need told beside the number, even one the bot is unsure of: read as told alone;
        # the same need, or where and when — 3楼楼道灯不亮, 下午在家 —: more of this one)
        read = beside if resident.another_need_beside(beside, state.get("label")) else None
        another_need = read is not None and read.kind == "request"
        if another_need and not _urgent(read) and (state.get("confident") or resident.tells_another_need(aside)):
            # (电话138…，另外厨房水管也漏了 under a card the bot was sure of, or said to be another: the number for this
            # need, the other for after it)
            state, another_need = {**state, "another_need": True}, False
        elif another_need:  # (an emergency, or a need retold under a card the bot was unsure of: read alone, with her number)
            text, phone_told = resident.without_another(aside), state["early_phone"].phone
    if another_need:
        target, state = REQUEST, {"photos": [], "waiting": state, "phone_told": phone_told}  # (a new message)
    if target in (ADDRESS, PHONE) and resident.corrects_confirmed_need(context, state, text, read):
        # (不对 是楼道灯坏了, 不是电视 是冰箱不制冷 at the address step: the need she confirmed, corrected — not another
        # kept for after it, nor words of it ignored)
        target, state = REQUEST, _corrected(state)
    if target == TASK_NOTE and state.get("await") == member.ALBUM and not photos and member.acknowledges(text):
        target, state = REQUEST, {"photos": []}  # (好的，谢谢 after 办结: answered as talk, not sent as the note)
    opened = target in (ADDRESS, PHONE) and state.get("ticket_id")  # (an urgent ticket's own steps)
    waiting = state.get("waiting") if target == REQUEST else None  # (a need shown with 「对吗？」, not confirmed)
    at_step = target in (ADDRESS, PHONE, COMMENT, ADDRESS_EARLY, PHONE_EARLY, AREA_WORDS) and not opened
    if (at_step or waiting) and _urgent(read) and not _an_address_read_as_danger(target, text, read, state):
        # "煤气泄漏" typed at the address step, under 「对吗？」 (or after a rating) is an emergency; the need in progress
        # waits for it, with what it was told already. (At an urgent ticket's own steps, 已经打了120 is about that
        # emergency: its step takes it.)
        kept = waiting or state
        then = None if target == COMMENT else {key: kept.get(key)
                                               for key in ("text", "attachments", "next_text", "address")}
        target = REQUEST
    elif target == COMMENT and (
            (said_another := resident.tells_another_need(text))
            or (resident.commented_well(state) and resident.tells_trouble(text))
            or resident.needs_other_hands(read, state.get("label"), deps(context).taxonomy, text)
    ) and resident.of_another_item(read, state.get("label"), even_unsure=said_another):
        # (灯修好了，五星 — 另外下水道堵了; 厨房水管漏水了 after 5 ⭐ and 师傅很负责; 楼下垃圾好几天没人收了 after 1 ⭐ for
        # the TV: a new need, not the rating's comment. A low rating's reason may come in parts: 灯还是不亮, then
        # 一开灯就跳闸 (the electrician's too); praise too: 师傅很负责, then 顺便把门口的下水道也通了 — work done, no need)
        target = REQUEST
    elif target == AREA_WORDS and resident.of_another_item(read, state.get("label")):
        # (a new need told instead of choosing: kept for after the one waiting when the bot was sure of that one, as
        # under 「对吗？」 — 还有电梯也坏了 —; a need retold or corrected, 不是灯，是电梯坏了, takes its place)
        target, state, waiting = REQUEST, {"photos": []}, state
    if target == UNDO_GIVING_UP and (_urgent(read) or _a_need(read)):
        target, state = REQUEST, {"photos": []}  # (我爸晕倒了，还是要叫人来: an emergency, not the need given up back)
    if target == CLOSE_REASON and _urgent(read):
        target, state = REQUEST, {"photos": []}  # (我家着火了 after 关闭: an emergency, never a reason)
    leave_task = target == TASK_NOTE and bool(text) and _urgent(read) and member.own_emergency(text, read.urgent_signals)
    if leave_task:  # (我家厨房着火了 while a 办结 note waits: an emergency, not the note; 办结 is pressed again after)
        target, state = REQUEST, {"photos": []}
    if target == JOIN_WORDS and (_urgent(read) or _a_need(read)):
        target, state = REQUEST, {"photos": []}  # (a need or an emergency while the skills wait: a need, as any)
    if target == MEMBER_NAME and (_urgent(read) or (len(text) > members.MAX_NAME and _a_need(read))):
        # (no name: an emergency, a need. The registration is left — its code still unused, /join again — so that the
        # words after it, 谢谢，消防员已经到了, are not taken for a name)
        target, state, leave_join = REQUEST, {"photos": []}, True
        if not _urgent(read):  # (before the need's card, whose question is then the last word; nothing before an emergency)
            await reply(update, texts.JOIN_LEFT)
    if target == REQUEST and not waiting and (told := member.codes_told(text))[0] and (
            invite := await query(context, _invite_told, update.effective_user.id, *told)):
        if told[1]:  # (the code a volunteer was told, sent without /join: joined with)
            await member.join_with(update, context, invite[0])
        else:  # (a code in a sentence may be someone else's, asked about: how to use it, not used)
            await reply(update, texts.join_code_told(*invite))
        return
    if target == REQUEST and not waiting and not photos and not _urgent(read) and (
            await coordinator.look_up(update, context, text) or await member.look_up_task(update, context, text)
            or await coordinator.dispatch_asked(update, context, text, read)):
        # (#S5511 怎么样了 from a coordinator, or from the member who holds it: that ticket's card, not 「您还没有工单」;
        # 派给王师傅: how to, and the list)
        return
    if target == REQUEST and then is None and not waiting and not photos and member.tells_the_visit(text, read) and (
            await member.about_the_visit(update, context, text, read)):
        if at_work:
            await reply(update, texts.IF_HURTING)
        return  # (居民不在家，敲门没人应 from a member at the door: his ticket's buttons, not an urgent ticket in his name)
    # (never words of an emergency or of signs of self-harm: 我真的不舒服 gets its answer, not 「请点不方便」)
    if target in (REQUEST, PHOTOS_FIRST) and then is None and not waiting and not _urgent(read) and (
            await member.about_their_work(update, context, text, photos, read, state.get("declined"))):
        if at_work:
            await reply(update, texts.IF_HURTING)
        return  # (接单 or 修好了 typed, a photo of the work: a member pointed to the buttons)
    if target == REQUEST and at_work:  # (words of his work the rules above do not place: his tasks, the line beside)
        await reply(update, texts.WORK_WORDS_UNPLACED)
        await reply(update, texts.IF_HURTING)
        return
    if target == CLOSE_REASON:
        await coordinator.close_reason_given(update, context, state, text)
    elif target == TASK_NOTE:
        await member.task_text_given(update, context, state, text, photos)
    elif target == MEMBER_NAME and (resident.gives_up(text, "address") or member.gives_up_joining(text)):
        await member.join_given_up(update, context)
    elif target == MEMBER_NAME:
        await member.name_given(update, context, state, text)
    elif target == JOIN_WORDS:
        await member.words_at_skills(update, context)
    elif target == SKILL_WORDS:
        await member.words_at_skill_change(update, context, text)
    elif target == COMMENT and not text:
        await resident.photo_after_rating(update, context, state, photos)
    elif target == COMMENT:
        await resident.comment_given(update, context, state, text, photos)
    elif target == RATING:
        await resident.rating_typed(update, context, state)
    elif target == CALL_OFF_ANSWER:
        await call_off.answer_typed(update, context, state)
    elif target == UNDO_GIVING_UP:
        await resident.giving_up_taken_back(update, context, state)
    elif target == TYPED_ANSWER:
        await resident.answer_typed(update, context, state, state["meaning"], photos)
    elif target == ADDRESS:
        await resident.address_given(update, context, state, text, photos)
    elif target == PHONE:
        await resident.phone_typed(update, context, state, text, photos)
    elif target == ADDRESS_EARLY:
        await resident.address_told_early(update, context, state, photos)
    elif target == PHONE_EARLY:
        await resident.phone_told_early(update, context, state, photos)
    elif target == AREA_WORDS and state.get("self_harm"):  # (没人管我 from someone in crisis: heard, then the buttons)
        await resident.ask_area(update, context, lead=texts.HEARD_GENTLY_BEFORE_AREA)
    elif target == AREA_WORDS:
        await resident.area_words(update, context, text)
    elif target == PHOTO_AT_STEP:
        await resident.photo_at_step(update, context, state, photos)
    elif target == EMPTY:
        await reply(update, texts.EMPTY_MESSAGE)
    elif target == PHOTOS_FIRST:
        await resident.photos_first(update, context, photos)
    else:
        await resident.new_request(update, context, text, [*state.get("photos", []), *photos], then,
                                   address=state.get("address_told"), waiting=None if then else waiting,
                                   phone=state.get("phone_told"), corrected=bool(state.get("corrected")))
    if leave_join:  # (after the emergency is answered: nothing before it)
        await act(context, drafts.clear_draft, update.effective_user.id, member.JOIN)
    if leave_task:
        await act(context, drafts.clear_draft, update.effective_user.id, member.TASK)
        await reply(update, texts.TASK_STEP_LEFT)
