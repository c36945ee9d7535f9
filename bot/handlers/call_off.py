"""A resident calls off a ticket they registered (撤销工单): from /my's buttons, or in words after it (算了不用来了 我儿子
修好了). Always asked, then confirmed; routing.tickets.cancel_ticket tells the member who took it and the coordinators
who would act on it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.handlers.common import (
    INTAKE,
    act,
    answer,
    callback_args,
    edit,
    now,
    query,
    reply,
    says_only,
    ticket_named,
    written_within,
)
from classifier.normalize import simplified
from routing import drafts, tickets, views
from routing.config import get_taxonomy
from routing.errors import ConcurrentUpdate, IllegalTransition
from routing.models import Ticket
from routing.models import TicketStatus as S
from routing.states import STATUS_NAMES, can_transition

CALL_OFF = "call_off"  # the draft of the question asked: the tickets asked about, her words (told to the member)
MAX_CHOICES = 5  # (a resident with more open tickets names the one: 取消 #A1234)
ANSWER_WINDOW = timedelta(minutes=10)  # 是的 / 不撤销 typed this soon after the question answer it
RECENTLY_DONE = timedelta(days=1)  # 不用再来了 this soon after a ticket was done is thanks for it, not a call-off

_HELPERS = "自己|我|儿子|女儿|老伴|老公|老婆|爱人|孩子|家里人|家人|邻居|亲戚|朋友|物业"
# Words that call off what was registered (不用来了, 不要派人来了, 不修了, 我自己修好了, 儿子帮忙弄好了, 找人修好了) — not
# 修好了 alone, nor 师傅帮我修好了: the member who came may have fixed it, and his 办结 earns his points.
_CALL_OFF = re.compile(
    r"不(用|需要|要)再?(派人|找人|叫人|安排人|麻烦师傅|麻烦)?(来|过来|上门|修|处理|管)?了|不想?(报修|报|修|弄|办)了"
    r"|不想要?(他|师傅|人|你们)?(来|上门|过来)了|算了[吧啊]?[，,\s]*我?自己(弄|修|来|搞|处理|解决|想办法)"
    rf"|(?<![帮给替])({_HELPERS})(已经|帮忙|帮我|找人)?(修|弄|搞|处理|解决)好了|找人(修|弄|搞)好了"
)
# Calling it off in so many words (取消, 撤销, 撤单): also when a ticket was just done.
_CANCEL_WORD = re.compile("取消|撤销|撤回|撤掉|作废|撤单|退单")
# Said not to (我没有取消啊, 我没说要取消, 不是要取消, 别撤销): the negation right before the word — not 不好意思我要取消.
_NEGATED = re.compile("(没有?|没说|不是|不想|不要|不用|不必|别|并没有?)说?[要想]?$")
# A question (我的工单取消了吗, 谁让你们撤销的？, 不用上门吗) asks, it does not call off — unless it asks how (怎么撤销工单).
_QUESTION = re.compile("[吗嘛？?]|什么|为什么|为啥|啥意思|谁|是不是|有没有")
_HOW_TO = re.compile(f"(怎么|怎样|如何|咋)(才能)?({_CANCEL_WORD.pattern})")
# Another time (今天下午不用来了 明天来): put off, not called off — unless someone else comes (我儿子明天来修).
_ANOTHER_TIME = re.compile("(明天|后天|改天|下午|晚上|上午|周末|下周|过几天|过两天|晚点|晚些|下次|等我)再?(来|过来|上门|修)")
_CLAUSE_END = re.compile(r"[，,。.！!？?；;\s]")
# Typed under the question: yes (是的, 确认撤销, 对，撤销吧), or no (不撤销, 算了).
_YES_CANCEL = re.compile(f"((确认|确定|对|是的?|好的?|嗯)?[，,\\s]*要?({_CANCEL_WORD.pattern}|撤)(吧|啊|了)?"
                         "|是的?|对的?|确认|确定|嗯嗯?)[。！!~～\\s]*")  # (not 好的，谢谢: thanks for another message)
_NO_CANCEL = re.compile(f"(先|还是)?(不|别|不要|不用)({_CANCEL_WORD.pattern}|撤)(了|吧|啦)?[。！!~～\\s]*"
                        "|不要了?|不用了?|不是|不对|算了吧?|先不[了用]?")


# Words that an emergency told is over or was none (虚惊一场, 是我闻错了, 老头子自己起来了 没事了): asked about an open
# urgent ticket only — the coordinators it alerted would still come.
_ALL_CLEAR = re.compile("虚惊一场|(?<!不是)(?<!会不会)没(什么|啥)?事了|(闻|看|听)错了|(自己|已经)(爬|站)?起来了"
                        "|不要紧了|缓过来了|火(已经)?(灭|扑灭)了")
# ...unless someone is still wanted (快来, 来看看, 但是…疼), the helper came (陈医生来了，没事了，谢谢: 办结 is his), or a place
# is told (看错了，是4号楼: an address corrected).
_STILL_WANTED = re.compile("快|来看|过来|但|可是|还是|还有|疼|痛|不行|救|(?<!起)来了|谢谢|多亏|是\\d|号楼|单元|栋")


def _says_cancel(words: str) -> bool:
    """Whether words say 取消 / 撤销 / 撤单, not negated right before (我没有取消啊, 不是要取消)."""
    return any(not _NEGATED.search(words[: match.start()]) for match in _CANCEL_WORD.finditer(words))


def _put_off(words: str) -> bool:
    """Whether words put the visit off to another time (今天下午不用来了 明天来), not someone else coming (我儿子明天来修)."""
    return any(not re.search(_HELPERS, _CLAUSE_END.split(words[: match.start()])[-1])
               for match in _ANOTHER_TIME.finditer(words))


def calls_off(text: str) -> bool:
    """Whether words call off a registered need (see _CALL_OFF, _CANCEL_WORD): not a question, not put off to another
    time."""
    words = simplified(text)
    if _QUESTION.search(words) and not _HOW_TO.search(words):
        return False
    if _put_off(words):
        return False
    return _says_cancel(words) or _CALL_OFF.search(words) is not None


def only_calls_off(text: str) -> bool:
    """Whether words call off and say nothing more (我不想报了, 算了吧我自己弄 — not 不想修了 反正也活不久了)."""
    return calls_off(text) and says_only(text, _CALL_OFF, _CANCEL_WORD)


def settles_emergency(text: str) -> bool:
    """Whether words say an emergency is over or was none (see _ALL_CLEAR): not a question."""
    words = simplified(text)
    return not _QUESTION.search(words) and _ALL_CLEAR.search(words) is not None and not _STILL_WANTED.search(words)


def typed_answer(text: str) -> str | None:
    """What words typed under 「确定要撤销工单…吗？」 answer: "yes" (是的, 确认撤销), "no" (不撤销, 算了), or None."""
    words = simplified(text).strip()
    if _NO_CANCEL.fullmatch(words):
        return "no"
    return "yes" if _YES_CANCEL.fullmatch(words) else None


def _can_call_off(status: str) -> bool:
    """Whether a ticket in this status can still be called off (before resolution)."""
    return can_transition(status, S.cancelled)


def crisis(urgent: bool, label: str | None) -> bool:
    """Whether a ticket is someone's crisis, urgent under the item signs of self-harm are filed under: words (不用来了，
    别管我了; 没事了) never call it off — they may be a warning sign themselves; /my's button or a coordinator does."""
    signs = next((s for s in get_taxonomy().urgent if s.code == "self_harm"), None)
    return urgent and signs is not None and label == signs.default_label


