"""The operator's PostgreSQL connection settings: a password given as the URL's query parameter, libpq's PGOPTIONS.
Found by a review of the session's own operator fixes (each test failed before)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.__main__ import start_domain
from bot.config import BotSettings
from routing import cli, db

POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
SECRET = "Zq9-S3cret-pw"


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


@POSTGRES
def test_pgoptions_of_the_environment_are_kept(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator puts the bot's tables in a schema of its own the way libpq documents for every client (psql,
    pg_dump, …): PGOPTIONS='-c search_path=jiedan' in the service's environment, a plain DATABASE_URL. They expect
    the bot to use schema `jiedan` as psql does. Instead routing/db.py make_engine always passes its own libpq
    `options` (plan_cache_mode), and an explicit `options` replaces PGOPTIONS: search_path is the default, and the
    tables go into `public` (today's fix merges only the URL's own ?options=)."""
    import psycopg

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
