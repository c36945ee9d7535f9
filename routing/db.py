"""Engines for SQLite and PostgreSQL, the transaction helper, and migrations applied in code."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import (
    JSON,
    Engine,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000
# WAL pages written before a checkpoint copies them into the database file (SQLite's default:
# 1,000). A checkpoint writes each page once however often it changed, so a longer interval
# writes the hot index pages less often: submitting, 8 → 3.5 ms p99 and ~15 % more tickets/s
# (measured). 4,000 keeps the WAL in the first wal-index hash table (4,062 frames), so a read
# still looks up one; the WAL file grows to ~16 MB instead of ~4.
SQLITE_WAL_CHECKPOINT_PAGES = 4_000


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs; a SQLite path written with ~
    (sqlite:///~/jiedan/jiedan.db in .env, which is no shell) is in the home directory, as DATA_DIR's is."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    scheme, separator, path = url.partition(":///")
    if separator and scheme.startswith("sqlite") and path.startswith("~"):
        return f"{scheme}:///{Path(path).expanduser()}"
    return url


def where(url: str) -> str:
    """A database URL without its user and password (before the host, or as ?user=…&password=…: no query is shown):
    what messages and logs may show."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1].split('?', 1)[0]}" if rest else url


def _without_credentials(reason: str, url: str) -> str:
    """A driver's message with every part of the URL's user and password blanked (a password with an
    unencoded @ is misread as part of the host, which the driver then quotes)."""
    rest = url.partition("://")[2]
    credentials = rest.rsplit("@", 1)[0] if "@" in rest else ""
    parts = re.split("[:@/]", credentials) + re.findall(r"(?:password|user)=([^&]+)", rest.partition("?")[2])
    for part in sorted(parts, key=len, reverse=True):
        if len(part) >= 3:
            reason = reason.replace(part, "***").replace(unquote(part), "***")
    return reason


def database_problem(error: BaseException, url: str) -> str:
    """One line for an operator about a database that cannot be used: the reason, never the URL's user or
    password, and what to do."""
    if isinstance(error, CommandError):  # (alembic's)
        reason = (str(error).splitlines() or [""])[0]
        if "Can't locate revision" in reason:
            return (f"the database ({where(url)}) was migrated by a newer release of jiedan ({reason}): run that "
                    "release, or restore the backup taken before it")
        return f"database migration failed ({where(url)}): {reason}"
    reason = _without_credentials((str(getattr(error, "orig", None) or error).splitlines() or [""])[0], url)
    credentials = url.partition("://")[2].rpartition("@")[0]
    hint = " — a password's @ : / must be percent-encoded (%40 %3A %2F)" if re.search("[@/]", credentials) else ""
    # (a column first: PostgreSQL words it 'column "x" of relation "y" does not exist')
    if "no such column" in reason or "has no column named" in reason or ("does not exist" in reason and "column" in reason):
        return f"the database is older than this release: run `jiedan db upgrade` first ({reason})"
    if "no such table" in reason or ("does not exist" in reason and "relation" in reason):
        return f"the database has no tables yet: run `jiedan db upgrade` first ({reason})"
    if isinstance(error, ImportError | ValueError):  # (what a URL with a typo or no installed driver raises)
        return f"{reason} — check the database URL (DATABASE_URL or --url){hint}"
    return f"database unavailable ({where(url)}): {reason}{hint}"


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """Whether an engine or URL points at SQLite."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(normalize_url(engine_or_url)).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE. A statement's values
    are never shown in an error's text or a log line (they hold residents' words, addresses and phones)."""
    url = normalize_url(url)
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        connect_args = kwargs.pop("connect_args", {})
        # psycopg prepares repeated statements; a generic (parameter-blind) plan of the ranking
        # query was measured 30x slower than a custom one, so always plan with the values. (After the URL's own
        # options, which connect_args would otherwise replace: ?options=-csearch_path%3Djiedan.)
        own = make_url(url).query.get("options")
        own = " ".join(own) if isinstance(own, tuple) else own or os.environ.get("PGOPTIONS", "")  # (as libpq would)
        connect_args.setdefault("options", f"{own} -c plan_cache_mode=force_custom_plan".strip())
        return create_engine(url, connect_args=connect_args, **kwargs)

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    connect_args.setdefault("check_same_thread", False)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes can
        # fail with SQLITE_BUSY under concurrent writers instead of waiting.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any exception."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def core(session: Session, statement: Any, params: Any = None) -> Any:
    """Execute a Core statement on the session's connection, with statements built once and
    bound parameters (the hot paths); pending ORM changes are flushed first, as ORM queries do."""
    session.flush()
    return session.connection().execute(statement, params)


