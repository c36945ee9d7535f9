"""Helpers the members' tests share: a ticket filed straight through routing and the notifications it made."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from routing import db, tickets
from routing.models import Notification
from tests.conftest import G11, RESIDENT, T0, World

TZ = ZoneInfo("Asia/Shanghai")


def file_ticket(world: World, text: str = "厨房水管漏水了", label: str = "repair.plumbing", at: datetime = T0,
                address: str = "幸福里3号楼2单元501") -> int:
    """A ticket of the world's RESIDENT in G11 (a plumbing leak unless told), filed through routing at `at`."""
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, at, label=label, grid_code=G11, address=address,
                                     phone="13800000000", confidence=0.9, settings=world.settings).id


def notifications(world: World, ticket_id: int, kind: str, recipient: int | None = None) -> list[Notification]:
    """A ticket's notifications of `kind` (to `recipient`), oldest first."""
    with db.transaction(world.engine) as s:
        q = select(Notification).where(Notification.ticket_id == ticket_id, Notification.kind == kind)
        if recipient is not None:
            q = q.where(Notification.recipient_id == recipient)
        return list(s.exec(q.order_by(Notification.id)))