def _open_tickets(session: Session, telegram_id: int) -> list[dict[str, Any]]:
    """The resident's tickets that can still be called off (before resolution), newest first."""
    return [views.ticket_payload(session, ticket) for ticket in tickets.list_resident_tickets(session, telegram_id)
            if _can_call_off(ticket.status)][:MAX_CHOICES]


def call_off_markup(rows: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """/my's buttons: one per ticket in `rows` (payloads) that can still be called off."""
    open_ = [(row["ticket_id"], row["number"], row["item_name"]) for row in rows
             if _can_call_off(row["status"])][:MAX_CHOICES]
    return keyboards.call_off_choices(open_) if open_ else None


def _thanks_for_work_done(mine: list[Ticket], now_: datetime) -> bool:
    """Whether 不用再来了 is about a ticket done lately: one resolved in the last RECENTLY_DONE after every ticket still
    open was registered (the tap done this morning; not the lamp done yesterday before the tap was reported)."""
    done = [t.resolved_at for t in mine if t.resolved_at and t.resolved_at >= now_ - RECENTLY_DONE]
    still_open = [t.created_at for t in mine if _can_call_off(t.status)]
    return bool(done) and max(done) >= max(still_open, default=max(done))


def _asked(session: Session, telegram_id: int, words: str, now_: datetime, urgent_only: bool = False
           ) -> tuple[list[dict[str, Any]], str | None]:
    """The tickets words could call off — the one they name (取消 #A1234), else those still open (`urgent_only`: the
    urgent ones) — or, instead, what to say of the one named (done already). None of them when a ticket was just done
    and the words do not say 取消 in so many words (谢谢师傅，修好了，不用再来了 thanks him). The words are kept as hers
    for those tickets."""
    mine = tickets.list_resident_tickets(session, telegram_id, limit=50)
    named = ticket_named(words, mine)
    if named and not _can_call_off(named.status):
        return [], texts.call_off_too_late(f"#{named.number}", STATUS_NAMES.get(named.status, named.status))
    if named:
        rows = [views.ticket_payload(session, named)]
    elif _thanks_for_work_done(mine, now_) and not _says_cancel(simplified(words)):
        return [], None
    else:
        rows = [row for row in _open_tickets(session, telegram_id)
                if (row["urgent"] or not urgent_only) and not crisis(row["urgent"], row["label"])]
    if rows:
        drafts.save_draft(session, telegram_id, CALL_OFF,
                          {"reason": words[:200], "ticket_ids": [row["ticket_id"] for row in rows]}, now_)
    return rows, None


async def offer_call_off(update: Update, context: ContextTypes.DEFAULT_TYPE, words: str, urgent_only: bool = False,
                         lead: str | None = None) -> bool:
    """Words that call off a ticket: ask which (or confirm the one), after `lead` if any; False when the resident has
    none open (`urgent_only`: no urgent one, for words that say an emergency is over)."""
    rows, told = await act(context, _asked, update.effective_user.id, words, now(), urgent_only)
    if told:
        await reply(update, told)
        return True
    if not rows:
        return False
    if lead:
        await reply(update, lead)
    if len(rows) == 1:
        row = rows[0]
        await reply(update, texts.confirm_call_off(row), keyboards.confirm_call_off(row["ticket_id"]))
    else:
        await reply(update, texts.CALL_OFF_WHICH, call_off_markup(rows))
    return True


def _ask(session: Session, telegram_id: int, ticket_id: int) -> dict[str, Any] | None:
    """The ticket to confirm calling off, if it is this resident's."""
    ticket = session.get(Ticket, ticket_id)
    return views.ticket_payload(session, ticket) if ticket and ticket.resident_id == telegram_id else None


def _words_about(session: Session, telegram_id: int, ticket_id: int) -> str:
    """The words she called a ticket off in, kept with the question about it (none when they were about others)."""
    kept = drafts.get_draft(session, telegram_id, CALL_OFF) or {}
    return kept.get("reason", "") if ticket_id in kept.get("ticket_ids", []) else ""


def _call_off(session: Session, telegram_id: int, ticket_id: int, now_: datetime) -> str:
    """Cancel the resident's ticket, her words told to the member who took it: what to show her (that it was called
    off, or that it was done meanwhile or is not hers)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.resident_id != telegram_id:
        return texts.STALE_BUTTON
    number = f"#{ticket.number}"
    try:
        tickets.cancel_ticket(session, ticket_id, telegram_id, now_,
                              resident_words=_words_about(session, telegram_id, ticket_id))
    except (IllegalTransition, ConcurrentUpdate):
        session.refresh(ticket)
        return texts.call_off_too_late(number, STATUS_NAMES.get(ticket.status, ticket.status))
    drafts.clear_draft(session, telegram_id, CALL_OFF)
    if (drafts.get_draft(session, telegram_id, INTAKE) or {}).get("ticket_id") == ticket_id:
        drafts.clear_draft(session, telegram_id, INTAKE)  # (its where and phone were still asked)
    return texts.called_off(number)


async def call_off_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """撤销 #A1234 asks; 确认撤销 calls the ticket off; 不撤销 keeps it."""
    await answer(update)
    args = callback_args(update)
    if args[:1] == ["no"]:
        await act(context, drafts.clear_draft, update.effective_user.id, CALL_OFF)
        await edit(update, texts.CALL_OFF_KEPT)
        return
    if not args or not args[0].isdigit():
        await edit(update, texts.STALE_BUTTON)
        return
    ticket_id = int(args[0])
    if args[1:2] == ["ok"]:
        await edit(update, await act(context, _call_off, update.effective_user.id, ticket_id, now()))
        return
    row = await query(context, _ask, update.effective_user.id, ticket_id)
    if row is None:
        await edit(update, texts.STALE_BUTTON)
    elif not _can_call_off(row["status"]):
        await edit(update, texts.call_off_too_late(row["number"], row["status_name"]))
    else:
        await act(context, _asking, update.effective_user.id, ticket_id, now())
        await edit(update, texts.confirm_call_off(row), keyboards.confirm_call_off(ticket_id))


def _asking(session: Session, telegram_id: int, ticket_id: int, now_: datetime) -> None:
    """The question about one ticket, asked from a button (/my, the list): the one a typed 是的 answers, with her words
    if they were about it."""
    drafts.save_draft(session, telegram_id, CALL_OFF,
                      {"reason": _words_about(session, telegram_id, ticket_id), "ticket_ids": [ticket_id]}, now_)


async def answer_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> None:
    """是的 / 确认撤销 typed under the question about one ticket call it off; 不撤销 / 算了 keep it."""
    if state["meaning"] == "yes":
        await reply(update, await act(context, _call_off, update.effective_user.id, state["ticket_ids"][0], now()))
    else:
        await act(context, drafts.clear_draft, update.effective_user.id, CALL_OFF)
        await reply(update, texts.CALL_OFF_KEPT)


def awaits_answer(state: dict[str, Any], touched: datetime, now_: datetime) -> bool:
    """Whether the question about one ticket (not a list to choose from) still waits for a typed answer."""
    return len(state.get("ticket_ids", [])) == 1 and written_within(touched, now_, ANSWER_WINDOW)
