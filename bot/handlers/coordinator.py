"""Coordinators (网格员 / 社区 / 街道): invite members (/invite), dispatch what nobody took (/dispatch,
指派 → a member), watch time limits (/overdue) and the four rates (/stats, also for residents)."""

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
    TICKET_NUMBER_TOLD,
    act,
    answer,
    callback_args,
    deps,
    edit,
    now,
    query,
    reply,
    reply_with_contact,
)
from classifier import Classification
from routing import alerts, dispatch, drafts, geography, members, reports, tickets, views
from routing.errors import ConcurrentUpdate, InvalidInput, NotAllowed, NotFound
from routing.models import GeoLevel, Member, Ticket
from routing.models import TicketStatus as S
from routing.states import STATUS_NAMES, UNRESOLVED, get_ticket


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


def _scope_screen(session: Session, telegram_id: int, code: str | None) -> list[tuple[tuple[str, str], list]]:
    """For /addcoordinator: each node to show (the coordinator's widest scopes, or the node pressed) with its
    children (a grid has none)."""
    codes = [code] if code else members.widest_scopes(session, telegram_id)
    if code:
        members.require_coordinator(session, telegram_id, code)
    nodes = [geography.get_node(session, c) for c in codes]
    return [((n.code, n.name), [] if n.level == GeoLevel.grid else geography.area_choices(session, n.code))
            for n in nodes]


