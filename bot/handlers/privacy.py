"""Residents' data rights: /mydata shows what is stored about them, /forget erases it after a
confirmation button (routing.privacy; tickets stay, anonymized, for statistics)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.handlers.common import act, answer, callback_args, deps, edit, now, query, reply
from routing import members, privacy

FORGET = "fg"  # fg:<yes|no>                       resident confirms or keeps /forget


def forget_buttons() -> InlineKeyboardMarkup:
    """确认删除 / 取消 under the /forget question."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.BTN_FORGET_CONFIRM, callback_data=keyboards.data(FORGET, "yes")),
                InlineKeyboardButton(texts.BTN_FORGET_CANCEL, callback_data=keyboards.data(FORGET, "no")),
            ]
        ]
    )


async def my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything stored about this person as a resident."""
    data = await query(context, privacy.resident_data, update.effective_user.id)
    for message in texts.my_data(data, deps(context).tz):
        await reply(update, message)


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: explain what is erased and what is kept, and ask to confirm."""
    await reply(update, texts.FORGET_ASK, forget_buttons())


def _forget(session: Session, telegram_id: int, now_: Any) -> dict[str, Any]:
    count = privacy.forget_resident(session, telegram_id, now_)
    role = members.roles(session, telegram_id)
    return {"count": count, "has_role": role["member"] is not None or bool(role["coordinator_scopes"])}


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认删除 erases (idempotent, so a second press is harmless); 取消 keeps everything."""
    await answer(update)
    choice = (callback_args(update) or [""])[0]
    if choice == "no":
        await edit(update, texts.FORGET_KEPT)
        return
    if choice != "yes":
        await edit(update, texts.STALE_BUTTON)
        return
    result = await act(context, _forget, update.effective_user.id, now())
    await edit(update, texts.forgotten(result["count"], result["has_role"]))
