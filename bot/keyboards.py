"""Inline and reply keyboards, and the callback data they carry.

Callback data is `<prefix>:<arg>[:<arg>]`, at most 64 bytes. It names *what* was pressed, never grants
anything: every handler checks the pressing user's role and the current state in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import texts

# Callback prefixes, one per handler (registered in bot/app.py).
AREA = "geo"  # geo:<node code>                      resident chooses community/grid
INTAKE = "in"  # in:<token>:<action>[:<arg>]          resident confirms / changes / cancels a request
OFFER = "of"  # of:<acc|dec>:<ticket id>             member answers an offer
TASK = "tk"  # tk:<start|done|back|keep>:<ticket id>     member works on a ticket
RATE = "rt"  # rt:<ticket id>:<1-5|skip>             resident rates
JOIN = "jn"  # jn:<skill index|fin|grid>[:<code>]    member registration
SKILLS = "sk"  # sk:<skill index|fin>                  member changes their skills (/skills)
DISPATCH = "dp"  # dp:<ticket id>[:<member id>:<holder's member id or 0> | :p:<page>]  coordinator assigns
REMOVE = "rm"  # rm:<member id>[:ok]                  coordinator removes a member (asked, then confirmed)
ADD_COORDINATOR = "ac"  # ac:<node code>[:ok]         coordinator picks the scope of a new coordinator
STATS = "st"  # st:<period>                           /stats for another period (routing.reports.STATS_PERIODS)
CALL_OFF = "cx"  # cx:<ticket id>[:ok] | cx:no          resident calls off a ticket (asked, then confirmed)
CLOSE = "cl"  # cl:<ticket id>[:ok] | cl:no            coordinator closes a ticket (its reason typed, then confirmed)
RELAY = "rl"  # rl:<ticket id>:<token>                  member has his words told to the ticket's resident
RAISE = "up"  # up:<ticket id>                          coordinator hands a ticket to the level above (上报)
URGE = "ug"  # ug:<ticket id>                          coordinator urges the member who holds a ticket (催办)


def data(*parts: object) -> str:
    """Join callback parts; fails loudly in development if Telegram's 64-byte limit is exceeded."""
    value = ":".join(str(p) for p in parts)
    assert len(value.encode("utf-8")) <= 64, value
    return value


def _rows(buttons: Sequence[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def areas(nodes: Sequence[tuple[str, str]], then: str | None = None) -> InlineKeyboardMarkup:
    """One button per geography node (code, name); `then` names what to do once a grid is chosen."""
    extra = (then,) if then else ()
    buttons = [InlineKeyboardButton(name, callback_data=data(AREA, code, *extra)) for code, name in nodes]
    return InlineKeyboardMarkup(_rows(buttons, 2))


CHANGE_AREA = "change"  # geo:change — choose the community and grid again


def change_area() -> InlineKeyboardMarkup:
    """更换社区 / 网格, for someone who has chosen."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BTN_CHANGE_AREA, callback_data=data(AREA, CHANGE_AREA))]])


def confirm(token: str) -> InlineKeyboardMarkup:
    """确认 / 修改 / 取消 for a request the bot understood."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.BTN_CONFIRM, callback_data=data(INTAKE, token, "ok"))],
            [
                InlineKeyboardButton(texts.BTN_CHANGE, callback_data=data(INTAKE, token, "chg")),
                InlineKeyboardButton(texts.BTN_CANCEL, callback_data=data(INTAKE, token, "no")),
            ],
        ]
    )


