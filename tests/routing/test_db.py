"""The database (routing/db.py): its URL (normalised; the operator's connection options kept; a password never
printed), SQLite's pragmas, migrations up and down and the data ones, a database not yet upgraded, and the set-up
turn workers and `jiedan db upgrade` take on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text, update
from sqlmodel import SQLModel

from bot.__main__ import start_domain
from bot.config import BotSettings
from routing import bootstrap, cli, db, dispatch, tickets
from routing.config import Settings
from routing.models import Ticket, TicketStatus
from tests.conftest import G11, RESIDENT, T0, World, minutes

POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
SECRET = "Zq9-S3cret-pw"


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


# --- the URL and the connection ---

def test_url_normalisation() -> None:
    assert db.normalize_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalize_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert db.is_sqlite("sqlite:///x.db") and not db.is_sqlite("postgresql://u@h/d")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        engine.dispose()


@POSTGRES
def test_a_schema_named_in_the_database_url_gets_the_tables(empty_url: str) -> None:
    """An operator whose PostgreSQL database is shared gives the bot a schema of its own, the libpq way:
    DATABASE_URL=postgresql://jiedan@db/city?options=-csearch_path%3Djiedan, and runs `jiedan db upgrade`.
    They expect the tables in schema `jiedan`. Instead the URL's `options` is silently replaced by the
    engine's own (`-c plan_cache_mode=force_custom_plan`, routing/db.py make_engine): the search_path is
    dropped, the tables go into `public` next to the other application's, and the bot reads and writes there."""
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA jiedan")
    url = empty_url + "?options=-csearch_path%3Djiedan"

    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            search_path = conn.execute(text("SHOW search_path")).scalar()
    finally:
        engine.dispose()
    db.upgrade(url)

    with psycopg.connect(empty_url) as conn:
        where = dict(conn.execute("SELECT table_name, table_schema FROM information_schema.tables "
                                  "WHERE table_name IN ('ticket', 'notification')").fetchall())
    assert search_path == "jiedan", f"the URL's search_path was dropped: {search_path!r}"
    assert where == {"ticket": "jiedan", "notification": "jiedan"}, where


@POSTGRES
def test_a_statement_timeout_in_the_database_url_is_kept(empty_url: str) -> None:
    """An operator limits how long a statement may hang (a locked row, a stuck server), so that a resident's
    message is answered "please try again" instead of waiting on and on: DATABASE_URL=
    postgresql://…/city?options=-cstatement_timeout%3D5000. They expect every connection to have that limit;
    instead make_engine's own `options` replaces the URL's and the limit is silently gone (statement_timeout 0)."""
    engine = db.make_engine(empty_url + "?options=-cstatement_timeout%3D5000")
    try:
        with engine.connect() as conn:
            timeout = conn.execute(text("SHOW statement_timeout")).scalar()
            plan = conn.execute(text("SHOW plan_cache_mode")).scalar()
    finally:
        engine.dispose()
    assert plan == "force_custom_plan"  # (the engine's own setting is kept either way)
    assert timeout == "5s", f"the URL's statement_timeout was dropped: {timeout!r}"


