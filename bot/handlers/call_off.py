"""A resident calls off a ticket they registered (撤销工单): from /my's buttons, or in words after it (算了不用来了 我儿子
修好了). Always asked, then confirmed; routing.tickets.cancel_ticket tells the member who took it and the coordinators
who would act on it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.handlers.common import act, answer, callback_args, edit, now, query, reply
from classifier.normalize import simplified
from routing import drafts, tickets, views
from routing.errors import ConcurrentUpdate, IllegalTransition
from routing.models import Ticket
from routing.models import TicketStatus as S
from routing.states import STATUS_NAMES, can_transition

CALL_OFF = "call_off"  # the draft keeping the words a call-off was asked in: the member reads them as its reason
MAX_CHOICES = 5  # (a resident with more open tickets calls off the newest; /my lists at most ten)

# Words that call off what was registered: 不用来了, 不需要了, 取消工单, 撤销, 我自己修好了, 儿子帮忙弄好了 — not 别取消,
# 不用取消, 不要撤销, nor 修好了 alone (the member who came may have fixed it: his 办结 earns his points).
_CALL_OFF = re.compile(
    r"不用(再)?(来|过来|上门|派人|修|麻烦|处理|管)了?|不(需要|要)(再)?(来|派人|上门|修|处理)了|不用了|不需要了"
    r"|(?<![不别没])(?<!不用)(?<!不要)(取消|撤销|撤回|撤掉|作废)"
    r"|(自己|我|儿子|女儿|老伴|家里人|家人|邻居|亲戚|朋友)(已经|帮忙|帮我)?(修|弄|搞|处理|解决)好了"
)


def calls_off(text: str) -> bool:
    """Whether words call off a registered need (see _CALL_OFF)."""
    return _CALL_OFF.search(simplified(text)) is not None


def _open_tickets(session: Session, telegram_id: int) -> list[dict[str, Any]]:
    """The resident's tickets that can still be called off (before resolution), newest first."""
    return [views.ticket_payload(session, ticket) for ticket in tickets.list_resident_tickets(session, telegram_id)
            if can_transition(ticket.status, S.cancelled)][:MAX_CHOICES]


def call_off_markup(rows: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """/my's buttons: one per ticket in `rows` (payloads) that can still be called off."""
    open_ = [(row["ticket_id"], row["number"], row["item_name"]) for row in rows
             if can_transition(row["status"], S.cancelled)][:MAX_CHOICES]
    return keyboards.call_off_choices(open_) if open_ else None


def _asked(session: Session, telegram_id: int, words: str, now_: datetime) -> list[dict[str, Any]]:
    """The tickets words could call off (the one they name: 取消 #A1234); the words kept as the reason (for those
    tickets only)."""
    rows = _open_tickets(session, telegram_id)
    named = [row for row in rows if re.search(rf"(?<![A-Z0-9]){row['number'][1:]}(?![0-9])", words.upper())]
    rows = named or rows
    if rows:
        drafts.save_draft(session, telegram_id, CALL_OFF,
                          {"reason": words[:200], "ticket_ids": [row["ticket_id"] for row in rows]}, now_)
    return rows


async def offer_call_off(update: Update, context: ContextTypes.DEFAULT_TYPE, words: str) -> bool:
    """Words that call off a ticket: ask which (or confirm the one); False when the resident has none open."""
    rows = await act(context, _asked, update.effective_user.id, words, now())
    if not rows:
        return False
    if len(rows) == 1:
        row = rows[0]
        await reply(update, texts.confirm_call_off(row["number"], row["item_name"], row.get("member_name")),
                    keyboards.confirm_call_off(row["ticket_id"]))
    else:
        await reply(update, texts.CALL_OFF_WHICH, call_off_markup(rows))
    return True


def _ask(session: Session, telegram_id: int, ticket_id: int) -> dict[str, Any] | None:
    """The ticket to confirm calling off, if it is this resident's."""
    ticket = session.get(Ticket, ticket_id)
    return views.ticket_payload(session, ticket) if ticket and ticket.resident_id == telegram_id else None


def _call_off(session: Session, telegram_id: int, ticket_id: int, now_: datetime) -> tuple[str, bool]:
    """Cancel the resident's ticket, with the words they called it off in as the reason: what to show, and whether
    it was called off (not when it was done, or is no longer theirs to call off)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.resident_id != telegram_id:
        return texts.STALE_BUTTON, False
    kept = drafts.get_draft(session, telegram_id, CALL_OFF) or {}
    reason = kept.get("reason") if ticket_id in kept.get("ticket_ids", []) else None
    number = f"#{ticket.number}"
    try:
        tickets.cancel_ticket(session, ticket_id, telegram_id, now_, reason=reason)
    except (IllegalTransition, ConcurrentUpdate):
        session.refresh(ticket)
        return texts.call_off_too_late(number, STATUS_NAMES.get(ticket.status, ticket.status)), False
    drafts.clear_draft(session, telegram_id, CALL_OFF)
    return texts.called_off(number), True


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
        told, _ = await act(context, _call_off, update.effective_user.id, ticket_id, now())
        await edit(update, told)
        return
    row = await query(context, _ask, update.effective_user.id, ticket_id)
    if row is None:
        await edit(update, texts.STALE_BUTTON)
    elif not can_transition(row["status"], S.cancelled):
        await edit(update, texts.call_off_too_late(row["number"], row["status_name"]))
    else:
        await edit(update, texts.confirm_call_off(row["number"], row["item_name"], row.get("member_name")),
                   keyboards.confirm_call_off(ticket_id))
