"""Conversations in progress, keyed by (Telegram user, flow), so that the bot keeps no state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from routing.models import Draft


def get_draft(session: Session, telegram_id: int, flow: str) -> dict[str, Any] | None:
    """The saved state of a flow (e.g. 'intake', 'join'), or None."""
    row = session.get(Draft, (telegram_id, flow))
    return dict(row.state) if row else None


def save_draft(session: Session, telegram_id: int, flow: str, state: dict[str, Any],
               now: datetime) -> None:
    """Save (replace) the state of a flow; it must be JSON-serialisable."""
    row = session.get(Draft, (telegram_id, flow))
    if row is None:
        session.add(Draft(telegram_id=telegram_id, flow=flow, state=dict(state), updated_at=now))
    else:
        row.state, row.updated_at = dict(state), now
    session.flush()


def clear_draft(session: Session, telegram_id: int, flow: str | None = None) -> int:
    """Forget one flow (or all of a user's flows, e.g. on /cancel). Returns rows removed."""
    query = delete(Draft).where(Draft.telegram_id == telegram_id)
    if flow is not None:
        query = query.where(Draft.flow == flow)
    return session.exec(query).rowcount


def purge_drafts(session: Session, older_than: datetime) -> int:
    """Drop drafts untouched since `older_than` (abandoned conversations)."""
    return session.exec(delete(Draft).where(Draft.updated_at < older_than)).rowcount


def list_drafts(session: Session, telegram_id: int) -> list[tuple[str, dict[str, Any]]]:
    """All of a user's flows in progress, most recently touched first: (flow, state)."""
    rows = session.exec(select(Draft).where(Draft.telegram_id == telegram_id)
                        .order_by(Draft.updated_at.desc()))
    return [(row.flow, dict(row.state)) for row in rows]
