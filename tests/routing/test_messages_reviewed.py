"""Messages users and operators read where a state or a schema is not as expected: in plain words, each once. Noticed
by the reviews of the thirty-fifth session (each test failed before)."""

from __future__ import annotations

import pytest

from routing import db, dispatch, tickets
from routing.errors import NotAllowed
from tests.conftest import G11, RESIDENT, T0, World, minutes

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _resolved(world: World, member: int) -> int:
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing",
                                          grid_code=G11, address="幸福里3号楼", settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, ticket_id, member, T0 + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, ticket_id, member, T0 + minutes(40), note="修好了")
    return ticket_id


@SQLITE
def test_an_old_start_button_of_a_ticket_done_says_so_in_plain_words(world: World) -> None:
    """A member presses yesterday's 开始办理 on a ticket resolved since: told it is done (it said 「当前状态为「已办结」，
    不能变为「办理中」」, the state machine's words)."""
    member = world.member("王师傅", ["水暖"])
    ticket_id = _resolved(world, member)
    with db.transaction(world.engine) as s, pytest.raises(NotAllowed) as refused:
        tickets.start_ticket(s, ticket_id, member, T0 + minutes(60))
    assert "已办结" in str(refused.value) and "不能变为" not in str(refused.value)


@SQLITE
def test_a_closed_tickets_refusal_to_add_says_its_status_once(world: World) -> None:
    """Words added to a ticket closed since are refused with its status said once (it said 「已已关闭」)."""
    member = world.member("王师傅", ["水暖"])
    ticket_id = _resolved(world, member)
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, ticket_id, RESIDENT, 5, T0 + minutes(90))
    with db.transaction(world.engine) as s, pytest.raises(NotAllowed) as refused:
        tickets.add_contact(s, ticket_id, RESIDENT, T0 + minutes(100), supplement="还有一点")
    assert "已关闭" in str(refused.value) and "已已" not in str(refused.value)


def test_a_missing_column_named_with_its_table_is_an_older_schema_not_an_empty_database() -> None:
    """PostgreSQL words a missing column of an INSERT as 'column "x" of relation "y" does not exist': the database
    is older than the release (it was told it had no tables yet)."""
    error = Exception('column "scope_code" of relation "invite" does not exist')
    told = db.database_problem(error, "postgresql://127.0.0.1/city")
    assert "older than this release" in told and "no tables" not in told
