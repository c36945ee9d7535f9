"""Coordinators (网格员 / 社区 / 街道): invite members (/invite), dispatch what nobody took (/dispatch,
指派 → a member), watch time limits (/overdue) and the four rates (/stats, also for residents)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.handlers.common import act, answer, callback_args, deps, edit, now, query, reply
from routing import alerts, dispatch, geography, members, reports, views
from routing.models import Member
from routing.states import get_ticket

STATS_DAYS = 30


async def _require_coordinator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if await query(context, members.is_coordinator, update.effective_user.id):
        return True
    await reply(update, texts.NOT_A_COORDINATOR)
    return False


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite: a one-time member invite code."""
    if not await _require_coordinator(update, context):
        return
    code = await act(context, members.create_invite, update.effective_user.id, now())
    await reply(update, texts.invite_created(code.code, code.expires_at, deps(context).tz))


def _waiting(session: Session, coordinator_id: int) -> list[dict[str, Any]]:
    return [
        views.ticket_payload(session, t, private=True) for t in dispatch.list_waiting(session, coordinator_id)
    ]


async def dispatch_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/dispatch: the tickets waiting for 派单, each with 指派."""
    if not await _require_coordinator(update, context):
        return
    rows = await query(context, _waiting, update.effective_user.id)
    if not rows:
        await reply(update, texts.NO_WAITING)
        return
    for row in rows:
        await reply(update, texts.waiting_ticket(row, deps(context).tz), keyboards.assign(row["ticket_id"]))


def _member_button(session: Session, member: Member) -> tuple[int, str]:
    """A member as a button: (member id, name, grid, duty and load)."""
    grid = geography.get_node(session, member.grid_code).name
    return member.id, texts.btn_member(member.display_name, grid, member.active_count, member.capacity, member.on_duty)


def _candidates(session: Session, ticket_id: int, coordinator_id: int, now_: Any) -> tuple[str, list]:
    ticket = views.ticket_payload(session, get_ticket(session, ticket_id))
    entries = [_member_button(session, session.get(Member, ranked.member_id))
               for ranked in dispatch.dispatch_candidates(session, ticket_id, coordinator_id, now_)]
    return ticket["number"], entries


def _assign(
    session: Session, ticket_id: int, coordinator_id: int, member_id: int, now_: Any
) -> tuple[str, str]:
    offer = dispatch.assign_ticket(session, ticket_id, coordinator_id, member_id, now_)
    member = session.get(Member, offer.member_id)
    return views.ticket_payload(session, get_ticket(session, ticket_id))["number"], member.display_name


async def dispatch_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """指派 shows the members to choose from; a member's button assigns the ticket to them."""
    args = callback_args(update)
    if not args or not all(a.isdigit() for a in args):
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    user_id = update.effective_user.id
    if len(args) == 1:
        number, entries = await query(context, _candidates, int(args[0]), user_id, now())
        await answer(update)
        if not entries:
            await reply(update, texts.NO_MEMBERS)
            return
        await edit(update, texts.choose_member(number), keyboards.members(int(args[0]), entries))
        return
    number, name = await act(context, _assign, int(args[0]), user_id, int(args[1]), now())
    await answer(update)
    await edit(update, texts.assigned_confirmation(number, name))


def _scope_members(session: Session, telegram_id: int) -> list[tuple[int, str]]:
    """The members under the coordinator's scopes, as buttons (member id, text)."""
    return list(dict(
        _member_button(session, member)
        for scope in members.widest_scopes(session, telegram_id)
        for member in members.members_in_scope(session, scope)
    ).items())


async def members_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/members: the members of the coordinator's scope, each a button to remove one who no longer serves."""
    if not await _require_coordinator(update, context):
        return
    entries = await query(context, _scope_members, update.effective_user.id)
    if not entries:
        await reply(update, texts.NO_MEMBERS_IN_SCOPE)
        return
    await reply(update, texts.MEMBERS_HEAD, keyboards.removable(entries))


def _removal_asked(session: Session, member_id: int) -> tuple[str, int] | None:
    member = session.get(Member, member_id)
    return None if member is None or member.left_at is not None else (member.display_name, member.active_count)


def _remove(session: Session, coordinator_id: int, member_id: int, now_: Any, settings: Any) -> str:
    return dispatch.remove_member(session, coordinator_id, member_id, now_, settings=settings).display_name


async def remove_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A member pressed in /members: asked to confirm; 确认移出 removes them (see dispatch.remove_member)."""
    args = callback_args(update)
    if args[:1] == ["no"]:
        await answer(update)
        await edit(update, texts.CANCELLED_STEP)
        return
    if not args or not args[0].isdigit():
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    member_id = int(args[0])
    if args[1:2] != ["ok"]:
        asked = await query(context, _removal_asked, member_id)
        await answer(update)
        if asked is None:
            await edit(update, texts.STALE_BUTTON)
            return
        await edit(update, texts.confirm_remove(*asked), keyboards.confirm_remove(member_id))
        return
    name = await act(context, _remove, update.effective_user.id, member_id, now(), deps(context).settings)
    await answer(update)
    await edit(update, texts.member_removed_done(name))


async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue: tickets past (🔴) or near (🟡) their limits in the coordinator's scope."""
    if not await _require_coordinator(update, context):
        return
    rows = await query(context, alerts.overdue_tickets, update.effective_user.id, now())
    await reply(update, texts.overdue(rows, deps(context).tz) if rows else texts.NO_OVERDUE)


def _stats(session: Session, telegram_id: int, now_: Any) -> list[dict[str, Any]] | None:
    """Each of a coordinator's scopes, or a resident's community (None without one): the four rates over
    STATS_DAYS, and by community or grid and by category."""
    scopes = members.widest_scopes(session, telegram_id)
    if not scopes:
        person = members.ensure_person(session, telegram_id, now_)
        if person.grid_code is None:
            return None
        scopes = [geography.get_node(session, person.grid_code).community_code or person.grid_code]
    start = now_ - timedelta(days=STATS_DAYS)
    return [reports.scope_figures(session, scope, start, now_, now_) for scope in scopes]


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: 响应率, 解决率, 满意率, 超期率 (no personal data) for the coordinator's scope or the
    resident's community."""
    result = await act(context, _stats, update.effective_user.id, now())
    if result is None:
        from bot.handlers.resident import AREA_THEN_STATS, ask_area

        await ask_area(update, context, AREA_THEN_STATS)
        return
    await reply(update, texts.stats(result, f"近 {STATS_DAYS} 天"))
