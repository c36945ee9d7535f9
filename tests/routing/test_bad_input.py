"""Bad input gets a clear domain error and leaves the database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from routing import db, dispatch, members, tickets
from routing.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    NotFound,
    TicketAlreadyTaken,
)
from routing.models import TicketStatus as S
from tests.conftest import COORD, G11, OTHER_RESIDENT, RESIDENT, T0, World, minutes


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table."""
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(t.select()).all()), key=repr)
                for t in SQLModel.metadata.sorted_tables}


def refused(world: World, error: type[DomainError], match: str,
            action: Callable[[Session], object]) -> DomainError:
    """Run `action` in a transaction; it must raise `error` and change nothing."""
    before = snapshot(world.engine)
    with pytest.raises(error, match=match) as info, db.transaction(world.engine) as s:
        action(s)
    assert snapshot(world.engine) == before
    return info.value


def _submit(world: World, label: str | None = "repair.plumbing") -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "水管漏水", T0, label=label, grid_code=G11,
                                     address="3号楼").id


def _resolved(world: World) -> tuple[int, int]:
    plumber = world.member("王师傅", ["水暖"])
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30))
    return tid, plumber


def test_unknown_item_code(world: World) -> None:
    world.member("王师傅", ["水暖"])
    refused(world, InvalidInput, "未知的服务事项 'repair.teleport'", lambda s: tickets.submit_ticket(
        s, RESIDENT, "修理传送门", T0, label="repair.teleport", grid_code=G11))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"text": "   "}, "请描述"),
    ({"grid_code": "S09-C01-G01"}, "未知的区域编码"),
    ({"grid_code": "S01-C01"}, "不是网格"),
    ({"phone": "call me"}, "电话号码格式不对"),
    ({"text": "x" * 5000}, "描述太长"),
    ({"attachments": [""]}, "附件"),
])
def test_bad_ticket_fields(world: World, kwargs: dict, match: str) -> None:
    args = {"text": "水管漏水", "grid_code": G11, **kwargs}
    text = args.pop("text")
    refused(world, DomainError, match, lambda s: tickets.submit_ticket(
        s, RESIDENT, text, T0, label="repair.plumbing", **args))


def test_accepting_a_cancelled_ticket(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, tid, RESIDENT, T0 + minutes(1))
    err = refused(world, IllegalTransition, "已被取消",
                  lambda s: dispatch.accept_offer(s, tid, plumber, T0 + minutes(2)))
    assert err.current == S.cancelled


def test_accepting_a_taken_ticket(world: World) -> None:
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"])
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    refused(world, TicketAlreadyTaken, "已被其他成员接单",
            lambda s: dispatch.accept_offer(s, tid, b, T0 + minutes(2)))


def test_accepting_without_an_offer(world: World) -> None:
    world.member("王师傅", ["水暖"])
    teacher = world.member("李老师", ["教师"])
    tid = _submit(world)
    refused(world, NotAllowed, "没有派给您",
            lambda s: dispatch.accept_offer(s, tid, teacher, T0 + minutes(1)))
    refused(world, NotFound, "还不是注册成员",
            lambda s: dispatch.accept_offer(s, tid, RESIDENT, T0 + minutes(1)))


@pytest.mark.parametrize("stars", [7, 0, -1, True, "5", 4.5])
def test_rating_out_of_range(world: World, stars: object) -> None:
    tid, _ = _resolved(world)
    refused(world, InvalidInput, "评分应为 1–5 星",
            lambda s: tickets.rate_ticket(s, tid, RESIDENT, stars, T0 + minutes(40)))


def test_rating_someone_elses_ticket(world: World) -> None:
    tid, _ = _resolved(world)
    refused(world, NotAllowed, "只能评价自己提交的工单",
            lambda s: tickets.rate_ticket(s, tid, OTHER_RESIDENT, 5, T0 + minutes(40)))


def test_rating_before_resolution_or_twice(world: World) -> None:
    tid = _submit(world)
    refused(world, IllegalTransition, "办结后才能评价",
            lambda s: tickets.rate_ticket(s, tid, RESIDENT, 5, T0 + minutes(1)))
    tid, _ = _resolved(world)
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 5, T0 + minutes(40))
    refused(world, IllegalTransition, "已关闭",
            lambda s: tickets.rate_ticket(s, tid, RESIDENT, 4, T0 + minutes(41)))


def test_not_a_coordinator(world: World) -> None:
    tid = _submit(world, label=None)
    refused(world, NotAllowed, "只有协调员", lambda s: dispatch.list_waiting(s, RESIDENT))
    refused(world, NotAllowed, "只有协调员",
            lambda s: tickets.cancel_ticket(s, tid, OTHER_RESIDENT, T0, reason="x"))
    refused(world, InvalidInput, "请填写取消的原因",
            lambda s: tickets.cancel_ticket(s, tid, COORD, T0, reason=" "))
    refused(world, NotAllowed, "只有协调员", lambda s: members.create_invite(s, RESIDENT, T0))


def test_coordinator_outside_scope(world: World) -> None:
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, 9022, "S01-C02-G02", T0)
    tid = _submit(world, label=None)  # in G11
    refused(world, NotAllowed, "不在您的管辖范围内",
            lambda s: tickets.cancel_ticket(s, tid, 9022, T0, reason="越权"))
    refused(world, NotAllowed, "不在您的管辖范围内",
            lambda s: members.add_coordinator(s, 9022, 9023, G11, T0))


def test_bad_invites(world: World) -> None:
    with db.transaction(world.engine) as s:
        code = members.create_invite(s, COORD, T0, settings=world.settings).code
    refused(world, NotFound, "邀请码不存在",
            lambda s: members.register_member(s, 5001, "NOPE1234", "张三", ["电工"], G11, T0))
    refused(world, NotAllowed, "已过期", lambda s: members.register_member(
        s, 5001, code, "张三", ["电工"], G11, T0 + world.settings.invite_ttl))
    refused(world, InvalidInput, "请至少选择",
            lambda s: members.register_member(s, 5001, code, "张三", [" "], G11, T0))
    refused(world, InvalidInput, "请填写称呼",
            lambda s: members.register_member(s, 5001, code, "  ", ["电工"], G11, T0))
    with db.transaction(world.engine) as s:
        members.register_member(s, 5001, code.lower(), "张三", ["电工"], G11, T0)
    refused(world, NotAllowed, "已被使用",
            lambda s: members.register_member(s, 5002, code, "李四", ["电工"], G11, T0))


def test_member_actions_on_others_tickets(world: World) -> None:
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"])
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    for action in (lambda s: tickets.start_ticket(s, tid, b, T0),
                   lambda s: tickets.resolve_ticket(s, tid, b, T0),
                   lambda s: tickets.hand_back(s, tid, b, "x", T0)):
        refused(world, NotAllowed, "不是由您办理", action)
    refused(world, InvalidInput, "请说明退回的原因",
            lambda s: tickets.hand_back(s, tid, a, "", T0))


def test_unknown_ticket_and_number(world: World) -> None:
    refused(world, NotFound, "不存在", lambda s: tickets.cancel_ticket(s, 999, RESIDENT, T0))
    refused(world, InvalidInput, "工单号格式不对",
            lambda s: tickets.get_ticket_by_number(s, "hello"))
    refused(world, NotFound, "不存在", lambda s: tickets.get_ticket_by_number(s, "#Z0000"))
