"""Members (党员 / 志愿者): register with an invite (/join), go on and off duty (/duty), answer offers
(接单 / 不方便), work on tickets (开始 / 办结 / 退回), see their tasks (/tasks) and points (/points), change their
skills (/skills)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session
from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.handlers.common import (
    TICKET_NUMBER_TOLD,
    a_sign_by_the_model_alone,
    act,
    answer,
    callback_args,
    deps,
    display_name,
    edit,
    now,
    query,
    reply,
    reply_with_contact,
    sent_at,
    written_within,
)
from classifier import Classification, Classifier
from classifier.normalize import simplified
from routing import dispatch, drafts, geography, members, points, tickets, views
from routing.config import get_taxonomy
from routing.errors import DomainError, InvalidInput, NotFound, TicketAlreadyTaken
from routing.models import GeoLevel, OfferKind, OfferState
from routing.models import TicketStatus as S
from routing.states import WAITING_FOR_COORDINATOR, get_ticket

JOIN = "join"
SKILLS = "skills"  # the draft of a member's skills being changed with buttons (/skills)
SKILLS_WINDOW = timedelta(minutes=10)  # (skill names typed this soon after /skills are meant for its buttons)
TASK = "task"
ALBUM = "done_album"  # a TASK draft's await: what follows the 办结 note (ALBUM_WINDOW): an album's next photos, a
# photo sent after the words, or the words after a photo sent alone (the note then)
HANDED_BACK = "handed_back"  # a TASK draft's await after 退回 (ALBUM_WINDOW): the reason, sent again, is recognised
# A TASK draft's await: 修好了 (or a photo of the work) typed with one ticket in hand, kept as its 办结 note until the
# member presses 办结 under the question (more words and photos join it, for NOTE_WINDOW: `_keep_done_note`).
DONE_OFFERED = "done_offered"
GONE = "gone"  # (_leave_step: the ticket is no longer the member's)
DECLINED = "declined"  # after 不方便: the offer whose reason the member's next words may give (REASON_WINDOW)
REASON_WINDOW = timedelta(minutes=15)
ALBUM_WINDOW = timedelta(minutes=5)  # (how long an album's next photos, or the note's words, join the resolution)
NOTE_WINDOW = timedelta(hours=1)  # how long after 办结 / 退回 is pressed the next words are its note / reason
WORDS_STEPS = ("done_note", "hand_back_reason")  # (the TASK draft's awaits that take the member's next words)
RETRY_WINDOW = timedelta(minutes=30)  # how long the 办结 note or 退回 reason sent again (after 请稍后再试) is recognised
# A word of acknowledgement after 办结 (好的，谢谢; 收到了; 没问题👍): no note for the resident.
_ACK_WORD = r"(好的|好|好嘞|好滴|嗯|嗯嗯|收到|谢谢|谢啦|谢谢啦|多谢|辛苦了|知道了|明白|没问题|行|可以|ok|OK|Ok)[了呢啦哈的]?"
_ACKNOWLEDGED = re.compile(rf"{_ACK_WORD}([，,。！!~～\s]*{_ACK_WORD})*[。！!~～\s]*")
# Words that take back a 办结 or 退回 pressed by mistake (取消, 按错了, 不退了), and words at the 办结 step that say the work
# is not done (还没修好，明天再去): the step is left, the ticket stays the member's.
# Words that take a step back whatever follows (不退了，我继续修; 点错了，不好意思), each step's own, and words that do only
# as the whole message (算了，这个活我干不了 is a reason; 搞错了单元，后来找到了，灯已换好 a note; 不退不行了 a reason).
_TAKE_BACK_SURELY = {
    "done_note": "按错了|点错了|不办结|先不办结|取消办结|还在修|还没好",
    "hand_back_reason": "不退了|不退回了|先不退|按错了|点错了|取消退回",
}
_TAKE_BACK = "取消|算了|搞错了|弄错了|不退|" + "|".join(_TAKE_BACK_SURELY.values())
_STEP_TAKEN_BACK = {
    step: re.compile(rf"(哦|啊|不好意思|对不起)?[，,\s]*(({surely}).*|({_TAKE_BACK})([，,。\s]*({_TAKE_BACK}))*"
                     rf"[了吧啊呀。!！~～\s]*)")
    for step, surely in _TAKE_BACK_SURELY.items()
}
# Work not done: surely (还是不亮, 零件没到, 没弄完), or a visit put off (明天再去) when no work done is told with it.
_NOT_DONE_SURELY = re.compile(
    "还是(修|弄)?不(亮|行|通|好|转|出水)|还没有?(完全)?(修|弄|办|处理|做)?(好|完)(?!全)|没有?(修|弄|办)(好|完)|没到|不够|还在修")
_PUT_OFF = re.compile("(明天|下午|晚上|等会儿?|改天)再(去|来|修|弄)")
# On the way, about to look, waiting for parts (在路上了，十分钟到; 我先看看情况; 等配件到了再修): the work is still to do.
_ON_THE_WAY = re.compile("在路上|路上了|马上到|快到了|就到|分钟(后|内)?到|正在(赶|过去|去)|这就(去|过去|来)|马上就?(过去|过来)"
                         "|先(去|过去)?看看"
                         "|等(配件|零件|材料|工具)")
# Work that cannot be done, or a door nobody opens (修不了，得找物业; 联系不上居民; 敲门没人): no note of work done — 退回 is
# how the ticket goes to someone who can.
_CANNOT_DO = re.compile("(修|弄|办|干|做|处理)不(了|好)|没(法|办法)(修|弄|办|处理)|联系不上|打不通|没人接|进不去|(?<!已)不在家"
                     "|敲门没人|没人开门|没人在家|没修(?![好完])")
# Words of work done (a note that says so is a note, whatever else it says: 灯已换好，明天再来回访一下).
# (not told as to come: 明天再去修好; nor denied: 没修好. 现在亮了: working now)
_WORK_DONE = re.compile(
    "(?<![没未去再要会])(?<!没有)(修|办|弄|处理|搞|做|换|装|通|清)(好|完)|搞定|已(经)?(修|办|处理|完成|换|装)"
    "|(?<![没未])完成了|现在(亮了|正常|好了|能用|通了|不漏)")
# Any work told, in the many words a note tells it in (通了, 换了, 送到了, 交给邻居, 问题解决, 没问题了): with them, words that
# the resident was out or unreachable tell how it went, not that it could not be done.
_SOME_WORK = re.compile("通了|换了|装了|送到|送了|送去|清走|清了|交给|放在|挂在|解决|没问题|指导|关了|开了|买了|取了|帮|陪|联系上"
                        "|接好|弄了|修了|处理了|去了现场")


# An emergency of the member's own, told at the 办结 / 退回 step: his home or himself (我家, 我老伴, 我) or a cry, and none of
# the words a note of the work is told in — what was done (已, 关了, 拉走, 扶起来…), or the people served (居民, 老人, 他).
_OWN = re.compile("我|俺|咱|快来|救命|来人")
_OTHERS = re.compile("居民|老人|大爷|大妈|奶奶|爷爷|阿姨|邻居|家属|他|她")
_WORK_TOLD = re.compile("已|检查|处理|送医|送到|送去|告知|通知|联系|陪|协助|换了|清理|修好|弄好|打了|叫了|关了|拉了|拉走"
                        "|接走|扶|灭了|来了|误报|没有(漏|泄)|现场")


def own_emergency(text: str, signals: Sequence[str] = ()) -> bool:
    """Whether urgent words at the 办结 / 退回 step tell an emergency the member is in (我家厨房着火了，快来人), not the work
    on one (燃气报警器响了，是误报，没有漏气; 老人晕倒了，120拉走了): a note about the ticket's own emergency stays its note.
    Signs of self-harm of his own count whatever else is said (我不想活了，已经写好遗书了), not a resident's (他说活着没意思)."""
    words = simplified(text)
    if not _OWN.search(words) or _OTHERS.search(words):
        return False
    return "self_harm" in signals or not _WORK_TOLD.search(words)


