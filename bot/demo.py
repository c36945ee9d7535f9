"""Demo people for the offline console: residents, members with skills, and a coordinator.

Seeded through the same domain functions as real registrations (invite → register), once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from routing import members

COORDINATOR = (9001, "李主任", "协调员")
RESIDENTS = [(1, "张阿姨", "居民"), (2, "刘大爷", "居民")]
# (telegram id, name, skills, grid)
MEMBERS = [
    (1001, "王师傅", ["水暖", "电工", "维修", "家电维修"], "S01-C01-G01"),
    (1002, "陈医生", ["医生", "护士", "心理咨询"], "S01-C01-G02"),
    (1003, "赵大姐", ["养老护理", "助餐", "陪护", "探访关爱"], "S01-C01-G01"),
    (1004, "孙律师", ["法律", "法律援助", "调解"], "S01-C02-G01"),
]
RESIDENT_GRID = "S01-C01-G01"


def people() -> dict[int, tuple[str, str]]:
    """Everyone the person at the console can act as: {telegram id: (name, role)}."""
    cast = {tid: (name, role) for tid, name, role in RESIDENTS}
    cast.update({tid: (name, "党员") for tid, name, _, _ in MEMBERS})
    cast[COORDINATOR[0]] = (COORDINATOR[1], COORDINATOR[2])
    return cast


def seed(session: Session, now: datetime) -> None:
    """Create the demo members and the first resident's area, unless already there."""
    members.ensure_coordinators(session, [COORDINATOR[0]], now)
    members.ensure_person(session, COORDINATOR[0], now, name=COORDINATOR[1])
    for tid, name, _ in RESIDENTS:
        members.ensure_person(session, tid, now, name=name)
    members.set_home_grid(session, RESIDENTS[0][0], RESIDENT_GRID, now)
    for tid, name, skills, grid in MEMBERS:
        if members.find_member(session, tid) is None:
            invite = members.create_invite(session, COORDINATOR[0], now)
            members.register_member(session, tid, invite.code, name, skills, grid, now)
