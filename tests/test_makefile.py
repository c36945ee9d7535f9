"""The Makefile's targets on an operator's machine (the default deployment keeps its database in data/).
Found by a review of a new user's first run in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_clean_keeps_the_sqlite_database(tmp_path: Path) -> None:
    """A village deployment runs as the README says: `make run` with a token, SQLite by default, so every ticket,
    member, point and rating lives in `data/jiedan.db` (README: "Back up the database — that is all the state").
    After a Python upgrade breaks the venv the operator does the usual `make clean && make run`: `make clean` runs
    `rm -rf .venv tests/emulator/node_modules data/` (Makefile, target clean), deleting the live database together
    with the classifier's caches — every ticket and member is gone, without a question or a warning."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / ".venv").mkdir()  # (a stand-in; the real one is not touched)
    database = tmp_path / "data" / "jiedan.db"
    database.parent.mkdir()
    database.write_bytes(b"SQLite format 3\x00 the community's tickets")
    (tmp_path / "data" / "kind-model-0.json").write_text("{}")  # a cache `make clean` may well remove
    done = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert database.exists(), f"`make clean` deleted the database: {done.stdout.strip()}"
