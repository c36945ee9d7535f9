"""Free text and photos go to whichever flow is waiting for words (newest first), else they are a
new request. The flows' state is read from the routing drafts on every message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.handlers import member, resident
from bot.handlers.common import query, reply
from routing import drafts


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text that is not a command."""
    await _route(update, context, update.effective_message.text or "", [])


async def photo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, with or without a caption (the largest size's file id is kept)."""
    message = update.effective_message
    await _route(update, context, message.caption or "", [message.photo[-1].file_id])


async def _route(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, photos: list[str]) -> None:
    text = text.strip()
    for flow, state in await query(context, drafts.list_drafts, update.effective_user.id):
        if flow == member.TASK and state.get("await") and (text or photos):
            await member.task_text_given(update, context, state, text, photos)
            return
        if flow == member.JOIN and state.get("await") == "name" and text:
            await member.name_given(update, context, state, text)
            return
        if flow == resident.COMMENT and text:
            await resident.comment_given(update, context, state, text)
            return
        if flow == resident.INTAKE and state.get("step") == "address" and text:
            await resident.address_given(update, context, state, text)
            return
        if flow == resident.INTAKE and state.get("step") == "phone" and text:
            await resident.phone_typed(update, context, text)
            return
    if not text:
        await reply(update, texts.EMPTY_MESSAGE)
        return
    await resident.new_request(update, context, text, photos)