async def add_coordinator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/addcoordinator: choose the scope (one's own or below it), then a one-time coordinator invite code."""
    if not await _require_coordinator(update, context):
        return
    for node, children in await query(context, _scope_screen, update.effective_user.id, None):
        await reply(update, texts.CHOOSE_COORDINATOR_SCOPE, keyboards.coordinator_scopes(node, children))


def _coordinator_invite(session: Session, telegram_id: int, scope: str, now_: Any) -> tuple[str, str, Any]:
    """A coordinator's invite for `scope`: its code, the scope's name, when it expires."""
    invite = members.create_invite(session, telegram_id, now_, scope=scope)
    return invite.code, geography.get_node(session, scope).name, invite.expires_at


async def coordinator_scope_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A node pressed under /addcoordinator: its level (本级) makes the invite, a child opens its own level."""
    code, *rest = [*callback_args(update), ""]
    user_id = update.effective_user.id
    await answer(update)
    if rest[:1] == ["ok"]:
        code_, name, expires_at = await act(context, _coordinator_invite, user_id, code, now())
        await edit(update, texts.coordinator_invite_created(code_, name, expires_at, deps(context).tz))
        return
    ((node, children),) = await query(context, _scope_screen, user_id, code)
    await edit(update, texts.CHOOSE_COORDINATOR_SCOPE, keyboards.coordinator_scopes(node, children))


def _waiting(session: Session, coordinator_id: int, now_: datetime) -> tuple[list[dict[str, Any]], int]:
    """The tickets /dispatch shows (with whom each is assigned to and not yet answered), and how many wait."""
    rows = []
    for ticket in dispatch.list_waiting(session, coordinator_id):
        row = _card_row(session, ticket, now_, coordinator_id)
        # (an urgent ticket listed while its offers wait: the members asked may still take it)
        rows.append({**row, "offered_to_members": ticket.status == S.offered and not row["assigned_to"]})
    return rows, dispatch.count_waiting(session, coordinator_id)


def _card_row(session: Session, ticket: Ticket, now_: datetime, coordinator_id: int) -> dict[str, Any]:
    """A ticket as a coordinator's card shows it: its contact, whom a 指派 waits for, whether it is past due, whether
    he may 上报 it."""
    return {**views.ticket_payload(session, ticket, private=True),
            "assigned_to": dispatch.pending_assignee(session, ticket.id), "past_due": views.past_due(ticket, now_),
            "can_raise": dispatch.can_raise(session, ticket, coordinator_id), **dispatch.why_waiting(session, ticket)}


_NUMBER_ALONE = re.compile(r"#?\s*[A-Za-z]\d{4,5}[\s?？]*")  # (#A1234 typed alone: a look-up, not words about one)


def _ticket_card(session: Session, coordinator_id: int, number: str, now_: datetime, hashed: bool = True
                 ) -> dict[str, Any] | str | None:
    """The card of a ticket in the coordinator's scope (its row as /dispatch shows it, who holds it too), a sentence when
    it is not in their scope or, named with #, not found; None when the person coordinates nothing, the ticket is their
    own, or a number without # is no ticket's."""
    scopes = members.coordinator_scopes(session, coordinator_id)
    if not scopes:
        return None
    try:
        ticket = tickets.get_ticket_by_number(session, number)
    except (NotFound, InvalidInput):
        return texts.ticket_not_found(number) if hashed else None  # (B1203室 in a need of her own: no number)
    if ticket.resident_id == coordinator_id:
        return None  # (her own ticket: asked after, called off or chased as any resident's)
    if not members.covers(session, scopes, ticket.grid_code):
        return texts.ticket_not_in_scope(f"#{ticket.number}")
    return _card_row(session, ticket, now_, coordinator_id)


async def look_up(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """A coordinator's words naming a ticket (#S5511 怎么样了): its card, 指派 / 改派 under it while it is not done. False
    for anyone else (a resident asking after her own ticket is answered as before) or words naming no number."""
    told = TICKET_NUMBER_TOLD.search(text)
    if told is None:
        return False
    row = await query(context, _ticket_card, update.effective_user.id, told.group(1), now(), "#" in told.group())
    if row is None:
        return False
    if isinstance(row, str):
        await reply(update, row)
        return True
    done = row["status"] not in UNRESOLVED
    await reply_with_contact(update, context, row, ("" if done or row.get("member_name") else texts.why_waiting(row))
                             + texts.ticket_card(row, deps(context).tz),
                             None if done else keyboards.assign(row["ticket_id"], row["can_raise"]))
    return True


# A coordinator's words that ask for a dispatch (派给王师傅, 这个单子转给刘物业, 改派一下): done with 指派's buttons.
_DISPATCH_ASKED = re.compile("(派|指派|改派)给|派单|改派|^指派[。！!\\s]*$|让[^，,。]{1,6}去(处理|修|看|办|弄)"
                             "|(这|那)?(单|张单?|个单子?|工单)[^，,。]{0,3}(转|交|分)?给")  # (这单给王师傅吧, 工单转给刘物业)
DISPATCH_ASKED_MAX_CHARS = 40


# A coordinator's question about the work in his scope (谁接的单, 有没有超期的工单, 今天的统计): its command answers it.
_WORK_ASKED = re.compile("超期|临期|统计|报表|周报|响应率|解决率|满意率|超期率|待派|谁接的|哪些单|党员名单"
                         "|谁在(办|处理|修)|谁办的|(那|这)(张|个)?单子?(?!元)|修好?了没(有)?[吗？?]?$|办了没|几单|没人接的|没人接单"
                         "|^催一下|^催催")  # (这个单子谁在办 — not 这单元门口好多垃圾, 楼上装修了没完没了, 电话一直没人接)


async def dispatch_asked(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                         read: Classification | None) -> bool:
    """A coordinator's typed instruction naming no ticket (派给王师傅): how 指派 is done, then the tickets waiting, as
    /dispatch shows them; a question about the work (有没有超期的工单): the commands that answer it. False for anyone
    else, or other words (a need of his own is registered as anyone's)."""
    words = text.strip()
    need = read is not None and read.kind == "request"  # (我家水管漏了，能派个人来看看吗: his own, registered)
    asked = None if len(words) > DISPATCH_ASKED_MAX_CHARS else (
        "dispatch" if _DISPATCH_ASKED.search(words) and not (need and read.confident)
        else "work" if _WORK_ASKED.search(words) and not need else None)
    if asked is None or not await query(context, members.is_coordinator, update.effective_user.id):
        return False
    if asked == "work":
        await reply(update, texts.WORK_BY_COMMANDS + "\n" + texts.HELP_COORDINATOR)
        return True
    await reply(update, texts.DISPATCH_BY_BUTTONS)
    await dispatch_list(update, context)
    return True


async def dispatch_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/dispatch: the tickets waiting for 派单, each with 指派 (and how many more there are past the first ones); /dispatch
    #S5511 shows that ticket's card."""
    if not await _require_coordinator(update, context):
        return
    if context.args and await look_up(update, context, " ".join(context.args)):
        return
    rows, total = await query(context, _waiting, update.effective_user.id, now())
    if not rows:
        await reply(update, texts.NO_WAITING)
        return
    for row in rows:
        await reply_with_contact(update, context, row, texts.why_waiting(row) + texts.waiting_ticket(row, deps(context).tz),
                                 keyboards.assign(row["ticket_id"], row["can_raise"]))
    if total > len(rows):
        await reply(update, texts.more_waiting(total - len(rows)))


def _member_button(
    session: Session, member: Member, turned_down: str = "", skills: list[str] | None = None
) -> tuple[int, str]:
    """A member as a button: (member id, name, grid, duty and load, the ticket's skills he covers (`skills`: None when
    it asks for none), assignments not yet answered, and how he no longer has this ticket: dispatch.turned_down_by)."""
    grid = geography.get_node(session, member.grid_code).name
    waiting = dispatch.awaiting_assignments(session, member.id)
    return member.id, texts.btn_member(member.display_name, grid, member.active_count, member.capacity, member.on_duty,
                                       waiting, turned_down, skills)


def _candidates(
    session: Session, ticket_id: int, coordinator_id: int, now_: Any, page: int = 0
) -> tuple[str, str | None, list, bool, int]:
    """The ticket's number, who holds it or was asked to (an old card pressed: 改派 takes it from them), a page of the
    members to choose from (best first) and whether more follow, and that holder's id (a name tapped later assigns only
    if it is still theirs, or nobody's). A ticket resolved, closed or cancelled is not assigned."""
    ticket = get_ticket(session, ticket_id)
    if ticket.status not in UNRESOLVED:
        raise NotAllowed(f"工单 #{ticket.number} {STATUS_NAMES[S(ticket.status)]}，不需要指派")
    holder = session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
    held_by = holder.display_name if holder else dispatch.pending_assignee(session, ticket_id)
    first = page * keyboards.ASSIGN_PER_PAGE
    ranked = dispatch.dispatch_candidates(session, ticket_id, coordinator_id, now_,
                                          limit=first + keyboards.ASSIGN_PER_PAGE + 1)  # (one more: is there a next page)
    turned_down = dispatch.turned_down_by(session, ticket)
    shown = ranked[first : first + keyboards.ASSIGN_PER_PAGE]
    skills = dispatch.skills_for(session, ticket, [r.member_id for r in shown])
    entries = [_member_button(session, session.get(Member, r.member_id), turned_down.get(r.member_id, ""),
                              None if skills is None else skills[r.member_id])
               for r in shown]
    more = len(ranked) > first + keyboards.ASSIGN_PER_PAGE
    return f"#{ticket.number}", held_by, entries, more, dispatch.holder_of(session, ticket)


def _assign(
    session: Session, ticket_id: int, coordinator_id: int, member_id: int, now_: Any, seen_holder: int | None
) -> tuple[str, str]:
    offer = dispatch.assign_ticket(session, ticket_id, coordinator_id, member_id, now_, seen_holder=seen_holder)
    member = session.get(Member, offer.member_id)
    return views.ticket_payload(session, get_ticket(session, ticket_id))["number"], member.display_name


async def _member_list(
    context: ContextTypes.DEFAULT_TYPE, ticket_id: int, user_id: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup] | None:
    """指派's question and a page of its member buttons for the ticket as it is held now (None: no member to choose)."""
    number, held_by, entries, more, holder = await query(context, _candidates, ticket_id, user_id, now(), page)
    if not entries:
        return None
    return texts.choose_member(number, held_by), keyboards.members(ticket_id, entries, holder, page, more)


async def dispatch_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """指派 shows the members to choose from (上一页 / 下一页 turn their pages); a member's button assigns the ticket to
    them."""
    args = callback_args(update)
    page = None
    if len(args) == 3 and args[1] == keyboards.PAGE and args[2].isdigit():
        args, page = args[:1], int(args[2])
    if not args or not all(a.isdigit() for a in args):
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    user_id = update.effective_user.id
    if page is not None or len(args) == 1:
        await act(context, drafts.clear_draft, user_id, CLOSE)  # (指派 chosen instead: no reason waits any more)
        shown = await _member_list(context, int(args[0]), user_id, page or 0)
        await answer(update)
        if shown is None:
            await reply(update, texts.NO_MEMBERS)
            return
        await edit(update, *shown)
        return
    seen = int(args[2]) if len(args) > 2 else None  # (a list from before holders were in its buttons: none)
    try:
        number, name = await act(context, _assign, int(args[0]), user_id, int(args[1]), now(), seen)
    except ConcurrentUpdate:
        # (a stale list: another coordinator assigned it, or a member took it) the list as the ticket is held now, so
        # that a 改派 can be chosen in it, and a refusal that points to it; with no list, the error handler's refusal
        if (shown := await _member_list(context, int(args[0]), user_id)) is None:
            raise
        await edit(update, *shown)
        await answer(update, texts.ASSIGN_LIST_REFRESHED, alert=True)
        return
    await answer(update)
    await edit(update, texts.assigned_confirmation(number, name))


def _raise(session: Session, coordinator_id: int, ticket_id: int, now_: datetime) -> str:
    """上报 the ticket to the level above the coordinator's; what to tell him."""
    ticket = dispatch.raise_ticket(session, ticket_id, coordinator_id, now_)
    path = geography.ancestry(geography.get_node(session, ticket.grid_code))
    meant = path[ticket.escalation_level]
    told = members.answering_scope(session, ticket.grid_code, ticket.escalation_level) or meant
    # (a community with no coordinator passes it on to the street: he is told where it went)
    return texts.ticket_raised(f"#{ticket.number}", geography.get_node(session, told).name,
                               None if told == meant else geography.get_node(session, meant).name)


async def raise_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """上报 on a ticket's card: the level above dispatches it (told who handed it up); 指派 stays under the card."""
    args = callback_args(update)
    if len(args) != 1 or not args[0].isdigit():
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    told = await act(context, _raise, update.effective_user.id, int(args[0]), now())
    await answer(update)
    await reply(update, told)


async def urge_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """📣 催办 under a 🟡 / 🔴 card: the member who holds the ticket is urged (once in two hours); told so."""
    args = callback_args(update)
    if len(args) != 1 or not args[0].isdigit():
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    name, outcome = await act(context, tickets.urge_ticket, int(args[0]), update.effective_user.id, now())
    await answer(update, texts.urge_told(name, outcome), alert=True)


CLOSE = "close"  # the draft of a ticket a coordinator is closing: its reason is typed next
CLOSE_WINDOW = timedelta(minutes=10)  # (a reason typed later may be words about something else)
_NOT_CLOSING = re.compile("算了|不关|先不|别关|不用关|点错|按错|不要关")


def _closing(session: Session, coordinator_id: int, ticket_id: int, now_: datetime) -> str:
    """Ask why a ticket in the coordinator's scope is closed (the draft waits for the reason); what to say."""
    ticket = get_ticket(session, ticket_id)
    members.require_coordinator(session, coordinator_id, ticket.grid_code)
    if ticket.status not in UNRESOLVED:
        return texts.not_to_close(f"#{ticket.number}", STATUS_NAMES.get(ticket.status, ticket.status))
    drafts.save_draft(session, coordinator_id, CLOSE, {"ticket_id": ticket_id, "number": f"#{ticket.number}"}, now_)
    return texts.ask_close_reason(f"#{ticket.number}")


async def close_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """关闭 on a ticket's card asks why; 确认关闭 under the reason closes it (the resident reads why); 不关闭 keeps it."""
    args = callback_args(update)
    if args[:1] == ["no"]:
        await answer(update)
        await act(context, drafts.clear_draft, update.effective_user.id, CLOSE)
        await edit(update, texts.CLOSE_KEPT)
        return
    if not args or not args[0].isdigit():
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    await answer(update)
    if args[1:2] == ["ok"]:
        await edit(update, await act(context, _close, update.effective_user.id, int(args[0]), now()))
        return
    await reply(update, await act(context, _closing, update.effective_user.id, int(args[0]), now()))


def awaits_reason(state: dict[str, Any], touched: datetime, now_: datetime, text: str) -> bool:
    """Whether words are the reason a 关闭 pressed still waits for: not once one was given (its 确认关闭 shows it: later
    words would close with reasons it never showed), nor a ticket's number alone (#A1234: looked up)."""
    return now_ - touched <= CLOSE_WINDOW and not state.get("reason") and _NUMBER_ALONE.fullmatch(text.strip()) is None


def _reason_kept(session: Session, coordinator_id: int, state: dict[str, Any], reason: str, now_: datetime
                 ) -> dict[str, Any]:
    """The reason typed, kept for 确认关闭; the ticket as it is now (taken meanwhile: the question says by whom)."""
    drafts.save_draft(session, coordinator_id, CLOSE, {**state, "reason": reason}, now_)
    return views.ticket_payload(session, get_ticket(session, int(state["ticket_id"])))


def _close(session: Session, coordinator_id: int, ticket_id: int, now_: datetime) -> str:
    """Close the ticket with the reason typed for it (its resident's where or phone no longer asked); what to show."""
    state = drafts.get_draft(session, coordinator_id, CLOSE) or {}
    if state.get("ticket_id") != ticket_id or not state.get("reason"):
        return texts.STALE_BUTTON
    drafts.clear_draft(session, coordinator_id, CLOSE)
    ticket = tickets.cancel_ticket(session, ticket_id, coordinator_id, now_, reason=state["reason"])
    if (drafts.get_draft(session, ticket.resident_id, INTAKE) or {}).get("ticket_id") == ticket_id:
        drafts.clear_draft(session, ticket.resident_id, INTAKE)  # (her next words are read afresh: 味道越来越大了)
    return texts.ticket_closed(f"#{ticket.number}")


async def close_reason_given(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                             text: str) -> None:
    """The reason a ticket is closed, asked to be confirmed (确认关闭 / 不关闭); 算了, 不关了, 点错了: not closed."""
    if _NOT_CLOSING.search(text.strip()):
        await act(context, drafts.clear_draft, update.effective_user.id, CLOSE)
        await reply(update, texts.CLOSE_KEPT)
        return
    row = await act(context, _reason_kept, update.effective_user.id, state, text.strip()[:500], now())
    await reply(update, texts.confirm_close(row, text.strip()[:500]), keyboards.confirm_close(row["ticket_id"]))


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
    if args[:1] == ["page"] and args[1:2] and args[1].isdigit():
        entries = await query(context, _scope_members, update.effective_user.id)
        await answer(update)
        await edit(update, texts.MEMBERS_HEAD, keyboards.removable(entries, int(args[1])))
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
    rows, total = await query(context, alerts.overdue_tickets, update.effective_user.id, now())
    await reply(update, texts.overdue(rows, deps(context).tz, more=total - len(rows)) if rows else texts.NO_OVERDUE)


def _stats(session: Session, telegram_id: int, start: datetime, end: datetime, now_: datetime
           ) -> list[dict[str, Any]] | None:
    """Each of a coordinator's scopes, or a resident's community (None without one): the four rates for the
    tickets created in [start, end), and by community or grid and by category."""
    scopes = members.widest_scopes(session, telegram_id)
    if not scopes:
        person = members.ensure_person(session, telegram_id, now_)
        grid_code = members.home_grid(session, person)
        if grid_code is None:
            return None
        scopes = [geography.get_node(session, grid_code).community_code or grid_code]
    return [reports.scope_figures(session, scope, start, end, now_) for scope in scopes]


async def _show_stats(update: Update, context: ContextTypes.DEFAULT_TYPE, period: str, *, pressed: bool) -> None:
    """The figures for one period, with the buttons for the others: a new message, or the pressed one edited."""
    now_, tz = now(), deps(context).tz
    start, end = reports.stats_period(period, now_, tz)
    result = await act(context, _stats, update.effective_user.id, start, end, now_)
    if result is None:
        from bot.handlers.resident import AREA_THEN_STATS, ask_area

        await ask_area(update, context, AREA_THEN_STATS)
        return
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    shown = texts.stats(result, texts.stats_period(period, start.astimezone(tz).date(), last_day))
    if pressed:
        await edit(update, shown, keyboards.stats_periods(period))
    else:
        await reply(update, shown, keyboards.stats_periods(period))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: 响应率, 解决率, 满意率, 超期率 (no personal data) for the coordinator's scope or the
    resident's community, over the last 30 days; buttons show other periods."""
    await _show_stats(update, context, reports.DEFAULT_STATS_PERIOD, pressed=False)


async def stats_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A period pressed under /stats's figures: the same figures for that period."""
    args = callback_args(update)
    if args[:1] == [] or args[0] not in reports.STATS_PERIODS:
        await answer(update, texts.STALE_BUTTON, alert=True)
        return
    await answer(update)
    await _show_stats(update, context, args[0], pressed=True)
