"""Group chats: intake is for private chats only, so in a group the bot answers nothing but a
coordinator's /subscribe and /unsubscribe; a subscribed group then gets its scope's alerts
(routing.subscriptions, without personal data).

Anyone else's /subscribe in a group gets no answer either: the bot stays silent in groups, as
the issue asks, a group's members cannot make it talk, and it does not tell them who the
coordinators are. Coordinators learn the command from /help in their private chat.
"""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import texts
from bot.handlers.common import now, query, reply
from routing import members, subscriptions
from routing.errors import DomainError

GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)


async def _from_coordinator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and await query(context, members.is_coordinator, user.id)


def _scope(context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """What follows the command: a scope's level word, name or code (or nothing)."""
    return " ".join(context.args or []) or None


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe [scope] in a group: a coordinator subscribes it to their scope's alerts."""
    if not await _from_coordinator(update, context):
        return
    try:
        done = await query(context, subscriptions.subscribe_group, update.effective_chat.id,
                           update.effective_user.id, now(), scope=_scope(context))
    except DomainError as error:
        await reply(update, texts.esc(error.message))
        return
    await reply(update, texts.group_subscribed(done.name, done.level, done.created))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe [scope] in a group: a coordinator ends its subscriptions within their scopes."""
    if not await _from_coordinator(update, context):
        return
    try:
        ended, kept, others = await query(context, subscriptions.unsubscribe_group, update.effective_chat.id,
                                          update.effective_user.id, scope=_scope(context))
    except DomainError as error:
        await reply(update, texts.esc(error.message))
        return
    await reply(update, texts.group_unsubscribed(ended, kept, others))


async def subscribe_in_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe or /unsubscribe in a private chat: tell a coordinator it is done in the group."""
    coordinator = await _from_coordinator(update, context)
    await reply(update, texts.SUBSCRIBE_IN_GROUP if coordinator else texts.NOT_A_COORDINATOR)


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was removed from a group: end the group's subscriptions (nothing can reach it)."""
    change = update.my_chat_member
    if change.chat.type in GROUP_TYPES and change.new_chat_member.status in (
        ChatMember.LEFT,
        ChatMember.BANNED,
    ):
        await query(context, subscriptions.group_gone, change.chat.id)


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (a new chat id): its subscriptions follow it."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        await query(context, subscriptions.move_group, message.chat.id, message.migrate_to_chat_id, now())
    elif message.migrate_from_chat_id:
        await query(context, subscriptions.move_group, message.migrate_from_chat_id, message.chat.id, now())
