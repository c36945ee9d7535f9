"""Operating the database: the URL's own connection options, a command on a database one migration behind, and
`jiedan db upgrade` while a bot worker starts. Found by a review of persistence (each test failed before)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, text

from routing import cli, db

POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


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
