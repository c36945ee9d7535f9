"""Group chats subscribed to a scope's alerts, on both backends: who may subscribe to what, which
alerts reach which groups (once, without personal data, in the cause's transaction), and a group
that removed the bot or became a supergroup."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from routing import db, dispatch, outbox, subscriptions, tickets
from routing.alerts import scan_alerts
from routing.errors import InvalidInput, NotAllowed, NotFound
from routing.models import (
    GroupSubscription,
    Member,
    Notification,
    NotificationKind,
    NotificationStatus,
    Person,
)
from tests.conftest import C1, C2, COORD, G11, G21, GRID_COORD, RESIDENT, STREET, T0, World, minutes

GRID_GROUP, OTHER_GROUP, STREET_GROUP = -1001, -1002, -1003
PERSONAL = ("text", "address", "phone", "resident_id", "resident_name", "member_name", "comment",
            "attachments")
FAST_RESPOND = 60  # repair.plumbing is "fast": respond within 60 minutes


def subscribe(world: World, chat_id: int, coordinator: int, scope: str | None = None) -> Any:
    with db.transaction(world.engine) as s:
        return subscriptions.subscribe_group(s, chat_id, coordinator, T0, scope=scope)


def submit(world: World, *, label: str | None = "repair.plumbing", urgent: bool = False,
           grid: str = G11) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "张阿姨家厨房水管漏水了，电话13800000000", T0,
                                     label=label, grid_code=grid, address="幸福里3号楼2单元501",
                                     phone="13800000000", urgent=urgent,
                                     resident_name="张阿姨", settings=world.settings).id


def group_notes(world: World, ticket_id: int | None = None) -> list[Notification]:
    with db.transaction(world.engine) as s:
        query = select(Notification).where(Notification.kind == NotificationKind.group_alert)
        if ticket_id is not None:
            query = query.where(Notification.ticket_id == ticket_id)
        return list(s.exec(query.order_by(Notification.id)))


def sent_to(world: World, ticket_id: int) -> list[tuple[int, str]]:
    return sorted((n.recipient_id, n.payload["alert"]) for n in group_notes(world, ticket_id))


def assert_no_personal_data(note: Notification) -> None:
    assert not set(PERSONAL) & set(note.payload), note.payload
    flat = str(note.payload)
    # (the address by its unit and door: a ticket number such as #R9501 may hold "501")
    assert "13800000000" not in flat and "张阿姨" not in flat and "2单元501" not in flat


def test_who_may_subscribe_a_group_to_what(world: World) -> None:
    first = subscribe(world, GRID_GROUP, GRID_COORD)  # a grid coordinator's only scope
    assert (first.code, first.level, first.created) == (G11, "grid", True)
    assert subscribe(world, GRID_GROUP, GRID_COORD).created is False  # idempotent
    assert subscribe(world, STREET_GROUP, COORD).code == STREET
    assert subscribe(world, STREET_GROUP, COORD, "幸福里社区").code == C1  # a node by name
    assert subscribe(world, OTHER_GROUP, COORD, C2).code == C2  # or by code
    with db.transaction(world.engine) as s:
        from routing import members

        members.add_coordinator(s, COORD, GRID_COORD, C2, T0)  # now two scopes
    assert subscribe(world, OTHER_GROUP, GRID_COORD, "网格").code == G11  # a level word
    assert subscribe(world, OTHER_GROUP, GRID_COORD, "community").code == C2

    refusals = [
        (RESIDENT, None, GRID_GROUP, NotAllowed),  # not a coordinator
        (GRID_COORD, None, GRID_GROUP, InvalidInput),  # two scopes: which one?
        (GRID_COORD, C1, GRID_GROUP, NotAllowed),  # outside their scopes
        (GRID_COORD, "街道", GRID_GROUP, NotAllowed),  # no street scope
        (COORD, "月球社区", GRID_GROUP, NotFound),
        (COORD, None, 4242, InvalidInput),  # a private chat
    ]
    for who, scope, chat, error in refusals:
        with pytest.raises(error), db.transaction(world.engine) as s:
            subscriptions.subscribe_group(s, chat, who, T0, scope=scope)

    with db.transaction(world.engine) as s:
        assert [n.code for n in subscriptions.group_scopes(s, STREET_GROUP)] == [STREET, C1]
        # The grid coordinator ends only what they cover: G11 in their group, not the street's.
        subscriptions.subscribe_group(s, GRID_GROUP, COORD, T0)
        assert subscriptions.unsubscribe_group(s, GRID_GROUP, GRID_COORD) == (["幸福里第一网格"], [], ["示范街道"])
        with pytest.raises(NotAllowed):
            subscriptions.unsubscribe_group(s, GRID_GROUP, RESIDENT)
        assert subscriptions.unsubscribe_group(s, STREET_GROUP, COORD, scope=C1) == (["幸福里社区"], ["示范街道"], [])
        assert subscriptions.unsubscribe_group(s, STREET_GROUP, COORD) == (["示范街道"], [], [])
        assert subscriptions.group_scopes(s, STREET_GROUP) == []


def test_urgent_and_dispatch_alerts_reach_the_groups_over_the_grid_once(world: World) -> None:
    subscribe(world, GRID_GROUP, GRID_COORD)  # G11
    subscribe(world, OTHER_GROUP, COORD, C2)  # another community: hears nothing of G11
    subscribe(world, STREET_GROUP, COORD)  # the street …
    subscribe(world, STREET_GROUP, COORD, C1)  # … and a community under it: still one copy

    urgent = submit(world, urgent=True)  # no member yet: urgent alert, and it waits for 派单
    assert sent_to(world, urgent) == [(STREET_GROUP, "urgent_alert"), (GRID_GROUP, "urgent_alert")]
    for note in group_notes(world, urgent):
        assert_no_personal_data(note)
        assert note.status == NotificationStatus.pending and note.payload["number"].startswith("#")
        assert note.payload["grid_name"] == "幸福里第一网格" and note.payload["urgent"] is True

    plain = submit(world, label=None)  # 其他: to the coordinators' 派单
    assert sent_to(world, plain) == [(STREET_GROUP, "dispatch_needed"), (GRID_GROUP, "dispatch_needed")]
    assert group_notes(world, plain)[0].payload["reason"] == "no_item"
    elsewhere = submit(world, label=None, grid=G21)
    assert sent_to(world, elsewhere) == [(STREET_GROUP, "dispatch_needed"),
                                         (OTHER_GROUP, "dispatch_needed")]
    with db.transaction(world.engine) as s:  # escalated: a new cause, told again
        dispatch.escalate_ticket(s, plain, T0 + minutes(5), reason="manual", actor_id=COORD)
    assert [n.payload["escalation_level"] for n in group_notes(world, plain)] == [0, 0, 1, 1]


def test_a_group_copy_is_written_with_its_cause_or_not_at_all(world: World) -> None:
    subscribe(world, GRID_GROUP, GRID_COORD)
    with pytest.raises(RuntimeError), db.transaction(world.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "燃气味很重", T0, label=None, grid_code=G11,
                              address="幸福里3号楼", urgent=True, settings=world.settings)
        assert len(s.exec(select(Notification).where(
            Notification.kind == NotificationKind.group_alert)).all()) == 1
        raise RuntimeError("the update failed after the ticket was written")
    assert group_notes(world) == []


def test_low_rating_is_told_once_and_red_cards_reach_groups(world: World) -> None:
    subscribe(world, GRID_GROUP, GRID_COORD)
    plumber = world.member("王师傅", ["水暖"], G11)
    rated = submit(world)
    assert group_notes(world, rated) == []  # offered to a member: nothing for the group yet
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, rated, plumber, T0 + minutes(3))
        tickets.start_ticket(s, rated, plumber, T0 + minutes(10))
        tickets.resolve_ticket(s, rated, plumber, T0 + minutes(30), note="换了阀门")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, rated, RESIDENT, 1, T0 + minutes(40))
    with db.transaction(world.engine) as s:  # the words after the stars: coordinators only
        tickets.comment_rating(s, rated, RESIDENT, "王师傅态度很差，电话13800000000", T0 + minutes(41))
    [low] = group_notes(world, rated)
    assert low.payload["alert"] == "low_rating" and low.payload["stars"] == 1
    assert_no_personal_data(low)
    assert "王师傅" not in str(low.payload)

    late = submit(world)  # offered to the busy plumber, never accepted
    with db.transaction(world.engine) as s:
        scan_alerts(s, T0 + minutes(FAST_RESPOND + 1), settings=world.settings)
    reds = [n for n in group_notes(world, late) if n.payload["alert"] == "red_card"]
    assert [(n.recipient_id, n.payload["limit"]) for n in reds] == [(GRID_GROUP, "respond")]
    assert_no_personal_data(reds[0])
    with db.transaction(world.engine) as s:  # the scanner again: nothing new
        scan_alerts(s, T0 + minutes(FAST_RESPOND + 2), settings=world.settings)
    assert len([n for n in group_notes(world, late) if n.payload["alert"] == "red_card"]) == 1
    yellow = [n for n in group_notes(world) if n.payload["alert"] == "yellow_card"]
    assert yellow == []  # yellow cards stay private


def test_a_group_that_removed_the_bot_is_unsubscribed_not_a_member(world: World) -> None:
    subscribe(world, GRID_GROUP, GRID_COORD)
    first = submit(world, label=None)
    second = submit(world, label=None)
    with db.transaction(world.engine) as s:
        batch = outbox.claim_notifications(s, "w", T0 + timedelta(seconds=1), limit=100)
    note = next(n for n in batch if n.recipient_id == GRID_GROUP and n.ticket_id == first)
    with db.transaction(world.engine) as s:
        members_before = s.exec(select(Member)).all()
        outbox.mark_unreachable(s, note.id, T0 + timedelta(seconds=2))
    with db.transaction(world.engine) as s:
        assert s.exec(select(GroupSubscription)).all() == []
        assert s.get(Person, GRID_GROUP) is None  # no person was marked for the group
        assert [m.on_duty for m in s.exec(select(Member)).all()] == [m.on_duty for m in members_before]
    statuses = {n.ticket_id: n.status for n in group_notes(world)}
    assert statuses[first] == NotificationStatus.unreachable
    assert statuses[second] in (NotificationStatus.claimed, NotificationStatus.unreachable)
    third = submit(world, label=None)
    assert group_notes(world, third) == []  # unsubscribed: no more copies


def test_a_group_that_became_a_supergroup_keeps_its_subscription(world: World) -> None:
    subscribe(world, GRID_GROUP, GRID_COORD)
    subscribe(world, GRID_GROUP, COORD, C1)
    new_id = -1001234567890
    subscribe(world, new_id, GRID_COORD)  # already there under the new id: no duplicate
    ticket = submit(world, label=None)
    with db.transaction(world.engine) as s:
        [note] = [n for n in outbox.claim_notifications(s, "w", T0 + timedelta(seconds=1))
                  if n.recipient_id == GRID_GROUP]
    with db.transaction(world.engine) as s:
        subscriptions.move_group(s, GRID_GROUP, new_id, T0 + timedelta(seconds=2),
                                 notification_id=note.id)
        assert sorted(n.code for n in subscriptions.group_scopes(s, new_id)) == [C1, G11]
        assert subscriptions.group_scopes(s, GRID_GROUP) == []
    [moved] = [n for n in group_notes(world, ticket) if n.id == note.id]
    assert (moved.recipient_id, moved.status) == (new_id, NotificationStatus.pending)
