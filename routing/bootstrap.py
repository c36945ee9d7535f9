"""Start-up for any process using the domain: migrate, connect, sync geography, coordinators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine

from routing import db
from routing.config import Settings, get_settings, get_taxonomy
from routing.geography import load_geography, sync_geography
from routing.members import configured_scope, ensure_coordinators


def start(settings: Settings | None = None, *, coordinator_ids: Iterable[int] = (),
          coordinator_scope: str | None = None, migrate: bool = True,
          now: datetime | None = None) -> Engine:
    """Apply migrations, open the engine, and upsert the geography and configured coordinators.

    Validates the taxonomy and geography files first, so a bad file stops start-up with a
    message naming the file and entry.
    """
    settings = settings or get_settings()
    get_taxonomy(settings)
    geography = load_geography(settings.GEOGRAPHY_FILE)
    with db.one_at_a_time(settings.DATABASE_URL):  # (workers starting together, `jiedan db upgrade` meanwhile)
        if migrate:
            db.upgrade(settings.DATABASE_URL)
        engine = db.make_engine(settings.DATABASE_URL)
        now = now or datetime.now(UTC)
        with db.transaction(engine) as session:
            sync_geography(session, geography)
            if coordinator_scope:  # (even without ids: the console places its demo people there)
                configured_scope(session, coordinator_scope)
            ids = list(coordinator_ids)
            if ids:  # (exactly these; none listed leaves the coordinators as they are: `jiedan coordinator remove`)
                ensure_coordinators(session, ids, now, scope=coordinator_scope, exclusive=True)
    return engine
