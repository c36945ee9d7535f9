"""Demo people for a first look (the offline console, `jiedan seed-demo`): a coordinator, two residents
and members with skills, registered through the same invite → register path as real members."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from routing import members
from routing.config import Settings

COORDINATOR = (9001, "李主任")
RESIDENTS = [(1, "张阿姨"), (2, "刘大爷")]
RESIDENT_GRID = "S01-C01-G01"
MEMBERS = [  # (telegram id, name, skill tags, home grid)
    (1001, "王师傅", ["水暖", "电工", "维修", "家电维修"], "S01-C01-G01"),
    (1002, "陈医生", ["医生", "护士", "心理咨询"], "S01-C01-G02"),
    (1003, "赵大姐", ["养老护理", "助餐", "陪护", "探访关爱"], "S01-C01-G01"),
    (1004, "孙律师", ["法律", "法律援助", "调解"], "S01-C02-G01"),
    (1005, "刘物业", ["物业", "电梯", "环卫"], "S01-C02-G02"),
]


def seed_demo(
    session: Session,
    now: datetime,
    *,
    coordinator_ids: list[int] | None = None,
    settings: Settings | None = None,
) -> int:
    """Create the demo coordinator, residents and members unless there; returns members added."""
    coordinators = coordinator_ids or [COORDINATOR[0]]
    members.ensure_coordinators(session, coordinators, now)
    members.ensure_person(session, COORDINATOR[0], now, name=COORDINATOR[1])
    for telegram_id, name in RESIDENTS:
        members.ensure_person(session, telegram_id, now, name=name)
    members.set_home_grid(session, RESIDENTS[0][0], RESIDENT_GRID, now)
    added = 0
    for telegram_id, name, skills, grid in MEMBERS:
        if members.find_member(session, telegram_id) is None:
            invite = members.create_invite(session, coordinators[0], now, settings=settings)
            members.register_member(
                session, telegram_id, invite.code, name, skills, grid, now, settings=settings
            )
            added += 1
    return added
