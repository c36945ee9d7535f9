"""Review of 84ccf13: `_item_skills` reads what comes before every trade word (服务, 咨询, 指导…) through item names.

Found by a third review of the thirty-sixth session's fixes (each test failed before)."""

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
    # 代写 in 文书代写 → 法律: who writes letters for old people becomes a lawyer
    ("代写服务", "legal.contract", "邻居借了我两万块钱一直不还，想问问怎么起诉"),
    # 婚姻 in 婚姻继承 → 法律: a marriage counsellor gets debt cases
    ("婚姻咨询", "legal.contract", "邻居借了我两万块钱一直不还，想问问怎么起诉"),
    # 防疫 in 疫苗防疫 → 护士: an epidemic-duty volunteer is a nurse for chronic patients
    ("防疫服务", "health.chronic", "我妈糖尿病，需要有人每天上门帮她打胰岛素"),
    # 教育 in 社区教育 → 教师: a tag that IS a skill (教育咨询) gains 教师 on top
    ("教育咨询", "education.tutoring", "孩子作业不会做，想找人辅导一下"),
])
def test_a_volunteer_is_not_given_a_trade_an_item_name_shares_a_word_with(world: World, tag: str, label: str,
                                                                           text: str) -> None:
    """A volunteer registers as 「代写服务」 (writes letters for old neighbours), 「婚姻咨询」, 「防疫服务」 or 「教育咨询」.
    Since the fix reads the word before any trade word (服务, 咨询) against item names, 代写 in 文书代写 makes him a 法律
    member, 防疫 in 疫苗防疫 a 护士, 教育 in 社区教育 a 教师: he is offered a debt lawsuit, insulin injections or
    homework tutoring he never said he could do."""
    member = world.member("李四", [tag])
    assert member not in _offered(world, label, text), f"「{tag}」 offered {label}"


def test_a_pension_adviser_is_not_offered_bedside_care(world: World) -> None:
    """A retired clerk registers as 「养老金咨询」 (she helps neighbours with their pensions). `tag_score` strips the trade
    words off both (养老金 / 养老) and the fuzzy part ratio scores 养老护理 at 0.95: she is offered a bedridden man's care."""
    member = world.member("王阿姨", ["养老金咨询"])
    assert member not in _offered(world, "elderly.home_care", "老伴卧床，想请人上门帮忙照护一下")


@pytest.mark.parametrize(("tag", "label", "text"), [
    ("送餐", "elderly.meals", "我腿脚不方便，想请人每天中午送一份饭"),  # 送餐服务 maps to 助餐; 送餐 alone does not
    ("上门送餐", "elderly.meals", "我腿脚不方便，想请人每天中午送一份饭"),
    ("居家护理服务", "elderly.home_care", "老伴卧床，想请人上门帮忙照护一下"),  # 居家护理 maps (an alias); with 服务 not
])
def test_a_volunteer_who_says_his_service_without_a_trade_word_is_still_offered_it(world: World, tag: str,
                                                                                    label: str, text: str) -> None:
    """The fix makes 「送餐服务」 a 助餐 volunteer and 「居家护理」 a carer, but the same volunteer typing just 「送餐」 (or
    「上门送餐」, 「居家护理服务」) gets no skill: `_item_skills` reads item names only for a tag ending with a trade word,
    and the alias is looked up for the exact tag, so the old lady's lunch request never reaches him."""
    member = world.member("李四", [tag])
    assert member in _offered(world, label, text), f"「{tag}」 not offered {label}"
