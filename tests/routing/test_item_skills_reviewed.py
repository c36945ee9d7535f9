"""Review of 25cbf8f: `_item_skills` now reads an item only out of X维修 / X修理 tags.

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, RESIDENT, T0, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.mark.parametrize(("tag", "label", "text"), [
    ("送餐服务", "elderly.meals", "我腿脚不方便，想请人每天中午送一份饭"),  # 送餐 in 助餐送餐 → 助餐 (before 25cbf8f)
    ("居家护理", "elderly.home_care", "老伴卧床，想请人上门帮忙照护一下"),  # 居家 in 居家照护 → 养老护理
    ("疏通服务", "repair.plumbing", "厨房下水道堵了，水下不去"),  # 疏通 in 水管疏通 → 水暖
    ("医保咨询", "employment.insurance", "医保卡怎么报销门诊费用？"),  # 医保 in 社保医保 → 社保
])
def test_a_volunteer_describing_a_service_in_his_own_words_is_still_offered_it(world: World, tag: str, label: str,
                                                                                 text: str) -> None:
    """A volunteer registers with his own words for what he does (「送餐服务」, 「居家护理」, 「疏通服务」, 「医保咨询」),
    which name a taxonomy item (助餐送餐, 居家照护, 水管疏通, 社保医保). Before 25cbf8f the item's skill was his; now only
    X维修 / X修理 tags are read through item names, so he gets no skill at all and the resident's request is never
    offered to him — it goes to the coordinators though the grid has the very volunteer for it."""
    member = world.member("李四", [tag])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, text, T0, label=label, grid_code=G11,
                                          address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                          settings=world.settings).id
    with db.transaction(world.engine) as s:
        offered = set(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == ticket_id, Notification.kind == NotificationKind.offer)).all())
    assert member in offered, f"「{tag}」 not offered {label}"


@pytest.mark.parametrize(("tag", "label", "text"), [
    ("社区维修", "education.tutoring", "孩子作业不会做，想找人辅导一下"),  # 社区 in 社区教育 → its one skill 教师
    ("家庭维修", "health.family_doctor", "老人血压一直偏高，想请家庭医生上门看看"),  # 家庭 in 家庭医生 → 医生
    ("居家维修", "elderly.home_care", "老伴卧床，想请人上门帮忙照护一下"),  # 居家 in 居家照护 → 养老护理
])
def test_a_handyman_is_not_made_a_teacher_a_doctor_or_a_carer(world: World, tag: str, label: str,
                                                              text: str) -> None:
    """A handyman registers as 「社区维修」 (or 「家庭维修」, 「居家维修」). The fix stopped 社区服务 from making a teacher,
    but reads what precedes 维修 the same way: 社区 is in 社区教育, 家庭 in 家庭医生, 居家 in 居家照护, each item with one
    skill, so he is a 教师 offered children's homework, a 医生 offered a sick old man, a carer for a bedridden one."""
    member = world.member("李四", [tag])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, text, T0, label=label, grid_code=G11,
                                          address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                          settings=world.settings).id
    with db.transaction(world.engine) as s:
        offered = set(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == ticket_id, Notification.kind == NotificationKind.offer)).all())
    assert member not in offered, f"「{tag}」 offered {label}"
