"""The `jiedan` command (routing/cli.py) as an operator uses it: the database, demo members, invites, stats, the
geography check; one clear line and a non-zero exit for every mistake, never a traceback; the bot's start with a
geography of several streets and COORDINATOR_IDS (COORDINATOR_SCOPE); and a smoke run of the benchmark functions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.taxonomy import Taxonomy
from routing import bench, cli, db, demo

ROOT = Path(__file__).resolve().parents[2]
CITY = """
[[street]]
code = "S01"
name = "示范街道"
[[street.community]]
code = "S01-C01"
name = "幸福里社区"
[[street.community.grid]]
code = "S01-C01-G01"
name = "幸福里第一网格"

[[street]]
code = "S02"
name = "第二街道"
[[street.community]]
code = "S02-C01"
name = "新村社区"
[[street.community.grid]]
code = "S02-C01-G01"
name = "新村第一网格"
"""


def jiedan(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`jiedan ARGS` in an empty directory (no .env), with the given environment."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "DATA_DIR", "GEOGRAPHY_FILE", "TAXONOMY_FILE")}
    environ.update({"PYTHONPATH": str(ROOT), "DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run([sys.executable, "-m", "routing.cli", *args], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=120)


def last_error(stderr: str) -> str:
    """The exception line of a traceback."""
    lines = [line for line in stderr.splitlines() if re.match(r"[A-Za-z_][\w.]*: ", line)]
    return (lines or [stderr.strip()])[-1][:300]


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, last_error(result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"{len(lines)} lines: {result.stderr[:300]}"
    assert lines[0].startswith("jiedan: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


# --- the commands ---

def test_db_seed_invite_stats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli.main(["db", "current", "--url", url]) == 0
    assert "base (empty)" in capsys.readouterr().out
    assert cli.main(["db", "upgrade", "--url", url]) == 0
    assert f"database at {db.head_revision()}" in capsys.readouterr().out
    assert cli.main(["seed-demo", "--url", url, "--coordinator", "77"]) == 0
    assert f"{len(demo.MEMBERS)} demo member(s) added" in capsys.readouterr().out
    assert cli.main(["seed-demo", "--url", url, "--coordinator", "77"]) == 0
    assert "0 demo member(s) added" in capsys.readouterr().out
    assert cli.main(["invite", "--coordinator", "77", "--url", url]) == 0
    assert "valid until" in capsys.readouterr().out
    assert cli.main(["invite", "--coordinator", "78", "--url", url]) == 1
    assert "只有协调员" in capsys.readouterr().err
    assert cli.main(["advance-waves", "--url", url]) == 0
    assert "0 ticket(s) advanced" in capsys.readouterr().out
    assert cli.main(["stats", "--scope", "S01", "--url", url]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["total"] == 0
    assert cli.main(["db", "downgrade", "base", "--url", url]) == 0
    assert "base (empty)" in capsys.readouterr().out


def test_geography_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["geography", "check"]) == 0
    assert "4 grid(s), ok" in capsys.readouterr().out
    bad = tmp_path / "geo.toml"
    bad.write_text('[[street]]\ncode = "S01"\nname = "街道"\n', encoding="utf-8")
    assert cli.main(["geography", "check", str(bad)]) == 1
    assert "has no community" in capsys.readouterr().err


# --- one clear line for every operator mistake ---

# A bad setting: the pydantic dump (4+ lines, a docs URL) instead of one line naming the setting.
@pytest.mark.parametrize(("name", "value"), [("TIMEZONE", "Mars/Olympus"), ("WAVE_SIZE", "three")])
def test_bad_setting_is_one_line_naming_it(tmp_path: Path, name: str, value: str) -> None:
    result = jiedan(tmp_path, "db", "current", **{name: value})
    assert_one_clear_line(result, name)


# The database cannot be used: a traceback (sqlalchemy / driver) instead of one line.
@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:1/test",             # nothing listens there
    "postgresql://postgres@127.0.0.1:5432/no_such_db_r5",  # the database does not exist
    "mysql://u@localhost/jiedan",                          # a scheme with no driver installed
])
def test_unusable_database_is_one_line(tmp_path: Path, url: str) -> None:
    result = jiedan(tmp_path, "db", "current", "--url", url)
    assert_one_clear_line(result)


def test_port_typo_names_the_database_url(tmp_path: Path) -> None:
    result = jiedan(tmp_path, "db", "current", "--url", "postgresql://postgres@127.0.0.1:54x2/test")
    assert_one_clear_line(result, "database")


def test_unusable_data_dir_is_one_line(tmp_path: Path) -> None:
    result = jiedan(tmp_path, "db", "upgrade", DATA_DIR="/proc/no/such/dir")
    assert_one_clear_line(result, "DATA_DIR")


# A database never upgraded: invite / stats / geography sync print an SQL traceback.
@pytest.mark.parametrize("args", [("invite", "--coordinator", "5"), ("stats",), ("advance-waves",),
                                  ("geography", "sync")])
def test_database_not_upgraded_says_so(tmp_path: Path, args: tuple[str, ...]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = jiedan(tmp_path, *args, "--url", url)
    assert_one_clear_line(result, "db upgrade")


# An unknown revision: alembic's traceback.
@pytest.mark.parametrize("action", ["upgrade", "downgrade"])
def test_unknown_revision_is_one_line(tmp_path: Path, action: str) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert jiedan(tmp_path, "db", "upgrade", "--url", url).returncode == 0
    result = jiedan(tmp_path, "db", action, "00x6", "--url", url)
    assert_one_clear_line(result, "00x6")


# stats --days out of range: a traceback for a big number, a success (exit 0) for a negative one.
@pytest.mark.parametrize("days", ["99999999", "-5"])
def test_stats_days_out_of_range_is_refused(tmp_path: Path, days: str) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert jiedan(tmp_path, "db", "upgrade", "--url", url).returncode == 0
    result = jiedan(tmp_path, "stats", "--days", days, "--url", url)
    assert result.returncode != 0, f"exit 0, printed: {result.stdout[:120]}"
    assert "Traceback" not in result.stderr, last_error(result.stderr)


# A geography path that is a directory: IsADirectoryError traceback.
def test_geography_check_of_a_directory_is_one_line(tmp_path: Path) -> None:
    result = jiedan(tmp_path, "geography", "check", str(tmp_path))
    assert_one_clear_line(result, str(tmp_path))


# A coordinator id past any Telegram id (a typo): OverflowError traceback.
@pytest.mark.parametrize("command", ["invite", "seed-demo"])
def test_coordinator_id_out_of_range_is_refused_by_the_argument(tmp_path: Path, command: str) -> None:
    """argparse's own refusal (its usage line and the error, exit 2), never a traceback from the database."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert jiedan(tmp_path, "db", "upgrade", "--url", url).returncode == 0
    result = jiedan(tmp_path, command, "--coordinator", "99999999999999999999", "--url", url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--coordinator: not a Telegram user id" in result.stderr


# --- the bot's start with a geography of several streets ---

# Bootstrap: a city (several streets) with COORDINATOR_IDS — the bot cannot start, and dies with a
# traceback (InvalidInput is not among the errors start_domain turns into a line); no setting gives
# the coordinators' scope, so a multi-street deployment cannot name its first coordinators at all.
def _start_bot_domain(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    geo = tmp_path / "city.toml"
    geo.write_text(CITY, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN")}
    environ.update(PYTHONPATH=str(ROOT), DATA_DIR=str(tmp_path / "data"), GEOGRAPHY_FILE=str(geo), **env)
    code = ("from bot.__main__ import start_domain; from bot.config import get_bot_settings; "
            "start_domain(get_bot_settings()).dispose(); print('started')")
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_several_streets_and_coordinator_ids_need_a_scope(tmp_path: Path) -> None:
    """COORDINATOR_IDS with a geography of several streets: one line naming COORDINATOR_SCOPE, no traceback; with
    it, the bot starts."""
    assert_one_clear_line(_start_bot_domain(tmp_path, COORDINATOR_IDS="12345"), "COORDINATOR_SCOPE")
    started = _start_bot_domain(tmp_path, COORDINATOR_IDS="12345", COORDINATOR_SCOPE="S02")
    assert started.returncode == 0 and "started" in started.stdout, started.stderr


# --- the benchmark functions ---

def test_bench_functions_small(taxonomy: Taxonomy, settings) -> None:
    t = bench.bench_throughput("sqlite", taxonomy, settings, tickets=40, members=300)
    assert t["offered_share"] > 0.5 and t["tickets_per_s"] > 0
    [c] = bench.bench_candidates("sqlite", taxonomy, [300], queries=20)
    assert c["avg_found"] > 0
    s = bench.bench_stats("sqlite", taxonomy, 300)
    assert 0 <= s["rates"]["overdue_rate"] <= 1
    assert bench.machine(None)["cores"] >= 1
