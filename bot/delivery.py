"""Delivery of the routing outbox to Telegram: at-least-once, in order per chat, with retries.

A repeating job (and a kick after every change, `deliver_soon`) claims due notifications, renders each
by its kind, sends it (or edits the earlier message it refers to) and records the result:
- delivered → the Telegram message id is kept, so a later notification can edit that message;
- 429 → retried after Telegram's retry_after; network errors and timeouts → retried with backoff;
  the person's later notifications wait behind it, so that a chat keeps its order;
- 403 (the person blocked the bot) → unreachable; a member goes off duty and their offers move on;
  a group chat that removed the bot is unsubscribed; a group that became a supergroup is followed;
- 400 "message is not modified" / "message to edit not found" → nothing left to do: delivered.
A crash between sending and recording can repeat one message after the lease (at-least-once); the
window is one HTTP round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes

from bot import keyboards, report, texts
from bot.handlers.common import Markup, deps, now, query
from routing import duplicates, outbox, subscriptions
from routing.outbox import Outgoing

log = logging.getLogger(__name__)
BATCH = 50
# Telegram takes about 20 messages a minute in one group (the rate limiter paces them): a group's backlog goes a few
# at a time, in the background, so that it holds up no one else's messages and never outlasts its claim's lease.
GROUP_NOTES_PER_PASS = 5
_LOCK = "delivery_lock"
_GROUP_TASKS = "delivery_group_tasks"
_AGAIN = "delivery_again"


def render(kind: str, payload: Mapping[str, Any], tz: ZoneInfo) -> tuple[str, Markup]:
    """The text and keyboard for one notification kind."""
    ticket_id = payload.get("ticket_id")
    if kind == "ticket_created":
        category, item = payload.get("category_name", ""), payload.get("item_name", "")
        return texts.ticket_created(
            payload["number"], category, item, bool(payload.get("urgent"))
        ), ReplyKeyboardRemove()
    linked = texts.linked_tickets(payload.get("linked"))  # neighbours' same problem (issue #6)
    if kind == "offer":
        return texts.offer(payload, tz) + linked, keyboards.offer(ticket_id)
    if kind == "assigned":
        return texts.offer(payload, tz, assigned_by_coordinator=True) + linked, keyboards.offer(ticket_id)
    if kind == "offer_withdrawn":
        return texts.offer_withdrawn(payload), None
    if kind == "message_deleted":  # (deleted, not sent: see _send)
        return texts.MESSAGE_DELETED, None
    if kind == "offer_accepted":
        return texts.task_details(payload, tz) + linked, keyboards.task(ticket_id, started=False)
    if kind == "ticket_linked":
        return texts.ticket_linked(payload), None
    if kind == "rate_request":
        return texts.rate_prompt(payload["number"], payload.get("item_name", "")), keyboards.rating(ticket_id)
    if kind == "rate_reminder":
        return texts.rate_reminder(payload["number"], payload.get("item_name", "")), keyboards.rating(
            ticket_id
        )
    if kind == "rated":
        return texts.member_rated(payload), None
    if kind == "dispatch_needed":  # (上报 for a coordinator with a level above him: he may have nobody to send)
        return texts.dispatch_needed(payload, tz), keyboards.assign(ticket_id, bool(payload.get("can_raise")))
    if kind == "ticket_raised":
        return texts.ticket_raised_note(payload), None
    if kind == "urgent_alert":
        return texts.urgent_alert(payload, tz), keyboards.assign(ticket_id)
    if kind == "low_rating":
        return texts.low_rating(payload, tz), keyboards.assign(ticket_id)
    if kind == "rating_corrected":
        return texts.rating_corrected_note(payload), None
    if kind == "low_rating_comment":  # (指派 only while the ticket still waits for it)
        return texts.low_rating_comment(payload), keyboards.assign(ticket_id) if payload.get("waiting") else None
    if kind == "contact_added":
        return texts.contact_added(payload), None
    if kind == "intake_reminder":
        return texts.intake_reminder(payload), None
    if kind == "urgent_unplaced":
        return texts.urgent_unplaced(payload), None
    if kind == "chased":  # (改派 from the coordinators' card, as from a 🟡 card; 接单 / 不方便 for a 指派 not answered)
        audience = payload.get("audience")
        markup = {"coordinator": keyboards.assign(ticket_id), "assigned": keyboards.offer(ticket_id)}.get(audience)
        return texts.chased(payload, tz), markup
    if kind == "done_disputed":
        return texts.done_disputed(payload, tz), None
    if kind == "member_words":
        return texts.member_words(payload), None
    if kind == "complaint":
        return texts.complaint(payload, tz), None
    if kind == "decline_reason":
        return texts.decline_reason(payload), None
    if kind == "assignment_answered":
        return texts.assignment_answered(payload), None if payload.get("accepted") else keyboards.assign(ticket_id)
    if kind == "member_unreachable":
        return texts.member_unreachable(payload, tz), keyboards.assign(ticket_id)
    if kind == "member_removed":
        return texts.member_removed(payload), None
    if kind == "daily_digest":
        return texts.daily_digest(payload), None
    if kind == "quarter_stars":
        return texts.quarter_stars(payload), None
    if kind == "group_alert":  # to a group chat: no buttons, no personal data in the payload
        return texts.group_alert(payload, tz), None
    if kind in ("yellow_card", "red_card"):
        card = texts.yellow_card if kind == "yellow_card" else texts.red_card
        to_coordinator = payload.get("audience") != "member"
        held = bool(payload.get("member_name") or payload.get("assigned_to"))  # (someone to urge: 📣 催办)
        return card(payload, tz), keyboards.assign(ticket_id, can_urge=held) if to_coordinator else None
    if kind == "urged":  # (接单 / 不方便 for a 指派 not answered)
        return texts.urged(payload), keyboards.offer(ticket_id) if payload.get("audience") == "assigned" else None
    return texts.resident_update(kind, payload), None


LINKED_KINDS = frozenset({"offer", "assigned", "offer_accepted", "urgent_alert"})  # cards that list linked tickets
# Cards that show the limit still running (texts._time_limit): 「（已超期）」 once it has passed when they are sent.
LIMIT_KINDS = frozenset({"offer", "assigned", "dispatch_needed", "urgent_alert", "low_rating", "member_unreachable"})


def _limit_passed(kind: str, payload: Mapping[str, Any]) -> bool:
    """Whether the limit a card shows has passed now: a yellow card's own, or a ticket card's still running (the
    response's, or once responded the resolution's)."""
    if kind == "yellow_card":  # (held for the quiet hours, or retried, past its limit)
        due = payload.get("due_at")
    elif kind in LIMIT_KINDS:
        due = payload.get("resolve_due_at" if payload.get("responded") else "respond_due_at")
    else:
        return False
    return isinstance(due, str) and datetime.fromisoformat(due) <= now()


async def _send(context: ContextTypes.DEFAULT_TYPE, note: Outgoing) -> tuple[int, int | None]:
    """Send or edit; returns (chat id, message id)."""
    if note.kind == "weekly_report":  # the chart drawn now, or the same report as text
        message = await report.send_report(context.bot, note.recipient_id, note.payload,
                                             retried=note.attempts - 1)  # (this claim counted)
        return message.chat_id, message.message_id
    if note.kind == "ticket_photo":  # (a photo the message before it announced: 📷 N 张)
        message = await context.bot.send_photo(note.recipient_id, note.payload["file_id"],
                                               caption=texts.photo_caption(note.payload))
        return message.chat_id, message.message_id
    if note.kind == "message_deleted":  # (claimed once its original is sent, or given up: then nothing to delete)
        if note.edit_chat_id is not None and note.edit_message_id is not None:
            await context.bot.delete_message(note.edit_chat_id, note.edit_message_id)
        return note.edit_chat_id or note.recipient_id, note.edit_message_id
    payload = note.payload
    if note.kind in LINKED_KINDS and note.ticket_id is not None:  # the links as they are now
        payload = {**payload, "linked": await query(context, duplicates.linked_numbers, note.ticket_id)}
    if _limit_passed(note.kind, payload):
        payload = {**payload, "past_due": True}  # (a ticket waiting past its limit, or a card sent late: said so)
    text, markup = render(note.kind, payload, deps(context).tz)
    if note.edit_message_id is not None and note.edit_chat_id is not None:
        edit_markup = markup if isinstance(markup, InlineKeyboardMarkup) else None
        await context.bot.edit_message_text(
            texts.fit(text),
            chat_id=note.edit_chat_id,
            message_id=note.edit_message_id,
            parse_mode="HTML",
            reply_markup=edit_markup,
        )
        return note.edit_chat_id, note.edit_message_id
    message = await context.bot.send_message(
        note.recipient_id,
        texts.fit(text),
        parse_mode="HTML",
        reply_markup=markup,
        disable_web_page_preview=True,
    )
    return message.chat_id, message.message_id


def quiet_until(moment: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> datetime | None:
    """The end of the quiet hours if `moment` falls inside them (they may span midnight), else None."""
    start, end = quiet
    local = moment.astimezone(tz)
    now_t = local.time()
    inside = start <= now_t < end if start <= end else (now_t >= start or now_t < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return until if until > local else until + timedelta(days=1)


def held_for_quiet_hours(kind: str, payload: Mapping[str, Any]) -> bool:
    """Reminders wait for the morning: yellow cards to members, rating reminders to residents (an urgent
    ticket's too: rating it can wait), a need left unfinished recalled, and the quarter's stars (rated at 00:30). An urgent ticket's yellow card,
    coordinators' cards and red cards never wait."""
    if kind in ("rate_reminder", "quarter_stars", "intake_reminder"):
        return True
    return kind == "yellow_card" and payload.get("audience") == "member" and not payload.get("urgent")


BLOCKED = "blocked"  # deliver_one: the person blocked the bot (403)
DONE = "done"  # deliver_one: delivered, or finished with (given up, held for quiet hours)


async def deliver_one(context: ContextTypes.DEFAULT_TYPE, note: Outgoing) -> str | datetime:
    """Deliver one claimed notification and record what happened: DONE, BLOCKED, or the time of the
    retry when Telegram could not take it now (429, network, timeout)."""
    settings = deps(context).settings
    if held_for_quiet_hours(note.kind, note.payload):
        until = quiet_until(now(), settings.quiet_hours, settings.tz)
        if until is not None:
            await query(context, outbox.postpone, note.id, until)
            return DONE
        if await query(context, outbox.reminder_moot, note.id):  # (held overnight: done, rated, taken away)
            return DONE
    try:
        chat_id, message_id = await _send(context, note)
    except RetryAfter as error:
        delay = (
            error.retry_after
            if isinstance(error.retry_after, int | float)
            else error.retry_after.total_seconds()
        )
        log.warning("notification %s: flood control, retry in %s s", note.id, delay)
        if note.kind == "weekly_report":  # (no chart went: not one of its tries, see report.CHART_TRIES)
            await query(context, outbox.postpone, note.id, now() + timedelta(seconds=float(delay)))
            return DONE
        retry = await query(
            context, outbox.mark_failed, note.id, now(), "429 flood control", retry_after=float(delay), transient=True,
            holds_chat=True,
        )
        return retry or DONE
    except Forbidden:
        log.info("notification %s: recipient blocked the bot", note.id)
        await query(context, outbox.mark_unreachable, note.id, now())
        return BLOCKED
    except ChatMigrated as error:  # a group became a supergroup: it and its alerts move to the new id
        log.info("notification %s: group %s is now %s", note.id, note.recipient_id, error.new_chat_id)
        await query(
            context, subscriptions.move_group, note.recipient_id, error.new_chat_id, now(),
            notification_id=note.id,
        )
        return DONE
    except BadRequest as error:
        reason = str(error).lower()
        if (
            "not modified" in reason
            or "message to edit not found" in reason
            or "message can't be edited" in reason
            or "message to delete not found" in reason
            or "message can't be deleted" in reason  # (over 48 hours old: Telegram keeps it)
        ):
            await query(
                context,
                outbox.mark_delivered,
                note.id,
                now(),
                chat_id=note.edit_chat_id,
                message_id=note.edit_message_id,
            )
            return DONE
        # Rejected as sent: retried with backoff, but it does not hold the person's other messages.
        log.warning("notification %s (%s) rejected: %s", note.id, note.kind, error)
        await query(context, outbox.mark_failed, note.id, now(), f"400 {error}")
        return DONE
    except NetworkError as error:  # (and timeouts): retried for as long as the outage lasts
        log.warning("notification %s (%s) not sent, will retry: %s", note.id, note.kind, error)
        retry = await query(
            context, outbox.mark_failed, note.id, now(), f"{type(error).__name__}: {error}", transient=True,
            holds_chat=True,
        )
        return retry or DONE
    except (InvalidToken, TelegramError) as error:
        # InvalidToken: the Bot API answered 404, e.g. an emulator without the method. A photo refused so holds
        # nothing back: the words around it (the rating prompt, a new offer) matter more than its place among them.
        log.warning("notification %s (%s) not sent, will retry: %s", note.id, note.kind, error)
        holds = note.kind != "ticket_photo"
        retry = await query(context, outbox.mark_failed, note.id, now(), f"{type(error).__name__}: {error}",
                            holds_chat=holds)
        return (retry if holds else None) or DONE
    except SQLAlchemyError as error:  # (the database failed while the message was read: as transient as the network)
        log.warning("notification %s (%s) not sent, database error, will retry: %s", note.id, note.kind,
                    type(error).__name__)
        retry = await query(context, outbox.mark_failed, note.id, now(), type(error).__name__, transient=True,
                            holds_chat=True)
        return retry or DONE
    except Exception as error:
        # E.g. a payload that cannot be rendered: retried, then given up; never stops the job.
        log.exception("notification %s (%s) could not be sent", note.id, note.kind)
        await query(context, outbox.mark_failed, note.id, now(), f"{type(error).__name__}: {error}")
        return DONE
    await query(context, outbox.mark_delivered, note.id, now(), chat_id=chat_id, message_id=message_id)
    return DONE


async def _deliver_in_order(context: ContextTypes.DEFAULT_TYPE, notes: list[Outgoing]) -> None:
    for index, note in enumerate(notes):
        outcome = await deliver_one(context, note)
        rest = notes[index + 1 :]
        if outcome == BLOCKED:
            for later in rest:  # the same person: no point trying again now
                await query(context, outbox.mark_unreachable, later.id, now())
            return
        if isinstance(outcome, datetime):
            for later in rest:  # wait behind the one that failed, so that the chat keeps its order
                await query(context, outbox.postpone, later.id, outcome)
            return


async def _deliver_group(context: ContextTypes.DEFAULT_TYPE, notes: list[Outgoing]) -> None:
    """A group chat's few notifications, in order, apart from the pass; then its next ones (not once stopping: they
    wait for the next start, unclaimed)."""
    await _deliver_in_order(context, notes)
    if context.application.running:
        await deliver_outbox(context)


def _in_background(context: ContextTypes.DEFAULT_TYPE, chat_id: int, notes: list[Outgoing]) -> None:
    tasks: set[asyncio.Task[None]] = context.bot_data.setdefault(_GROUP_TASKS, set())
    task = asyncio.create_task(_deliver_group(context, notes), name=f"deliver to group {chat_id}")
    tasks.add(task)  # (held: the loop keeps only weak references to tasks)
    task.add_done_callback(tasks.discard)


async def deliver_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: deliver everything due, chats in parallel, each chat's messages in order (a group's in the background,
    GROUP_NOTES_PER_PASS at a time: see there, and `groups_delivered`)."""
    bot_data = context.bot_data
    lock: asyncio.Lock = bot_data.setdefault(_LOCK, asyncio.Lock())
    if lock.locked():
        bot_data[_AGAIN] = True  # the running pass will look once more
        return
    async with lock:
        await _passes(context)


async def groups_delivered(bot_data: dict[str, Any]) -> None:
    """Wait for the groups' notifications being delivered in the background (and the passes they start)."""
    tasks: set[asyncio.Task[None]] = bot_data.get(_GROUP_TASKS, set())
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