def candidates(token: str, items: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """The best items (label, button text), then 其他 and 取消, when the bot is unsure."""
    rows = [
        [InlineKeyboardButton(name, callback_data=data(INTAKE, token, "it", label))] for label, name in items
    ]
    rows.append([InlineKeyboardButton(texts.BTN_OTHER, callback_data=data(INTAKE, token, "oth"))])
    rows.append([InlineKeyboardButton(texts.BTN_CANCEL, callback_data=data(INTAKE, token, "no"))])
    return InlineKeyboardMarkup(rows)


def categories(token: str, cats: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """The ten categories (code, name), then 其他 and 取消."""
    buttons = [
        InlineKeyboardButton(name, callback_data=data(INTAKE, token, "cat", code)) for code, name in cats
    ]
    rows = _rows(buttons, 2)
    rows.append([InlineKeyboardButton(texts.BTN_OTHER, callback_data=data(INTAKE, token, "oth"))])
    rows.append([InlineKeyboardButton(texts.BTN_CANCEL, callback_data=data(INTAKE, token, "no"))])
    return InlineKeyboardMarkup(rows)


def items(token: str, entries: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """The items of one category (label, name), then 返回."""
    buttons = [
        InlineKeyboardButton(name, callback_data=data(INTAKE, token, "it", label)) for label, name in entries
    ]
    rows = _rows(buttons, 2)
    rows.append([InlineKeyboardButton(texts.BTN_BACK, callback_data=data(INTAKE, token, "chg"))])
    return InlineKeyboardMarkup(rows)


def last_address(token: str) -> InlineKeyboardMarkup:
    """Reuse the address of the resident's previous ticket."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BTN_LAST_ADDRESS, callback_data=data(INTAKE, token, "addr"))]]
    )


def share_phone(last: str | None = None) -> ReplyKeyboardMarkup:
    """Telegram's contact button, the number she left last time (`last`, shown masked), and 跳过."""
    again = [[KeyboardButton(texts.btn_last_phone(last))]] if last else []
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.BTN_SHARE_PHONE, request_contact=True)], *again, [KeyboardButton(texts.BTN_SKIP)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def offer(ticket_id: int) -> InlineKeyboardMarkup:
    """接单 / 不方便."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.BTN_ACCEPT, callback_data=data(OFFER, "acc", ticket_id)),
                InlineKeyboardButton(texts.BTN_DECLINE, callback_data=data(OFFER, "dec", ticket_id)),
            ]
        ]
    )


def task(ticket_id: int, started: bool) -> InlineKeyboardMarkup:
    """开始 / 退回 before work starts; 办结 / 退回 after."""
    first = (
        InlineKeyboardButton(texts.BTN_DONE, callback_data=data(TASK, "done", ticket_id))
        if started
        else InlineKeyboardButton(texts.BTN_START, callback_data=data(TASK, "start", ticket_id))
    )
    back = InlineKeyboardButton(texts.BTN_HAND_BACK, callback_data=data(TASK, "back", ticket_id))
    return InlineKeyboardMarkup([[first, back]])


def task_step(ticket_id: int) -> InlineKeyboardMarkup:
    """Under the 办结 note's or 退回 reason's question: the step taken back (办结 sits where 开始 was: a double tap)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BTN_PRESSED_BY_MISTAKE, callback_data=data(TASK, "keep", ticket_id))]]
    )


def done_offered(ticket_id: int) -> InlineKeyboardMarkup:
    """Under 修好了 typed with one ticket in hand: 办结 with those words as the note, or not yet."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.BTN_DONE, callback_data=data(TASK, "now", ticket_id)),
        InlineKeyboardButton(texts.BTN_NOT_DONE_YET, callback_data=data(TASK, "keep", ticket_id)),
    ]])


def relay(held: list[tuple[int, str]], token: str) -> InlineKeyboardMarkup:
    """转告居民, one button per ticket the member holds (its number when more than one), for the words kept as `token`."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        texts.BTN_TELL_RESIDENT + (f"（{number}）" if len(held) > 1 else ""), callback_data=data(RELAY, ticket_id, token))]
        for ticket_id, number in held])


