"""Fixtures of the routing tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing import db
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A brand-new empty database (its own PostgreSQL database, dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    import psycopg

    request.getfixturevalue("pg_url")  # skips (or fails under CI) without a server
    admin = db.normalize_url(PG_ADMIN_URL).replace("postgresql+psycopg://", "postgresql://")
    name = f"jiedan_mig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
