"""A resident urges a ticket not done yet (催办: 都三天了还没人来, 投诉, 你们到底管不管): her words reach the coordinators
who answer for it and the member who holds it, at most once per CHASE_INTERVAL; she is told so, with her tickets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.handlers.resident import chases
from routing import db
from routing.models import Notification, NotificationKind, Ticket
from tests.bot.chat_harness import BotChat, assign_through_bot, texts_of
from tests.bot.handlers.resident.intake_helpers import RESIDENT
from tests.conftest import GRID_COORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
async def chat(chat: BotChat, world: World) -> AsyncIterator[BotChat]:
    """RESIDENT in 幸福里第一网格, with an electrician there to take her lamp."""
    world.member("王师傅", ["电工"])
    yield chat


def _chased_to(chat: BotChat) -> list[int]:
    with db.transaction(chat.engine) as s:
        return [n.recipient_id for n in s.exec(select(Notification).where(Notification.kind == NotificationKind.chased))]


@pytest.mark.parametrize("words", ["都三天了还没人来", "你们到底管不管", "怎么还不来", "等了一上午了", "催一下"])
def test_words_that_chase(words: str) -> None:
    assert chases(words)


@pytest.mark.parametrize("words", ["师傅什么时候来", "我的工单", "谢谢", "楼道灯坏了"])
def test_words_that_do_not_chase(words: str) -> None:
    assert not chases(words)


@SQLITE
async def test_a_chase_reaches_the_coordinator_and_the_member_once(chat: BotChat, world: World) -> None:
    """「都三天了还没人来」 got the bare list and 「登记为诉求」; nobody was told. Now the grid's coordinator and 王师傅
    hear her words; said again soon after, she is told it was passed on, and nobody is told twice."""
    await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    member = world.members["王师傅"]
    await chat.take_and_start(member)
    shown = texts_of(await chat.say(RESIDENT, "都三天了还没人来"))
    assert "已把您的话转告" in shown and "登记为诉求" not in shown, shown
    assert set(_chased_to(chat)) == {GRID_COORD, member}, _chased_to(chat)
    await chat.deliver()
    assert any("居民催办" in r.text and "都三天了还没人来" in r.text for r in chat.replies(GRID_COORD))
    shown = texts_of(await chat.say(RESIDENT, "你们到底管不管"))
    assert "刚已转告" in shown and len(_chased_to(chat)) == 2, shown


@SQLITE
async def test_a_chase_with_nothing_open_is_answered_as_before(chat: BotChat) -> None:
    shown = texts_of(await chat.say(RESIDENT, "都三天了还没人来"))
    assert "转告" not in shown and not _chased_to(chat), shown


@pytest.mark.parametrize("words", ["我家老人没人管", "我想投诉物业", "我都等了一上午了，终于修好了", "这个到底怎么用",
                                   "说好的周末停水，怎么还没停", "我要投诉王师傅，态度太差了"])
def test_a_need_a_question_or_thanks_is_no_chase(words: str) -> None:
    """Each was passed to the coordinators (and the member) as a 催办 of another ticket; a need lost its 登记为诉求."""
    assert not chases(words)


@SQLITE
async def test_a_chase_naming_the_thing_goes_to_its_ticket(chat: BotChat) -> None:
    """Two tickets open: 「楼道灯的事都三天了还没人来修」 was passed on about the newest (the water pipe)."""
    lamp = await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    await chat.submit(RESIDENT, "厨房水管漏水了")
    shown = texts_of(await chat.say(RESIDENT, "楼道灯的事都三天了还没人来修"))
    assert f"#{chat.ticket(lamp).number}" in shown, shown


@SQLITE
async def test_a_chase_asks_the_member_assigned_to_answer(chat: BotChat, world: World) -> None:
    """A 指派 not yet answered: her 「怎么还不来」 reached the coordinators only, and the member assigned never heard that
    she was waiting. Now he does, with 接单 / 不方便 under her words, and 接单 there takes the ticket."""
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    offer = next(r for r in chat.replies(world.members["王师傅"]) if "新工单" in r.text)
    await chat.press(world.members["王师傅"], offer.button("不方便"), offer.message)  # (so it waits for 派单)
    member = world.member("李师傅", ["电工"])
    await assign_through_bot(chat, GRID_COORD, "李师傅")
    assert chat.ticket(ticket_id).status == "offered"  # (asked, not yet answered)
    shown = texts_of(await chat.say(RESIDENT, "怎么还不来"))
    assert member in _chased_to(chat) and "李师傅" in shown, (_chased_to(chat), shown)  # (she is told he heard)
    await chat.deliver()
    chased = next(r for r in chat.replies(member) if "居民在催工单" in r.text)
    assert "怎么还不来" in chased.text and "还在等您回复" in chased.text, chased.text
    await chat.press(member, chased.button("接单"), chased.message)
    assert chat.ticket(ticket_id).status == "accepted", chat.replies(member)[-1].text


@SQLITE
@pytest.mark.parametrize("step", ["address", "phone"])
async def test_a_chase_typed_while_another_need_is_told_is_passed_on_and_the_step_waits(
    chat: BotChat, world: World, step: str
) -> None:
    """Her lamp waits; telling a new need (the pipe), at its address or phone step she types 「都三天了还没人来」: it got
    her ticket list and the step again (or was kept as words of the pipe's), and nobody heard her. Now it is passed on
    about the lamp, and the pipe's step still waits for its answer."""
    lamp = await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    await chat.intake_to_address(RESIDENT, "厨房水管漏水了")
    if step == "phone":
        await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    shown = texts_of(await chat.say(RESIDENT, "都三天了还没人来"))
    assert "已把您的话转告" in shown and f"#{chat.ticket(lamp).number}" in shown, shown
    assert GRID_COORD in _chased_to(chat), _chased_to(chat)
    draft = chat.intake_draft(RESIDENT) or {}
    assert draft.get("step") == step and "还没人来" not in draft.get("text", ""), draft  # (not words of the pipe's)


@SQLITE
@pytest.mark.parametrize(("step", "words"), [("address", "都三天了还没人来，我家在和平路小区5号楼2单元"),
                                             ("phone", "怎么还不来 13800138000")])
async def test_a_chase_told_with_the_answer_of_the_step_is_passed_on_and_the_answer_kept(
    chat: BotChat, world: World, step: str, words: str
) -> None:
    """The 催办 came with the step's answer: at the address step the whole text became the pipe's address, at the phone
    step 「怎么还不来」 was added to the pipe's words; the lamp's 催办 was lost. Now it is passed on, and the address or
    phone alone is the pipe's."""
    await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    await chat.intake_to_address(RESIDENT, "厨房水管漏水了")
    if step == "phone":
        await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "已把您的话转告" in shown and GRID_COORD in _chased_to(chat), shown
    with db.transaction(chat.engine) as s:
        pipe = s.exec(select(Ticket).order_by(Ticket.id.desc())).first() if step == "phone" else None
    if step == "address":
        assert (chat.intake_draft(RESIDENT) or {}).get("address") == "我家在和平路小区5号楼2单元", chat.intake_draft(RESIDENT)
    else:
        assert pipe is not None and "还不来" not in pipe.text and pipe.phone == "13800138000", (pipe.text, pipe.phone)


@SQLITE
async def test_a_chase_after_a_reassignment_reaches_the_new_member(chat: BotChat, world: World) -> None:
    """Assigned to 李师傅, chased, then 改派 to 张师傅: her next 催办 within two hours was answered 「刚已转告」 and 张师傅
    never heard she was waiting. A chase reaches each member who holds the ticket (or was asked to) once."""
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    offer = next(r for r in chat.replies(world.members["王师傅"]) if "新工单" in r.text)
    await chat.press(world.members["王师傅"], offer.button("不方便"), offer.message)
    world.member("李师傅", ["电工"])
    await assign_through_bot(chat, GRID_COORD, "李师傅")
    await chat.say(RESIDENT, "怎么还不来")
    zhang = world.member("张师傅", ["电工"])
    await assign_through_bot(chat, GRID_COORD, "张师傅")
    shown = texts_of(await chat.say(RESIDENT, "都等了一上午了"))
    assert "已把您的话转告" in shown and zhang in _chased_to(chat), (shown, _chased_to(chat))
    assert chat.ticket(ticket_id).status == "offered"


def _complained_to(chat: BotChat) -> list[tuple[int, str]]:
    with db.transaction(chat.engine) as s:
        return [(n.recipient_id, n.payload.get("resident_words", "")) for n in s.exec(
            select(Notification).where(Notification.kind == NotificationKind.complaint))]


@SQLITE
@pytest.mark.parametrize("done", [True, False], ids=["done", "in_progress"])
async def test_a_complaint_of_the_member_reaches_the_coordinator(chat: BotChat, world: World, done: bool) -> None:
    """「我要投诉王师傅 态度太差了 还收了我两百块钱」 after the work (or during it) got the bot's introduction,
    「我是社区服务助手…」, and 「登记为诉求」, which would offer her complaint of 王师傅 to other members as a need.
    Nobody who answers for the work heard it. It reaches the grid's coordinator with her words; she is told so."""
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    member = world.members["王师傅"]
    details = await chat.take_and_start(member)
    if done:
        await chat.press(member, f"tk:done:{ticket_id}", details.message)
        await chat.say(member, "灯已经换好了")
    words = "我要投诉王师傅 态度太差了 还收了我两百块钱"
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "已转给负责的协调员" in shown and "登记为诉求" not in shown, shown
    assert (GRID_COORD, words) in _complained_to(chat), _complained_to(chat)
    assert "居民投诉" in texts_of(chat.replies(GRID_COORD)[-3:])


@SQLITE
async def test_a_complaint_with_no_ticket_a_member_took_is_not_passed_on(chat: BotChat) -> None:
    await chat.say(RESIDENT, "我要投诉王师傅 态度太差了")
    assert _complained_to(chat) == []


@SQLITE
@pytest.mark.parametrize("words", ["我要投诉楼上天天半夜装修", "楼下饭馆乱收费"])
async def test_a_complaint_of_something_else_is_not_passed_on_as_one_of_the_member(chat: BotChat, world: World,
                                                                                    words: str) -> None:
    """A complaint that names neither the work nor whoever came is hers to tell as a need, not one of 王师傅."""
    await chat.submit(RESIDENT, "楼道灯坏了好几天了")
    await chat.take_and_start(world.members["王师傅"])
    await chat.say(RESIDENT, words)
    assert _complained_to(chat) == []