def insert_new(session: Session, table: Table, rows: list[dict[str, Any]],
               unique: Sequence[str]) -> set[tuple[Any, ...]]:
    """INSERT … ON CONFLICT (`unique`) DO NOTHING RETURNING `unique`: the keys of the rows really
    inserted. A row whose key exists (another process wrote it first) is skipped, so a caller that
    acts only on its own keys does each thing once, whatever the number of processes."""
    if not rows:
        return set()
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (insert(table).on_conflict_do_nothing(index_elements=list(unique))
                 .returning(*(table.c[name] for name in unique)))
    return {tuple(row) for row in core(session, statement, rows)}


# PostgreSQL bulk statements: many rows as one JSON parameter (json_to_recordset) instead of a
# many-row VALUES or an executemany, and lookups with one array parameter (`among`). psycopg
# splits a statement's text by its parameters in Python, so a 5,000-parameter statement costs
# milliseconds of client CPU before it is sent; one JSON value is encoded in C. Measured for the
# alert scan's thousand cards (medians of ten scans): alert rows 36 → 15 ms, escalations
# 31 → 20 ms, events 19 → 10 ms, lookups 14 → 5 ms. SQLite runs statements in-process: its
# executemany is as fast, so callers keep it there.

def is_postgres(session: Session) -> bool:
    """Whether the session is bound to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def _json_value(value: Any) -> Any:
    """json.dumps' fallback for bulk rows: aware timestamps (as UTCDateTime insists)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def rows_json(rows: list[dict[str, Any]]) -> str:
    """The value of a `recordset` parameter."""
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def recordset(table: Table, columns: Iterable[str], name: str = "_rows", alias: str = "r") -> Any:
    """FROM json_to_recordset(:name) AS alias(column type, …): rows given as one JSON array
    (`rows_json`), each column typed as in `table` (PostgreSQL)."""
    return (func.json_to_recordset(cast(bindparam(name, type_=Text), JSON))
            .table_valued(*(column(c, table.c[c].type) for c in columns))
            .render_derived(name=alias, with_types=True))


def bulk_insert(table: Table, columns: tuple[str, ...]) -> Any:
    """INSERT INTO table (columns) SELECT … FROM `recordset` (PostgreSQL)."""
    rows = recordset(table, columns)
    return pg_insert(table).from_select(list(columns), select(*(rows.c[c] for c in columns)))


def among(column: Any, values: Iterable[Any], postgres: bool) -> ColumnElement[bool]:
    """column IN (values): on PostgreSQL `= ANY(array)`, one parameter instead of hundreds."""
    values = list(values)
    if postgres:
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def alembic_config(url: str) -> Config:
    """An alembic Config for `url` that works from an installed package, whatever the cwd."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


# Processes migrating or syncing one PostgreSQL database take turns (two first migrations at once fail on
# PostgreSQL's catalogue): bot workers starting together, `jiedan db upgrade` run by a deploy meanwhile.
_TURN_LOCK = "SELECT pg_advisory_lock(27237, 0)"  # a key of its own (27236 is bot.workers' chat locks' space)
_TURN_UNLOCK = "SELECT pg_advisory_unlock(27237, 0)"


@contextmanager
def one_at_a_time(url: str) -> Iterator[None]:
    """Hold the database's set-up turn (PostgreSQL; SQLite's own write lock serialises its migrations)."""
    if is_sqlite(url):
        yield
        return
    from sqlalchemy.pool import NullPool

    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            # Waiting for the turn is no statement to cut short, and its connection idles while the migration runs
            # on another: the URL's or the database's time limits do not apply to it.
            conn.exec_driver_sql("SET statement_timeout = 0")
            conn.exec_driver_sql("SET lock_timeout = 0")
            if (conn.dialect.server_version_info or (0,)) >= (14,):
                conn.exec_driver_sql("SET idle_session_timeout = 0")
            conn.exec_driver_sql(_TURN_LOCK)
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(_TURN_UNLOCK)
                conn.commit()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (default: the latest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to `revision` (`base` removes every table)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration's revision (what `upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