async def _passes(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Claim and deliver until nothing is due (groups' notifications: started in the background)."""
    bot_data = context.bot_data
    while True:
        bot_data[_AGAIN] = False
        batch = await query(
            context,
            outbox.claim_notifications,
            deps(context).worker_id,
            now(),
            limit=BATCH,
            skip=report.SLOW_KINDS,  # drawn and sent by report.deliver_reports, apart
        )
        by_chat: dict[int, list[Outgoing]] = defaultdict(list)
        for note in batch:
            by_chat[note.recipient_id].append(note)
        for chat_id in [chat_id for chat_id in by_chat if subscriptions.is_group_chat(chat_id)]:
            notes = by_chat.pop(chat_id)
            for later in notes[GROUP_NOTES_PER_PASS:]:  # (claimed again once these are sent: in order)
                await query(context, outbox.postpone, later.id, now())
            _in_background(context, chat_id, notes[:GROUP_NOTES_PER_PASS])
        await asyncio.gather(*(_deliver_in_order(context, notes) for notes in by_chat.values()))
        if len(batch) < BATCH and not bot_data[_AGAIN]:
            return
        if not context.application.running:  # (stopping: the rest waits for the next start, not for us)
            return


def delivering(app: Application) -> bool:
    """Whether the outbox is being delivered, or a delivery kicked by a change is due (the offline console waits)."""
    lock = app.bot_data.get(_LOCK)
    jobs = app.job_queue.jobs() if app.job_queue is not None else ()
    due = datetime.now(UTC)
    return bool(lock and lock.locked()) or any(
        job.callback is deliver_outbox and job.next_t is not None and job.next_t <= due for job in jobs)


async def deliver_now(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver everything due before going on, after the pass under way if there is one: what a change queued for a
    chat (a ticket's number) then comes before the words sent to it next (the next need's card)."""
    async with context.bot_data.setdefault(_LOCK, asyncio.Lock()):
        await _passes(context)


def deliver_soon(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver what a change just queued without waiting for the next tick."""
    if context.job_queue is not None:
        context.job_queue.run_once(deliver_outbox, 0)
