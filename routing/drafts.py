"""Conversations in progress, keyed by (Telegram user, flow), so that the bot keeps no state.

Every message of a conversation reads or writes its draft, so the statements are built once and
run as Core statements (no ORM identity map or flush): a save is one upsert, not a read and a write.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from routing.db import core
from routing.models import Draft

_TABLE = Draft.__table__
_C = _TABLE.c
_GET = select(_C.state).where(_C.telegram_id == bindparam("telegram_id"), _C.flow == bindparam("flow"))
_LIST = (select(_C.flow, _C.state, _C.updated_at).where(_C.telegram_id == bindparam("telegram_id"))
         .order_by(_C.updated_at.desc()))
_CLEAR_ALL = delete(_TABLE).where(_C.telegram_id == bindparam("telegram_id"))
_CLEAR = _CLEAR_ALL.where(_C.flow == bindparam("flow"))


@lru_cache(maxsize=4)
def _save_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=["telegram_id", "flow"],
        set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
    )


def get_draft(session: Session, telegram_id: int, flow: str) -> dict[str, Any] | None:
    """The saved state of a flow (e.g. 'intake', 'join'), or None."""
    state = core(session, _GET, {"telegram_id": telegram_id, "flow": flow}).scalar_one_or_none()
    return dict(state) if state is not None else None


def save_draft(session: Session, telegram_id: int, flow: str, state: dict[str, Any],
               now: datetime) -> None:
    """Save (replace) the state of a flow; it must be JSON-serialisable."""
    core(session, _save_statement(session.get_bind().dialect.name),
         {"telegram_id": telegram_id, "flow": flow, "state": dict(state), "updated_at": now})


def clear_draft(session: Session, telegram_id: int, flow: str | None = None) -> int:
    """Forget one flow (or all of a user's flows, e.g. on /cancel). Returns rows removed."""
    if flow is None:
        return core(session, _CLEAR_ALL, {"telegram_id": telegram_id}).rowcount
    return core(session, _CLEAR, {"telegram_id": telegram_id, "flow": flow}).rowcount


def purge_drafts(session: Session, older_than: datetime) -> int:
    """Drop drafts untouched since `older_than` (abandoned conversations)."""
    return session.exec(delete(Draft).where(Draft.updated_at < older_than)).rowcount


def idle_drafts(session: Session, flow: str, since: datetime, until: datetime, *, limit: int = 200
                ) -> list[tuple[int, dict[str, Any], datetime]]:
    """The drafts of a flow last touched between `since` and `until` (a conversation left a while ago, not yet given
    up), newest first: (telegram id, state, when last touched)."""
    rows = session.exec(select(Draft.telegram_id, Draft.state, Draft.updated_at)
                        .where(Draft.flow == flow, Draft.updated_at >= since, Draft.updated_at <= until)
                        .order_by(Draft.updated_at.desc()).limit(limit)).all()
    return [(telegram_id, dict(state), touched) for telegram_id, state, touched in rows]


def draft_with_time(session: Session, telegram_id: int, flow: str) -> tuple[dict[str, Any], datetime] | None:
    """A flow's saved state and when it was last touched, or None."""
    return next(((state, touched) for name, state, touched in list_drafts(session, telegram_id) if name == flow), None)


def list_drafts(session: Session, telegram_id: int) -> list[tuple[str, dict[str, Any], datetime]]:
    """All of a user's flows in progress, most recently touched first: (flow, state, when last touched)."""
    return [(flow, dict(state), touched)
            for flow, state, touched in core(session, _LIST, {"telegram_id": telegram_id})]