def _without_symbols(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("S") and ch != "\ufe0f")


def acknowledges(text: str) -> bool:
    """Whether words after 办结 only acknowledge it (好的，谢谢): the note it lacks is other words (已经修好了)."""
    return bool(_ACKNOWLEDGED.fullmatch(_without_symbols(simplified(text)).strip()))


# ── /join CODE → name → skills → home grid ──────────────────────────────────────────────────────
def _begin_join(session: Session, telegram_id: int, code: str, name: str, now_: Any) -> str | None:
    """Check the invite: a coordinator's makes the person a coordinator at once (the scope's name); a member's
    opens the registration draft ("" ; None when already a member)."""
    members.ensure_person(session, telegram_id, now_, name=name)
    known = members.find_invite(session, code)
    if known is not None and known.scope_code is None and members.find_member(session, telegram_id) is not None:
        return None  # (their own code sent again too: not 「已被使用」, as if someone had taken it)
    if known is not None and known.scope_code is not None:
        joined = members.join_as_coordinator(session, telegram_id, code, now_)
        return geography.get_node(session, joined.scope_code).name
    invite = members.check_invite(session, code, now_)
    drafts.save_draft(session, telegram_id, JOIN, {"code": invite.code, "await": "name", "skills": []}, now_)
    return ""


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/join CODE: start registering as a member (with a coordinator's code: become a coordinator)."""
    if not context.args:  # (a member already: told so, not asked for a code he has no need of)
        member = await query(context, _member_or_none, update.effective_user.id)
        await reply(update, texts.JOIN_ALREADY if member else texts.JOIN_NEEDS_CODE)
        return
    await join_with(update, context, "".join(context.args))  # (a code read out in two halves and typed so: ABCD EFGH)


# An invite code as a volunteer told it over the phone sends it: on its own (in two halves too: ABCD 2345), or in a
# sentence about joining (王书记给我的邀请码是 ABCD2345，怎么加入？).
_HALF = members.INVITE_LENGTH // 2
_CODE = re.compile(rf"(?<![A-Z0-9])([{members.INVITE_ALPHABET}]{{{_HALF}}})[\s\-－—]?([{members.INVITE_ALPHABET}]{{{_HALF}}})"
                   r"(?![A-Z0-9])")
_CODE_ALONE = re.compile(rf"((您|你)好[呀啊]?[，,！!\s]*)?(我的)?(邀请码|加入|注册)?(是)?[:：\s]*{_CODE.pattern}[。.!！\s]*")
_ABOUT_JOINING = re.compile("邀请码|加入|注册|入会|报名")


def codes_told(text: str) -> tuple[list[str], bool]:
    """What may be the invite code of a message made of one (ABCD2345, 邀请码：ＡＢＣＤ２３４５) or telling about joining
    (我刚装好TELEGRAM，邀请码是…: each run of eight to look up), and whether the message is the code alone. A code has a
    letter: 6688 2345 is a phone number."""
    plain = simplified(text).upper().strip()
    if told := _CODE_ALONE.fullmatch(plain):
        candidates = [told]
    else:
        candidates = list(_CODE.finditer(plain)) if _ABOUT_JOINING.search(plain) else []
    codes = [code for code in ("".join(found.groups()[-2:]) for found in candidates) if not code.isdigit()]
    return codes, told is not None


async def join_with(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """Start registering with an invite code (after /join, or sent on its own)."""
    user = update.effective_user
    scope_name = await act(context, _begin_join, user.id, code, display_name(user), now())
    if scope_name is None:
        await reply(update, texts.JOIN_ALREADY)
    elif scope_name:
        await reply(update, texts.coordinator_joined(scope_name))
        await reply(update, texts.HELP_COORDINATOR)
    else:
        await reply(update, texts.JOIN_ASK_NAME)


# Words at the name step that leave the registration, as the whole message ends (算了，不注册了; 我年纪大了，还是不想当志愿
# 者了) — not a name that says what its bearer does not do (王师傅（不做高空作业）; 张姐，周末不干活).
_NOT_JOINING = re.compile(
    ".{0,16}?(不(想|要|打算|愿意)?(再)?((注册|加入|参加|报名|登记)|(当|做|干|搞)(志愿者|党员)|(当|做|干|搞)(这个)?了)|取消注册"
    "|先不(注册|加入)?)"
    "[了吧啊呀啦。，,!！~～\\s]*(谢谢|谢谢你|谢谢您|谢谢啊|不好意思|对不起|抱歉)?[了吧啊呀啦。!！~～\\s]*")


def gives_up_joining(text: str) -> bool:
    """Whether words at the name step leave the registration (算了，不注册了; 我不干了)."""
    return bool(_NOT_JOINING.fullmatch(simplified(text).strip()))


async def join_given_up(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """取消 / 算了 typed where the name is asked: the registration is left (the code is not used up)."""
    await act(context, drafts.clear_draft, update.effective_user.id, JOIN)
    await reply(update, texts.JOIN_GIVEN_UP)


async def words_at_skills(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Words typed where the skills are chosen with buttons."""
    await reply(update, texts.JOIN_USE_BUTTONS)


async def name_given(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str
) -> None:
    """The display name; then the skills."""
    try:
        name = members.clean_name(text)
    except InvalidInput:
        await reply(update, texts.JOIN_NAME_INVALID)
        return
    state["name"] = name
    state.pop("await", None)
    await act(context, drafts.save_draft, update.effective_user.id, JOIN, state, now())
    await reply(update, texts.JOIN_ASK_SKILLS, keyboards.skills(deps(context).taxonomy.skills, set()))


def _toggle_skill(session: Session, telegram_id: int, skill: str | None, now_: Any) -> dict | None:
    state = drafts.get_draft(session, telegram_id, JOIN)
    if state is None or "name" not in state:
        return None
    if skill is not None:
        chosen = set(state.get("skills", []))
        chosen.symmetric_difference_update({skill})
        state["skills"] = sorted(chosen)
        drafts.save_draft(session, telegram_id, JOIN, state, now_)
    state["grids"] = members.home_grid_choices(session, state["code"])
    return state


def _finish_join(session: Session, telegram_id: int, grid_code: str, now_: Any) -> dict | None:
    """Register the member in the grid chosen; a street or community chosen opens what is under it."""
    state = drafts.get_draft(session, telegram_id, JOIN)
    if state is None and members.find_member(session, telegram_id) is not None:
        return {"registered": True}  # (a second tap: the welcome the first one showed stays)
    if state is None or not state.get("skills"):
        return None
    node = geography.get_node(session, grid_code)
    if not node.active:  # (it left the geography file while the list was on screen: the current ones, draft kept)
        return {"choices": members.home_grid_choices(session, state["code"]), "gone": True}
    if node.level != GeoLevel.grid:
        return {"choices": members.home_grid_choices(session, state["code"], grid_code)}
    member = members.register_member(
        session, telegram_id, state["code"], state["name"], state["skills"], grid_code, now_
    )
    drafts.clear_draft(session, telegram_id, JOIN)
    return {
        "name": member.display_name,
        "skills": member.skill_tags,
        "grid_name": geography.get_node(session, member.grid_code).name,
    }


def _skill_pressed(arg: str, skills: Sequence[str]) -> str | None:
    """The skill a skills button names (its index), or None (完成, or a button from another taxonomy)."""
    return skills[int(arg)] if arg.isdigit() and int(arg) < len(skills) else None


async def join_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A skill toggled, 完成, or the home grid chosen."""
    args = callback_args(update)
    skills = deps(context).taxonomy.skills
    user_id = update.effective_user.id
    if args[0] == "grid" and len(args) > 1:
        await answer(update)
        try:
            done = await act(context, _finish_join, user_id, args[1], now())
        except DomainError:  # (the code expired or was refused meanwhile: the registration is over; told why)
            await act(context, drafts.clear_draft, user_id, JOIN)
            raise
        if done and "choices" in done:
            lead = texts.JOIN_GRID_GONE if done.get("gone") else texts.JOIN_ASK_GRID
            await edit(update, lead, keyboards.home_grids(done["choices"]))
            return
        if done and "registered" in done:
            return
        await edit(update, texts.join_done(**done) if done else texts.STALE_BUTTON)
        return
    state = await act(context, _toggle_skill, user_id, _skill_pressed(args[0], skills), now())
    if state is None:
        await answer(update)
        await edit(update, texts.STALE_BUTTON)
        return
    if args[0] == "fin":
        if not state["skills"]:
            await answer(update, texts.JOIN_NEED_SKILL, alert=True)
            return
        await answer(update)
        await edit(update, texts.JOIN_ASK_GRID, keyboards.home_grids(state["grids"]))
        return
    await answer(update)
    await edit(update, texts.JOIN_ASK_SKILLS, keyboards.skills(skills, set(state["skills"])))


# ── /skills: the skills offers are matched by, changed with the buttons of /join ───────────────────
def _begin_skills(session: Session, telegram_id: int, now_: Any) -> list[str] | None:
    """The member's skills, kept as the draft the buttons change (None: not a member)."""
    member = members.find_member(session, telegram_id)
    if member is None:
        return None
    drafts.save_draft(session, telegram_id, SKILLS, {"skills": list(member.skill_tags)}, now_)
    return list(member.skill_tags)


async def skills_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/skills: change the skills (a new one learned, one no longer offered)."""
    chosen = await act(context, _begin_skills, update.effective_user.id, now())
    if chosen is None:
        await reply(update, texts.NOT_A_MEMBER)
        return
    keyboard = keyboards.skills(deps(context).taxonomy.skills, set(chosen), keyboards.SKILLS)
    await reply(update, texts.skills_now(chosen), keyboard)


def _choose_skill(session: Session, telegram_id: int, skill: str | None, finish: bool, now_: Any
                  ) -> dict[str, Any] | None:
    """A skill toggled in the draft, or (完成) the draft's skills saved: the draft, `saved` once saved (None: no draft,
    or no longer a member)."""
    state = drafts.get_draft(session, telegram_id, SKILLS)
    if state is None or members.find_member(session, telegram_id) is None:
        return None
    chosen: list[str] = state["skills"]
    if skill is not None:
        state["skills"] = [s for s in chosen if s != skill] if skill in chosen else [*chosen, skill]
        drafts.save_draft(session, telegram_id, SKILLS, state, now_)
    if finish and state["skills"]:
        member = members.update_member(session, telegram_id, skill_tags=state["skills"])
        drafts.clear_draft(session, telegram_id, SKILLS)
        return {"skills": list(member.skill_tags), "saved": True}
    return state


_SKILL_LIST = re.compile("[，,、；;和及\\s]+")


_SKILLS_DONE = re.compile("(完成|好了|选好了|就这些|可以了)[了。.!！]*")
_SKILLS_KEPT = re.compile("(取消|算了|不改了|不用改了)[了吧。.!！]*")


def names_skills(text: str) -> bool:
    """Whether words are skill names and nothing else (电工, 水暖、电工), or 完成 / 算了: typed where the skills are chosen
    with buttons."""
    plain = simplified(text).strip()
    if _SKILLS_DONE.fullmatch(plain) or _SKILLS_KEPT.fullmatch(plain):
        return True
    skills = set(get_taxonomy().skills)
    parts = [part for part in _SKILL_LIST.split(plain) if part]
    return bool(parts) and all(part in skills for part in parts)


async def words_at_skill_change(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Words typed under /skills' buttons: 完成 saves, 算了 leaves the skills as they were, skill names point to the
    buttons."""
    plain = simplified(text).strip()
    user_id = update.effective_user.id
    if _SKILLS_KEPT.fullmatch(plain):
        await act(context, drafts.clear_draft, user_id, SKILLS)
        await reply(update, texts.SKILLS_UNCHANGED)
        return
    if _SKILLS_DONE.fullmatch(plain):
        state = await act(context, _choose_skill, user_id, None, True, now())
        if state is not None and state.get("saved"):
            await reply(update, texts.skills_saved(state["skills"]))
            return
        if state is not None:
            await reply(update, texts.JOIN_NEED_SKILL)
            return
    await reply(update, texts.SKILLS_USE_BUTTONS)


async def skills_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A skill toggled, or 完成: the skills saved."""
    args = callback_args(update)
    skills = deps(context).taxonomy.skills
    finish = args[0] == "fin"
    state = await act(context, _choose_skill, update.effective_user.id, _skill_pressed(args[0], skills), finish, now())
    if state is None:
        await answer(update)
        await edit(update, texts.STALE_BUTTON)
        return
    if finish and not state["skills"]:
        await answer(update, texts.JOIN_NEED_SKILL, alert=True)
        return
    await answer(update)
    if state.get("saved"):
        await edit(update, texts.skills_saved(state["skills"]))
        return
    await edit(update, texts.skills_now(state["skills"]), keyboards.skills(skills, set(state["skills"]), keyboards.SKILLS))


# ── /duty, /tasks, /points ──────────────────────────────────────────────────────────────────────
def _member_or_none(session: Session, telegram_id: int) -> bool:
    return members.find_member(session, telegram_id) is not None


def _set_duty(session: Session, telegram_id: int, on_duty: bool | None, now_: Any) -> tuple[bool, int]:
    """On or off duty (None toggles); off, the offers waiting for their answer go to others. Whether on duty now, and
    the coordinators' 指派 still waiting for an answer (they stay)."""
    member = members.get_member(session, telegram_id)
    if on_duty is False or (on_duty is None and member.on_duty):
        member = dispatch.go_off_duty(session, telegram_id, now_)
        return False, dispatch.awaiting_assignments(session, member.id)
    return members.set_duty(session, telegram_id, True).on_duty, 0


DUTY_WORDS = {"on": True, "在岗": True, "上岗": True, "开": True, "off": False, "离岗": False, "休息": False, "关": False}


async def duty(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/duty: toggle on / off duty; /duty on (在岗) or /duty off (离岗) sets it."""
    user_id = update.effective_user.id
    if not await query(context, _member_or_none, user_id):
        await reply(update, texts.NOT_A_MEMBER)
        return
    word = context.args[0].lower() if context.args else None
    if word is not None and word not in DUTY_WORDS:
        await reply(update, texts.DUTY_USAGE)
        return
    on_duty, waiting = await act(context, _set_duty, user_id, DUTY_WORDS.get(word) if word else None, now())
    await reply(update, texts.duty_changed(on_duty, waiting))


def _task_rows(session: Session, telegram_id: int, now_: Any) -> list[dict[str, Any]]:
    return [
        {**tickets.ticket_view(session, t.id, telegram_id), "past_due": t.resolve_due_at <= now_}
        for t in tickets.list_member_tasks(session, telegram_id)
    ]


def _offer_rows(session: Session, telegram_id: int, now_: Any) -> list[dict[str, Any]]:
    """The offers waiting for this member's 接单 (a coordinator's 指派 too), as their cards show them."""
    return [{**views.ticket_payload(session, ticket), "assigned": kind == OfferKind.dispatch,
             "past_due": views.past_due(ticket, now_)}
            for ticket, kind in tickets.list_member_offers_with_kind(session, telegram_id)]


async def tasks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tasks: the tickets this member holds, each with its buttons."""
    user_id = update.effective_user.id
    if not await query(context, _member_or_none, user_id):
        await reply(update, texts.NOT_A_MEMBER)
        return
    rows = await query(context, _task_rows, user_id, now())
    offered = await query(context, _offer_rows, user_id, now())
    if rows or not offered:
        await reply(update, texts.my_tasks(rows, deps(context).tz))
    await _show_work(update, context, rows, offered)


async def _show_work(update: Update, context: ContextTypes.DEFAULT_TYPE, rows: list[dict[str, Any]],
                     offered: list[dict[str, Any]]) -> None:
    """Tickets held, each with 开始 / 办结 / 退回, and offers, each with 接单 / 不方便."""
    tz = deps(context).tz
    for row in rows:
        started = row["status"] == "in_progress"
        headline = "📌 办理中" if started else "📌 已接单"
        await reply_with_contact(update, context, row, texts.task_details(row, tz, headline=headline),
                                 keyboards.task(row["ticket_id"], started))
    for offer in offered:  # (an offer or 指派 whose card scrolled away: its buttons again)
        await reply(update, texts.offer(offer, tz, assigned_by_coordinator=offer["assigned"]),
                    keyboards.offer(offer["ticket_id"]))


async def look_up_task(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """A member's words naming a ticket he holds or is offered (#K9433, k9433 怎么弄): its card with its buttons. False
    for anyone else, or another ticket's number (his own request's: asked after as any resident's)."""
    told = TICKET_NUMBER_TOLD.search(text)
    user_id = update.effective_user.id
    if told is None or not await query(context, _member_or_none, user_id):
        return False
    number = told.group(1).upper()
    rows = [r for r in await query(context, _task_rows, user_id, now()) if r["number"].lstrip("#") == number]
    offered = [r for r in await query(context, _offer_rows, user_id, now()) if r["number"].lstrip("#") == number]
    if not rows and not offered:
        return False
    await _show_work(update, context, rows, offered)
    return True


def _points(session: Session, telegram_id: int) -> dict[str, Any]:
    summary = asdict(points.member_summary(session, telegram_id))
    summary["name"] = members.get_member(session, telegram_id).display_name
    return summary


async def my_points(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/points: points, stars and rank in the grid."""
    user_id = update.effective_user.id
    if not await query(context, _member_or_none, user_id):
        await reply(update, texts.NOT_A_MEMBER)
        return
    await reply(update, texts.points(await query(context, _points, user_id)))


# ── offers: 接单 / 不方便 ───────────────────────────────────────────────────────────────────────────
def _accept(session: Session, ticket_id: int, telegram_id: int, now_: Any) -> str:
    ticket = dispatch.accept_offer(session, ticket_id, telegram_id, now_)
    drafts.clear_draft(session, telegram_id, DECLINED)  # (his words now are about the ticket he took: 我十分钟后到)
    return f"#{ticket.number}"


async def offer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """接单 (atomic: one winner; the details follow from the outbox) or 不方便 (the next member is asked)."""
    action, ticket_id = ([*callback_args(update), "", ""])[:2]
    if not ticket_id.isdigit() or action not in {"acc", "dec"}:
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    user_id = update.effective_user.id
    if action == "dec":
        told = await act(context, _decline, int(ticket_id), user_id, now())
        await answer(update)
        await edit(update, told)
        return
    try:
        number = await act(context, _accept, int(ticket_id), user_id, now())
    except TicketAlreadyTaken:
        await answer(update, texts.TICKET_TAKEN, alert=True, edited=True)
        await edit(update, texts.TICKET_TAKEN)
        return
    await answer(update)
    await edit(update, texts.accepted(number))


# ── 开始 / 办结 / 退回 ───────────────────────────────────────────────────────────────────────────────
def _decline(session: Session, ticket_id: int, telegram_id: int, now_: Any) -> str:
    """不方便: what to tell the member — DECLINED_ASSIGNMENT for a coordinator's 指派 (it goes back to them),
    DECLINED when other members are asked, DECLINED_TO_COORDINATORS when nobody else was (派单); for an offer
    answered before (接单 pressed first) or withdrawn, what became of it."""
    offer = dispatch.decline_offer(session, ticket_id, telegram_id, now_)
    if offer.state == OfferState.accepted:
        return texts.DECLINE_AFTER_ACCEPT
    if offer.state == OfferState.withdrawn:
        return texts.OFFER_WITHDRAWN
    # (a coordinator's 指派 to someone else: its coordinator is told why, so the bot asks; he who assigned it to himself is not)
    asked = offer.kind == OfferKind.dispatch and offer.dispatched_by != telegram_id
    if offer.answered_at == now_:  # (declined now, not a second press)
        _await_reason(session, telegram_id, offer.id, asked, now_)
    if asked:
        return texts.DECLINED_ASSIGNMENT
    if offer.kind == OfferKind.dispatch:
        return texts.DECLINED_OWN_ASSIGNMENT
    waiting = get_ticket(session, ticket_id).status in WAITING_FOR_COORDINATOR
    return texts.DECLINED_TO_COORDINATORS if waiting else texts.DECLINED


def reason_awaited(flows: list[tuple[str, dict[str, Any], datetime]], written: datetime) -> dict[str, Any] | None:
    """Among a person's drafts (drafts.list_drafts), the 不方便 whose reason words written then may give (REASON_WINDOW)."""
    return next((state for flow, state, touched in flows
                 if flow == DECLINED and written_within(touched, written, REASON_WINDOW)), None)


def _await_reason(session: Session, telegram_id: int, offer_id: int, asked: bool, now_: Any) -> None:
    """Words after 不方便 may say why: for this offer — unless a reason the bot asked for (a 指派) still waits, which a
    wave's offer declined meanwhile does not take the place of."""
    waiting = reason_awaited(drafts.list_drafts(session, telegram_id), now_)
    if asked or not (waiting and waiting.get("asked")):
        drafts.save_draft(session, telegram_id, DECLINED, {"offer_id": offer_id, "asked": asked, "told": []}, now_)


def _tell_reason(session: Session, telegram_id: int, state: dict[str, Any], text: str, now_: Any) -> bool:
    """Why, told after 不方便 (routing.dispatch.add_decline_reason): the words kept as told, so that the same words sent
    again are not told twice. Whether a coordinator was told."""
    told = dispatch.add_decline_reason(session, state["offer_id"], telegram_id, text, now_)
    drafts.save_draft(session, telegram_id, DECLINED, {**state, "told": [*state.get("told", []), text][-5:]}, now_)
    return told


def _await_text(session: Session, telegram_id: int, ticket_id: int, awaited: str, now_: Any) -> None:
    """办结 and 退回 need words: remember what the next message is for (checking the ticket first: an old button of a
    ticket done or taken back waits for nothing)."""
    ticket = get_ticket(session, ticket_id)
    member = members.find_member(session, telegram_id)
    if member is None or ticket.assignee_id != member.id or ticket.status not in (S.accepted, S.in_progress):
        raise NotFound(f"工单 #{ticket.number} 不在您的办理列表中")
    drafts.save_draft(session, telegram_id, TASK, {"ticket_id": ticket_id, "await": awaited}, now_)


def _leave_step(session: Session, telegram_id: int, ticket_id: int) -> str | None:
    """The 办结 note's or 退回 reason's step of this ticket taken back: which it was (None: no such step waits)."""
    state = drafts.get_draft(session, telegram_id, TASK) or {}
    if state.get("ticket_id") != ticket_id or state.get("await") not in (*WORDS_STEPS, DONE_OFFERED):
        return None
    drafts.clear_draft(session, telegram_id, TASK)
    if ticket_id not in {ticket.id for ticket in tickets.list_member_tasks(session, telegram_id)}:
        return GONE  # (cancelled or reassigned meanwhile: not 「工单仍由您办理」)
    return state["await"]


async def task_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """开始 starts work; 办结 and 退回 ask for a note or a reason; 按错了 under that question takes it back."""
    action, ticket_id = ([*callback_args(update), "", ""])[:2]
    if not ticket_id.isdigit() or action not in {"start", "done", "back", "keep", "now"}:
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    user_id = update.effective_user.id
    if action == "start":
        await act(context, tickets.start_ticket, int(ticket_id), user_id, now())
        await answer(update)
        card = update.callback_query.message if update.callback_query else None
        shown = (card.text_html if isinstance(card, Message) and card.text else "")  # (its own words: no look-up)
        before, hint, after = shown.rpartition(texts.SET_OFF_HINT)  # (the hint ends the card: not a resident's words)
        await edit(update, before + texts.STARTED_HINT + after if hint else None, keyboards.task(int(ticket_id), True))
        await reply(update, texts.STARTED)
        return
    if action == "keep":
        left = await act(context, _leave_step, user_id, int(ticket_id))
        await answer(update, None if left else texts.STALE_BUTTON)
        if left:
            await edit(update, texts.TASK_GONE if left == GONE else
                       texts.NOT_DONE_YET if left in ("done_note", DONE_OFFERED) else texts.NOT_HANDED_BACK)
        return
    if action == "now":  # (办结 under 修好了 typed: the words and photos kept are its note — never both empty)
        state = await query(context, drafts.get_draft, user_id, TASK) or {}
        if state.get("await") != DONE_OFFERED or state.get("ticket_id") != int(ticket_id):
            await answer(update, texts.STALE_BUTTON, alert=True)
            return
        try:
            told = await act(context, _finish_task, user_id, {"ticket_id": int(ticket_id), "await": "done_note"},
                             state["note"], state["photos"], now())
        except DomainError:
            # (cancelled or reassigned meanwhile: the question's buttons go, the error handler says why)
            await act(context, drafts.clear_draft, user_id, TASK)
            await edit(update, None)
            raise
        await answer(update)
        await edit(update, None)
        await reply(update, told)
        return
    awaited = "done_note" if action == "done" else "hand_back_reason"
    await act(context, _await_text, user_id, int(ticket_id), awaited, now())
    await answer(update)
    await reply(update, texts.ASK_DONE_NOTE if action == "done" else texts.ASK_HAND_BACK_REASON,
                keyboards.task_step(int(ticket_id)))


def _finish_task(
    session: Session, telegram_id: int, state: dict[str, Any], text: str, photos: list[str], now_: Any,
    written: Any = None,
) -> str:
    """办结 or 退回 with the member's words; what to tell them (after 退回: whether other members are asked). The step
    after it is dated when the words were `written`: the windows of the next messages are measured on that clock."""
    ticket_id = int(state["ticket_id"])
    written = written or now_
    if text and text == state.get("told"):  # (the same message again, a photo too: a re-sent update, or a lost answer)
        return texts.DONE if state["await"] == ALBUM else _handed_back(state["to_coordinators"])
    drafts.clear_draft(session, telegram_id, TASK)
    if state["await"] == ALBUM:  # (after the message that resolved the ticket: its photos, or its words)
        if photos:
            tickets.add_resolution_photos(session, ticket_id, telegram_id, photos, now_)
        told = ""
        if text and state.get("note_missing"):  # (a caption after the note is no second note: the photo is kept)
            tickets.add_resolution_note(session, ticket_id, telegram_id, text, now_)
            state = {**state, "note_missing": False}
            told = texts.NOTE_ADDED
        drafts.save_draft(session, telegram_id, TASK, state, written)
        return told
    if state["await"] == "done_note":
        tickets.resolve_ticket(session, ticket_id, telegram_id, now_, note=text, attachments=photos)
        # (an album comes as one message per photo; on a phone the words often follow the photo, or a photo the
        # words: for a short while, what follows joins the resolution)
        drafts.save_draft(session, telegram_id, TASK,
                          {"ticket_id": ticket_id, "await": ALBUM, "note_missing": not text, "told": text}, written)
        return texts.DONE
    photos = [*state.get("photos", []), *photos]  # (sent before the words: kept in the step)
    ticket = tickets.hand_back(session, ticket_id, telegram_id, text, now_, attachments=photos)
    to_coordinators = ticket.status in WAITING_FOR_COORDINATOR
    drafts.save_draft(session, telegram_id, TASK, {"ticket_id": ticket_id, "await": HANDED_BACK, "told": text,
                                                   "to_coordinators": to_coordinators}, written)
    return _handed_back(to_coordinators)


# Words of work done that do not plainly say this job is done now (快修好了, 修好一半了, 明天修好, 物业说下午修好, 修完还得买
# 配件, 我家水管修好了, 这是5号楼的，也坏了): pointed to the card's 办结, never offered as its note.
_NOT_PLAINLY_DONE = re.compile(
    "快|差不多|一半|部分|明天|后天|下午|晚上|待会|等会|一会|回头|再去|再来|再修|再看|还得|还要|还需|还差|还是|还没"
    "|什么时候|啥时候|几时|等我|说|我家|家里|我自己|儿子|女儿|老伴|取消|不用|也坏|又坏|坏了|(?<!不)漏|不亮|不行|没好|谁"
)
OTHER_WORK_WINDOW = timedelta(hours=2)  # (words or a photo this soon after 办结 / 退回 of another ticket may be about it)


def _plainly_done(words: str) -> bool:
    """Whether words tell this job done, and nothing that makes it less than done (see `_NOT_PLAINLY_DONE`)."""
    return (_WORK_DONE.search(words) is not None and not _not_done(words) and not _ENDS_ASKING.search(words)
            and not _NOT_PLAINLY_DONE.search(words))


def _same_trade(label: str | None, items: list[str]) -> bool:
    """Whether words that name `items` may be about work on a ticket of `label`: its item among them, or one of them
    asking a skill its item asks (灯泡换好了 on a 楼道照明 ticket: 电工; not 水龙头换好了 on it)."""
    taxonomy = get_taxonomy()
    own = taxonomy.items.get(label) if label else None
    if own is None or label in items:
        return True
    return any(set(own.skills) & set(item.skills) for item in map(taxonomy.items.get, items) if item is not None)


def _keep_done_note(
    session: Session, telegram_id: int, note: str, photos: list[str], items: list[str], now_: datetime
) -> dict[str, Any] | None:
    """修好了 (or a photo) sent with one ticket in hand: kept as its 办结 note, to be confirmed with a press. Returns the
    ticket's payload to ask with (and what is kept), {} when a photo joined a note kept within NOTE_WINDOW (an album;
    words added to it ask again), None when it is not offered: not exactly one ticket in hand, words that name work of
    another trade (`items`: the items they name outright), or another ticket of his done or handed back within
    OTHER_WORK_WINDOW (they may be about that one)."""
    held = tickets.list_member_tasks(session, telegram_id)
    if len(held) != 1 or (items and not _same_trade(held[0].label, items)):
        return None
    ticket_id = held[0].id
    if tickets.finished_lately(session, telegram_id, now_ - OTHER_WORK_WINDOW, besides=ticket_id):
        return None
    kept = {"ticket_id": ticket_id, "await": DONE_OFFERED, "note": "", "photos": []}
    earlier = drafts.draft_with_time(session, telegram_id, TASK)
    merged = bool(earlier) and earlier[0].get("await") == DONE_OFFERED and earlier[0].get("ticket_id") == ticket_id and (
        now_ - earlier[1] <= NOTE_WINDOW)
    if merged:
        kept = earlier[0]  # (a photo, then its words, an album's photos, more words: one note)
    added = bool(note) and note not in kept["note"].split("\n")
    kept = {**kept, "note": "\n".join(filter(None, [kept["note"], note if added else ""]))[:2000],
            "photos": [*kept["photos"], *photos][: tickets.MAX_ATTACHMENTS]}
    drafts.save_draft(session, telegram_id, TASK, kept, now_)
    if merged and not added:
        return {}  # (a photo more, or the same words again: the question already asked covers it)
    return {**views.ticket_payload(session, held[0]), "note": kept["note"], "photos": len(kept["photos"])}


def _handed_back(to_coordinators: bool) -> str:
    """What a member is told after 退回: whether the coordinators or other members have the ticket now."""
    return texts.HANDED_BACK_TO_COORDINATORS if to_coordinators else texts.HANDED_BACK


def _not_done(note: str) -> bool:
    """Whether a 办结 note says the work is not done: its last word of the work undone comes after its last word of
    work done (已经换了灯泡，还是不亮 — but 瓦数不够，已换成新的LED灯，现在亮了 is done), or it puts off a visit or says the
    work cannot be done, or that he is on his way, and tells no work done (明天再去, 联系不上居民, 在路上了; not
    灯已换好，明天再来回访)."""
    undone = [m.end() for m in _NOT_DONE_SURELY.finditer(note)]
    done = [m.end() for m in _WORK_DONE.finditer(note)]
    if undone:
        return not done or max(undone) >= max(done)
    if _CANNOT_DO.search(note) and not done and not _SOME_WORK.search(note):
        return True  # (联系不上居民 alone; but 打电话没人接，去了现场，下水道通了 tells the work done)
    return bool(_PUT_OFF.search(note) or _ON_THE_WAY.search(note)) and not done


MAX_WORK_WORDS = 30
# Someone else's words passed on (居民说药都买好了, 他说不想拖累儿女): never read as the member's work.
_PASSED_ON = re.compile("说|居民|住户|业主|老人|她|他们")


def a_sign_at_work(classifier: Classifier, read: Classification, text: str) -> bool:
    """Whether short words are urgent only because the self-harm model reads a member's words of his work as a sign —
    no pattern of one, no other danger, nobody's words passed on, and nothing left that reads as a sign once the words
    of the work (_WORK_PHRASE: 明天买了再来, 配件没了, 去不了) are taken out: 配件没了明天买了再来, 这两天腰疼去不了 —
    not 不想修了 反正也活不久了, 这两天去不了 想一个人待着."""
    words = simplified(text)
    if (len(text) > MAX_WORK_WORDS or not a_sign_by_the_model_alone(classifier, read, text)
            or _PASSED_ON.search(words) or not _WORK_PHRASE.search(words)):
        return False
    rest = _WORK_PHRASE.sub("，", words).strip("，,。 ")
    return not rest or not classifier.classify(rest).urgent_signals


def work_in_hand(session: Session, telegram_id: int) -> tuple[int, int]:
    """The tickets a member holds and the offers waiting for their answer; (0, 0) for anyone else."""
    if members.find_member(session, telegram_id) is None:
        return 0, 0
    return len(tickets.list_member_tasks(session, telegram_id)), len(tickets.list_member_offers(session, telegram_id))


_TAKING = re.compile(r"(我)?(接单|接了|我接|我来|我去|马上去|这就去|好的?[，,\s]*我去|收到"
                     r"|(好的?|行|嗯|可以)[，,\s]*我?(马上|这就|现在)(过去|去|来))[了吧啊。！!~～\s]*")
# A short answer to the offer, in words: maybe a courtesy (不好意思啊), then clauses that each give a reason or the
# refusal, in any order (今天有事，去不了; 接不了，我在外地; 我在外地呢; 在忙), maybe asked (接不了怎么办？). The whole
# message, short: words that also tell a need (我儿子出差了，家里水管漏了), someone else's news (师傅说今天来不了), a bare
# question to the bot (修不了？) or when he will go (下午没时间，我晚上去修) are no refusal of the offer.
_WHO_WHEN = (r"(我|人|家里|家中|单位|老伴|身体|这单|这个|这次|这活|今天|明天|这周|这两天|这几天|最近|现在|暂时|上午|下午|晚上"
             r"|实在|真的|确实|也)")
_WHY = (r"(在外地|出差了?|有事|有点事|没空|没时间|不在本地|不在家|太忙了?|在忙|很忙|生病了?|不舒服|走不开|抽不开身|在开会|在上班"
        r"|在医院|住院了?|陪(老伴|老人|家人|孩子|父母|爸妈|我妈|我爸)|带孩子|接孩子|回老家了?|加班|值班)")
_CANNOT = (r"(接不了|去不了|来不了|修不了|干不了|弄不了|做不了|办不了|过不去|回不来|赶不回来|顾不上|不能接|接不过来|不方便|不行"
           r"|没空|没时间|在外地|出差了?|不在本地)")
_PAUSE = r"[，,。.！!、~～\s]"
_PARTICLES = r"[了啊呀哦呢吧嘛]*"
_COURTESY = rf"((真|实在)?(不好意思|抱歉|对不起){_PARTICLES}{_PAUSE}*)"
_CLAUSE = rf"({_WHO_WHEN}*({_WHY}|{_CANNOT}){_PARTICLES}{_PAUSE}*)"  # (家里有事, 这单我接不了了, 人不舒服)
_ASKED = r"((怎么办|怎么弄|咋办|可以吗|行吗)[？?]*)"  # (only so: 今天来不了？ asks the bot)
_REFUSAL = re.compile(rf"{_COURTESY}?{_CLAUSE}+{_ASKED}?[。！!~～\s]*")
# (下午没时间，我晚上去修, 今天不方便，明天去修: he will take it, later — a time is needed: 我没时间去 is a refusal)
_GOING_LATER = re.compile(rf"{_CLAUSE}*我?(今天|明天|后天|上午|中午|下午|晚上|晚点|晚些|待会儿?|等会儿?|一会儿?|稍后|周末|马上)+"
                          r"再?(去修|去弄|去看看?|过去看看?|过去|过来|去|来修|来)(吧|啊|哈)?[。！!~～\s]*")
# (在忙，等会儿看; 晚点回复: he will answer the offer later — reminded that it waits, and how)
_LOOKING_LATER = re.compile(rf"{_CLAUSE}*(晚点|晚些|等会儿?|待会儿?|一会儿?|稍后|回头|有空)再?(看看?|回复|回|答复|说)"
                            r"(吧|啊|哈)?[。！!~～\s]*")
_MAX_TYPED_ANSWER = 40  # (a longer message tells more than an answer to the offer)
_A_QUESTION = re.compile("[吗嘛？?]$|没有?$|了没")  # (家里灯修好了吗: a member's own question, as a resident)
_ENDS_ASKING = re.compile(r"[吗嘛？?][。!！~～\s]*$")  # (a question, not a note: ？, 居民电话是多少？)


_ASKS = re.compile("[吗嘛？?]|多少")  # (not 几, 怎么, 什么 anywhere: 这几天在外地, 腿脚不怎么方便, 没什么 就是有点事)
# Being busy or away (在外面开会, 家里有事, 在医院陪老人): why, after 不方便 on a wave's offer, which nobody asked.
_BUSY = re.compile(f"{_WHY}|开会|在外面|在外边|上班|加班|值班|住院|医院|陪|带孩子|接孩子|出门|外出|回老家|赶不回|走不开")


def _a_reason(words: str, read: Classification | None, asked: bool) -> bool:
    """Whether words could be why a member declined: not 好的 / 收到, thanks, a greeting or a question, nor a need of his
    own the bot is sure of; after a wave's offer (no reason asked, nobody waits on one) only being busy or away, so that
    his own need (家里水管有点问题) is answered as anyone's."""
    if acknowledges(words) or _ASKS.search(words) or _TAKING.fullmatch(words):
        return False
    if read is None or read.kind in ("greeting", "thanks", "status"):
        return False
    if not asked:
        return _BUSY.search(words) is not None and not (read.kind == "request" and read.confident)
    return read.kind != "request" or not read.confident


# Giving a ticket in hand up (这单我干不了了, 麻烦换个人, 退回) or naming a button (办结, 开始): the card's buttons do it.
# (about this ticket — 这单, 工单, 换个人 at the end, 去不了 first — not a need of her own: 我胳膊摔伤了，做不了饭; 快递被退回了)
_GIVING_UP = re.compile(r"(这单|这个单|这张单?|单子|工单|这活|这个活)[^。]{0,8}(干|做|办|去|弄|修|接)不了|(?<!被)退回"
                        r"|(麻烦|请|帮我|能不能)?换个?人(吧|来|去)?[。！!~～\s]*$|^我?(今天|明天)?(去|干|做|来)不了")
_DONE_NAMED = re.compile(r"(办结|结单)[了吧。！!~～\s]*")
_START_NAMED = re.compile(r"(开始办理|开始)[了吧。！!~～\s]*")


# Words of a visit (在路上了，十分钟到; 到了 没人开门; 居民不在家，敲门没人应; 阀门坏了，要去买配件): a member's about the ticket
# in his hands — not a need of his own (我家…), nor an emergency told (晕倒, 着火: those are registered as any).
_ARRIVING = re.compile(f"{_ON_THE_WAY.pattern}|^到了|(我|已经?)到了|到门口|到楼下|到现场|在现场|明天再来|改天再来|路上堵|堵在路上|堵车(了|呢|中)"
                       "|(明天|后天|改天|下午|晚上|晚点|过两天|回头)[^，,。]{0,6}再(来|过来|去)"
                       "|晚(一)?点(儿)?(到|过去|过来)|(半|一|两|几|[0-9]+)个?(小时|钟头)(后|以后|之内|内)(到|过去|过来)"
                       "|点(钟|半)?(左右|前|后)?(到|过去|过来|上门)")
# Work that cannot be done as it is (修不了，需要换总阀，物业才有钥匙; 缺个配件): about the ticket in hand, for its resident or
# its 退回 — not a need of his own.
_CANNOT_AS_IS = re.compile("(修|弄|办|干|做|处理)不(了|好)|没(法|办法)(修|弄|办|处理)|缺(个)?(配件|零件|材料)"
                           "|需要(换|更换|买)(个|一个|新的)?(配件|零件|材料|总阀|阀门|阀|水管|管子|开关|线路|电线|锁芯|锁)"
                           "|(去|要)买(配件|零件|材料)|(配件|零件|材料)(没了|不够|用完)|才有钥匙")
# His work told in words that read as a need of its item (换了水龙头的阀门, 接头松了，拧紧了) — not another trouble or a
# report of his own (5号楼楼道灯也坏了 帮忙报一下, 隔壁老太太一个人 想找人陪她聊天, 居民家门开了 里面没动静).
_WORK_TOLD_AS_A_NEED = re.compile("(换|修|装|拧|紧|通|清|接|疏通|更换)(了|好)")
_NOT_HIS_WORK = re.compile("也|报|帮忙|找人|隔壁|没动静|不动|倒|躺|救|喊")
_WORK_PHRASE = re.compile(f"{_ARRIVING.pattern}|{_CANNOT_AS_IS.pattern}|{_CANNOT}|{_WHY}")  # (see a_sign_at_work)
_RESIDENT_AWAY = re.compile("(居民|住户|业主|户主)[^。，,；;]{0,6}(不在家|没在家|没人|不开门|打不通|联系不上|不接电话)")
_OWN_HOME = re.compile("我家|俺家|我们家|咱家|我自己|自己|我(爸|妈|老伴|爱人|儿子|女儿|孙子|孙女)|我报的|我的单")
_CRY = re.compile("救命|喊|叫人|血|晕|倒|摔|火|烟|打架|打人|抢|偷|撬|报警|120|110|119")
_VISIT_SIGNALS = {"danger", "person"}  # (居民不在家，敲门没人应 reads as an older person in danger: the door he is at)


def tells_the_visit(text: str, read: Classification | None) -> bool:
    """Whether words are a member's about a visit: on his way or coming later (_ARRIVING), the resident not at home or
    unreachable (_RESIDENT_AWAY), or the work not to be done as it is (_CANNOT_AS_IS) — not his own home's, and never
    with a cry for help or an emergency of another kind (到门口了，里面有人喊救命 is registered as any emergency)."""
    words = simplified(text)
    if _OWN_HOME.search(words) or _CRY.search(words):
        return False
    away = _RESIDENT_AWAY.search(words) is not None
    if read is not None and read.urgent:
        return away and set(read.urgent_signals) <= _VISIT_SIGNALS
    # (这单我干不了了: giving it up, which has its own answer; 换了水龙头的阀门, 接头松了，拧紧了: his work told, which reads
    # as a need of its item — the ticket's, see about_the_visit, not one of his own)
    told_work = read is not None and read.kind == "request" and _WORK_TOLD_AS_A_NEED.search(words) is not None and (
        _NOT_HIS_WORK.search(words) is None)
    return away or told_work or _ARRIVING.search(words) is not None or (
        _CANNOT_AS_IS.search(words) is not None and _GIVING_UP.search(words) is None)


RELAY = "relay"  # a member's words of a visit, kept for 转告居民 (RELAY_WINDOW)
RELAY_WINDOW = timedelta(minutes=30)
MAX_RELAY_BUTTONS = 3


def _held_tickets(session: Session, telegram_id: int, text: str, token: str, own_need: str | None, now_: Any
                  ) -> list[tuple[int, str]]:
    """The tickets a member holds (id, #number), none when his words tell a need of his own (`own_need`: an item none
    of them is); his words kept for 转告居民 (under `token`: the buttons of these words only) when there are any."""
    if members.find_member(session, telegram_id) is None:
        return []
    held = tickets.list_member_tasks(session, telegram_id)
    if not held or (own_need is not None and own_need not in {t.label for t in held}):
        return []
    drafts.save_draft(session, telegram_id, RELAY, {"text": text, "token": token}, now_)
    return [(t.id, f"#{t.number}") for t in held]


async def about_the_visit(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                          read: Classification | None) -> bool:
    """Words of a visit from a member holding a ticket (`tells_the_visit`): pointed to its buttons (and, for a door
    nobody opens that the classifier reads as danger, 110 / 120), with 转告居民 to send them to its resident — not a
    resident's request opened in his name, an urgent one with 🚨 to every coordinator. False for anyone holding none."""
    token = secrets.token_hex(3)
    # (小区门口天天堵车，能不能管管: a need of his own, of another kind than the work in his hands)
    own_need = read.label if read is not None and read.kind == "request" and read.confident and not (
        _RESIDENT_AWAY.search(simplified(text))) else None
    held = await act(context, _held_tickets, update.effective_user.id, text.strip(), token, own_need, now())
    if not held:
        return False
    urgent = read is not None and read.urgent
    lines = [texts.ABOUT_THE_VISIT, *([texts.VISIT_SAFETY] if urgent else []),
             *([texts.RELAY_OFFERED] if len(held) <= MAX_RELAY_BUTTONS else [])]
    await reply(update, "\n".join(lines), keyboards.relay(held, token) if len(held) <= MAX_RELAY_BUTTONS else None)
    return True


def _relay(session: Session, telegram_id: int, ticket_id: int, token: str, now_: Any) -> str | None:
    """The words kept for 转告居民 sent to the ticket's resident: its #number (None: nothing kept, kept too long ago, or
    the button is under earlier words)."""
    kept = drafts.draft_with_time(session, telegram_id, RELAY)
    if kept is None or now_ - kept[1] > RELAY_WINDOW or kept[0].get("token") != token:
        return None
    ticket = tickets.tell_resident(session, ticket_id, telegram_id, kept[0]["text"], now_)
    drafts.clear_draft(session, telegram_id, RELAY)
    return f"#{ticket.number}"


async def relay_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """转告居民: the member's words of the visit sent to the ticket's resident."""
    ticket_id, token = ([*callback_args(update), "", ""])[:2]
    if not ticket_id.isdigit():
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    number = await act(context, _relay, update.effective_user.id, int(ticket_id), token, now())
    if number is None:
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    await answer(update)
    await edit(update, texts.told_resident(number))


def _typed(pattern: re.Pattern[str], words: str) -> bool:
    """Whether the whole of a short message is the answer `pattern` reads."""
    return len(words) <= _MAX_TYPED_ANSWER and pattern.fullmatch(words) is not None


async def about_their_work(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, photos: list[str], read: Classification | None,
    declined: dict[str, Any] | None = None,
) -> bool:
    """Words or a photo from a member at no step that are about their work: why, right after 不方便 (`declined`:
    reason_awaited; told to the coordinator who assigned it); 接单 or 接不了 typed under an offer, 修好了 or a photo of the
    work with a ticket in hand — pointed to the buttons, which say which ticket. False for anything else (a member's own
    need is a resident's)."""
    words = simplified(text).strip()  # (接單, 辦好了 typed in Traditional)
    work = None  # (the tickets he holds and the offers waiting for his answer: read once, when needed)
    if declined and words and not photos and _a_reason(words, read, declined["asked"]):
        work = await query(context, work_in_hand, update.effective_user.id)
        # (接不了, 在忙，等会儿看 typed while another offer waits answer that one, below)
        if not (work[1] and (_TAKING.fullmatch(words) or any(
                _typed(pattern, words) for pattern in (_REFUSAL, _GOING_LATER, _LOOKING_LATER)))):
            told = declined["asked"]
            if text not in declined["told"]:  # (the same words sent again: told once)
                told = await act(context, _tell_reason, update.effective_user.id, declined, text, now())
            await reply(update, texts.DECLINE_REASON_TOLD if told else texts.DECLINE_REASON_KEPT)
            return True
    giving_up = bool(words) and _GIVING_UP.search(words) is not None and not _A_QUESTION.search(words)
    if giving_up:
        work = work or await query(context, work_in_hand, update.effective_user.id)
        if work[0] and not work[1]:  # (with an offer waiting too, 不方便 answers it: below)
            await reply(update, texts.PRESS_HAND_BACK)  # (the ticket stays his until 退回 says why: someone else is found)
            return True
    is_request = read is not None and read.kind == "request"
    if is_request and not _typed(_REFUSAL, words):  # (接不了怎么办？ can read as a request: it is his answer)
        return False
    held, offered = work or await query(context, work_in_hand, update.effective_user.id)
    named = bool(words) and _DONE_NAMED.fullmatch(words) is not None  # (办结 alone: no note for the resident)
    if held and (photos or (_WORK_DONE.search(words) and not _A_QUESTION.search(words)) or named):
        kept = None
        if held == 1 and not named and (not words or _plainly_done(words)):
            items = deps(context).classifier.named_items(words) if words else []
            kept = await act(context, _keep_done_note, update.effective_user.id, text.strip()[:2000], photos, items,
                             now())
        if kept is None:
            await reply(update, texts.PRESS_DONE_FIRST)  # (which ticket, or whether it is done: the card's button says)
        elif kept:  # (an album's next photo joins the note quietly)
            await reply(update, texts.done_offered(kept), keyboards.done_offered(kept["ticket_id"]))
        return True
    if held and words and _START_NAMED.fullmatch(words):
        await reply(update, texts.PRESS_START)
        return True
    if offered and words and (_TAKING.fullmatch(words) or _typed(_GOING_LATER, words)):
        await reply(update, texts.PRESS_TAKE)
        return True
    if held and words and _TAKING.fullmatch(words):  # (接单 with tickets in hand, no offer: not 「您还没有工单」)
        await reply(update, texts.NO_OFFER_WAITING)
        return True
    if offered and words and _typed(_REFUSAL, words):
        await reply(update, texts.PRESS_DECLINE)
        return True
    if offered and words and _typed(_LOOKING_LATER, words):
        await reply(update, texts.PRESS_LATER)
        return True
    return False


async def task_text_given(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str, photos: list[str]
) -> None:
    """The note for 办结 (text and/or photo) or the reason for 退回; words taking the step back leave it."""
    if state["await"] in WORDS_STEPS and not text.strip() and not photos:
        await reply(update, texts.ASK_HAND_BACK_REASON if state["await"] == "hand_back_reason" else texts.ASK_DONE_NOTE)
        return
    if state["await"] == "hand_back_reason" and photos and not text.strip():
        # (on a phone the photo of the problem comes first, the words after it: the step keeps the photo and waits)
        kept = [*state.get("photos", []), *photos][: tickets.MAX_ATTACHMENTS]
        await act(context, drafts.save_draft, update.effective_user.id, TASK, {**state, "photos": kept}, now())
        if not state.get("photos"):  # (an album's next photos: asked once)
            await reply(update, texts.HAND_BACK_PHOTO_KEPT)
        return
    words = simplified(text).strip()  # (點錯了, 還沒修好 typed in Traditional)
    not_done = state["await"] == "done_note" and _not_done(words)
    if state["await"] in WORDS_STEPS and not photos and (
        _STEP_TAKEN_BACK[state["await"]].fullmatch(words) or not_done
    ):
        await act(context, drafts.clear_draft, update.effective_user.id, TASK)
        if not_done and _CANNOT_DO.search(words):
            await reply(update, texts.CANNOT_DO_YET)  # (联系不上居民: 退回, not 办结)
        else:
            await reply(update, texts.NOT_DONE_YET if state["await"] == "done_note" else texts.NOT_HANDED_BACK)
        return
    if state["await"] == "done_note" and not photos and acknowledges(text):
        # (好的 / 好了 answers the question, it tells no work: the resident reads the note — he is told so)
        await reply(update, texts.DONE_NOTE_SAY_WHAT)
        return
    if state["await"] in WORDS_STEPS and not photos and _TAKING.fullmatch(words):
        # (我接了, 接单: meant for an offer that came meanwhile — neither the resident's note nor a reason to hand back)
        offered = (await query(context, work_in_hand, update.effective_user.id))[1]
        await reply(update, texts.PRESS_TAKE if offered else
                    texts.ASK_DONE_NOTE if state["await"] == "done_note" else texts.ASK_HAND_BACK_REASON)
        return
    if state["await"] == "done_note" and not photos and _ENDS_ASKING.search(words) and not _WORK_DONE.search(words):
        await reply(update, texts.NOTE_IS_A_QUESTION)  # (？, 居民电话多少？: asked, not told)
        return
    try:
        told = await act(context, _finish_task, update.effective_user.id, state, text.strip()[:2000], photos, now(),
                         sent_at(update))
    except DomainError:
        # The ticket moved on meanwhile (cancelled, reassigned): the note waits for nothing now, so the member's
        # next words are theirs again; the error handler tells them why.
        await act(context, drafts.clear_draft, update.effective_user.id, TASK)
        raise
    if told:
        await reply(update, told)
