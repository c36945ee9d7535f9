"""Duplicates: the matching rule measured on realistic pairs; a resident's own open ticket found again;
neighbours' near-identical requests linked (logs, the member's view, no personal data) on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from routing import db, dispatch, duplicates, tickets
from routing.models import Notification, NotificationKind, Ticket
from tests.conftest import G11, G12, OTHER_RESIDENT, RESIDENT, T0, World, minutes

# Same need, as two residents (or one, twice) would write it. Scores measured: 73–100.
SAME = [
    ("3号楼路灯不亮", "三号楼门口路灯坏了"),
    ("楼道灯坏了好几天了", "楼道的灯还是坏的，好几天了"),
    ("小区门口垃圾没人清理", "小区大门口的垃圾好久没人收了"),
    ("2单元电梯又停了，老人下不了楼", "二单元电梯坏了"),
    ("厨房水管漏水", "厨房水管漏水了，麻烦快点来人"),
    ("家里停水了", "我家停水了 怎么回事"),
    ("5栋下水道堵了，污水冒出来", "5栋下水道堵塞 污水外溢"),
    ("楼下广场舞太吵了", "楼下跳广场舞的音乐太吵"),
    ("小区东门路灯不亮", "东门那边的路灯坏了，晚上很黑"),
    ("8号楼电梯困人", "8号楼电梯卡住了有人困在里面"),
    ("3号楼停水了", "三号楼一直停水，什么时候来水"),
    ("小区门口井盖丢了", "门口的井盖不见了，很危险"),
    ("12号楼电梯坏了", "十二号楼的电梯又坏了"),
    ("3号楼2单元电梯坏了", "3号楼电梯坏了，麻烦快点修"),
    ("垃圾桶满了没人清", "小区垃圾桶满了好几天没人清理"),
]
# Different needs, most of them of the same item (the callers only compare within one item).
# Scores measured: 32–64, or a building conflict (3号楼 vs 7号楼: 93, refused by the building rule).
DIFFERENT = [
    ("3号楼路灯不亮", "5号楼电梯坏了"),
    ("3号楼路灯不亮", "7号楼路灯不亮"),
    ("2单元电梯坏了", "5单元电梯坏了"),
    ("厨房水管漏水", "卫生间下水道堵了"),
    ("楼上装修太吵", "楼下广场舞太吵了"),
    ("楼道灯坏了", "小区东门路灯不亮"),
    ("小区门口垃圾没人清理", "3号楼下垃圾桶满了"),
    ("小区门口井盖丢了", "小区门口路面塌了个坑"),
    ("厨房水管漏水", "厨房水龙头关不紧"),
    ("电梯坏了", "电梯里有人贴小广告"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_need_matches(a: str, b: str) -> None:
    assert duplicates.same_request(a, b) and duplicates.same_request(b, a)
    assert duplicates.similarity(a, b) >= duplicates.SAME_REQUEST_SCORE


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_needs_do_not(a: str, b: str) -> None:
    assert not duplicates.same_request(a, b) and not duplicates.same_request(b, a)


def test_threshold_has_room_on_both_sides() -> None:
    """The measured margins: the threshold is not sitting on a pair."""
    same = min(duplicates.similarity(a, b) for a, b in SAME)
    different = max(duplicates.similarity(a, b) for a, b in DIFFERENT
                    if not any(place.search(duplicates.request_core(a)) for place in duplicates._PLACES))
    assert different + 4 <= duplicates.SAME_REQUEST_SCORE <= same - 4, (different, same)


def test_core_words() -> None:
    assert duplicates.request_core("三号楼门口的路灯不亮了！！麻烦快点") == "3号楼门口路灯坏"
    assert duplicates.request_core("十二栋") == "12栋"
    assert duplicates.request_core("二十一号楼") == "21号楼"
    assert duplicates.request_core("😀😀") == ""
    assert duplicates.similarity("了了了", "的的") == 0.0  # nothing left to compare


@pytest.mark.parametrize(("a", "b"), [
    ("3号院2号楼的电梯坏了", "2号院3号楼的电梯坏了"),  # two compounds, two lifts
    ("3号院的路灯坏了", "3号楼的路灯坏了"),  # compound No. 3 is not building No. 3
])
def test_a_courtyard_number_is_not_a_building_number(a: str, b: str) -> None:
    """Before today 3号院 and 3号楼 were two places (the rule compared '3号院' with '3号楼'); _PLACES now keeps only the
    number, so 3号院2号楼 and 2号院3号楼 'share' buildings 2 and 3."""
    assert not duplicates.same_request(a, b)


# Own duplicates -------------------------------------------------------------------------------

def submit(world: World, text: str, label: str, *, now=T0, resident: int = RESIDENT,
           grid: str = G11) -> Ticket:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, resident, text, now, label=label, grid_code=grid,
                                     address="幸福里3号楼2单元501", phone="13800000000",
                                     settings=world.settings)


def own(world: World, text: str, label: str | None, now) -> str | None:
    with db.transaction(world.engine) as s:
        found = duplicates.find_own_duplicate(s, RESIDENT, label, text, now, settings=world.settings)
        return found.number if found else None


def test_own_open_ticket_found_within_the_window(world: World) -> None:
    first = submit(world, "厨房水管漏水", "repair.plumbing")
    later = T0 + timedelta(hours=2)
    assert own(world, "厨房水管漏水了，麻烦快点来人", "repair.plumbing", later) == first.number
    assert own(world, "卫生间下水道堵了", "repair.plumbing", later) is None  # another need
    assert own(world, "厨房水管漏水", "repair.lock", later) is None  # another item
    assert own(world, "厨房水管漏水", None, later) is None  # no item: nothing to compare
    assert own(world, "厨房水管漏水", "repair.plumbing", T0 + timedelta(hours=6, seconds=1)) is None
    with db.transaction(world.engine) as s:
        assert duplicates.find_own_duplicate(s, OTHER_RESIDENT, "repair.plumbing", "厨房水管漏水",
                                             later, settings=world.settings) is None
        assert duplicates.own_ticket(s, OTHER_RESIDENT, first.id) is None  # not theirs
        shown = duplicates.own_ticket(s, RESIDENT, first.id)
        assert shown["number"] == f"#{first.number}" and "phone" not in shown
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, first.id, RESIDENT, later)
    assert own(world, "厨房水管漏水", "repair.plumbing", later) is None  # only open tickets


def test_newest_of_several_open_duplicates(world: World) -> None:
    submit(world, "3号楼路灯不亮", "property.public_lighting")
    second = submit(world, "三号楼门口路灯坏了", "property.public_lighting", now=T0 + minutes(5))
    assert own(world, "3号楼路灯还是不亮", "property.public_lighting", T0 + minutes(30)) == second.number
    assert own(world, "7号楼路灯不亮", "property.public_lighting", T0 + minutes(30)) is None


# Neighbours' requests linked -------------------------------------------------------------------

def load(world: World, ticket_id: int) -> Ticket:
    with db.transaction(world.engine) as s:
        return s.get(Ticket, ticket_id)


def events(world: World, ticket_id: int) -> list[tuple[str, dict]]:
    with db.transaction(world.engine) as s:
        return [(e.kind, e.data) for e in tickets.ticket_events(s, ticket_id)]


def numbers(world: World, ticket_id: int) -> list[str]:
    with db.transaction(world.engine) as s:
        return duplicates.linked_numbers(s, ticket_id)


def test_neighbours_streetlight_reports_are_linked(world: World) -> None:
    electrician = world.member("王电工", ["电工"], G11)
    first = submit(world, "3号楼路灯不亮", "property.public_lighting")
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first.id, electrician, T0 + minutes(5))
    second = submit(world, "三号楼门口路灯坏了，晚上很黑", "property.public_lighting",
                    now=T0 + minutes(20), resident=OTHER_RESIDENT)
    third = submit(world, "3号楼路灯不亮", "property.public_lighting", now=T0 + minutes(30),
                   resident=1003)
    other_light = submit(world, "7号楼路灯不亮", "property.public_lighting", now=T0 + minutes(31),
                         resident=1004)
    lift = submit(world, "3号楼电梯坏了", "property.elevator", now=T0 + minutes(32), resident=1005)
    other_grid = submit(world, "3号楼路灯不亮", "property.public_lighting", now=T0 + minutes(33),
                        resident=1006, grid=G12)

    assert load(world, first.id).linked_to_id is None
    assert load(world, second.id).linked_to_id == first.id
    assert load(world, third.id).linked_to_id == first.id  # the group's first, not the latest
    for unrelated in (other_light, lift, other_grid):
        assert load(world, unrelated.id).linked_to_id is None
    assert numbers(world, first.id) == [f"#{second.number}", f"#{third.number}"]
    assert numbers(world, third.id) == [f"#{first.number}", f"#{second.number}"]
    assert numbers(world, lift.id) == []

    linked = [data for kind, data in events(world, first.id) if kind == "linked"]
    assert [d["number"] for d in linked] == [f"#{second.number}", f"#{third.number}"]
    assert [d["to"] for kind, d in events(world, second.id) if kind == "linked"] == [first.id]
    with db.transaction(world.engine) as s:  # the electrician holding the first ticket is told
        notes = s.exec(select(Notification).where(Notification.kind == NotificationKind.ticket_linked)
                       .order_by(Notification.id)).all()
        assert [n.recipient_id for n in notes] == [electrician, electrician]
        assert notes[-1].payload["linked"] == [f"#{second.number}", f"#{third.number}"]
        text = repr([n.payload for n in notes]) + repr(linked)
    for private in ("13800000000", "幸福里", "路灯坏了", str(OTHER_RESIDENT)):
        assert private not in text  # numbers only: no phone, address, words or Telegram id

    with db.transaction(world.engine) as s:  # a cancelled member of the group drops out
        tickets.cancel_ticket(s, second.id, OTHER_RESIDENT, T0 + minutes(40))
    assert numbers(world, first.id) == [f"#{third.number}"]


def test_no_links_for_one_home_or_the_same_resident(world: World) -> None:
    first = submit(world, "厨房水管漏水", "repair.plumbing")
    kitchen = submit(world, "厨房水管漏水", "repair.plumbing", now=T0 + minutes(5),
                     resident=OTHER_RESIDENT)  # two kitchens: two problems
    again = submit(world, "3号楼路灯不亮", "property.public_lighting", now=T0 + minutes(6))
    again2 = submit(world, "3号楼路灯不亮", "property.public_lighting", now=T0 + minutes(7))
    assert load(world, kitchen.id).linked_to_id is None
    assert load(world, again2.id).linked_to_id is None  # the resident chose 仍要新建 themselves
    assert numbers(world, first.id) == [] and numbers(world, again.id) == []


def test_link_window_and_a_closed_first_ticket(world: World) -> None:
    first = submit(world, "小区门口垃圾没人清理", "environment.garbage")
    second = submit(world, "小区大门口的垃圾好久没人收了", "environment.garbage",
                    now=T0 + timedelta(hours=1), resident=OTHER_RESIDENT)
    assert load(world, second.id).linked_to_id == first.id
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, first.id, RESIDENT, T0 + timedelta(hours=2))
    third = submit(world, "门口垃圾没人清理", "environment.garbage", now=T0 + timedelta(hours=3),
                   resident=1003)
    assert load(world, third.id).linked_to_id == second.id  # the earliest one still open
    late = submit(world, "小区门口垃圾没人清理", "environment.garbage",
                  now=T0 + timedelta(hours=1 + 72, minutes=1), resident=1004)
    # second is older than the window, but third (found) belongs to its group, which is still open
    assert load(world, late.id).linked_to_id == second.id


def test_two_buildings_or_two_units_are_two_requests() -> None:
    """Residents say where a lift is by building and unit: sharing one of the two is not the same place."""
    assert not duplicates.same_request("3号楼2单元的电梯坏了", "5号楼2单元的电梯坏了")
    assert not duplicates.same_request("3号楼2单元电梯坏了", "3号楼5单元电梯坏了")
    assert duplicates.same_request("3号楼2单元的电梯坏了", "3栋2单元电梯坏了")  # (one building, said two ways)


def test_neighbours_in_other_buildings_are_not_linked(world: World) -> None:
    submit(world, "3号楼2单元的电梯坏了", "property.elevator")
    other = submit(world, "5号楼2单元的电梯坏了", "property.elevator", resident=OTHER_RESIDENT, now=T0 + minutes(10))
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, other.id).linked_to_id is None