def rating(ticket_id: int) -> InlineKeyboardMarkup:
    """The digits 1–5 with stars."""
    buttons = [
        InlineKeyboardButton(texts.btn_stars(s), callback_data=data(RATE, ticket_id, s)) for s in range(1, 6)
    ]
    return InlineKeyboardMarkup([buttons[:3], buttons[3:]])


def skip_comment(ticket_id: int) -> InlineKeyboardMarkup:
    """跳过 the optional rating comment."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BTN_SKIP, callback_data=data(RATE, ticket_id, "skip"))]]
    )


def skills(all_skills: Sequence[str], chosen: set[str], prefix: str = JOIN) -> InlineKeyboardMarkup:
    """Multi-select of skill tags, ending with 完成 (`prefix`: registration's, or SKILLS for a member's change)."""
    buttons = [
        InlineKeyboardButton(texts.btn_skill(skill, skill in chosen), callback_data=data(prefix, index))
        for index, skill in enumerate(all_skills)
    ]
    rows = _rows(buttons, 3)
    rows.append([InlineKeyboardButton(texts.BTN_FINISH, callback_data=data(prefix, "fin"))])
    return InlineKeyboardMarkup(rows)


def home_grids(grids: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """A member's home grid (code, name)."""
    buttons = [InlineKeyboardButton(name, callback_data=data(JOIN, "grid", code)) for code, name in grids]
    return InlineKeyboardMarkup(_rows(buttons, 2))


def assign(ticket_id: int, can_raise: bool = False, can_urge: bool = False) -> InlineKeyboardMarkup:
    """指派 for one waiting ticket, and 关闭 (a duplicate, a test, not the community's to do: closed with a reason);
    `can_raise`: 上报 too (nobody at this level to send: the level above dispatches it); `can_urge`: 催办 first (a
    member holds it, late: he is urged)."""
    row = [InlineKeyboardButton(texts.BTN_ASSIGN, callback_data=data(DISPATCH, ticket_id)),
           InlineKeyboardButton(texts.BTN_CLOSE, callback_data=data(CLOSE, ticket_id))]
    if can_raise:
        row.append(InlineKeyboardButton(texts.BTN_RAISE, callback_data=data(RAISE, ticket_id)))
    if can_urge:
        row.insert(0, InlineKeyboardButton(texts.BTN_URGE, callback_data=data(URGE, ticket_id)))
    return InlineKeyboardMarkup([row])


def confirm_close(ticket_id: int) -> InlineKeyboardMarkup:
    """确认关闭 / 不关闭, under the reason a coordinator typed."""
    return _confirm(CLOSE, ticket_id, texts.BTN_CONFIRM_CLOSE, texts.BTN_KEEP_OPEN)


