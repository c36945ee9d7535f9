"""The one line `python -m bot` prints when a setting is wrong must name that setting (README: "a bad setting,
taxonomy or geography file stops it with one line naming the problem").
Found by a review of a new user's first run in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import start_domain
from bot.config import BotSettings


def test_sqlite_database_url_in_a_bad_directory_is_not_blamed_on_data_dir(tmp_path: Path) -> None:
    """An operator puts the database elsewhere, `DATABASE_URL=sqlite:////srv/jiedan/db/jiedan.db`, where the
    directory cannot be made (here a file stands where the directory should be; on a server, typically a directory
    the bot's user may not write: Permission denied). The bot stops with
    `jiedan: setting DATA_DIR (data): File exists` — naming DATA_DIR, which is fine and unused for the database, and
    its path, not the one that failed — so the operator looks in the wrong place. `bot/__main__.py` start_domain
    reports every OSError during start-up as a DATA_DIR problem, although `routing/db.py` make_engine makes the
    directory of DATABASE_URL's SQLite file."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    blocker = tmp_path / "srv"
    blocker.write_text("not a directory")
    settings = BotSettings(_env_file=None, DATA_DIR=data_dir, DATABASE_URL=f"sqlite:///{blocker}/jiedan.db")
    with pytest.raises(SystemExit) as stopped:
        start_domain(settings)
    line = str(stopped.value.code)
    assert "DATABASE_URL" in line or str(blocker) in line, line
