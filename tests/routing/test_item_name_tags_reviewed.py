"""Free-text tags mapped through the taxonomy's item names (`_item_skills`, fix of 4f23440): a generic word matches.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, RESIDENT, T0, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.mark.parametrize(("tag", "label", "text"), [
    ("社区服务", "education.tutoring", "孩子作业不会做，想找人辅导一下"),  # 社区 is in 社区教育 → its only skill 教师
    ("社区工作", "education.after_school", "放学后孩子没人接，想找人帮忙托管两个小时"),
    ("养老服务", "employment.retirement", "我的养老金这个月没到账，想问问怎么回事"),  # 养老 in 退休养老金 → 社保
])
def test_a_generic_volunteer_tag_does_not_make_a_teacher_or_a_pension_adviser(world: World, tag: str, label: str,
                                                                               text: str) -> None:
    """A volunteer registers with the commonest self-description, 「社区服务」 (or 「社区工作」, 「养老服务」). The new
    item-name rule takes what precedes 服务/工作 (社区, 养老), finds it inside an item's name (社区教育, 退休养老金) and,
    the item having one skill, gives him that skill at 0.9: he is now a 教师 offered children's homework and after-school
    care, or a 社保 adviser offered pension questions, first among the members of the grid."""
    member = world.member("李四", [tag])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, text, T0, label=label, grid_code=G11,
                                          address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                          settings=world.settings).id
    with db.transaction(world.engine) as s:
        offered = set(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == ticket_id, Notification.kind == NotificationKind.offer)).all())
    assert member not in offered, f"「{tag}」 offered {label}"
