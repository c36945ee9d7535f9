"""Demo people for a first look (the offline console, `jiedan seed-demo`): a coordinator, two residents
and members with skills, registered through the same invite → register path as real members, in whatever
geography the deployment has (its first street, or the coordinators' scope)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from routing import geography, members
from routing.config import Settings
from routing.models import GeoLevel

COORDINATOR = (9001, "李主任")
RESIDENTS = [(1, "张阿姨"), (2, "刘大爷")]  # the first lives in the scope's first grid
MEMBERS = [  # (telegram id, name, skill tags, home grid: which of the scope's grids, in file order, wrapping)
    (1001, "王师傅", ["水暖", "电工", "维修", "家电维修"], 0),
    (1002, "陈医生", ["医生", "护士", "心理咨询"], 1),
    (1003, "赵大姐", ["养老护理", "助餐", "陪护", "探访关爱"], 0),
    (1004, "孙律师", ["法律", "法律援助", "调解"], 2),
    (1005, "刘物业", ["物业", "电梯", "环卫"], 3),
]


def seed_demo(
    session: Session,
    now: datetime,
    *,
    coordinator_ids: list[int] | None = None,
    scope: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Create the demo coordinator (of `scope`, default the first street), residents and members (in the scope's
    grids) unless there, moving members already there into the scope's grids; returns members added."""
    coordinators = coordinator_ids or [COORDINATOR[0]]
    scope = scope or next(n.code for n in geography.list_nodes(session) if n.level == GeoLevel.street)
    members.ensure_coordinators(session, coordinators, now, scope=scope)
    members.ensure_person(session, COORDINATOR[0], now, name=COORDINATOR[1])
    grids = [grid.code for grid in geography.list_grids(session, within=scope)]
    for telegram_id, name in RESIDENTS:
        members.ensure_person(session, telegram_id, now, name=name)
    members.set_home_grid(session, RESIDENTS[0][0], grids[0], now)
    added = 0
    for telegram_id, name, skills, place in MEMBERS:
        member = members.find_member(session, telegram_id)
        if member is None:
            invite = members.create_invite(session, coordinators[0], now, settings=settings)
            members.register_member(
                session, telegram_id, invite.code, name, skills, grids[place % len(grids)], now, settings=settings
            )
            added += 1
        elif member.grid_code not in grids:  # (seeded before the geography or the scope changed: offers reach them)
            members.update_member(session, telegram_id, grid_code=grids[place % len(grids)])
    return added
