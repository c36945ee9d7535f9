"""Workers taking the set-up turn (routing/db.py one_at_a_time, held by routing/bootstrap.py start and `jiedan db
upgrade` since today) on a PostgreSQL database with the usual session limits: statement_timeout, lock_timeout,
idle_session_timeout (in DATABASE_URL's options, kept since today, or set on the database by its DBA).
Found by a review of the session's own operator fixes (each test failed before)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event

from routing import bootstrap, db
from routing.config import Settings

POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


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
