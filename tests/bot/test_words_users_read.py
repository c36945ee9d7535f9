"""What users read, judged against product.md's contracts and what the code does, found by a review (each test
failed before): the menu, photos that reach their readers, 其他 once, status names, the rank, where a ticket went.
Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier
from routing import db, dispatch
from routing.models import Member
from tests.bot.chat_harness import BotChat, bot_chat
from tests.conftest import COORD, GRID_COORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
PHOTO = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}]
DONE_PHOTO = [{"file_id": "photo-done", "file_unique_id": "u2", "width": 90, "height": 90}]


def _photo_shown(chat: BotChat, person: int, since: int) -> bool:
    """Whether `person` was sent a photo since event `since` (being told of one is not enough: 📷 N 张 is said
    whether or not the photo then goes out)."""
    return any(event.chat_id == person and event.kind == "message" and event.message is not None
               and "photo" in event.message.payload for event in chat.events[since:])


async def _rate(chat: BotChat, member: int, ticket_id: int, stars: int) -> None:
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, "已经换了新灯泡")
    prompt = next(r for r in reversed(chat.replies(RESIDENT)) if "打个分" in r.text)
    await chat.press(RESIDENT, prompt.button(str(stars)), prompt.message)


# ── the Commands contract ─────────────────────────────────────────────────────────────────────────────
def test_the_telegram_menu_lists_every_command_of_the_contract() -> None:
    """product.md "Commands (also a contract)" names /join and /invite; the menu the bot sets with setMyCommands
    (bot/app.py COMMANDS) has every other command but not these two: a coordinator looking in the menu for how to
    invite a member finds 邀请协调员 (/addcoordinator) and no 邀请党员."""
    from bot.app import COMMANDS

    contract = ["start", "help", "cancel", "my", "join", "duty", "tasks", "points",
                "invite", "dispatch", "overdue", "stats", "report"]
    in_menu = {c.command for c in COMMANDS}
    assert [c for c in contract if c not in in_menu] == []


# ── promises the code does not keep ──────────────────────────────────────────────────────────────────
@SQLITE
async def test_the_residents_photo_reaches_the_member_who_takes_the_ticket(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A resident sends a photo with the words of the need (or is told 「照片收到了，会和您的诉求一起交给接单的党员」
    for one sent later). The photo is stored on the ticket, but the member who accepts gets only text: no photo is
    ever sent (nothing in bot/ calls send_photo for a ticket) and 接单成功 does not even say there is one."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        await chat.say(RESIDENT, None, photo=PHOTO, caption=NEED)
        card = next(r for r in chat.replies(RESIDENT) if "我理解" in r.text)
        await chat.press(RESIDENT, card.button("确认"), card.message)
        await chat.say(RESIDENT, ADDRESS)
        await chat.say(RESIDENT, "跳过")
        assert chat.ticket(1).attachments == ["photo-1"]
        mark = len(chat.events)
        await chat.take_and_start(member)
        assert _photo_shown(chat, member, mark), [r.text for r in chat.replies(member, mark)]


@SQLITE
async def test_the_members_completion_photo_reaches_the_resident(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """办结 asks 「请用一句话说明办理结果（也可以发一张照片配文字）」 and product.md says the member marks it done "with a
    short note or photo". The photo is saved (resolution_attachments, and in the ticket_resolved payload) but the
    resident, who is asked to rate the work, only reads 「✅ 您的工单 … 已办结。」: the photo never reaches them."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        details = await chat.take_and_start(member)
        await chat.press(member, f"tk:done:{ticket_id}", details.message)
        mark = len(chat.events)
        await chat.say(member, None, photo=DONE_PHOTO, caption="换好了")
        assert chat.ticket(ticket_id).status == "resolved"
        assert _photo_shown(chat, RESIDENT, mark), [r.text for r in chat.replies(RESIDENT, mark)]


