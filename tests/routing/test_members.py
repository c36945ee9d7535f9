"""A coordinator removes a member who no longer serves (dispatch.remove_member): no more offers, their offers move
on, the tickets they hold go back to 派单 with why, they are told, and /join with a new code makes them a member
again with their points."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import delivery
from routing import db, dispatch, members, tickets
from routing.errors import NotAllowed
from routing.models import Notification, NotificationKind, Offer, OfferState
from routing.models import TicketStatus as S
from tests.conftest import COORD, G11, G21, GRID_COORD, RESIDENT, T0, World, minutes

TZ = ZoneInfo("Asia/Shanghai")


def _plumbing(world: World, text: str = "厨房水管漏水了") -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, T0, label="repair.plumbing", grid_code=G11,
                                     address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id


def _notes(world: World, kind: str, recipient: int) -> list[Notification]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Notification).where(Notification.kind == kind,
                                                      Notification.recipient_id == recipient)))


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
