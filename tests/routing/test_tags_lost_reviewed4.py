"""Review of deb6560: `_same_trade` and PERSON_WORDS stripping 服务 leave common volunteer tags with no skill at all
(`tag_score`, `_item_skills` in routing/matching.py).

Found by a fourth review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, RESIDENT, T0, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _offered(world: World, label: str, text: str) -> set[int]:
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, text, T0, label=label, grid_code=G11,
                                          address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                          settings=world.settings).id
    with db.transaction(world.engine) as s:
        return set(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == ticket_id, Notification.kind == NotificationKind.offer)).all())


@pytest.mark.parametrize(("tag", "label", "text"), [
    ("就业咨询", "employment.jobs", "我儿子失业半年了，想找份工作，能不能帮忙推荐一下"),
    ("就业服务", "employment.jobs", "我儿子失业半年了，想找份工作，能不能帮忙推荐一下"),
    ("心理服务", "health.mental", "我最近心情很差，晚上睡不着，想找人聊聊"),
    ("家电服务", "repair.appliance", "家里洗衣机不转了，想请人来看看"),
    ("燃气服务", "repair.gas_appliance", "燃气灶打不着火了，想请人来修一下"),
    ("医保服务", "employment.insurance", "我想问问医保怎么报销，异地住院能报多少"),
    ("低保服务", "employment.assistance", "我家里困难，想问问怎么申请低保"),
    ("养老服务", "elderly.home_care", "老伴卧床，想请人上门帮忙照护一下"),
    ("探访服务", "elderly.lonely_visit", "我一个人住，子女在外地，希望有人常来看看我"),
])
def test_a_volunteer_tagged_with_a_common_service_is_still_offered_it(world: World, tag: str, label: str,
                                                                     text: str) -> None:
    """A volunteer registers as 「就业咨询」 (or 心理服务, 家电服务, 燃气服务, 医保服务, 低保服务, 养老服务, 探访服务): before
    deb6560 each matched its skill (就业指导 0.99, 社保 0.9 …); now `_same_trade` (咨询 ≠ 指导, 服务 ≠ 维修/护理) and
    服务 stripped to a bare 心理 / 医保 leave the tag with no skill at all, and the resident's request never reaches him."""
    member = world.member("李四", [tag])
    assert member in _offered(world, label, text), f"「{tag}」 not offered {label}"