def _confirm(prefix: str, ticket_id: int, yes: str, no: str) -> InlineKeyboardMarkup:
    """A question about one ticket answered by two buttons: `prefix`:<ticket id>:ok, or `prefix`:no."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(yes, callback_data=data(prefix, ticket_id, "ok")),
                                  InlineKeyboardButton(no, callback_data=data(prefix, "no"))]])


ASSIGN_PER_PAGE = 8  # members a page of 指派's list shows, best first
PAGE = "p"  # dp:<ticket id>:p:<page>: another page of 指派's list


def members(ticket_id: int, entries: Sequence[tuple[int, str]], holder: int, page: int = 0, more: bool = False
            ) -> InlineKeyboardMarkup:
    """One button per member (member id, button text), for the ticket as held now (its holder's member id, or 0); a
    page of them, with 上一页 / 下一页."""
    rows = [[InlineKeyboardButton(text, callback_data=data(DISPATCH, ticket_id, member_id, holder))]
            for member_id, text in entries]
    return InlineKeyboardMarkup(rows + _page_turns(page, more, lambda to: data(DISPATCH, ticket_id, PAGE, to)))


def _page_turns(page: int, more: bool, to_page: Callable[[int], str]) -> list[list[InlineKeyboardButton]]:
    """上一页 / 下一页 under a page of buttons (`to_page`: the callback data of another page), as a row, or none."""
    turns = [InlineKeyboardButton(texts.BTN_PREVIOUS_PAGE, callback_data=to_page(page - 1))] if page else []
    if more:
        turns.append(InlineKeyboardButton(texts.BTN_NEXT_PAGE, callback_data=to_page(page + 1)))
    return [turns] if turns else []


MEMBERS_PER_PAGE = 40  # (Telegram takes at most 100 buttons under a message)


def coordinator_scopes(node: tuple[str, str], children: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """本级 (the node itself: code, name) and its children to go further down."""
    this = [InlineKeyboardButton(texts.btn_this_level(node[1]), callback_data=data(ADD_COORDINATOR, node[0], "ok"))]
    below = [InlineKeyboardButton(name, callback_data=data(ADD_COORDINATOR, code)) for code, name in children]
    return InlineKeyboardMarkup([this, *_rows(below, 2)])


def removable(entries: Sequence[tuple[int, str]], page: int = 0) -> InlineKeyboardMarkup:
    """One button per member of the coordinator's scope (member id, button text), to remove one; a page of them,
    with 上一页 / 下一页."""
    shown = entries[page * MEMBERS_PER_PAGE : (page + 1) * MEMBERS_PER_PAGE]
    rows = [[InlineKeyboardButton(text, callback_data=data(REMOVE, member_id))] for member_id, text in shown]
    more = (page + 1) * MEMBERS_PER_PAGE < len(entries)
    return InlineKeyboardMarkup(rows + _page_turns(page, more, lambda to: data(REMOVE, "page", to)))


def stats_periods(shown: str) -> InlineKeyboardMarkup:
    """近 7 天 · 近 30 天 · 本月 · 上月 · 本季度, the one shown marked."""
    buttons = [
        InlineKeyboardButton(f"✓ {name}" if period == shown else name, callback_data=data(STATS, period))
        for period, name in texts.STATS_PERIOD_NAMES.items()
    ]
    return InlineKeyboardMarkup(_rows(buttons, 3))


def confirm_remove(member_id: int) -> InlineKeyboardMarkup:
    """确认移出 / 取消."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.BTN_REMOVE_CONFIRM, callback_data=data(REMOVE, member_id, "ok")),
        InlineKeyboardButton(texts.BTN_REMOVE_CANCEL, callback_data=data(REMOVE, "no")),
    ]])


# ── abuse: the same resident's duplicate request (issue #6): in:<token>:dup / in:<token>:new ─────────
def register_anyway(token: str) -> InlineKeyboardMarkup:
    """登记为诉求 under the answer to a message the bot took for small talk."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BTN_REGISTER_ANYWAY, callback_data=data(INTAKE, token, "reg"))]]
    )


def duplicate(token: str, *, view: bool = True) -> InlineKeyboardMarkup:
    """查看原工单 (shows the open ticket) / 仍要新建 (go on with a new one): nothing is lost either way."""
    new = InlineKeyboardButton(texts.BTN_NEW_ANYWAY, callback_data=data(INTAKE, token, "new"))
    if not view:
        return InlineKeyboardMarkup([[new]])
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BTN_VIEW_ORIGINAL, callback_data=data(INTAKE, token, "dup")), new]]
    )


def call_off_choices(entries: Sequence[tuple[int, str, str]]) -> InlineKeyboardMarkup:
    """撤销 #A1234 楼道照明 for each of a resident's tickets that can still be called off (id, number, item name)."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(texts.btn_call_off(number, item_name), callback_data=data(CALL_OFF, ticket_id))]
        for ticket_id, number, item_name in entries
    ])


def confirm_call_off(ticket_id: int) -> InlineKeyboardMarkup:
    """确认撤销 / 不撤销."""
    return _confirm(CALL_OFF, ticket_id, texts.BTN_CALL_OFF_CONFIRM, texts.BTN_CALL_OFF_KEEP)
