"""Members and coordinators (routing/members.py, and dispatch.remove_member): who coordinates where, registration
with free-text skills and duty, and a coordinator removing a member who no longer serves (his tickets go back to 派单
with why, he is told, and /join with a new code makes him a member again with his points)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import delivery
from routing import db, dispatch, members, tickets
from routing.errors import NotAllowed
from routing.models import MemberSkill, Notification, NotificationKind, Offer, OfferState
from routing.models import TicketStatus as S
from tests.conftest import C1, COORD, G11, G12, G21, GRID_COORD, RESIDENT, STREET, T0, World, minutes

TZ = ZoneInfo("Asia/Shanghai")


def _plumbing(world: World, text: str = "厨房水管漏水了") -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, T0, label="repair.plumbing", grid_code=G11,
                                     address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id


def _notes(world: World, kind: str, recipient: int) -> list[Notification]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Notification).where(Notification.kind == kind,
                                                      Notification.recipient_id == recipient)))


# --- people, roles and coordinators ---

def test_people_roles_and_coordinators(world: World) -> None:
    with db.transaction(world.engine) as s:
        assert members.coordinators_for(s, G11) == [GRID_COORD]
        assert members.coordinators_for(s, G12) == [COORD]  # nobody at G12 or C1: street
        assert members.coordinators_for(s, G11, level=1) == [COORD]
        assert members.coordinators_for(s, G11, all_levels=True) == [GRID_COORD, COORD]
        members.ensure_coordinators(s, [COORD], T0)  # idempotent
        assert members.coordinator_scopes(s, COORD) == [STREET]
        members.add_coordinator(s, COORD, 9100, C1, T0)
        assert members.coordinators_for(s, G12) == [9100]
        members.remove_coordinator(s, COORD, 9100, C1)
        assert members.coordinators_for(s, G12) == [COORD]
        person = members.set_home_grid(s, 1234, G12, T0)
        assert person.grid_code == G12
    tid = world.member("张三", ["电工"])
    with db.transaction(world.engine) as s:
        roles = members.roles(s, tid)
        assert roles["member"].display_name == "张三" and roles["coordinator_scopes"] == []


# --- registration: skills and duty ---

def test_registration_skills_and_duty(world: World) -> None:
    tid = world.member("老王", ["水电工", "會計", "修自行车"], G11)
    m = world.get_member(tid)
    assert m.on_duty and m.capacity == 3 and m.skill_tags == ["水电工", "会计", "修自行车"]
    with db.transaction(world.engine) as s:
        skills = {x.skill: (x.score, x.tag) for x in members.member_skills(s, m.id)}
    assert skills["电工"][1] == "水电工" and skills["水暖"][1] == "水电工"
    assert skills["社保"] == (0.9, "会计")  # an alias
    with db.transaction(world.engine) as s:
        assert not members.set_duty(s, tid).on_duty
        assert members.set_duty(s, tid, True).on_duty
        members.update_member(s, tid, skill_tags=["教师"], grid_code=G12, capacity=5)
    with db.transaction(world.engine) as s:
        assert [x.skill for x in s.exec(select(MemberSkill).where(
            MemberSkill.member_id == m.id))] == ["教师"]
        m2 = members.get_member(s, tid)
        assert (m2.grid_code, m2.community_code, m2.capacity) == (G12, C1, 5)
        assert [x.id for x in members.members_in_scope(s, C1)] == [m.id]


# --- a coordinator removes a member ---

def test_a_removed_member_hands_back_what_they_hold_and_gets_no_more_offers(world: World) -> None:
    wang = world.member("王师傅", ["水暖"])
    held = _plumbing(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, held, wang, T0 + minutes(1), settings=world.settings)
    offered = _plumbing(world, "卫生间下水道堵了")  # (offered to him, not yet answered)
    with db.transaction(world.engine) as s:
        member_id = members.get_member(s, wang).id
        dispatch.remove_member(s, GRID_COORD, member_id, T0 + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        assert members.find_member(s, wang) is None
        assert tickets.get_ticket(s, held).status == S.dispatch and tickets.get_ticket(s, held).assignee_id is None
        offer = s.exec(select(Offer).where(Offer.ticket_id == offered, Offer.member_id == member_id)).one()
        assert offer.state == OfferState.withdrawn
    (card,) = [n for n in _notes(world, NotificationKind.dispatch_needed, GRID_COORD) if n.ticket_id == held]
    text, markup = delivery.render(card.kind, card.payload, TZ)
    assert dispatch.MEMBER_REMOVED_REASON in text and markup is not None, text
    (told,) = _notes(world, NotificationKind.member_removed, wang)
    assert "移出" in delivery.render(told.kind, told.payload, TZ)[0]
    later = _plumbing(world, "水龙头一直滴水")
    with db.transaction(world.engine) as s:
        assert not s.exec(select(Offer).where(Offer.ticket_id == later, Offer.member_id == member_id)).all()


def test_only_a_coordinator_of_the_members_grid_removes_them(world: World) -> None:
    far = world.member("李师傅", ["水暖"], G21)
    with db.transaction(world.engine) as s:
        member_id = members.get_member(s, far).id
        with pytest.raises(NotAllowed):
            dispatch.remove_member(s, GRID_COORD, member_id, T0, settings=world.settings)
        with pytest.raises(NotAllowed):  # (a member is no coordinator)
            dispatch.remove_member(s, far, member_id, T0, settings=world.settings)


def test_a_removed_member_joins_again_as_the_same_member(world: World) -> None:
    wang = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        member = members.get_member(s, wang)
        member_id, member.points = member.id, 42
        dispatch.remove_member(s, COORD, member_id, T0 + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        invite = members.create_invite(s, COORD, T0 + minutes(10), settings=world.settings)
        again = members.register_member(s, wang, invite.code, "王师傅", ["水暖", "电工"], G11, T0 + minutes(10),
                                        settings=world.settings)
        assert (again.id, again.points, again.left_at, again.on_duty) == (member_id, 42, None, True)