@POSTGRES
def test_pgoptions_of_the_environment_are_kept(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator puts the bot's tables in a schema of its own the way libpq documents for every client (psql,
    pg_dump, …): PGOPTIONS='-c search_path=jiedan' in the service's environment, a plain DATABASE_URL. They expect
    the bot to use schema `jiedan` as psql does. Instead routing/db.py make_engine always passes its own libpq
    `options` (plan_cache_mode), and an explicit `options` replaces PGOPTIONS: search_path is the default, and the
    tables go into `public` (today's fix merges only the URL's own ?options=)."""
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA jiedan")
    monkeypatch.setenv("PGOPTIONS", "-c search_path=jiedan")
    with psycopg.connect(empty_url) as conn:  # (what any libpq client does with it)
        assert conn.execute("SHOW search_path").fetchone()[0] == "jiedan"
    engine = db.make_engine(empty_url)
    try:
        with engine.connect() as conn:
            search_path = conn.execute(text("SHOW search_path")).scalar()
    finally:
        engine.dispose()
    assert search_path == "jiedan", f"PGOPTIONS dropped: search_path {search_path!r}"


def test_a_password_given_as_a_query_parameter_is_not_printed_in_the_start_error(tmp_path: Path) -> None:
    """An operator writes the credentials the libpq way, as query parameters (no percent-encoding of an @ or / in
    a generated password needed there): DATABASE_URL=postgresql://db.internal:5432/city?user=jiedan&password=….
    The database is briefly down when the worker starts. They expect the one-line start error that never shows the
    password (routing/db.py database_problem: "the reason, never the URL's user or password"). Instead the line
    printed to the terminal and the service's journal is "jiedan: database unavailable
    (postgresql://127.0.0.1:1/city?user=jiedan&password=Zq9-S3cret-pw): connection failed …": `where(url)` removes
    only a user:password@ before the host, never the query's password."""
    url = f"postgresql://127.0.0.1:1/city?user=jiedan&password={SECRET}"
    settings = BotSettings(_env_file=None, DATABASE_URL=url, DATA_DIR=tmp_path)
    with pytest.raises(SystemExit) as stop:
        start_domain(settings)
    message = str(stop.value.code)
    assert message.startswith("jiedan: ") and SECRET not in message, message


def test_jiedan_db_upgrade_does_not_print_a_query_parameters_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The same operator runs `jiedan db upgrade --url 'postgresql://127.0.0.1:1/city?user=jiedan&password=…'` from
    the deploy script while the database is down; the script's log is shared with the team. The command should
    say the database is unavailable without the password; instead it prints the URL with it (routing/db.py
    database_problem → where)."""
    monkeypatch.chdir(tmp_path)
    url = f"postgresql://127.0.0.1:1/city?user=jiedan&password={SECRET}"
    assert cli.main(["db", "upgrade", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "database unavailable" in err and SECRET not in err, err


# --- migrations ---

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


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_command_on_a_database_not_yet_migrated_says_to_upgrade(
        empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An operator installs the release with coordinator invites (migration 0008) and, before the bot has restarted
    (it migrates at start), prints an invite for a new member: `jiedan invite --coordinator 77`. Their database is
    fine, one migration behind. They expect what the command says for a database without tables: run `jiedan db
    upgrade` first (routing/db.py database_problem). Instead they read "jiedan: database unavailable (…): no such
    column: invite.scope_code" (PostgreSQL: "column invite.scope_code does not exist") and go looking for a
    server problem: a missing column of an older schema is not recognised."""
    monkeypatch.chdir(tmp_path)
    url = empty_url
    assert cli.main(["seed-demo", "--url", url, "--coordinator", "77"]) == 0  # (a database in use)
    db.downgrade(url, "0007")  # (as the previous release left it)
    capsys.readouterr()

    assert cli.main(["invite", "--coordinator", "77", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "jiedan db upgrade" in err and "database unavailable" not in err, err


def test_a_missing_column_named_with_its_table_is_an_older_schema_not_an_empty_database() -> None:
    """PostgreSQL words a missing column of an INSERT as 'column "x" of relation "y" does not exist': the database
    is older than the release (it was told it had no tables yet)."""
    error = Exception('column "scope_code" of relation "invite" does not exist')
    told = db.database_problem(error, "postgresql://127.0.0.1/city")
    assert "older than this release" in told and "no tables" not in told


# --- the set-up turn on PostgreSQL: workers starting and `jiedan db upgrade` ---

@POSTGRES
def test_jiedan_db_upgrade_takes_turns_with_a_starting_worker(empty_url: str, tmp_path: Any) -> None:
    """An operator deploys a new release on a street's PostgreSQL: the webhook workers restart (each migrates at
    start, one after another: README "Workers may start together: migrations and the geography sync take turns")
    and the operator's deploy script runs `jiedan db upgrade` as README's "Schema only through … `jiedan db
    upgrade`" says. They expect both to end with the database at head. Instead the command does not take the
    workers' turn (routing/cli.py cmd_db → db.upgrade without bot/__main__.py's startup lock): it runs the same
    migration at the same time and fails with "jiedan: database unavailable (…): duplicate key value violates
    unique constraint "pg_type_typname_nsp_index"" (exit 1) — a database that is perfectly available."""
    cli: list[subprocess.Popen[str]] = []

    def mid_migration(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The worker is half-way through its migration when the operator's command starts.
        if not cli and statement.lstrip().upper().startswith("CREATE TABLE TICKET "):
            cli.append(subprocess.Popen(
                [sys.executable, "-m", "routing.cli", "db", "upgrade", "--url", empty_url],
                cwd=tmp_path, env={**os.environ, "DATA_DIR": str(tmp_path / "data")},
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            time.sleep(6)  # (the command has started and reached its own migration)

    event.listen(Engine, "before_cursor_execute", mid_migration)
    try:
        worker = threading.Thread(target=lambda: _start_worker(empty_url))
        worker.start()
        worker.join(timeout=60)
    finally:
        event.remove(Engine, "before_cursor_execute", mid_migration)
    assert cli, "the worker's migration ran"
    out, err = cli[0].communicate(timeout=60)
    assert db.current_revision(empty_url) == db.head_revision()
    assert cli[0].returncode == 0 and f"database at {db.head_revision()}" in out, err


def _start_worker(url: str) -> None:
    """What a bot worker does first (routing/bootstrap.py start): migrate in its turn."""
    with db.one_at_a_time(url):
        db.upgrade(url)


def _start(url: str) -> None:
    """A bot worker's start (bot/__main__.py start_domain → bootstrap.start); its exception becomes the exit line."""
    started = time.monotonic()
    try:
        engine = bootstrap.start(Settings(_env_file=None, DATABASE_URL=url))
    except Exception as error:  # (as start_domain: sys.exit(f"jiedan: {database_problem(...)}"))
        pytest.fail(f"the worker exits after {time.monotonic() - started:.1f} s: "
                    f"jiedan: {db.database_problem(error, url)}")
    engine.dispose()


@contextmanager
def _turn_taken_for(url: str, seconds: float) -> Iterator[None]:
    """Another worker (or the deploy's `jiedan db upgrade`) holds the turn for `seconds`: a migration of a large
    database."""
    holder = psycopg.connect(url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(27236, 0)")
    timer = threading.Timer(seconds, lambda: holder.execute("SELECT pg_advisory_unlock(27236, 0)"))
    timer.start()
    try:
        yield
    finally:
        timer.join()
        holder.close()


@POSTGRES
@pytest.mark.parametrize("limit", ["statement_timeout", "lock_timeout"])
def test_a_worker_waiting_its_turn_is_not_cut_off_by_the_urls_statement_timeout(empty_url: str, limit: str) -> None:
    """An operator keeps a resident's request from hanging with DATABASE_URL=postgresql://…/city?options=
    -cstatement_timeout%3D2000 (or lock_timeout; the URL's own options are kept since today's fix) and restarts the
    street's webhook workers after a deploy. One worker (or the deploy's `jiedan db upgrade`) takes the set-up turn
    and migrates a large database for a few seconds; README: "Workers may start together: migrations and the
    geography sync take turns". The others should wait their turn and then start. Instead routing/db.py
    one_at_a_time waits for the turn (SELECT pg_advisory_lock) under the URL's 2-second limit: the wait is cancelled
    ("canceling statement due to statement timeout" / "… lock timeout") and the worker exits with
    "jiedan: database unavailable (…)"."""
    url = empty_url + f"?options=-c{limit}%3D2000"
    with _turn_taken_for(empty_url, 4.0):
        _start(url)
    assert db.current_revision(empty_url) == db.head_revision()


@POSTGRES
def test_a_worker_waiting_its_turn_is_not_cut_off_by_the_databases_statement_timeout(empty_url: str) -> None:
    """The same with the limit where DBAs usually put it: ALTER DATABASE city SET statement_timeout = '2s' (the URL
    is plain). A worker started while another migrates should wait its turn; instead its wait for the turn is
    cancelled after 2 s and it exits with "jiedan: database unavailable (…): canceling statement due to statement
    timeout" — a database that is perfectly available (routing/db.py one_at_a_time)."""
    name = empty_url.rsplit("/", 1)[1]
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET statement_timeout = \'2s\'')
    with _turn_taken_for(empty_url, 4.0):
        _start(empty_url)
    assert db.current_revision(empty_url) == db.head_revision()


@POSTGRES
def test_a_migration_longer_than_the_idle_session_timeout_keeps_its_turn(empty_url: str) -> None:
    """A DBA culls forgotten connections: ALTER DATABASE city SET idle_session_timeout = '1s' (the bot's pool copes:
    pool_pre_ping). The operator deploys a release whose migration takes a while on their large database. The
    worker should migrate in its turn and start. Instead the connection that holds the turn (routing/db.py
    one_at_a_time) sits idle while the migration runs on another connection: the server ends it after 1 s, so the
    turn is silently released mid-migration (the next worker may migrate at the same time), and the unlock at the
    end fails on the dead connection: the worker that migrated successfully exits with "jiedan: database
    unavailable (…): terminating connection due to idle-session timeout"."""
    name = empty_url.rsplit("/", 1)[1]
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET idle_session_timeout = \'1s\'')
    slow: list[str] = []

    def large_database(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not slow and statement.lstrip().upper().startswith("CREATE TABLE TICKET "):
            slow.append(statement)
            time.sleep(2.5)  # (a migration step on a large database)

    event.listen(Engine, "before_cursor_execute", large_database)
    try:
        _start(empty_url)
    finally:
        event.remove(Engine, "before_cursor_execute", large_database)
    assert slow and db.current_revision(empty_url) == db.head_revision()
