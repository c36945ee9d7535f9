"""Neighbours' reports linked: towers (A座, B座) and units said as 门.
Found by a review of personal data and abuse limits in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import pytest

from routing import db, tickets
from routing.models import Ticket
from tests.conftest import G11, OTHER_RESIDENT, RESIDENT, T0, World, minutes


def _submit(world: World, resident: int, text: str, now) -> Ticket:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, resident, text, now, label="property.elevator", grid_code=G11,
                                     address="幸福里小区", settings=world.settings)


@pytest.mark.parametrize(("mine", "theirs"), [
    ("A座电梯坏了，一直停在一楼", "B座电梯坏了，一直停在一楼"),        # two towers
    ("3号楼1门电梯坏了", "3号楼2门电梯坏了"),                          # two units, said the northern way (门)
])
def test_lifts_of_two_towers_or_two_units_are_not_linked(world: World, mine: str, theirs: str) -> None:
    """Two neighbours of one grid report a lift: one in A座, one in B座 (or in 3号楼1门 and 3号楼2门, as
    Beijing residents name units). These are two lifts, and README promises "different buildings never
    match" (the building rule: 3号楼2单元 and 5号楼2单元 are two lifts). The bot links them as one problem,
    and the member is told 「附近居民反映的同一问题」: routing.duplicates._PLACES knows buildings only as
    N号楼/栋/幢, compounds as N号院 and units as N单元, so a tower letter (A座/B座) or a unit said as N门 is
    left to the word similarity, which is 90 for these pairs."""
    first = _submit(world, RESIDENT, mine, T0)
    second = _submit(world, OTHER_RESIDENT, theirs, T0 + minutes(10))
    with db.transaction(world.engine) as s:
        linked = s.get(Ticket, second.id).linked_to_id
    assert linked is None, f"「{theirs}」 was linked to 「{mine}」 (#{first.number}) as the same problem"
