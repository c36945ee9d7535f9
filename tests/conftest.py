"""Shared fixtures: a migrated SQLite file per test, a throw-away PostgreSQL database per session, a small world."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import routing.config
from classifier.taxonomy import (
    Taxonomy,
    load_taxonomy,
)
from routing import db, members
from routing.config import Settings
from routing.geography import load_geography, sync_geography
from routing.models import Member

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
STREET, C1, C2 = "S01", "S01-C01", "S01-C02"
G11, G12, G21, G22 = "S01-C01-G01", "S01-C01-G02", "S01-C02-G01", "S01-C02-G02"
PG_ADMIN_URL = os.environ.get("DATABASE_URL_TEST",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENV_DEFAULTS = {"TIME_LIMIT_SCALE": "1", "WAVE_SIZE": "3", "WAVE_TIMEOUT_MINUTES": "10",
                "MAX_WAVES": "3", "MEMBER_CAPACITY": "3", "TIMEZONE": "Asia/Shanghai",
                "INVITE_TTL_DAYS": "7", "OUTBOX_LEASE_SECONDS": "120",
                "OUTBOX_MAX_ATTEMPTS": "10"}
UNSET = ("DATABASE_URL", "DATA_DIR", "TAXONOMY_FILE", "GEOGRAPHY_FILE")


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    """The shipped taxonomy."""
    return load_taxonomy()


@pytest.fixture(autouse=True)
def _routing_env(monkeypatch: pytest.MonkeyPatch, taxonomy: Taxonomy) -> Iterator[None]:
    """Default settings whatever the environment or a .env says; the shipped taxonomy."""
    for key, value in ENV_DEFAULTS.items():
        monkeypatch.setenv(key, value)
    for key in UNSET:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(routing.config, "load_taxonomy", lambda path=None: taxonomy)
    routing.config.get_settings.cache_clear()
    yield
    routing.config.get_settings.cache_clear()


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None)


# Databases -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating takes longer than copying)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(f"PostgreSQL not reachable ({reason}); set CI=true to make this a failure")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A uniquely named database on the test server, migrated, dropped at the end."""
    import psycopg

    admin = db.normalize_url(PG_ADMIN_URL).replace("postgresql+psycopg://", "postgresql://")
    name = f"jiedan_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _pg_unavailable(str(exc).strip().splitlines()[0])
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    db.upgrade(url)
    yield db.normalize_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
           sqlite_template: Path) -> str:
    """An empty, migrated database of the parametrized backend."""
    if backend == "sqlite":
        path = tmp_path / "jiedan.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    engine = db.make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with the demo geography."""
    engine = db.make_engine(db_url)
    with db.transaction(engine) as session:
        sync_geography(session, load_geography())
    yield engine
    engine.dispose()


# A small world ----------------------------------------------------------------------------------

COORD = 9000  # street coordinator
GRID_COORD = 9011  # coordinator of G11
RESIDENT = 1001
OTHER_RESIDENT = 1002


@dataclass
class World:
    engine: Engine
    settings: Settings
    members: dict[str, int] = field(default_factory=dict)  # name -> telegram id
    next_id: int = 2000

    def member(self, name: str, skills: list[str], grid: str = G11, *, now: datetime = T0,
               capacity: int | None = None) -> int:
        """Register a member through an invite; returns their Telegram id."""
        self.next_id += 1
        tid = self.next_id
        with db.transaction(self.engine) as s:
            invite = members.create_invite(s, COORD, now, settings=self.settings)
            m = members.register_member(s, tid, invite.code, name, skills, grid, now,
                                        settings=self.settings)
            if capacity is not None:
                m.capacity = capacity
        self.members[name] = tid
        return tid

    def invite(self, by: int = COORD, scope: str | None = None) -> str:
        """An invite code made now (the bot's clock), as /invite — or with `scope` /addcoordinator — makes it."""
        with db.transaction(self.engine) as s:
            return members.create_invite(s, by, datetime.now(UTC), settings=self.settings, scope=scope).code

    def member_id(self, tid: int) -> int:
        with db.transaction(self.engine) as s:
            return members.get_member(s, tid).id

    def get_member(self, tid: int) -> Member:
        with db.transaction(self.engine) as s:
            return members.get_member(s, tid)


@pytest.fixture
def world(engine: Engine, settings: Settings) -> World:
    """Demo geography, a street coordinator and a grid coordinator of G11."""
    with db.transaction(engine) as s:
        members.ensure_coordinators(s, [COORD], T0)
        members.add_coordinator(s, COORD, GRID_COORD, G11, T0)
    return World(engine, settings)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def as_processes(db_url: str, count: int,
                 work: Callable[[Engine, threading.Barrier], Iterable[int]]) -> list[int]:
    """Run `work` in `count` threads, each with an engine of its own as a bot process has, sharing a
    barrier to start steps together; returns every number they returned, and fails on any error."""
    engines = [db.make_engine(db_url) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            results.extend(work(engine, barrier))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert not errors, errors
    return results