# ── wrong or inconsistent words ──────────────────────────────────────────────────────────────────────
@SQLITE
async def test_a_request_sent_to_other_is_not_called_other_other(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A resident presses 「🙋 其他（由协调员派单）」. The confirmed card says 「已确认：其他（由协调员派单）」 (texts.confirmed
    handles it), but the receipt then reads 「✅ 已为您登记工单 #H5866（其他 · 其他）。正在为您联系合适的党员志愿者」 and the
    coordinator's 📮 card 「#H5866 其他 · 其他」: the word doubled, as if a category and an item."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        unsure = await chat.say(RESIDENT, "我家门口有个东西坏了，麻烦派人来看看")
        card = next(r for r in unsure if r.message is not None and "其他" in str(r.message.inline_keyboard))
        await chat.press(RESIDENT, card.button("其他"), card.message)
        mark = len(chat.events)
        await chat.say(RESIDENT, ADDRESS)
        await chat.say(RESIDENT, "跳过")
        receipt = [r.text for r in chat.replies(RESIDENT, mark) if "已为您登记工单" in r.text]
        coordinator = [r.text for r in chat.replies(GRID_COORD, mark)]
        assert receipt and coordinator
        assert not [t for t in receipt + coordinator if "其他 · 其他" in t], receipt + coordinator


@SQLITE
@pytest.mark.parametrize("stars", [2, 5])
async def test_my_tickets_names_the_status_as_the_resident_was_told(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, stars: int
) -> None:
    """The same state has two names. After 2 stars the resident is told 「工单已重新打开，协调员会跟进」, then /my says
    「已重办」 (= "has been redone"), as if the work had been done again; the coordinator's 差评 card says 已重办 too.
    After 5 stars they are told 「工单 … 已归档」 and /my says 「已关闭」. Root: routing/states.py STATUS_NAMES
    (reopened 已重办, closed 已关闭) against bot/texts.py rated()/resident_update (重新打开, 已归档)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        mark = len(chat.events)
        await _rate(chat, member, ticket_id, stars)
        told = "\n".join(r.text for r in chat.replies(RESIDENT, mark))
        my = next(r.text for r in await chat.say(RESIDENT, "/my"))
        status = my.splitlines()[1].split(" · ")[1]  # "#A1234 照明楼道 · <status> · <date>"
        assert status.removeprefix("已") in told, (status, told)


@SQLITE
async def test_points_rank_does_not_count_members_who_were_removed(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The coordinator removed 甲 from the grid (/members). 乙, now the only member serving there, sends /points and
    reads 「网格排名：第 2 名（共 2 人）」: the removed member still counts and still ranks above. Root:
    routing/points.py member_summary counts Member rows of the grid without `left_at IS NULL`."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        gone, staying = world.member("甲", ["电工"]), world.member("乙", ["电工"])
        gone_id, staying_id = world.member_id(gone), world.member_id(staying)
        with db.transaction(engine) as s:
            s.get(Member, gone_id).points = 50
            s.get(Member, staying_id).points = 10
        with db.transaction(engine) as s:
            dispatch.remove_member(s, COORD, gone_id, chat_now())
        shown = [r.text for r in await chat.say(staying, "/points")]
        assert any("第 1 名（共 1 人）" in t for t in shown), shown


def chat_now() -> datetime:
    from bot.handlers.common import now

    return now()



@SQLITE
@pytest.mark.parametrize("action", ["不方便", "退回"])
async def test_a_member_is_not_told_the_ticket_went_to_other_members_when_nobody_else_has_it(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, action: str
) -> None:
    """The only electrician of the grid presses 不方便 on an offer (or 退回 on a task). Nobody else can take it, so the
    ticket goes to the coordinators (待派单), but the member reads 「好的，已转给其他党员。」 (or 「已退回，工单会重新派给
    其他党员。」): told it was re-routed to members when it was not. Root: bot/texts.py DECLINED / HANDED_BACK are
    fixed words, chosen in bot/handlers/member.py offer_button / task_text_given without looking where it went."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        mark = len(chat.events)
        if action == "不方便":
            offer = next(r for r in chat.replies(member) if "新工单" in r.text)
            await chat.press(member, offer.button("不方便"), offer.message)
        else:
            details = await chat.take_and_start(member)
            mark = len(chat.events)
            await chat.press(member, f"tk:back:{ticket_id}", details.message)
            await chat.say(member, "需要专业电工证，我没有")
        assert chat.ticket(ticket_id).status == "dispatch"  # with the coordinators: no other member has it
        told = [r.text for r in chat.replies(member, mark)]
        assert not [t for t in told if "其他党员" in t], told
