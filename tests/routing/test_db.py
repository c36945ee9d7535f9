"""Migrations: up from empty, the schema equals the models, down and up again, from any cwd; the data ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, update
from sqlmodel import SQLModel

from routing import db, dispatch, tickets
from routing.models import Ticket, TicketStatus
from tests.conftest import G11, RESIDENT, T0, World, minutes


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_round_trip(empty_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # migrations must not depend on the working directory
    model_tables = {t.name for t in SQLModel.metadata.sorted_tables}
    assert db.current_revision(empty_url) is None

    db.upgrade(empty_url)
    assert _tables(empty_url) == model_tables | {"alembic_version"}
    assert db.current_revision(empty_url) == db.head_revision()
    assert _diff(empty_url) == []  # the migration creates exactly what the models declare

    db.downgrade(empty_url, "base")
    assert _tables(empty_url) == {"alembic_version"}
    assert db.current_revision(empty_url) is None

    db.upgrade(empty_url)
    assert _tables(empty_url) == model_tables | {"alembic_version"}
    assert _diff(empty_url) == []
    db.upgrade(empty_url)  # idempotent


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        engine.dispose()


def test_url_normalisation() -> None:
    assert db.normalize_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalize_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert db.is_sqlite("sqlite:///x.db") and not db.is_sqlite("postgresql://u@h/d")


def test_0006_clears_the_resolution_of_tickets_reopened_before(world: World, db_url: str) -> None:
    """Tickets reopened by the code before 0006 kept their first round's `resolved_at`: the upgrade clears it (the
    ticket is not resolved), and leaves a closed ticket's."""
    plumber = world.member("王师傅", ["水暖"], G11)
    ids = []
    for stars in (1, 5):  # reopened, closed
        with db.transaction(world.engine) as s:
            tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                        address="幸福里3号楼", settings=world.settings).id
            dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=world.settings)
            tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30))
            tickets.rate_ticket(s, tid, RESIDENT, stars, T0 + minutes(40))
        ids.append(tid)
    with db.transaction(world.engine) as s:  # what the code before 0006 left on the reopened one
        s.exec(update(Ticket).where(Ticket.id == ids[0]).values(resolved_at=T0 + minutes(30)))
    db.downgrade(db_url, "0005")
    db.upgrade(db_url)
    with db.transaction(world.engine) as s:
        reopened, closed = (s.get(Ticket, tid) for tid in ids)
        assert (reopened.status, reopened.resolved_at) == (TicketStatus.reopened, None)
        assert closed.status == TicketStatus.closed and closed.resolved_at == T0 + minutes(30)
